//! Splitting a scap stream into whole blocks, from a byte slice or from any `io::Read`.
//!
//! Both readers frame blocks by their header length only; [`super::block::parse_block`] checks
//! the rest. When the input ends inside a block, every complete block before it has been
//! returned and the next call returns an [`ErrorKind::Truncated`] error once; after any error
//! the reader returns `None`.

use std::io::{self, BufRead, BufReader, Read};

use super::ahead::Parsed;
use super::block::{MIN_BLOCK_LEN, id, is_event_block, peek_header};
use super::{ErrorKind, ParseError};

/// Blocks larger than this are treated as corrupt (the largest real blocks are process lists of
/// a few MiB and `_LARGE` events).
pub const MAX_BLOCK_LEN: u32 = 512 << 20;

/// A source of whole blocks.
pub trait BlockSource {
    /// The next block's absolute offset and bytes (header to trailer), `Ok(None)` at the end.
    fn next_block(&mut self) -> Result<Option<(u64, &[u8])>, ParseError>;

    /// The next block as its source hands it out: its bytes, or an event block already parsed
    /// (by [`super::ahead::ReadAhead`]). `spare` is an empty list whose allocation serves the
    /// event's parameters, or comes back with the bytes.
    fn next_unit<'a>(&'a mut self, spare: Vec<&'a [u8]>) -> Result<Option<Unit<'a>>, ParseError> {
        Ok(self.next_block()?.map(|(offset, bytes)| Unit::Bytes {
            offset,
            bytes,
            spare,
        }))
    }

    /// Enter events the source kept that were still waiting for their exits at the end (calls
    /// that never returned).
    fn enters_left(&self) -> u64 {
        0
    }
}

/// One block from a [`BlockSource`].
pub enum Unit<'a> {
    /// A block's bytes, header to trailer, at `offset`; `spare` is the list passed in.
    Bytes {
        /// Absolute offset.
        offset: u64,
        /// The whole block.
        bytes: &'a [u8],
        /// The list passed in, for the parser.
        spare: Vec<&'a [u8]>,
    },
    /// An event block parsed by the source, at `offset`: an event that is not a call's exit.
    Event {
        /// Absolute offset.
        offset: u64,
        /// The block's type.
        block_type: u32,
        /// The event.
        event: Parsed<'a>,
        /// Whether an enter of the thread was waiting for an exit that never came.
        stale: bool,
        /// The list passed in.
        spare: Vec<&'a [u8]>,
    },
    /// An enter event the source keeps until its exit, the first event of a file.
    Enter {
        /// The block's type.
        block_type: u32,
        /// The event's type.
        etype: u16,
        /// Whether it replaced an enter of the thread whose exit never came.
        stale: bool,
        /// The list passed in.
        spare: Vec<&'a [u8]>,
    },
    /// Enter events the source keeps until their exits, counted at once: how many of each
    /// block and event type, and how many replaced an enter of their thread whose exit never
    /// came.
    Enters {
        /// (block type, event type, count).
        kept: &'a [(u32, u16, u64)],
        /// Replaced enters.
        stale: u64,
        /// The list passed in.
        spare: Vec<&'a [u8]>,
    },
    /// An exit event, paired with its enter by the source.
    Call {
        /// The block's type.
        block_type: u32,
        /// The exit and its enter.
        call: Parsed<'a>,
        /// Whether the enter waiting was another call's, whose exit never came.
        stale: bool,
        /// The list passed in.
        spare: Vec<&'a [u8]>,
    },
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
    /// How much to read at a time, at least.
    chunk: usize,
}

/// How much [`ReadBlocks`] buffers, at least.
pub(super) const CHUNK: usize = 1 << 20;

/// How much [`ReadBlocks`] reads at a time, at most.
const READ: usize = 128 << 10;

/// What the buffered bytes hold next.
pub(super) enum Framed {
    /// A whole block at `buf[at..at + len]`.
    Block { at: usize, len: usize },
    /// Not a whole block: at least this many bytes are needed from `start`.
    Need(usize),
}

impl<R: Read> ReadBlocks<R> {
    /// Blocks of an uncompressed stream.
    pub fn new(inner: R) -> ReadBlocks<R> {
        Self::with_chunk(inner, CHUNK)
    }

    /// Blocks of a stream read `chunk` bytes at a time (small ones test the buffer's edges).
    pub(super) fn with_chunk(inner: R, chunk: usize) -> ReadBlocks<R> {
        ReadBlocks {
            inner,
            offset: 0,
            buf: Vec::new(),
            start: 0,
            end: 0,
            done: false,
            chunk: chunk.max(1),
        }
    }

