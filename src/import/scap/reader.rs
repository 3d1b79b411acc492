//! Splitting a scap stream into whole blocks, from a byte slice or from any `io::Read`.
//!
//! Both readers frame blocks by their header length only; [`super::block::parse_block`] checks
//! the rest. When the input ends inside a block, every complete block before it has been
//! returned and the next call returns an [`ErrorKind::Truncated`] error once; after any error
//! the reader returns `None`.

use std::io::{self, BufRead, BufReader, Read};

use super::block::{MIN_BLOCK_LEN, id, is_event_block, peek_header};
use super::{ErrorKind, ParseError};

/// Blocks larger than this are treated as corrupt (the largest real blocks are process lists of
/// a few MiB and `_LARGE` events).
pub const MAX_BLOCK_LEN: u32 = 512 << 20;

/// A source of whole blocks.
pub trait BlockSource {
    /// The next block's absolute offset and bytes (header to trailer), `Ok(None)` at the end.
    fn next_block(&mut self) -> Result<Option<(u64, &[u8])>, ParseError>;
}

/// Event blocks other than the `_LARGE` ones hold at most this much after their 8-byte header
/// (libscap's `READER_BUF_SIZE`; it rejects bigger ones too).
pub const MAX_SMALL_EVENT_BLOCK: u32 = 65_536 + 8;

fn check_len(block_type: u32, len: u32, offset: u64) -> Result<(), ParseError> {
    let max = if is_event_block(block_type)
        && !matches!(block_type, id::EV_V2_LARGE | id::EVF_V2_LARGE)
    {
        MAX_SMALL_EVENT_BLOCK
    } else {
        MAX_BLOCK_LEN
    };
    if !(MIN_BLOCK_LEN..=max).contains(&len) {
        return Err(ParseError::new(
            offset + 4,
            ErrorKind::InvalidBlockLength {
                block_type,
                declared: len,
            },
        ));
    }
    Ok(())
}

/// Blocks of a scap file held in memory (uncompressed).
#[derive(Debug)]
pub struct SliceBlocks<'a> {
    buf: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> SliceBlocks<'a> {
    /// Blocks of `buf`.
    pub fn new(buf: &'a [u8]) -> SliceBlocks<'a> {
        SliceBlocks {
            buf,
            pos: 0,
            done: false,
        }
    }

    /// The next block, borrowing from the input for its whole lifetime.
    pub fn next_slice(&mut self) -> Result<Option<(u64, &'a [u8])>, ParseError> {
        if self.done {
            return Ok(None);
        }
        let rest = &self.buf[self.pos..];
        let offset = self.pos as u64;
        if rest.is_empty() {
            self.done = true;
            return Ok(None);
        }
        let fail = |s: &mut Self, e: ParseError| {
            s.done = true;
            Err(e)
        };
        let Some((block_type, len)) = peek_header(rest) else {
            let e = ParseError::new(
                offset,
                ErrorKind::Truncated {
                    declared: 8,
                    available: rest.len() as u64,
                },
            );
            return fail(self, e);
        };
        if let Err(e) = check_len(block_type, len, offset) {
            return fail(self, e);
        }
        if len as usize > rest.len() {
            let e = ParseError::new(
                offset,
                ErrorKind::Truncated {
                    declared: u64::from(len),
                    available: rest.len() as u64,
                },
            );
            return fail(self, e);
        }
        self.pos += len as usize;
        Ok(Some((offset, &rest[..len as usize])))
    }
}

impl BlockSource for SliceBlocks<'_> {
    fn next_block(&mut self) -> Result<Option<(u64, &[u8])>, ParseError> {
        self.next_slice()
    }
}

/// Blocks read from a stream, through a buffer of a MiB or so that holds several blocks: each
/// block is handed out from the buffer, without a copy of its own. The buffer grows past that
/// only as a bigger block's bytes arrive, never to a length read from the file.
pub struct ReadBlocks<R> {
    inner: R,
    /// Offset in the stream of the next block (the one at `start`).
    offset: u64,
    buf: Vec<u8>,
    /// The bytes not yet handed out: `buf[start..end]`.
    start: usize,
    end: usize,
    done: bool,
}

/// How much [`ReadBlocks`] reads at a time, at least.
const CHUNK: usize = 1 << 20;

impl<R: Read> ReadBlocks<R> {
    /// Blocks of an uncompressed stream.
    pub fn new(inner: R) -> ReadBlocks<R> {
        ReadBlocks {
            inner,
            offset: 0,
            buf: Vec::new(),
            start: 0,
            end: 0,
            done: false,
        }
    }

    /// Reads until at least `n` bytes are buffered after `start`, or the stream ends; returns
    /// how many are buffered.
    fn fill(&mut self, n: usize) -> Result<usize, ParseError> {
        if self.end - self.start >= n {
            return Ok(self.end - self.start);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        while self.end < n {
            if self.end == self.buf.len() {
                // A chunk more, once the buffer is full of bytes that arrived: it grows only
                // as bytes arrive.
                self.buf.resize(self.buf.len() + CHUNK, 0);
            }
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => break,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A gzip stream cut short reports an unexpected end: that is a truncation.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                Err(e) => {
                    return Err(ParseError::new(
                        self.offset + self.end as u64,
                        ErrorKind::Io(e),
                    ));
                }
            }
        }
        Ok(self.end)
    }

    fn next_inner(&mut self) -> Result<Option<(u64, usize, usize)>, ParseError> {
        let offset = self.offset;
        let got = self.fill(8)?;
        if got == 0 {
            self.done = true;
            return Ok(None);
        }
        let Some((block_type, len)) = peek_header(&self.buf[self.start..self.end]) else {
            return Err(ParseError::new(
                offset,
                ErrorKind::Truncated {
                    declared: 8,
                    available: got as u64,
                },
            ));
        };
        check_len(block_type, len, offset)?;
        let len = len as usize;
        let got = self.fill(len)?;
        if got < len {
            return Err(ParseError::new(
                offset,
                ErrorKind::Truncated {
                    declared: len as u64,
                    available: got as u64,
                },
            ));
        }
        let at = self.start;
        self.start += len;
        self.offset += len as u64;
        Ok(Some((offset, at, len)))
    }
}

impl<R: Read> BlockSource for ReadBlocks<R> {
    fn next_block(&mut self) -> Result<Option<(u64, &[u8])>, ParseError> {
        if self.done {
            return Ok(None);
        }
        match self.next_inner() {
            Ok(Some((o, at, len))) => Ok(Some((o, &self.buf[at..at + len]))),
            Ok(None) => Ok(None),
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }
}

/// Opens a stream that may be gzip-compressed (sniffed by its magic `1F 8B`). Returns the
/// block source and whether it was compressed.
pub fn sniff<R: Read + 'static>(inner: R) -> io::Result<(Box<dyn BlockSource>, bool)> {
    let mut br = BufReader::with_capacity(1 << 16, inner);
    let head = br.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        // A `.scap.gz` may hold several gzip members (e.g. `cat`-ed files).
        let gz = flate2::bufread::MultiGzDecoder::new(br);
        Ok((Box::new(ReadBlocks::new(gz)), true))
    } else {
        Ok((Box::new(ReadBlocks::new(br)), false))
    }
}
