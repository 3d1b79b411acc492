//! A read-only lookup in a bolt (bbolt) database file, enough to read podman's
//! `libpod/bolt_state.db`: nested buckets, then one value.
//!
//! Layout (little-endian; facts from bbolt's documented on-disk format):
//!
//! ```text
//! page      = header(16) data
//! header    = id u64 | flags u16 | count u16 | overflow u32    (the page spans overflow+1 pages)
//! flags     = 0x01 branch, 0x02 leaf, 0x04 meta, 0x10 freelist
//! meta      = magic u32 (0xED0CDAED) | version u32 (2) | page size u32 | flags u32
//!             | root bucket (root pgid u64, sequence u64) | freelist u64 | pgid u64 | txid u64
//!             | checksum u64 (FNV-1a 64 of the 56 bytes before it)
//!             pages 0 and 1 hold metas; the valid one with the higher txid is current
//! branch    = count × (pos u32 | ksize u32 | pgid u64); key at element + pos
//! leaf      = count × (flags u32 | pos u32 | ksize u32 | vsize u32); key at element + pos,
//!             value right after the key; flags 0x01: the value is a bucket
//! bucket    = root pgid u64 | sequence u64; root 0: an inline page follows in the value
//! ```
//!
//! Every offset and length comes from the file and is checked against it; a torn or foreign
//! file gives an error, never a panic. The file is read whole (podman's is small); the
//! writer's copy-on-write pages mean a consistent meta points to consistent pages.

const MAGIC: u32 = 0xED0C_DAED;
const BRANCH: u16 = 0x01;
const LEAF: u16 = 0x02;
const META: u16 = 0x04;
const BUCKET_LEAF: u32 = 0x01;
const HEADER: usize = 16;
const ELEMENT: usize = 16;
/// Deepest tree walked (a bolt tree of depth 16 would hold more keys than any file).
const MAX_DEPTH: usize = 16;

