//! Random-access reading of a whole capture: memory-mapped or in memory.
//!
//! Opening reads the trailer and the footer (a few hundred bytes plus the index), so it takes
//! the same time whatever the file's size. A file without a valid trailer (its writer died) is
//! opened by scanning the self-delimiting blocks instead, and says so in [`CaptureFile::recovery`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::block::{self, BlockHeader, BlockType};
use crate::codec::Decoder;
use crate::error::{Error, ErrorKind, Result};
use crate::footer::{self, Footer, IndexEntry, Trailer};
use crate::header::FileHeader;
use crate::schema::{Body, Event, Kind};
use crate::sign::{self, FileSignature};

enum Source {
    Map(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Source {
    fn bytes(&self) -> &[u8] {
        match self {
            Source::Map(m) => m,
            Source::Owned(v) => v,
        }
    }

    /// Says that the mapped bytes `start..start + len` were read and are not needed soon: the
    /// whole pages among them leave the process's resident set (they stay in the page cache,
    /// and come back on the next read of them). So a scan of a capture of any size keeps
    /// only what it decodes resident, not every block it has read. Best effort: a failure
    /// (a page size other than 4 KiB, say) leaves the pages mapped.
    fn release(&self, start: usize, len: usize) {
        const PAGE: usize = 4096;
        let Source::Map(m) = self else { return };
        let (from, to) = (start.next_multiple_of(PAGE), (start + len) / PAGE * PAGE);
        if from < to && to <= m.len() {
            // SAFETY: the mapping is shared and read-only, of a file that is not modified while
            // mapped (the promise of `open_mmap`): a page read again after this comes back from
            // the file with the same bytes, so a slice borrowed over it never sees a change.
            let _ = unsafe {
                m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, to - from)
            };
        }
    }
}

/// Why and how a file was opened without its footer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// Why the footer could not be used.
    pub reason: String,
    /// Bytes at the end that hold no complete block (a block cut short by the crash).
    pub tail_bytes: u64,
}

/// A whole capture, ready for random access. Clones share the mapped or owned bytes, so
/// handing a copy to each worker costs only the index.
#[derive(Clone)]
pub struct CaptureFile {
    data: Arc<Source>,
    path: Option<PathBuf>,
    header: FileHeader,
    blocks: Vec<IndexEntry>,
    footer: Option<Footer>,
    signature: Option<FileSignature>,
    recovery: Option<Recovery>,
    damage: Vec<Error>,
}

/// One block, decompressed.
#[derive(Clone, Debug)]
pub struct DecodedBlock {
    /// Its header.
    pub header: BlockHeader,
    /// File offset of the block.
    pub offset: u64,
    /// The raw body.
    pub raw: Vec<u8>,
    /// Record schema version of the file it came from.
    pub schema: u16,
}

impl DecodedBlock {
    /// Iterates the block's records.
    pub fn events(&self) -> Result<Decoder<'_>> {
        Ok(Decoder::new(&self.raw, self.header.count, self.offset)?.with_schema(self.schema))
    }

    /// Whether the block holds events (not state).
    pub fn is_events(&self) -> bool {
        self.header.block_type == BlockType::Events
    }
}

impl std::fmt::Debug for CaptureFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureFile")
            .field("path", &self.path)
            .field("len", &self.data.bytes().len())
            .field("blocks", &self.blocks.len())
            .field("recovery", &self.recovery)
            .finish_non_exhaustive()
    }
}

impl CaptureFile {
    /// Maps `path` into memory and opens it.
    ///
    /// # Safety
    ///
    /// The file must not be truncated or modified while the returned value lives (a capture is
    /// only ever appended to; truncating it under a reader would fault the process).
    pub unsafe fn open_mmap(path: impl AsRef<Path>) -> Result<CaptureFile> {
        let path = path.as_ref();
        let f = std::fs::File::open(path).map_err(|e| Error::io(0, &e).in_file(path))?;
        let len = f
            .metadata()
            .map_err(|e| Error::io(0, &e).in_file(path))?
            .len();
        let source = if len == 0 {
            Source::Owned(Vec::new())
        } else {
            // SAFETY: the caller promises the file is not modified while mapped.
            let m =
                unsafe { memmap2::Mmap::map(&f) }.map_err(|e| Error::io(0, &e).in_file(path))?;
            Source::Map(m)
        };
        CaptureFile::from_source(source, Some(path.to_path_buf()))
    }

