//! Blocks: the self-delimiting units after the file header.
//!
//! ```text
//! offset  size  field
//! 0       4     magic "CFBK"
//! 4       1     block type: 1 events, 2 state (snapshot or keyframe), 3 footer, 4 signature,
//!               5 checkpoint, 6 aggregates (of the events block before it)
//! 5       1     codec: 0 stored, 1 zstd
//! 6       2     header length H, u16le (whole header including summary and CRC)
//! 8       4     body length (stored bytes), u32le
//! 12      4     raw length (uncompressed body bytes), u32le
//! 16      4     record count, u32le
//! 20      4     flags, u32le (none defined; readers ignore unknown bits)
//! 24      8     event number of the first record, u64le (state blocks: the next event number)
//! 32      8     first record time, ns since the epoch, u64le
//! 40      8     last record time, u64le
//! 48      16    body hash: first 16 bytes of BLAKE3(stored body)
//! 64      32    chain link before this block (see `integrity`)
//! 96      H-100 summary (`summary` module), empty for footer blocks
//! H-4     4     CRC-32 (IEEE) of header bytes 0..H-4
//! H       ...   body (body length bytes)
//! ```

use crate::error::{Error, ErrorKind, Result};
use crate::le::{u32_at, u64_at};
use crate::summary::Summary;

/// Block magic.
pub const MAGIC: [u8; 4] = *b"CFBK";
/// Fixed part of a block header, before the summary.
pub const FIXED_LEN: usize = 96;
/// Largest raw or stored body a reader accepts (a writer makes ~1 MiB bodies).
pub const MAX_BODY: u32 = 64 << 20;

/// What a block holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockType {
    /// Events.
    Events,
    /// State records: the snapshot at start or a keyframe.
    State,
    /// The footer.
    Footer,
    /// A signature of the seal, after the footer.
    Signature,
    /// A seal of the chain so far, inside the stream (`seal` module).
    Checkpoint,
    /// Partial aggregates of the events block just before it (optional; see
    /// [`crate::writer::BlockAggregator`]). Listed in the index, holds no records.
    Aggregates,
    /// Notes added while the file was written (key/value entries encoded as the header's,
    /// [`crate::writer::Writer::write_notes`]): what the header could not know when it was
    /// written. Listed in the index, holds no records; carries an empty summary, so readers
    /// that do not know the type parse its header as any other and skip it.
    Notes,
    /// A type this version does not know; skipped.
    Unknown(u8),
}

impl BlockType {
    /// Stored number.
    pub fn to_u8(self) -> u8 {
        match self {
            BlockType::Events => 1,
            BlockType::State => 2,
            BlockType::Footer => 3,
            BlockType::Signature => 4,
            BlockType::Checkpoint => 5,
            BlockType::Aggregates => 6,
            BlockType::Notes => 7,
            BlockType::Unknown(v) => v,
        }
    }

    /// Whether blocks of this type carry a summary (integrity blocks do not).
    pub fn has_summary(self) -> bool {
        !matches!(
            self,
            BlockType::Footer
                | BlockType::Signature
                | BlockType::Checkpoint
                | BlockType::Aggregates
        )
    }

    /// Whether the block holds records (events or state), which the index lists.
    pub fn holds_records(self) -> bool {
        matches!(self, BlockType::Events | BlockType::State)
    }

    /// From a stored number.
    pub fn from_u8(v: u8) -> BlockType {
        match v {
            1 => BlockType::Events,
            2 => BlockType::State,
            3 => BlockType::Footer,
            4 => BlockType::Signature,
            5 => BlockType::Checkpoint,
            6 => BlockType::Aggregates,
            7 => BlockType::Notes,
            v => BlockType::Unknown(v),
        }
    }
}

/// Body codecs.
pub mod codec_id {
    /// Stored as is.
    pub const STORED: u8 = 0;
    /// zstd frame.
    pub const ZSTD: u8 = 1;
}

