//! Streaming reading from any `io::Read` (a pipe, a socket, a file being copied).
//!
//! The stream is read front to back: the header, then one block at a time. A block whose body
//! does not match its hash is reported and skipped (its header's lengths are still trusted, as
//! the header's CRC matched); a damaged header makes the reader search forward for the next
//! valid block. The footer ends the stream; a stream that ends without one was cut short and
//! [`Reader::recovered`] says so.

use std::io::Read;

use crate::block::{self, BlockHeader, BlockType};
use crate::error::{Error, ErrorKind, Result};
use crate::file::DecodedBlock;
use crate::footer::Footer;
use crate::header::{self, FileHeader};

/// Bytes requested from the source at a time.
const READ_SIZE: usize = 256 << 10;

/// A streaming capture reader.
pub struct Reader<R: Read> {
    src: R,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
    header: FileHeader,
    footer: Option<Footer>,
    finished: bool,
    next_event: u64,
}

impl<R: Read> Reader<R> {
    /// Reads the header.
    pub fn new(src: R) -> Result<Reader<R>> {
        let mut r = Reader {
            src,
            buf: Vec::new(),
            base: 0,
            eof: false,
            header: FileHeader {
                version: 0,
                schema_version: 0,
                info: header::HeaderInfo::default(),
                len: 0,
            },
            footer: None,
            finished: false,
            next_event: 0,
        };
        r.fill(16)?;
        if r.buf.len() >= 16 && r.buf[..8] == header::MAGIC {
            let len = u32::from_le_bytes([r.buf[12], r.buf[13], r.buf[14], r.buf[15]]);
            r.fill(len.min(header::MAX_HEADER) as usize)?;
        }
        r.header = FileHeader::parse(&r.buf)?;
        r.consume(r.header.len as usize);
        Ok(r)
    }

    /// The header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// The footer, once the stream reached it.
    pub fn footer(&self) -> Option<&Footer> {
        self.footer.as_ref()
    }

    /// Whether the stream ended without a footer.
    pub fn recovered(&self) -> bool {
        self.finished && self.footer.is_none()
    }

    /// Makes `buf` hold at least `n` bytes, unless the source ends first. Reads exactly what is
    /// missing (a pipe is not made to wait for more than the next structure), into spare
    /// capacity rather than a zero-filled buffer.
    fn fill(&mut self, n: usize) -> Result<()> {
        if self.buf.len() >= n || self.eof {
            return Ok(());
        }
        let old = self.buf.len();
        let need = (n - old) as u64;
        let got = loop {
            match (&mut self.src).take(need).read_to_end(&mut self.buf) {
                Ok(g) => break g as u64,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(self.base + self.buf.len() as u64, &e)),
            }
        };
        if got < need {
            self.eof = true;
        }
        Ok(())
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.buf.drain(..n);
        self.base += n as u64;
    }

    /// The next block: `None` at the end of the stream. Errors (a damaged block) are returned
    /// once and reading goes on after them.
    pub fn next_block(&mut self) -> Option<Result<DecodedBlock>> {
        loop {
            if self.finished {
                return None;
            }
            if let Err(e) = self.fill(block::FIXED_LEN + 4) {
                self.finished = true;
                return Some(Err(e));
            }
            if self.buf.is_empty() {
                self.finished = true;
                return None;
            }
            let offset = self.base;
            let hl = if self.buf.len() >= 8 && self.buf[..4] == block::MAGIC {
                u16::from_le_bytes([self.buf[6], self.buf[7]]) as usize
            } else {
                0
            };
            if let Err(e) = self.fill(hl) {
                self.finished = true;
                return Some(Err(e));
            }
            let h = match BlockHeader::parse(&self.buf, offset) {
                Ok(h) => h,
                Err(e) if matches!(e.kind, ErrorKind::Truncated { .. }) && self.eof => {
                    // The stream ends inside a block header: the writer died here.
                    self.finished = true;
                    return None;
                }
                Err(e) => {
                    if let Err(io) = self.resync() {
                        self.finished = true;
                        return Some(Err(io));
                    }
                    return Some(Err(e));
                }
            };
            let total = h.total_len() as usize;
            if let Err(e) = self.fill(total) {
                self.finished = true;
                return Some(Err(e));
            }
            if self.buf.len() < total {
                // The last block was cut short.
                self.finished = true;
                return None;
            }
            let body_off = offset + u64::from(h.header_len);
            let body = &self.buf[h.header_len as usize..total];
            if h.block_type == BlockType::Footer {
                let f = h
                    .check_body(body, body_off)
                    .and_then(|()| Footer::parse(body, body_off));
                self.finished = true;
                return match f {
                    Ok(f) => {
                        self.footer = Some(f);
                        None
                    }
                    Err(e) => Some(Err(e)),
                };
            }
            if !h.block_type.holds_records() {
                // Signatures, checkpoints and unknown types hold no records.
                self.consume(total);
                continue;
            }
            let res = h
                .check_body(body, body_off)
                .and_then(|()| h.decompress(body, body_off))
                .map(|raw| {
                    let mut header = h.clone();
                    header.first_event = self.next_event;
                    DecodedBlock {
                        header,
                        offset,
                        raw,
                        schema: self.header.schema_version,
                    }
                });
            if h.block_type == BlockType::Events {
                self.next_event += u64::from(h.count);
            }
            self.consume(total);
            return Some(res);
        }
    }

    /// Drops bytes up to the next position that starts a valid block header.
    fn resync(&mut self) -> Result<()> {
        self.consume(1);
        loop {
            self.fill(block::FIXED_LEN + 4)?;
            if let Some(p) = self.buf.windows(4).position(|w| w == block::MAGIC) {
                self.consume(p);
                let hl = u16::from_le_bytes([
                    *self.buf.get(6).unwrap_or(&0),
                    *self.buf.get(7).unwrap_or(&0),
                ]) as usize;
                self.fill(hl.max(block::FIXED_LEN + 4))?;
                if BlockHeader::parse(&self.buf, self.base).is_ok()
                    || self.eof && self.buf.len() < hl
                {
                    return Ok(());
                }
                self.consume(1);
            } else {
                let keep = self.buf.len().min(3);
                self.consume(self.buf.len() - keep);
                if self.eof {
                    self.consume(keep);
                    return Ok(());
                }
                // Force a read of more data.
                let want = self.buf.len() + READ_SIZE;
                self.fill(want)?;
            }
        }
    }
}
