//! The footer (a block of type 3, stored) and the trailer that points at it.
//!
//! Footer body:
//! ```text
//! offset  size     field
//! 0       4        magic "CFFT"
//! 4       4        entry size E of the index, u32le (48 in version 1)
//! 8       8        number of blocks N in the index (footer excluded), u64le
//! 16      8        events in the file, u64le
//! 24      8        raw (uncompressed) bytes of all block bodies, u64le
//! 32      8        stored bytes of all block bodies, u64le
//! 40      8        first event time, u64le
//! 48      8        last event time, u64le
//! 56      32       chain root: the chain link after the last block before the footer
//! 88      4        length T of the tables, u32le
//! 92      4        raw length of the tables, u32le
//! 96      E*N      index entries (below), in file order
//! 96+E*N  T        tables: zstd-compressed record stream (`codec`) holding every Container,
//!                  Exec, Process (from state blocks), Exit (group exits) and Loss record,
//!                  in time order
//!
//! index entry (48 bytes)
//! 0   8   block offset   8   4  total length (header + body)   12  1  block type
//! 13  3   reserved       16  4  record count                   20  4  raw length
//! 24  8   first event    32  8  first time                     40  8  last time
//! ```
//!
//! An optional signature block (type 4, stored, no summary) may sit between the footer and the
//! trailer:
//! ```text
//! 0   4   magic "CFSG"
//! 4   1   algorithm: 1 = ed25519
//! 5   3   reserved
//! 8   32  public key
//! 40  64  signature of "casefile signature v1" || seal
//! ```
//!
//! Trailer, the last 56 bytes of a finished file:
//! ```text
//! 0   8   footer block offset, u64le
//! 8   8   footer block length (header + body), u64le
//! 16  32  final chain link: after the footer block
//! 48  8   magic "CASE-END"
//! ```

use crate::block::{BlockHeader, BlockType};
use crate::error::{Error, ErrorKind, Result};
use crate::le::{u32_at, u64_at};

/// Footer magic.
pub const MAGIC: [u8; 4] = *b"CFFT";
/// Trailer magic.
pub const TRAILER_MAGIC: [u8; 8] = *b"CASE-END";
/// Trailer length.
pub const TRAILER_LEN: usize = 56;
/// Fixed part of the footer body.
pub const FIXED_LEN: usize = 96;
/// Index entry length in this version.
pub const ENTRY_LEN: usize = 48;

/// One entry of the block index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// File offset of the block header.
    pub offset: u64,
    /// Header plus body length.
    pub total_len: u32,
    /// Block type.
    pub block_type: BlockType,
    /// Records.
    pub count: u32,
    /// Uncompressed body length.
    pub raw_len: u32,
    /// First event number.
    pub first_event: u64,
    /// First record time.
    pub first_ts: u64,
    /// Last record time.
    pub last_ts: u64,
}

impl IndexEntry {
    /// The entry describing a block written at `offset`.
    pub fn of(h: &BlockHeader, offset: u64) -> IndexEntry {
        IndexEntry {
            offset,
            total_len: h.total_len() as u32,
            block_type: h.block_type,
            count: h.count,
            raw_len: h.raw_len,
            first_event: h.first_event,
            first_ts: h.first_ts,
            last_ts: h.last_ts,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.total_len.to_le_bytes());
        out.push(self.block_type.to_u8());
        out.extend_from_slice(&[0; 3]);
        out.extend_from_slice(&self.count.to_le_bytes());
        out.extend_from_slice(&self.raw_len.to_le_bytes());
        out.extend_from_slice(&self.first_event.to_le_bytes());
        out.extend_from_slice(&self.first_ts.to_le_bytes());
        out.extend_from_slice(&self.last_ts.to_le_bytes());
    }

    fn parse(b: &[u8]) -> IndexEntry {
        IndexEntry {
            offset: u64_at(b, 0),
            total_len: u32_at(b, 8),
            block_type: BlockType::from_u8(b[12]),
            count: u32_at(b, 16),
            raw_len: u32_at(b, 20),
            first_event: u64_at(b, 24),
            first_ts: u64_at(b, 32),
            last_ts: u64_at(b, 40),
        }
    }
}