/// A parsed block header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// Type.
    pub block_type: BlockType,
    /// Body codec.
    pub codec: u8,
    /// Header length in bytes.
    pub header_len: u16,
    /// Stored body length.
    pub body_len: u32,
    /// Uncompressed body length.
    pub raw_len: u32,
    /// Records in the block.
    pub count: u32,
    /// Flags.
    pub flags: u32,
    /// Event number of the first record.
    pub first_event: u64,
    /// First record time.
    pub first_ts: u64,
    /// Last record time.
    pub last_ts: u64,
    /// BLAKE3 of the stored body, truncated.
    pub body_hash: [u8; 16],
    /// Chain link before this block.
    pub prev: [u8; 32],
    /// What the block holds.
    pub summary: Summary,
}

impl BlockHeader {
    /// Total bytes of header and body.
    pub fn total_len(&self) -> u64 {
        u64::from(self.header_len) + u64::from(self.body_len)
    }

    /// Serializes the header (with CRC).
    pub fn encode(&self) -> Vec<u8> {
        let summary_len = if self.block_type.has_summary() {
            self.summary.encoded_len()
        } else {
            0
        };
        let len = FIXED_LEN + summary_len + 4;
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&MAGIC);
        out.push(self.block_type.to_u8());
        out.push(self.codec);
        out.extend_from_slice(&(len as u16).to_le_bytes());
        out.extend_from_slice(&self.body_len.to_le_bytes());
        out.extend_from_slice(&self.raw_len.to_le_bytes());
        out.extend_from_slice(&self.count.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.first_event.to_le_bytes());
        out.extend_from_slice(&self.first_ts.to_le_bytes());
        out.extend_from_slice(&self.last_ts.to_le_bytes());
        out.extend_from_slice(&self.body_hash);
        out.extend_from_slice(&self.prev);
        if summary_len > 0 {
            self.summary.encode(&mut out);
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        debug_assert_eq!(out.len(), len);
        out
    }

