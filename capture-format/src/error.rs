//! Errors of the format crate. Every error that comes from bytes names the byte offset; readers
//! opened on a path also name the file.

use std::fmt;
use std::path::PathBuf;

/// What went wrong, with the numbers that show it.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum ErrorKind {
    /// The file is shorter than a structure needs.
    #[error("truncated: {what} needs {needed} bytes, {available} remain")]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Bytes it needs.
        needed: u64,
        /// Bytes left in the file.
        available: u64,
    },
    /// The file does not start with the casefile magic.
    #[error("not a casefile capture (it starts with {})", show_magic(found))]
    BadMagic {
        /// The first bytes found.
        found: Vec<u8>,
    },
    /// A newer or older format than this reader supports.
    #[error("format version {found} is not supported (this reader reads {oldest} to {newest})")]
    Version {
        /// Version in the file.
        found: u16,
        /// Oldest readable.
        oldest: u16,
        /// Newest readable.
        newest: u16,
    },
    /// A length field exceeds what is possible or allowed.
    #[error("invalid length in {what}: declared {declared}, at most {limit} allowed")]
    InvalidLength {
        /// The structure holding the length.
        what: &'static str,
        /// The declared length.
        declared: u64,
        /// The limit.
        limit: u64,
    },
    /// A checksum does not match.
    #[error("{what} checksum mismatch")]
    Checksum {
        /// What was checked.
        what: &'static str,
    },
    /// Structurally invalid content.
    #[error("corrupt {what}: {detail}")]
    Corrupt {
        /// The structure.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// zstd refused the block body.
    #[error("cannot decompress block body: {0}")]
    Decompress(String),
    /// An I/O error.
    #[error("{0}")]
    Io(String),
}

fn show_magic(b: &[u8]) -> String {
    let hex = crate::integrity::hex(b);
    let text: String = b
        .iter()
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                c as char
            } else {
                '.'
            }
        })
        .collect();
    format!("{hex} \"{text}\"")
}

/// An error at a byte offset of a capture, optionally naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The file, when the reader knows it.
    pub file: Option<PathBuf>,
    /// Byte offset in the file where the problem is.
    pub offset: u64,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl Error {
    /// An error at `offset`.
    pub fn at(offset: u64, kind: ErrorKind) -> Error {
        Error {
            file: None,
            offset,
            kind,
        }
    }

    /// Attaches the file name (keeps one already set).
    #[must_use]
    pub fn in_file(mut self, file: impl Into<PathBuf>) -> Error {
        if self.file.is_none() {
            self.file = Some(file.into());
        }
        self
    }

    pub(crate) fn truncated(offset: u64, what: &'static str, needed: u64, available: u64) -> Self {
        Error::at(
            offset,
            ErrorKind::Truncated {
                what,
                needed,
                available,
            },
        )
    }

    pub(crate) fn corrupt(offset: u64, what: &'static str, detail: impl Into<String>) -> Self {
        Error::at(
            offset,
            ErrorKind::Corrupt {
                what,
                detail: detail.into(),
            },
        )
    }

    pub(crate) fn io(offset: u64, e: &std::io::Error) -> Self {
        Error::at(offset, ErrorKind::Io(e.to_string()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}: ", file.display())?;
        }
        write!(f, "at byte {}: {}", self.offset, self.kind)
    }
}

impl std::error::Error for Error {}

/// Result with the crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
