//! Reader of sysdig / Falco `.scap` capture files (libscap savefiles) and their conversion into
//! the shared record schema.
//!
//! The layers, bottom up:
//!
//! - [`block`]: a sans-IO parser of one block (section header, machine info, process, fd,
//!   interface and user lists, event blocks of every version) over a byte slice.
//! - [`cursor`]: the bounds-checked reader both parsers use; errors carry the absolute offset.
//! - [`event`]: the event header and parameter decoding, driven by [`event_table`] (the libs
//!   event table re-stated as data); [`names`] translates libs' names of calls, events and
//!   parameters into casefile's and back.
//! - [`reader`]: splits a byte slice ([`reader::SliceBlocks`]) or any `io::Read`
//!   ([`reader::ReadBlocks`], plain or gzip) into blocks. A truncated file yields every complete
//!   block, then a [`ErrorKind::Truncated`] error.
//! - [`convert`]: turns blocks into schema [`Event`]s: state records from the metadata blocks,
//!   one `Syscall` per system call (enter and exit merged), `Fork`/`Exec`/`Exit`/`Signal`, and
//!   `Container` records from container JSON and async events.
//! - [`ScapSource`] ([`open`]): the whole pipeline over a file, as an iterator of events.
//!
//! The on-disk format is described in the project's scap reference; every length read from the
//! file is checked against what remains before it is used, and no allocation is sized from a
//! length in the file.
//!
//! For commands that read a capture, a `.scap` is one more source of the same records:
//!
//! ```ignore
//! use crate::import::scap;
//!
//! if scap::is_scap(&path)? {
//!     let mut src = scap::open(&path)?;            // reads the metadata blocks
//!     let header = src.header_info();              // host, boot time, CPUs, source
//!     for ev in src.by_ref() {
//!         let ev = ev?;                            // state records first, then events
//!     }
//!     let stats = src.stats();                     // per-type counts, skipped types
//!     if let Some(t) = src.truncation() { /* the file ended inside a block */ }
//! }
//! ```

mod ahead;
pub mod block;
pub mod convert;
pub mod cursor;
pub mod event;
pub mod event_table;
pub mod names;
pub mod reader;
pub mod source;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;

#[allow(
    unused_imports,
    reason = "for the reading commands that take a .case or a .scap"
)]
pub use source::is_scap;
pub use source::{ScapSource, open, open_with};

#[expect(unused_imports, reason = "linked from the module docs")]
use capture_format::schema::Event;

/// What went wrong at one byte offset of a scap stream (offsets count decompressed bytes).
#[derive(Debug, thiserror::Error)]
#[error("at byte {offset}: {kind}")]
pub struct ParseError {
    /// Byte offset in the (decompressed) stream where the problem was found.
    pub offset: u64,
    /// What was wrong.
    pub kind: ErrorKind,
}

impl ParseError {
    /// An error at `offset`.
    pub fn new(offset: u64, kind: ErrorKind) -> ParseError {
        ParseError { offset, kind }
    }

    /// Whether this only says the input ended inside a block: everything before it was read.
    pub fn is_truncation(&self) -> bool {
        matches!(self.kind, ErrorKind::Truncated { .. })
    }
}

/// The kinds of problem a scap stream can have.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The input holds no bytes at all.
    #[error("empty file: no section header block")]
    Empty,
    /// The input is shorter than a block header.
    #[error("not a scap file: only {len} bytes")]
    TooShort {
        /// Bytes in the input.
        len: u64,
    },
    /// The first block is not a section header block.
    #[error("not a scap file: first block type is {block_type:#010x}, not a section header")]
    NotScap {
        /// The block type found.
        block_type: u32,
    },
    /// The section header has a wrong byte-order magic.
    #[error("invalid byte-order magic {found:#010x} (only little-endian files exist)")]
    BadMagic {
        /// The magic found.
        found: u32,
    },
    /// The section header names a major version this reader does not know.
    #[error("unsupported scap version {major}.{minor}")]
    UnsupportedVersion {
        /// Major version.
        major: u16,
        /// Minor version.
        minor: u16,
    },
    /// The input ended inside a block.
    #[error("file truncated: block declares {declared} bytes, {available} remain")]
    Truncated {
        /// Bytes the block declares.
        declared: u64,
        /// Bytes that were left.
        available: u64,
    },
    /// A block's total length is impossible.
    #[error("block type {block_type:#x} has invalid total length {declared}")]
    InvalidBlockLength {
        /// The block type.
        block_type: u32,
        /// The declared length.
        declared: u32,
    },
    /// A block's trailer does not repeat its length.
    #[error("block type {block_type:#x}: length {header} in header but {trailer} in trailer")]
    TrailerMismatch {
        /// The block type.
        block_type: u32,
        /// Length in the header.
        header: u32,
        /// Length in the trailer.
        trailer: u32,
    },
    /// A field or entry runs past the end of its block or entry.
    #[error("{what}: needs {needed} bytes, {available} remain")]
    InvalidLength {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// Bytes available.
        available: u64,
    },
    /// A value is outside what the format allows.
    #[error("{what}: invalid value {value}")]
    InvalidValue {
        /// What was being read.
        what: &'static str,
        /// The value.
        value: u64,
    },
    /// Reading the underlying file failed.
    #[error("read error: {0}")]
    Io(#[source] std::io::Error),
}

/// An error reading a scap file: the file, the byte offset and what was wrong.
#[derive(Debug, thiserror::Error)]
pub struct Error {
    /// The file (or a description of the input).
    pub path: PathBuf,
    /// Whether the offset counts decompressed bytes of a gzip file.
    pub compressed: bool,
    /// The problem and its offset (not a `source`: its text is part of this error's).
    pub at: ParseError,
}

impl Error {
    /// Whether the file only ended inside a block: everything before was read.
    pub fn is_truncation(&self) -> bool {
        self.at.is_truncation()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: at byte {}{}: {}",
            self.path.display(),
            self.at.offset,
            if self.compressed {
                " (of the decompressed stream)"
            } else {
                ""
            },
            self.at.kind
        )
    }
}