/// Why a lookup failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BoltError {
    /// Neither meta page is valid.
    #[error("no valid bolt meta page")]
    NoMeta,
    /// A page or element lies outside the file.
    #[error("bolt page {page} at byte {offset}: {what} out of bounds")]
    OutOfBounds {
        /// The page id.
        page: u64,
        /// Byte offset in the file of the thing that does not fit.
        offset: usize,
        /// What did not fit.
        what: &'static str,
    },
    /// A page is not a branch or leaf where one should be.
    #[error("bolt page {page}: unexpected page flags {flags:#x}")]
    BadPage {
        /// The page id.
        page: u64,
        /// Its flags.
        flags: u16,
    },
    /// The tree is deeper than any real one.
    #[error("bolt tree deeper than {MAX_DEPTH}")]
    TooDeep,
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(off..off + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

fn fnv1a64(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &x in b {
        h ^= u64::from(x);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A bolt file in memory.
pub struct Bolt<'a> {
    file: &'a [u8],
    page_size: usize,
    root: u64,
}

/// Where a (sub)tree lives: a page of the file, or an inline page inside a value.
#[derive(Clone, Copy)]
enum Node<'a> {
    Page(u64),
    Inline(&'a [u8]),
}

impl<'a> Bolt<'a> {
    /// Reads the current meta page.
    pub fn open(file: &'a [u8]) -> Result<Bolt<'a>, BoltError> {
        let meta_at = |off: usize| -> Option<(u64, usize, u64)> {
            let m = off + HEADER;
            let flags = u16_at(file, off + 8)?;
            if flags & META == 0 || u32_at(file, m)? != MAGIC || u32_at(file, m + 4)? != 2 {
                return None;
            }
            if fnv1a64(file.get(m..m + 56)?) != u64_at(file, m + 56)? {
                return None;
            }
            let page_size = u32_at(file, m + 8)? as usize;
            if !(512..=1 << 20).contains(&page_size) {
                return None;
            }
            Some((u64_at(file, m + 48)?, page_size, u64_at(file, m + 16)?))
        };
        let first = meta_at(0);
        let second = first.and_then(|(_, ps, _)| meta_at(ps));
        let (_, page_size, root) = match (first, second) {
            (Some(a), Some(b)) => {
                if b.0 > a.0 {
                    b
                } else {
                    a
                }
            }
            (Some(a), None) => a,
            (None, _) => {
                // Page 0 torn: try page 1 at the common page sizes.
                [4096, 8192, 16384, 65536]
                    .into_iter()
                    .find_map(meta_at)
                    .ok_or(BoltError::NoMeta)?
            }
        };
        Ok(Bolt {
            file,
            page_size,
            root,
        })
    }

    /// The value at `path`: bucket names, then a key. `None` when a name is missing.
    pub fn get(&self, path: &[&[u8]]) -> Result<Option<&'a [u8]>, BoltError> {
        let Some((last, buckets)) = path.split_last() else {
            return Ok(None);
        };
        let mut node = Node::Page(self.root);
        for name in buckets {
            let Some((flags, value)) = self.find(node, name, 0)? else {
                return Ok(None);
            };
            if flags & BUCKET_LEAF == 0 {
                return Ok(None);
            }
            node = Bolt::bucket(value)?;
        }
        Ok(self
            .find(node, last, 0)?
            .and_then(|(flags, v)| (flags & BUCKET_LEAF == 0).then_some(v)))
    }

    fn bucket(value: &'a [u8]) -> Result<Node<'a>, BoltError> {
        let root = u64_at(value, 0).ok_or(BoltError::OutOfBounds {
            page: 0,
            offset: 0,
            what: "bucket header",
        })?;
        if root == 0 {
            Ok(Node::Inline(&value[HEADER..]))
        } else {
            Ok(Node::Page(root))
        }
    }

    /// The bytes of a page (with its overflow pages).
    fn page(&self, id: u64) -> Result<&'a [u8], BoltError> {
        let oob = |offset, what| BoltError::OutOfBounds {
            page: id,
            offset,
            what,
        };
        let start = usize::try_from(id)
            .ok()
            .and_then(|i| i.checked_mul(self.page_size))
            .ok_or(oob(usize::MAX, "page"))?;
        let overflow = u32_at(self.file, start + 12).ok_or(oob(start, "page header"))? as usize;
        let len = (overflow + 1)
            .checked_mul(self.page_size)
            .ok_or(oob(start, "overflow"))?;
        self.file
            .get(start..start.saturating_add(len))
            .ok_or(oob(start, "page body"))
    }

    /// Looks `key` up in the tree at `node`: the leaf element's flags and value.
    fn find(
        &self,
        node: Node<'a>,
        key: &[u8],
        depth: usize,
    ) -> Result<Option<(u32, &'a [u8])>, BoltError> {
        if depth > MAX_DEPTH {
            return Err(BoltError::TooDeep);
        }
        let (id, page) = match node {
            Node::Page(id) => (id, self.page(id)?),
            Node::Inline(p) => (0, p),
        };
        let oob = |offset, what| BoltError::OutOfBounds {
            page: id,
            offset,
            what,
        };
        let flags = u16_at(page, 8).ok_or(oob(0, "page header"))?;
        let count = u16_at(page, 10).ok_or(oob(0, "page header"))? as usize;
        let elem = |i: usize| HEADER + i * ELEMENT;
        let bytes = |at: usize, len: usize, what| {
            page.get(at..at.checked_add(len).ok_or(oob(at, what))?)
                .ok_or(oob(at, what))
        };
        if flags & LEAF != 0 {
            for i in 0..count {
                let e = elem(i);
                let eflags = u32_at(page, e).ok_or(oob(e, "leaf element"))?;
                let pos = u32_at(page, e + 4).ok_or(oob(e, "leaf element"))? as usize;
                let ksize = u32_at(page, e + 8).ok_or(oob(e, "leaf element"))? as usize;
                let vsize = u32_at(page, e + 12).ok_or(oob(e, "leaf element"))? as usize;
                let k_at = e + pos;
                if bytes(k_at, ksize, "key")? == key {
                    return Ok(Some((eflags, bytes(k_at + ksize, vsize, "value")?)));
                }
            }
            return Ok(None);
        }
        if flags & BRANCH != 0 {
            // Keys are sorted: descend into the last child whose first key is <= key.
            let mut child = None;
            for i in 0..count {
                let e = elem(i);
                let pos = u32_at(page, e).ok_or(oob(e, "branch element"))? as usize;
                let ksize = u32_at(page, e + 4).ok_or(oob(e, "branch element"))? as usize;
                let pgid = u64_at(page, e + 8).ok_or(oob(e, "branch element"))?;
                if bytes(e + pos, ksize, "key")? > key {
                    break;
                }
                child = Some(pgid);
            }
            return match child {
                Some(c) if matches!(node, Node::Page(_)) => {
                    self.find(Node::Page(c), key, depth + 1)
                }
                Some(_) => Err(BoltError::BadPage { page: id, flags }),
                None => Ok(None),
            };
        }
        Err(BoltError::BadPage { page: id, flags })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    const PS: usize = 4096;

    fn meta(buf: &mut [u8], page: usize, root: u64, txid: u64) {
        let off = page * PS;
        buf[off..off + 8].copy_from_slice(&(page as u64).to_le_bytes());
        buf[off + 8..off + 10].copy_from_slice(&META.to_le_bytes());
        let m = off + HEADER;
        buf[m..m + 4].copy_from_slice(&MAGIC.to_le_bytes());
        buf[m + 4..m + 8].copy_from_slice(&2u32.to_le_bytes());
        buf[m + 8..m + 12].copy_from_slice(&(PS as u32).to_le_bytes());
        buf[m + 16..m + 24].copy_from_slice(&root.to_le_bytes());
        buf[m + 48..m + 56].copy_from_slice(&txid.to_le_bytes());
        let sum = fnv1a64(&buf[m..m + 56]);
        buf[m + 56..m + 64].copy_from_slice(&sum.to_le_bytes());
    }

    /// A leaf page body (header + elements + data) holding `items` (flags, key, value).
    fn leaf(id: u64, items: &[(u32, &[u8], Vec<u8>)]) -> Vec<u8> {
        let mut p = vec![0u8; HEADER + items.len() * ELEMENT];
        p[0..8].copy_from_slice(&id.to_le_bytes());
        p[8..10].copy_from_slice(&LEAF.to_le_bytes());
        p[10..12].copy_from_slice(&(items.len() as u16).to_le_bytes());
        for (i, (flags, k, v)) in items.iter().enumerate() {
            let e = HEADER + i * ELEMENT;
            let pos = (p.len() - e) as u32;
            p[e..e + 4].copy_from_slice(&flags.to_le_bytes());
            p[e + 4..e + 8].copy_from_slice(&pos.to_le_bytes());
            p[e + 8..e + 12].copy_from_slice(&(k.len() as u32).to_le_bytes());
            p[e + 12..e + 16].copy_from_slice(&(v.len() as u32).to_le_bytes());
            p.extend_from_slice(k);
            p.extend_from_slice(v);
        }
        p
    }

    fn inline_bucket(items: &[(u32, &[u8], Vec<u8>)]) -> Vec<u8> {
        let mut v = vec![0u8; HEADER];
        v.extend(leaf(0, items));
        v
    }

    /// root (page 3, branch) -> leaves 4 ("a".."c") and 5 ("m"..): "ctr" -> inline bucket
    /// "id1" -> {"config": ...}.
    fn file() -> Vec<u8> {
        let mut buf = vec![0u8; 6 * PS];
        meta(&mut buf, 0, 3, 7);
        meta(&mut buf, 1, 99, 6); // older txid: ignored
        let ctr = inline_bucket(&[(
            BUCKET_LEAF,
            b"id1",
            inline_bucket(&[(0, b"config", br#"{"labels":{"a":"b"}}"#.to_vec())]),
        )]);
        let l4 = leaf(4, &[(0, b"a", b"1".to_vec()), (BUCKET_LEAF, b"ctr", ctr)]);
        let l5 = leaf(5, &[(0, b"m", b"2".to_vec()), (0, b"z", b"3".to_vec())]);
        buf[4 * PS..4 * PS + l4.len()].copy_from_slice(&l4);
        buf[5 * PS..5 * PS + l5.len()].copy_from_slice(&l5);
        let b = 3 * PS;
        buf[b..b + 8].copy_from_slice(&3u64.to_le_bytes());
        buf[b + 8..b + 10].copy_from_slice(&BRANCH.to_le_bytes());
        buf[b + 10..b + 12].copy_from_slice(&2u16.to_le_bytes());
        for (i, (k, pg)) in [(b"a", 4u64), (b"m", 5u64)].iter().enumerate() {
            let e = b + HEADER + i * ELEMENT;
            let pos = (2 * ELEMENT + i - i * ELEMENT) as u32; // keys right after the elements
            buf[e..e + 4].copy_from_slice(&pos.to_le_bytes());
            buf[e + 4..e + 8].copy_from_slice(&(k.len() as u32).to_le_bytes());
            buf[e + 8..e + 16].copy_from_slice(&pg.to_le_bytes());
            let at = e + pos as usize;
            buf[at..at + k.len()].copy_from_slice(*k);
        }
        buf
    }

    /// A database whose root is one leaf page (with overflow pages as needed) holding `items`;
    /// for other modules' tests.
    pub(in super::super) fn single_leaf_db(items: &[(u32, &[u8], Vec<u8>)]) -> Vec<u8> {
        let mut root = leaf(2, items);
        let pages = root.len().div_ceil(PS);
        root[12..16].copy_from_slice(&((pages - 1) as u32).to_le_bytes());
        let mut buf = vec![0u8; (2 + pages) * PS];
        meta(&mut buf, 0, 2, 4);
        meta(&mut buf, 1, 2, 3);
        buf[2 * PS..2 * PS + root.len()].copy_from_slice(&root);
        buf
    }

    /// podman's layout: `ctr` / `<id>` / {`config`, `state`}.
    pub(in super::super) fn libpod_db(id: &str, config: &str, state: &str) -> Vec<u8> {
        single_leaf_db(&[(
            BUCKET_LEAF,
            b"ctr",
            inline_bucket(&[(
                BUCKET_LEAF,
                id.as_bytes(),
                inline_bucket(&[
                    (0, b"config", config.as_bytes().to_vec()),
                    (0, b"state", state.as_bytes().to_vec()),
                ]),
            )]),
        )])
    }

    #[test]
    fn overflow_pages() {
        let big = vec![b'x'; 3 * PS];
        let f = single_leaf_db(&[(0, b"k", big.clone())]);
        assert_eq!(
            Bolt::open(&f).expect("open").get(&[b"k"]),
            Ok(Some(&big[..]))
        );
        assert!(
            Bolt::open(&f[..f.len() - 1])
                .expect("open")
                .get(&[b"k"])
                .is_err()
        );
    }

    #[test]
    fn finds_values_through_branches_and_inline_buckets() {
        let f = file();
        let db = Bolt::open(&f).expect("open");
        assert_eq!(db.get(&[b"a"]), Ok(Some(&b"1"[..])));
        assert_eq!(db.get(&[b"z"]), Ok(Some(&b"3"[..])));
        assert_eq!(db.get(&[b"b"]), Ok(None));
        assert_eq!(db.get(&[b"0"]), Ok(None));
        assert_eq!(
            db.get(&[b"ctr", b"id1", b"config"]),
            Ok(Some(&br#"{"labels":{"a":"b"}}"#[..]))
        );
        assert_eq!(db.get(&[b"ctr", b"id2", b"config"]), Ok(None));
        // A bucket is not a value, and a value is not a bucket.
        assert_eq!(db.get(&[b"ctr"]), Ok(None));
        assert_eq!(db.get(&[b"a", b"x"]), Ok(None));
        assert_eq!(db.get(&[]), Ok(None));
    }

    #[test]
    fn damaged_files_are_errors() {
        assert_eq!(Bolt::open(&[]).err(), Some(BoltError::NoMeta));
        assert_eq!(Bolt::open(&[0u8; 100]).err(), Some(BoltError::NoMeta));
        let mut f = file();
        f[HEADER + 20] ^= 1; // page 0's checksum fails; page 1 (root 99) is used
        let db = Bolt::open(&f).expect("page 1");
        assert!(matches!(
            db.get(&[b"a"]),
            Err(BoltError::OutOfBounds { page: 99, .. })
        ));
        // Truncation anywhere, and an element pointing past its page.
        let full = file();
        for cut in [3 * PS + 10, 4 * PS + 20, 4 * PS + 100, 5 * PS] {
            let db = Bolt::open(&full[..cut]).expect("metas intact");
            assert!(
                db.get(&[b"ctr", b"id1", b"config"]).is_err() || cut >= 5 * PS,
                "{cut}"
            );
        }
        let mut f = file();
        f[4 * PS + HEADER + 4..4 * PS + HEADER + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Bolt::open(&f).expect("open").get(&[b"a"]).is_err());
        // A branch that points to itself.
        let mut f = file();
        f[3 * PS + HEADER + 8..3 * PS + HEADER + 16].copy_from_slice(&3u64.to_le_bytes());
        assert_eq!(
            Bolt::open(&f).expect("open").get(&[b"a"]),
            Err(BoltError::TooDeep)
        );
    }
}