/// The parsed footer.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Footer {
    /// Block index.
    pub index: Vec<IndexEntry>,
    /// Events in the file.
    pub events: u64,
    /// Raw bytes of all bodies.
    pub raw_bytes: u64,
    /// Stored bytes of all bodies.
    pub stored_bytes: u64,
    /// First event time.
    pub first_ts: u64,
    /// Last event time.
    pub last_ts: u64,
    /// Chain link after the last block before the footer.
    pub root: [u8; 32],
    /// Compressed tables.
    pub tables: Vec<u8>,
    /// Raw length of the tables.
    pub tables_raw_len: u32,
}

impl Footer {
    /// Serializes the footer body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(FIXED_LEN + ENTRY_LEN * self.index.len() + self.tables.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&(ENTRY_LEN as u32).to_le_bytes());
        out.extend_from_slice(&(self.index.len() as u64).to_le_bytes());
        for v in [
            self.events,
            self.raw_bytes,
            self.stored_bytes,
            self.first_ts,
            self.last_ts,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.root);
        out.extend_from_slice(&(self.tables.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.tables_raw_len.to_le_bytes());
        for e in &self.index {
            e.encode(&mut out);
        }
        out.extend_from_slice(&self.tables);
        out
    }

    /// Parses a footer body that starts at file offset `offset`.
    pub fn parse(b: &[u8], offset: u64) -> Result<Footer> {
        if b.len() < FIXED_LEN {
            return Err(Error::truncated(
                offset,
                "footer",
                FIXED_LEN as u64,
                b.len() as u64,
            ));
        }
        if b[..4] != MAGIC {
            return Err(Error::at(
                offset,
                ErrorKind::BadMagic {
                    found: b[..4].to_vec(),
                },
            ));
        }
        let entry_len = u32_at(b, 4) as usize;
        if entry_len < ENTRY_LEN {
            return Err(Error::corrupt(
                offset + 4,
                "footer",
                format!("index entry size {entry_len}"),
            ));
        }
        let n = u64_at(b, 8);
        let tables_len = u32_at(b, 88) as usize;
        let index_bytes = n
            .checked_mul(entry_len as u64)
            .filter(|&x| x <= (b.len() - FIXED_LEN) as u64)
            .ok_or_else(|| {
                Error::at(
                    offset + 8,
                    ErrorKind::InvalidLength {
                        what: "footer index",
                        declared: n,
                        limit: ((b.len() - FIXED_LEN) / entry_len) as u64,
                    },
                )
            })? as usize;
        // The tables are decompressed into one buffer of this size: bound it, as block bodies
        // are bounded, so a hostile footer cannot ask for 4 GiB.
        let tables_raw_len = u32_at(b, 92);
        if tables_raw_len > MAX_TABLES_RAW {
            return Err(Error::at(
                offset + 92,
                ErrorKind::InvalidLength {
                    what: "footer tables",
                    declared: u64::from(tables_raw_len),
                    limit: u64::from(MAX_TABLES_RAW),
                },
            ));
        }
        let tables_start = FIXED_LEN + index_bytes;
        if tables_start + tables_len > b.len() {
            return Err(Error::truncated(
                offset + tables_start as u64,
                "footer tables",
                tables_len as u64,
                (b.len() - tables_start) as u64,
            ));
        }
        let index = b[FIXED_LEN..tables_start]
            .chunks_exact(entry_len)
            .map(IndexEntry::parse)
            .collect();
        let mut root = [0u8; 32];
        root.copy_from_slice(&b[56..88]);
        Ok(Footer {
            index,
            events: u64_at(b, 16),
            raw_bytes: u64_at(b, 24),
            stored_bytes: u64_at(b, 32),
            first_ts: u64_at(b, 40),
            last_ts: u64_at(b, 48),
            root,
            tables: b[tables_start..tables_start + tables_len].to_vec(),
            tables_raw_len,
        })
    }
}