    /// Reads until at least `n` bytes are buffered after `start`, or the stream ends; returns
    /// how many are buffered.
    pub(super) fn fill(&mut self, n: usize) -> Result<usize, ParseError> {
        if self.end - self.start >= n {
            return Ok(self.end - self.start);
        }
        if self.moves(n) {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        while self.end - self.start < n {
            if self.end == self.buf.len() {
                // A chunk more, once the buffer is full of bytes that arrived: it grows only
                // as bytes arrive.
                self.buf.resize(self.buf.len() + self.chunk, 0);
            }
            // A read at a time that the cache holds until the blocks in it are parsed.
            let to = self.buf.len().min(self.end + READ);
            match self.inner.read(&mut self.buf[self.end..to]) {
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
        Ok(self.end - self.start)
    }

    /// Whether [`Self::fill`] of `n` bytes moves the bytes not yet handed out to the start of
    /// the buffer (blocks handed out before are overwritten then).
    pub(super) fn moves(&self, n: usize) -> bool {
        self.start > 0 && self.start + n > self.buf.len()
    }

    /// The next block if its bytes are all buffered, or how many bytes it needs.
    pub(super) fn frame(&self) -> Result<Framed, ParseError> {
        let have = &self.buf[self.start..self.end];
        let Some((block_type, len)) = peek_header(have) else {
            return Ok(Framed::Need(8));
        };
        check_len(block_type, len, self.offset)?;
        let len = len as usize;
        Ok(if len > have.len() {
            Framed::Need(len)
        } else {
            Framed::Block {
                at: self.start,
                len,
            }
        })
    }

    /// The buffer [`Framed::Block`] positions are in.
    pub(super) fn buffer(&self) -> &[u8] {
        &self.buf
    }

    /// Hands out the block [`Self::frame`] found, of `len` bytes; returns its offset.
    pub(super) fn advance(&mut self, len: usize) -> u64 {
        let offset = self.offset;
        self.start += len;
        self.offset += len as u64;
        offset
    }

    /// Reads the `n` bytes [`Framed::Need`] asked for: `Ok(false)` at the end of the stream
    /// between blocks, a truncation error when it ends inside one.
    pub(super) fn read_more(&mut self, n: usize) -> Result<bool, ParseError> {
        let got = self.fill(n)?;
        if got >= n {
            return Ok(true);
        }
        if got == 0 {
            return Ok(false);
        }
        Err(ParseError::new(
            self.offset,
            ErrorKind::Truncated {
                declared: n as u64,
                available: got as u64,
            },
        ))
    }

    /// The buffer with every block handed out so far, in exchange for `fresh`, which takes the
    /// bytes not yet handed out (blocks handed out keep their place in the buffer returned).
    pub(super) fn swap_buffer(&mut self, mut fresh: Vec<u8>) -> Vec<u8> {
        let rest = self.end - self.start;
        let want = rest.max(self.chunk);
        if fresh.len() < want {
            fresh.resize(want, 0);
        }
        fresh[..rest].copy_from_slice(&self.buf[self.start..self.end]);
        self.start = 0;
        self.end = rest;
        std::mem::replace(&mut self.buf, fresh)
    }

    fn next_inner(&mut self) -> Result<Option<(u64, usize, usize)>, ParseError> {
        loop {
            match self.frame()? {
                Framed::Block { at, len } => return Ok(Some((self.advance(len), at, len))),
                Framed::Need(n) => {
                    if !self.read_more(n)? {
                        self.done = true;
                        return Ok(None);
                    }
                }
            }
        }
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

/// A stream of scap bytes, decompressed.
pub type Bytes = Box<dyn Read + Send>;

/// Opens a stream that may be gzip-compressed (sniffed by its magic `1F 8B`). Returns the
/// decompressed bytes and whether they were compressed.
pub fn sniff<R: Read + Send + 'static>(inner: R) -> io::Result<(Bytes, bool)> {
    let mut br = BufReader::with_capacity(1 << 16, inner);
    let head = br.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        // A `.scap.gz` may hold several gzip members (e.g. `cat`-ed files).
        let gz = flate2::bufread::MultiGzDecoder::new(br);
        Ok((Box::new(gz), true))
    } else {
        Ok((Box::new(br), false))
    }
}
