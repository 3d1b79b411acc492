//! The casefile capture file format.
//!
//! A capture is a file header, then self-delimiting blocks: state blocks (the snapshot taken
//! when recording starts, and periodic keyframes), event blocks (zstd-compressed column streams
//! with a summary for skipping), and a footer (the block index and the container, process and
//! loss tables), then a trailer pointing at the footer. A BLAKE3 chain runs through every block.
//! `FORMAT.md` beside this crate documents every byte.
//!
//! The crate also owns the record schema ([`schema`]): every record kind's fields, and the
//! system call table (`schema::syscalls`) that says what each call's parameters are. The
//! recorder, the .scap importer, replay and the filter language all read that one table, so a
//! call decoded here is decoded everywhere.
//!
//! ```no_run
//! use capture_format::{CaptureFile, HeaderInfo, Writer, WriterOptions};
//! use capture_format::schema::{Body, Event, Exit};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut w = Writer::create("example.case", &HeaderInfo::default(), WriterOptions::default())?;
//! w.append(&Event { ts: 1, tid: 7, pid: 7, cpu: 0, container: 0, body: Body::Exit(Exit::default()) })?;
//! w.finish()?;
//!
//! let cap = CaptureFile::read("example.case")?;
//! for i in 0..cap.blocks().len() {
//!     let block = cap.read_block(i)?;
//!     for ev in block.events()? {
//!         println!("{:?}", ev?);
//!     }
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod anchor;
pub mod block;
pub mod codec;
pub mod error;
pub mod file;
pub mod footer;
pub mod header;
pub mod integrity;
mod le;
pub mod reader;
pub mod schema;
pub mod seal;
pub mod sign;
pub mod summary;
pub mod synth;
pub mod verdict;
pub mod writer;

pub use block::{BlockHeader, BlockType};
pub use error::{Error, ErrorKind, Result};
pub use file::{CaptureFile, DecodedBlock, Recovery, Verification, VerifyFailure};
pub use footer::IndexEntry;
pub use header::{FileHeader, HeaderInfo, HostInfo};
pub use reader::Reader;
pub use summary::Summary;
pub use writer::{BlockAggregator, Reserve, WriteStats, Writer, WriterOptions};

/// The format version this crate writes.
pub const FORMAT_VERSION: u16 = 1;
/// The oldest format version this crate reads.
pub const OLDEST_READABLE_VERSION: u16 = 1;

/// A file version this reader cannot read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Incompatibility {
    /// Version found.
    pub found: u16,
    /// Oldest readable.
    pub oldest: u16,
    /// Newest readable.
    pub newest: u16,
}

/// The one compatibility check: can this reader read files of `version`?
pub fn check_compatible(version: u16) -> std::result::Result<(), Incompatibility> {
    if (OLDEST_READABLE_VERSION..=FORMAT_VERSION).contains(&version) {
        Ok(())
    } else {
        Err(Incompatibility {
            found: version,
            oldest: OLDEST_READABLE_VERSION,
            newest: FORMAT_VERSION,
        })
    }
}