/// Why a recording stopped before it was meant to, kept in the footer block's flags: bit 0 says
/// it stopped early, bits 8..16 say why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The disk filled.
    DiskFull,
    /// A write to the capture failed.
    WriteError,
    /// The recorder met a fatal error.
    Fatal,
}

/// Footer flag: the recording stopped early.
pub const STOPPED_EARLY: u32 = 1;

impl StopReason {
    /// The footer flags saying so.
    pub fn flags(self) -> u32 {
        let code = match self {
            StopReason::DiskFull => 1,
            StopReason::WriteError => 2,
            StopReason::Fatal => 3,
        };
        STOPPED_EARLY | code << 8
    }

    /// From footer flags; `None` when the recording ran its course.
    pub fn from_flags(flags: u32) -> Option<StopReason> {
        if flags & STOPPED_EARLY == 0 {
            return None;
        }
        Some(match (flags >> 8) & 0xff {
            1 => StopReason::DiskFull,
            2 => StopReason::WriteError,
            _ => StopReason::Fatal,
        })
    }

    /// In words.
    pub fn describe(self) -> &'static str {
        match self {
            StopReason::DiskFull => "the disk was full",
            StopReason::WriteError => "a write to the capture failed",
            StopReason::Fatal => "the recorder met a fatal error",
        }
    }
}

/// Largest uncompressed size of the footer tables (a reader allocates it at once).
pub const MAX_TABLES_RAW: u32 = 1 << 30;

/// The trailer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer {
    /// Footer block offset.
    pub footer_offset: u64,
    /// Footer block length.
    pub footer_len: u64,
    /// Chain link after the footer block.
    pub seal: [u8; 32],
}

impl Trailer {
    /// Serializes the trailer.
    pub fn encode(&self) -> [u8; TRAILER_LEN] {
        let mut out = [0u8; TRAILER_LEN];
        out[0..8].copy_from_slice(&self.footer_offset.to_le_bytes());
        out[8..16].copy_from_slice(&self.footer_len.to_le_bytes());
        out[16..48].copy_from_slice(&self.seal);
        out[48..56].copy_from_slice(&TRAILER_MAGIC);
        out
    }

    /// Reads the trailer at the end of a file of `file_len` bytes; `None` when there is none
    /// (the writer died before finishing) or it points outside the file. The footer ends where
    /// the trailer begins, or where a signature block (type 4) that fills the gap begins.
    pub fn parse(tail: &[u8], file_len: u64) -> Option<Trailer> {
        if tail.len() != TRAILER_LEN || tail[48..56] != TRAILER_MAGIC {
            return None;
        }
        let mut a = [0u8; 8];
        a.copy_from_slice(&tail[0..8]);
        let footer_offset = u64::from_le_bytes(a);
        a.copy_from_slice(&tail[8..16]);
        let footer_len = u64::from_le_bytes(a);
        let end = footer_offset.checked_add(footer_len)?;
        if end > file_len.checked_sub(TRAILER_LEN as u64)? {
            return None;
        }
        let mut seal = [0u8; 32];
        seal.copy_from_slice(&tail[16..48]);
        Some(Trailer {
            footer_offset,
            footer_len,
            seal,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_footer_asking_for_huge_tables_is_refused_before_any_allocation() {
        let f = Footer {
            tables: vec![1, 2, 3],
            tables_raw_len: 3,
            ..Footer::default()
        };
        let mut b = f.encode();
        assert_eq!(Footer::parse(&b, 1000).expect("parse").tables_raw_len, 3);
        b[92..96].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = Footer::parse(&b, 1000).expect_err("4 GiB of tables");
        assert_eq!(e.offset, 1092);
        assert!(
            matches!(
                e.kind,
                ErrorKind::InvalidLength {
                    what: "footer tables",
                    ..
                }
            ),
            "{e}"
        );
    }
}
