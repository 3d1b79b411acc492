//! A bounds-checked little-endian reader over one block's bytes, for the block and event
//! parsers.

use super::{ErrorKind, ParseError};

/// A bounds-checked little-endian cursor. Errors carry the absolute offset.
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Cursor<'a> {
    /// A cursor over `buf`, which starts at absolute offset `base`.
    pub fn new(buf: &'a [u8], base: u64) -> Cursor<'a> {
        Cursor { buf, pos: 0, base }
    }

    /// Absolute offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Position relative to the start of the buffer.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The next `n` bytes.
    #[inline(always)]
    #[allow(
        clippy::inline_always,
        reason = "a few instructions, on the path of every event"
    )]
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ParseError> {
        if n > self.remaining() {
            return Err(self.too_short(n, what));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// The error of a `take` of `n` bytes past the end.
    #[cold]
    #[inline(never)]
    fn too_short(&self, n: usize, what: &'static str) -> ParseError {
        ParseError::new(
            self.offset(),
            ErrorKind::InvalidLength {
                what,
                needed: n as u64,
                available: self.remaining() as u64,
            },
        )
    }

    /// A sub-cursor over the next `n` bytes, which are consumed.
    #[inline(always)]
    #[allow(
        clippy::inline_always,
        reason = "a few instructions, on the path of every event"
    )]
    pub fn sub(&mut self, n: usize, what: &'static str) -> Result<Cursor<'a>, ParseError> {
        let base = self.offset();
        Ok(Cursor::new(self.take(n, what)?, base))
    }

    #[inline(always)]
    #[allow(
        clippy::inline_always,
        reason = "a few instructions, on the path of every event"
    )]
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], ParseError> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    /// A `u8`.
    #[inline(always)]
    #[allow(
        clippy::inline_always,
        reason = "a few instructions, on the path of every event"
    )]
    pub fn u8(&mut self, what: &'static str) -> Result<u8, ParseError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A little-endian `u16`.
    #[inline(always)]
    #[allow(
        clippy::inline_always,
        reason = "a few instructions, on the path of every event"
    )]
    pub fn u16(&mut self, what: &'static str) -> Result<u16, ParseError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    /// A little-endian `u32`.
    #[inline(always)]
    #[allow(
        clippy::inline_always,
        reason = "a few instructions, on the path of every event"
    )]
    pub fn u32(&mut self, what: &'static str) -> Result<u32, ParseError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    /// A little-endian `u64`.
    #[inline(always)]
    #[allow(
        clippy::inline_always,
        reason = "a few instructions, on the path of every event"
    )]
    pub fn u64(&mut self, what: &'static str) -> Result<u64, ParseError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// Sixteen raw bytes (an IPv6 address).
    pub fn ip6(&mut self, what: &'static str) -> Result<[u8; 16], ParseError> {
        self.array(what)
    }

    /// Four raw bytes (an IPv4 address, first octet first).
    pub fn ip4(&mut self, what: &'static str) -> Result<[u8; 4], ParseError> {
        self.array(what)
    }

    /// A `u16` length followed by that many bytes, at most `max`.
    pub fn str16(&mut self, what: &'static str, max: u64) -> Result<&'a [u8], ParseError> {
        let at = self.offset();
        let n = self.u16(what)?;
        if u64::from(n) > max {
            return Err(ParseError::new(
                at,
                ErrorKind::InvalidValue {
                    what,
                    value: u64::from(n),
                },
            ));
        }
        self.take(n as usize, what)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize, what: &'static str) -> Result<(), ParseError> {
        self.take(n, what).map(|_| ())
    }
}