    /// Reads `path` into memory and opens it.
    pub fn read(path: impl AsRef<Path>) -> Result<CaptureFile> {
        let path = path.as_ref();
        let v = std::fs::read(path).map_err(|e| Error::io(0, &e).in_file(path))?;
        CaptureFile::from_source(Source::Owned(v), Some(path.to_path_buf()))
    }

    /// Opens a capture held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<CaptureFile> {
        CaptureFile::from_source(Source::Owned(bytes), None)
    }

    fn from_source(data: Source, path: Option<PathBuf>) -> Result<CaptureFile> {
        let name = |e: Error| match &path {
            Some(p) => e.in_file(p),
            None => e,
        };
        let header = FileHeader::parse(data.bytes()).map_err(name)?;
        let mut cf = CaptureFile {
            data: Arc::new(data),
            path: None,
            header,
            blocks: Vec::new(),
            footer: None,
            signature: None,
            recovery: None,
            damage: Vec::new(),
        };
        match cf.load_footer() {
            Ok((f, sig)) => {
                cf.blocks.clone_from(&f.index);
                cf.footer = Some(f);
                cf.signature = sig;
            }
            Err(reason) => {
                let tail = cf.scan();
                cf.recovery = Some(Recovery {
                    reason,
                    tail_bytes: tail,
                });
            }
        }
        if let Some(p) = &path {
            cf.damage = cf.damage.into_iter().map(|e| e.in_file(p)).collect();
        }
        cf.path = path;
        Ok(cf)
    }

    fn name(&self, e: Error) -> Error {
        match &self.path {
            Some(p) => e.in_file(p),
            None => e,
        }
    }

    /// Reads the footer through the trailer, or says why it cannot.
    fn load_footer(&self) -> std::result::Result<(Footer, Option<FileSignature>), String> {
        let b = self.data.bytes();
        let len = b.len() as u64;
        if b.len() < self.header.len as usize + footer::TRAILER_LEN {
            return Err("no trailer: the file ends before one (writer did not finish)".into());
        }
        let t = Trailer::parse(&b[b.len() - footer::TRAILER_LEN..], len)
            .ok_or("no valid trailer: the writer did not finish")?;
        let off = t.footer_offset as usize;
        let h =
            BlockHeader::parse(&b[off..], t.footer_offset).map_err(|e| format!("footer: {e}"))?;
        if h.block_type != BlockType::Footer || h.total_len() != t.footer_len {
            return Err("trailer does not point at a footer".into());
        }
        let body_start = off + h.header_len as usize;
        let body = &b[body_start..body_start + h.body_len as usize];
        h.check_body(body, body_start as u64)
            .map_err(|e| format!("footer: {e}"))?;
        let f = Footer::parse(body, body_start as u64).map_err(|e| format!("footer: {e}"))?;
        // Every indexed block must lie inside the file, before the footer.
        if let Some(bad) = f
            .index
            .iter()
            .find(|e| e.offset + u64::from(e.total_len) > t.footer_offset)
        {
            return Err(format!(
                "footer index points past the footer (block at {})",
                bad.offset
            ));
        }
        // Between the footer and the trailer: nothing, or one signature block.
        let gap_start = (t.footer_offset + t.footer_len) as usize;
        let gap = &b[gap_start..b.len() - footer::TRAILER_LEN];
        let sig = if gap.is_empty() {
            None
        } else {
            let sh =
                BlockHeader::parse(gap, gap_start as u64).map_err(|e| format!("signature: {e}"))?;
            let body = gap.get(sh.header_len as usize..sh.total_len() as usize);
            match (sh.block_type, body) {
                (BlockType::Signature, Some(body)) if sh.total_len() as usize == gap.len() => {
                    match sign::parse_body(body) {
                        Some(ed25519) => Some(ed25519),
                        None if sign::parse_fs_body(body).is_some() => None,
                        None => return Err("signature block is malformed".into()),
                    }
                }
                _ => return Err("unexpected bytes between the footer and the trailer".into()),
            }
        };
        Ok((f, sig))
    }

    /// Rebuilds the index by walking the blocks; returns the bytes of an incomplete tail.
    fn scan(&mut self) -> u64 {
        let b = self.data.bytes();
        let mut pos = self.header.len as usize;
        let mut next_event = 0u64;
        let mut blocks = Vec::new();
        let mut damage = Vec::new();
        while pos < b.len() {
            match BlockHeader::parse(&b[pos..], pos as u64) {
                Ok(h) => {
                    let end = pos as u64 + h.total_len();
                    if end > b.len() as u64 {
                        // A block cut short: the crash point.
                        break;
                    }
                    if h.block_type == BlockType::Footer {
                        pos = end as usize;
                        break;
                    }
                    if h.block_type == BlockType::Aggregates {
                        // Kept beside the events block just before it, numbered like it.
                        if let Some(prev) = blocks.last().filter(|p: &&IndexEntry| {
                            p.block_type == BlockType::Events
                                && p.offset + u64::from(p.total_len) == pos as u64
                        }) {
                            let mut e = IndexEntry::of(&h, pos as u64);
                            e.first_event = prev.first_event;
                            blocks.push(e);
                        }
                        pos = end as usize;
                        continue;
                    }
                    if h.block_type == BlockType::Notes {
                        let mut e = IndexEntry::of(&h, pos as u64);
                        e.first_event = next_event;
                        blocks.push(e);
                        pos = end as usize;
                        continue;
                    }
                    if !h.block_type.holds_records() {
                        // Checkpoints (and anything unknown) hold no records.
                        pos = end as usize;
                        continue;
                    }
                    let mut e = IndexEntry::of(&h, pos as u64);
                    // Trust our own count over the header's for numbering after damage.
                    e.first_event = next_event;
                    if h.block_type == BlockType::Events {
                        next_event += u64::from(h.count);
                    }
                    blocks.push(e);
                    pos = end as usize;
                }
                Err(e) => {
                    if matches!(e.kind, ErrorKind::Truncated { .. }) {
                        break;
                    }
                    damage.push(e);
                    if let Some(p) = find_next_block(b, pos + 1) {
                        pos = p;
                    } else {
                        pos = b.len();
                        break;
                    }
                }
            }
        }
        self.blocks = blocks;
        self.damage = damage;
        (b.len() - pos.min(b.len())) as u64
    }

    /// The file's path, when opened from one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The whole file's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.data.bytes()
    }

    /// The header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// The block index (from the footer or the scan), footer excluded.
    pub fn blocks(&self) -> &[IndexEntry] {
        &self.blocks
    }

    /// The footer, when the file was finished.
    pub fn footer(&self) -> Option<&Footer> {
        self.footer.as_ref()
    }

    /// The signature, when the writer signed the file.
    pub fn signature(&self) -> Option<&FileSignature> {
        self.signature.as_ref()
    }

    /// Set when the file had no usable footer and was opened by scanning.
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_ref()
    }

    /// Corrupt regions skipped while scanning.
    pub fn damage(&self) -> &[Error] {
        &self.damage
    }

    /// Number of event records.
    pub fn event_count(&self) -> u64 {
        self.blocks
            .iter()
            .filter(|b| b.block_type == BlockType::Events)
            .map(|b| u64::from(b.count))
            .sum()
    }

    /// First and last event times, when there are events.
    pub fn time_range(&self) -> Option<(u64, u64)> {
        let ev = self
            .blocks
            .iter()
            .filter(|b| b.block_type == BlockType::Events && b.count > 0);
        let first = ev.clone().map(|b| b.first_ts).min()?;
        let last = ev.map(|b| b.last_ts).max()?;
        Some((first, last))
    }

    /// Parses the header of block `i`.
    pub fn block_header(&self, i: usize) -> Result<BlockHeader> {
        let e = self.entry(i)?;
        let b = self.data.bytes();
        let h = BlockHeader::parse(&b[e.offset as usize..], e.offset).map_err(|x| self.name(x))?;
        if e.offset + h.total_len() > b.len() as u64 {
            return Err(self.name(Error::truncated(
                e.offset,
                "block",
                h.total_len(),
                b.len() as u64 - e.offset,
            )));
        }
        Ok(h)
    }

    fn entry(&self, i: usize) -> Result<IndexEntry> {
        self.blocks.get(i).copied().ok_or_else(|| {
            self.name(Error::corrupt(
                0,
                "index",
                format!("no block {i} (file has {})", self.blocks.len()),
            ))
        })
    }

    /// Reads, checks and decompresses block `i`.
    pub fn read_block(&self, i: usize) -> Result<DecodedBlock> {
        let e = self.entry(i)?;
        let header = self.block_header(i)?;
        let start = e.offset as usize + header.header_len as usize;
        let body = &self.data.bytes()[start..start + header.body_len as usize];
        header
            .check_body(body, start as u64)
            .map_err(|x| self.name(x))?;
        let raw = header
            .decompress(body, start as u64)
            .map_err(|x| self.name(x))?;
        self.data.release(start, body.len());
        Ok(DecodedBlock {
            header,
            offset: e.offset,
            raw,
            schema: self.header.schema_version,
        })
    }

    /// The aggregate section written beside event block `i` (the index entry right after it,
    /// of type [`BlockType::Aggregates`], same first event and times), checked against its
    /// hash and decompressed; `Ok(None)` when the block has none (files written without
    /// aggregates, every version-1 fixture among them).
    pub fn aggregates(&self, i: usize) -> Result<Option<Vec<u8>>> {
        let (Some(ev), Some(ag)) = (self.blocks.get(i), self.blocks.get(i + 1)) else {
            return Ok(None);
        };
        if ev.block_type != BlockType::Events
            || ag.block_type != BlockType::Aggregates
            || ag.first_event != ev.first_event
            || ag.first_ts != ev.first_ts
            || ag.last_ts != ev.last_ts
        {
            return Ok(None);
        }
        Ok(Some(self.read_block(i + 1)?.raw))
    }

    /// The entries of the notes blocks (type 7), in file order: key/value pairs added while
    /// the file was written. A notes block that does not read is an error naming its offset.
    pub fn notes(&self) -> Result<Vec<(u16, Vec<u8>)>> {
        let mut out = Vec::new();
        for (i, e) in self.blocks.iter().enumerate() {
            if e.block_type != BlockType::Notes {
                continue;
            }
            let b = self.read_block(i)?;
            let body_at = b.offset + u64::from(b.header.header_len);
            out.extend(
                crate::header::parse_entries(&b.raw, body_at, "notes block")
                    .map_err(|x| self.name(x))?,
            );
        }
        Ok(out)
    }

    /// Index of the first event block whose last event is at or after `ts` (the block to start
    /// reading at for a time), or `None` when every event is earlier.
    pub fn seek_time(&self, ts: u64) -> Option<usize> {
        // A binary search over the event blocks only: the other blocks between them (state,
        // checkpoints, aggregates) would break the ordering it needs.
        let ev = self.event_blocks();
        let k = ev.partition_point(|&i| self.blocks[i].last_ts < ts);
        ev.get(k).copied()
    }

    /// Indices of the event blocks, in file order.
    fn event_blocks(&self) -> Vec<usize> {
        (0..self.blocks.len())
            .filter(|&i| self.blocks[i].block_type == BlockType::Events)
            .collect()
    }

    /// Index of the event block holding event number `n`.
    pub fn seek_event(&self, n: u64) -> Option<usize> {
        let ev = self.event_blocks();
        let k = ev.partition_point(|&i| {
            let b = &self.blocks[i];
            b.first_event + u64::from(b.count) <= n
        });
        ev.get(k)
            .copied()
            .filter(|&i| self.blocks[i].first_event <= n)
    }

    /// Index of the last state block at or before block `i` (where replay of block `i` starts).
    pub fn keyframe_for(&self, i: usize) -> Option<usize> {
        self.blocks[..=i.min(self.blocks.len().saturating_sub(1))]
            .iter()
            .rposition(|b| b.block_type == BlockType::State)
    }

    /// The metadata tables: containers, execs, state processes, group exits and losses, in time
    /// order. From the footer when there is one; otherwise by decoding the state blocks and the
    /// blocks whose summaries say they hold such records.
    pub fn tables(&self) -> Result<Vec<Event<'static>>> {
        if let Some(f) = &self.footer {
            if f.tables.is_empty() {
                return Ok(Vec::new());
            }
            let raw =
                zstd::bulk::decompress(&f.tables, f.tables_raw_len as usize).map_err(|e| {
                    self.name(Error::at(
                        0,
                        ErrorKind::Decompress(format!("footer tables: {e}")),
                    ))
                })?;
            let count = count_records(&raw);
            return Decoder::new(&raw, count, 0)
                .map_err(|e| self.name(e))?
                .map(|r| r.map(Event::into_owned).map_err(|e| self.name(e)))
                .collect();
        }
        let mut out = Vec::new();
        for i in 0..self.blocks.len() {
            let Ok(h) = self.block_header(i) else {
                continue;
            };
            let wanted = h.block_type == BlockType::State
                || [Kind::Container, Kind::Loss, Kind::Exec, Kind::Exit]
                    .iter()
                    .any(|&k| h.summary.has_kind(k as u8));
            if !wanted {
                continue;
            }
            let Ok(b) = self.read_block(i) else { continue };
            for ev in b.events()?.flatten() {
                let keep = match &ev.body {
                    Body::Container(_) | Body::Loss(_) | Body::Process(_) | Body::Exec(_) => true,
                    Body::Exit(e) => e.group_dead,
                    _ => false,
                };
                if keep {
                    out.push(ev.into_owned());
                }
            }
        }
        Ok(out)
    }

    /// Judges the file's integrity: every byte from the header to the trailer (see
    /// [`crate::verdict`]).
    pub fn judge(&self, trust: &crate::verdict::Trust<'_>) -> crate::verdict::Verdict {
        crate::verdict::judge(self.data.bytes(), trust)
    }

    /// Recomputes the hash chain over the whole file, trusting nothing outside it.
    pub fn verify(&self) -> Verification {
        let v = self.judge(&crate::verdict::Trust::default());
        Verification {
            blocks_checked: v.blocks as usize,
            sealed: v.status == crate::verdict::Status::Intact,
            failure: v
                .problem
                .filter(|_| v.status != crate::verdict::Status::Unsealed)
                .map(|p| VerifyFailure {
                    block: p.block,
                    offset: p.offset,
                    what: p.what,
                }),
        }
    }
}

/// Records in a tables body: the length of its kind stream.
fn count_records(raw: &[u8]) -> u32 {
    if raw.len() < 5 {
        return 0;
    }
    u32::from_le_bytes([raw[1], raw[2], raw[3], raw[4]])
}

/// The offset of the next position at or after `from` where a valid block header starts.
fn find_next_block(b: &[u8], from: usize) -> Option<usize> {
    let mut pos = from;
    while pos + 4 <= b.len() {
        let rel = b[pos..].windows(4).position(|w| w == block::MAGIC)?;
        let at = pos + rel;
        if BlockHeader::parse(&b[at..], at as u64).is_ok() {
            return Some(at);
        }
        pos = at + 1;
    }
    None
}

/// Outcome of [`CaptureFile::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// Blocks whose link and body matched.
    pub blocks_checked: usize,
    /// Whether the file is complete and sealed (footer, trailer, nothing after).
    pub sealed: bool,
    /// The first mismatch, if any.
    pub failure: Option<VerifyFailure>,
}

/// Where the chain first breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyFailure {
    /// Index of the block (the block count for the footer).
    pub block: usize,
    /// Byte offset.
    pub offset: u64,
    /// What it means.
    pub what: String,
}
