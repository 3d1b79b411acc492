//! The BLAKE3 hash chain that makes a capture tamper-evident.
//!
//! ```text
//! link[0]   = BLAKE3("casefile chain v1" || file header bytes)
//! link[i+1] = BLAKE3(link[i] || header bytes of block i)      (header i holds prev = link[i])
//! ```
//! Each block header holds the truncated BLAKE3 of its stored body, so the chain covers every
//! byte of every block. The footer holds the link after the last block before the footer (the
//! root); the trailer holds the link after the footer block (the seal). Changing any byte of the
//! file breaks a body hash, a header CRC, a `prev` link, the root or the seal.

/// Domain separation for the first link.
const DOMAIN: &[u8] = b"casefile chain v1";

/// The first link, from the file header bytes.
pub fn first_link(file_header: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(DOMAIN);
    h.update(file_header);
    *h.finalize().as_bytes()
}

/// The link after a block, from the previous link and the block's header bytes.
pub fn next_link(prev: &[u8; 32], block_header: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(prev);
    h.update(block_header);
    *h.finalize().as_bytes()
}

/// Lower-case hex of a hash.
pub fn hex(h: &[u8]) -> String {
    use std::fmt::Write;
    h.iter()
        .fold(String::with_capacity(h.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// `N` bytes from `2N` hex digits.
pub fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}