    /// Parses a header from the start of `b`, which sits at file offset `offset`. Checks the
    /// magic, the CRC and every length against the limits, not against the file size.
    pub fn parse(b: &[u8], offset: u64) -> Result<BlockHeader> {
        if b.len() < FIXED_LEN + 4 {
            return Err(Error::truncated(
                offset,
                "block header",
                (FIXED_LEN + 4) as u64,
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
        let header_len = u16::from_le_bytes([b[6], b[7]]);
        let hl = header_len as usize;
        if hl < FIXED_LEN + 4 {
            return Err(Error::at(
                offset + 6,
                ErrorKind::InvalidLength {
                    what: "block header",
                    declared: hl as u64,
                    limit: 0,
                },
            ));
        }
        if b.len() < hl {
            return Err(Error::truncated(
                offset,
                "block header",
                hl as u64,
                b.len() as u64,
            ));
        }
        let crc = u32_at(b, hl - 4);
        if crc32fast::hash(&b[..hl - 4]) != crc {
            return Err(Error::at(
                offset,
                ErrorKind::Checksum {
                    what: "block header",
                },
            ));
        }
        let block_type = BlockType::from_u8(b[4]);
        let body_len = u32_at(b, 8);
        let raw_len = u32_at(b, 12);
        for (what, v, o) in [("block body", body_len, 8), ("raw block body", raw_len, 12)] {
            if v > MAX_BODY {
                return Err(Error::at(
                    offset + o,
                    ErrorKind::InvalidLength {
                        what,
                        declared: u64::from(v),
                        limit: u64::from(MAX_BODY),
                    },
                ));
            }
        }
        let count = u32_at(b, 16);
        if count > raw_len {
            return Err(Error::corrupt(
                offset + 16,
                "block header",
                format!("{count} records cannot fit in {raw_len} bytes"),
            ));
        }
        let mut body_hash = [0u8; 16];
        body_hash.copy_from_slice(&b[48..64]);
        let mut prev = [0u8; 32];
        prev.copy_from_slice(&b[64..96]);
        let no_summary = !block_type.has_summary();
        let summary = if no_summary || hl == FIXED_LEN + 4 {
            Summary::default()
        } else {
            let (s, used) = Summary::decode(&b[FIXED_LEN..hl - 4]).ok_or_else(|| {
                Error::corrupt(offset + FIXED_LEN as u64, "block summary", "malformed")
            })?;
            if FIXED_LEN + used + 4 != hl {
                return Err(Error::corrupt(
                    offset,
                    "block header",
                    "summary length disagrees",
                ));
            }
            s
        };
        Ok(BlockHeader {
            block_type,
            codec: b[5],
            header_len,
            body_len,
            raw_len,
            count,
            flags: u32_at(b, 20),
            first_event: u64_at(b, 24),
            first_ts: u64_at(b, 32),
            last_ts: u64_at(b, 40),
            body_hash,
            prev,
            summary,
        })
    }

    /// Checks a stored body against the header's hash.
    pub fn check_body(&self, body: &[u8], offset: u64) -> Result<()> {
        if body_hash(body) != self.body_hash {
            return Err(Error::at(
                offset,
                ErrorKind::Checksum { what: "block body" },
            ));
        }
        Ok(())
    }

    /// Turns a stored body into the raw body.
    pub fn decompress(&self, body: &[u8], offset: u64) -> Result<Vec<u8>> {
        let raw = match self.codec {
            codec_id::STORED => body.to_vec(),
            // The output is bounded by the declared raw length, itself bounded by MAX_BODY.
            codec_id::ZSTD => zstd::bulk::decompress(body, self.raw_len as usize)
                .map_err(|e| Error::at(offset, ErrorKind::Decompress(e.to_string())))?,
            c => {
                return Err(Error::corrupt(
                    offset + 5,
                    "block header",
                    format!("unknown codec {c}"),
                ));
            }
        };
        if raw.len() != self.raw_len as usize {
            return Err(Error::corrupt(
                offset,
                "block body",
                format!(
                    "decompressed to {} bytes, header says {}",
                    raw.len(),
                    self.raw_len
                ),
            ));
        }
        Ok(raw)
    }
}

/// The truncated BLAKE3 hash stored for a body.
pub fn body_hash(body: &[u8]) -> [u8; 16] {
    let h = blake3::hash(body);
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.as_bytes()[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> BlockHeader {
        BlockHeader {
            block_type: BlockType::Events,
            codec: codec_id::ZSTD,
            header_len: 0,
            body_len: 10,
            raw_len: 20,
            count: 3,
            flags: 0,
            first_event: 5,
            first_ts: 100,
            last_ts: 200,
            body_hash: [7; 16],
            prev: [9; 32],
            summary: Summary::default(),
        }
    }

    #[test]
    fn header_layout_is_pinned() {
        let h = sample();
        let enc = h.encode();
        assert_eq!(enc.len(), FIXED_LEN + crate::summary::FIXED_LEN + 4);
        assert_eq!(&enc[0..4], b"CFBK");
        assert_eq!(enc[4], 1);
        assert_eq!(u32::from_le_bytes(enc[16..20].try_into().expect("4")), 3);
        assert_eq!(u64::from_le_bytes(enc[24..32].try_into().expect("8")), 5);
        assert_eq!(&enc[48..64], &[7; 16]);
        let back = BlockHeader::parse(&enc, 0).expect("parses");
        assert_eq!(back.header_len as usize, enc.len());
        assert_eq!(
            BlockHeader {
                header_len: 0,
                ..back
            },
            h
        );
    }

    #[test]
    fn flipped_header_bit_fails_crc() {
        let mut enc = sample().encode();
        enc[30] ^= 4;
        let e = BlockHeader::parse(&enc, 1000).expect_err("crc");
        assert_eq!(e.offset, 1000);
        assert!(matches!(e.kind, ErrorKind::Checksum { .. }));
    }

    #[test]
    fn absurd_lengths_are_rejected_before_allocation() {
        let mut h = sample();
        h.raw_len = u32::MAX;
        let e = BlockHeader::parse(&h.encode(), 0).expect_err("too big");
        assert!(matches!(e.kind, ErrorKind::InvalidLength { .. }), "{e}");
    }
}
