//! Writing captures.
//!
//! The writer keeps one block in memory (bounded by [`WriterOptions::block_bytes`]) and writes it
//! out, compressed and chained, when it is full or older than [`WriterOptions::max_age`]. Each
//! block reaches the file in one `write`, so a writer killed at any point leaves a file whose
//! complete blocks all read back; at most the block being filled is lost.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::anchor::Anchor;
use crate::block::{BlockHeader, BlockType, body_hash, codec_id};
use crate::codec::Encoder;
use crate::footer::StopReason;
use crate::footer::{Footer, IndexEntry, Trailer};
use crate::header::HeaderInfo;
use crate::integrity::{first_link, next_link};
use crate::schema::{Body, Event};
use crate::seal::{Claim, Sealer};
use crate::summary::Summary;

/// The zstd level of aggregates blocks, at least: they are a tenth of an events block, read
/// whole, and compress about 9% smaller than at level 3 for about 4% more export time (on a
/// 10M-event capture, aggregates went from +10.9% of its size to +9.9%).
const AGG_LEVEL: i32 = 12;

/// How the writer cuts and compresses blocks.
#[derive(Clone, Debug)]
pub struct WriterOptions {
    /// zstd level.
    pub level: i32,
    /// A block is written when its raw body reaches this size.
    pub block_bytes: usize,
    /// A block is written when its first record is older than this (wall clock of the writer).
    pub max_age: Duration,
    /// [`Writer::needs_keyframe`] turns true after this many event blocks.
    pub keyframe_every: u32,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            level: 3,
            block_bytes: 1 << 20,
            max_age: Duration::from_secs(1),
            keyframe_every: 64,
        }
    }
}

/// A check run before each block is written, with the offset the block goes to and the number
/// of bytes that must fit from there: the block plus a bound on everything [`Writer::finish`]
/// (or [`Writer::finish_signed`]) still has to write. It reserves that space (for a file:
/// `fallocate` beyond the end) or fails, and then the block is not written at all: the writer
/// turns [full](Writer::is_full), the block's records are dropped and counted, and `finish`
/// writes the footer into the space reserved before. So a full disk still ends in a sealed file.
pub type Reserve = Box<dyn FnMut(u64, u64) -> io::Result<()> + Send>;

/// Bytes of a footer block's header (no summary), of a signature block and of the trailer.
const FOOTER_FIXED: u64 = 100 + 96 + (100 + crate::sign::BODY_LEN as u64) + 56;
/// Bytes of a checkpoint block at most (header and the longest body).
const CHECKPOINT_MAX: u64 = 100 + crate::seal::SIGNED_LEN as u64 + 96;

/// How long a checkpoint waits for the section of the block it has just written.
const CHECKPOINT_WAIT: Duration = Duration::from_millis(50);
/// How long finishing the file waits for the last block's section.
const FINISH_WAIT: Duration = Duration::from_secs(1);

/// Computes a block's partial aggregates while the writer fills it (the producer's views of
/// the events: counts per kind, call, process, file, ... and time). The writer hands it every
/// record it takes and, after writing each events block, writes what
/// [`BlockAggregator::finish_block`] returns as an aggregates block (type 6) right behind it.
/// The bytes are opaque to this crate (FORMAT.md, section 3.3, gives their layout).
///
/// An aggregator may instead work off the writer's thread (a recorder must not wait for it):
/// it takes each block's raw body in [`BlockAggregator::written`], returns nothing from
/// `finish_block`, and the writer asks [`BlockAggregator::ready`] for the section before it
/// writes anything after that events block. A section not ready then is never written (the
/// block is read by decoding), so the aggregates block always sits right behind its events.
pub trait BlockAggregator: Send {
    /// A state block's records (the snapshot or a keyframe) about to be written.
    fn state(&mut self, records: &[Event<'_>]);
    /// An event appended to the block being filled.
    fn event(&mut self, ev: &Event<'_>);
    /// The aggregates of the events since the last call (the block just closed); an empty
    /// result writes no aggregates block.
    fn finish_block(&mut self) -> Vec<u8>;
    /// A state or events block just written: its type, first event number, record count and
    /// raw (uncompressed) body.
    fn written(&mut self, _block_type: BlockType, _first_event: u64, _count: u32, _raw: &[u8]) {}
    /// The section of the events block whose first event is `first_event`, if there is one
    /// within `wait` (zero when the next block is written, a little before a checkpoint seals
    /// the chain, longer when the file is finished).
    fn ready(&mut self, _first_event: u64, _wait: Duration) -> Option<Vec<u8>> {
        None
    }
}

/// Totals of what a writer wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Event records written (state records excluded).
    pub events: u64,
    /// Blocks written (footer excluded).
    pub blocks: u64,
    /// Bytes written to the file so far.
    pub bytes: u64,
    /// Raw bytes of all bodies.
    pub raw_bytes: u64,
    /// Records of blocks that were not written because the [`Reserve`] check failed.
    pub dropped: u64,
}

/// Writes a capture to any `Write`.
pub struct Writer<W: Write> {
    out: W,
    opts: WriterOptions,
    compressor: zstd::bulk::Compressor<'static>,
    /// Aggregates blocks are small and read whole: compressed harder.
    agg_compressor: zstd::bulk::Compressor<'static>,
    link: [u8; 32],
    enc: Encoder,
    block_started: Option<Instant>,
    next_event: u64,
    index: Vec<IndexEntry>,
    stats: WriteStats,
    stored_bytes: u64,
    first_ts: Option<u64>,
    last_ts: u64,
    tables: Vec<Event<'static>>,
    blocks_since_keyframe: u32,
    failed: bool,
    reserve: Option<Reserve>,
    full: bool,
    /// Upper bound on the raw size of the tables (each record sized on its own, plus slack).
    tables_raw_bound: u64,
    /// What the tables and event times were after the last block written, to go back to when a
    /// block is dropped.
    committed: (usize, u64, Option<u64>, u64),
    /// Seals checkpoints and the finished file.
    sealer: Option<Sealer>,
    /// Checkpoints written.
    checkpoints: u64,
    /// Blocks chained so far (every type).
    chained: u64,
    /// Names the file in anchors: the first 16 bytes of the first chain link.
    file_id: [u8; 16],
    /// Why the recording stopped before it was meant to, for the footer's flags.
    stopped: Option<StopReason>,
    /// Events the producer could not hand over (counted as a loss in the footer tables).
    unwritten: u64,
    /// Computes each events block's aggregates, when set.
    aggregator: Option<Box<dyn BlockAggregator>>,
    /// The events block last written, while its section may still come from an aggregator
    /// that works off this thread: first event number, first and last time.
    awaiting: Option<(u64, u64, u64)>,
}

impl Writer<File> {
    /// Creates `path`, a new file with mode 0600, and writes the header. An existing path (a
    /// symbolic link included) is refused with [`io::ErrorKind::AlreadyExists`].
    pub fn create(
        path: impl AsRef<Path>,
        info: &HeaderInfo,
        opts: WriterOptions,
    ) -> io::Result<Self> {
        let mut o = OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let f = o.open(path.as_ref())?;
        Writer::new(f, info, opts)
    }
}

impl<W: Write> Writer<W> {
    /// Starts a capture on `out` by writing the header.
    pub fn new(mut out: W, info: &HeaderInfo, opts: WriterOptions) -> io::Result<Self> {
        let header = info.encode();
        out.write_all(&header)?;
        out.flush()?;
        let compressor = zstd::bulk::Compressor::new(opts.level)?;
        let agg_compressor = zstd::bulk::Compressor::new(opts.level.max(AGG_LEVEL))?;
        let link = first_link(&header);
        Ok(Writer {
            out,
            opts,
            compressor,
            agg_compressor,
            link,
            enc: Encoder::default(),
            block_started: None,
            next_event: 0,
            index: Vec::new(),
            stats: WriteStats {
                bytes: header.len() as u64,
                ..WriteStats::default()
            },
            stored_bytes: 0,
            first_ts: None,
            last_ts: 0,
            tables: Vec::new(),
            blocks_since_keyframe: 0,
            failed: false,
            reserve: None,
            full: false,
            tables_raw_bound: 0,
            committed: (0, 0, None, 0),
            sealer: None,
            checkpoints: 0,
            chained: 0,
            file_id: crate::anchor::file_id(&link),
            stopped: None,
            unwritten: 0,
            aggregator: None,
            awaiting: None,
        })
    }

    /// Seals checkpoints and the finished file with `sealer` from now on.
    pub fn set_sealer(&mut self, sealer: Sealer) {
        self.sealer = Some(sealer);
    }

    /// Records in the footer that the recording stopped before it was meant to (a full disk, a
    /// failed write, a fatal error), so the file itself says it is cut short.
    /// `unwritten` counts events the producer still held and could not write; with the records
    /// of a block the disk refused, they become a loss record in the footer's tables.
    pub fn stop_early(&mut self, why: StopReason, unwritten: u64) {
        self.stopped.get_or_insert(why);
        self.unwritten += unwritten;
    }

    /// The chain position now: what an anchor log records.
    pub fn anchor(&self, time: u64) -> Anchor {
        Anchor {
            file_id: self.file_id,
            pos: self.chained,
            offset: self.stats.bytes,
            time,
            events: self.next_event,
            link: self.link,
            sealed: false,
        }
    }

    /// Writes the block being filled, then, with a sealer, a checkpoint block sealing the chain
    /// so far. `now` is the wall clock; `through` is the time before which every event has been
    /// handed to the writer. Returns the anchor of the chain after it.
    pub fn checkpoint(&mut self, now: u64, through: u64) -> io::Result<Anchor> {
        self.flush_block()?;
        // Before the claim, which names the chain link the checkpoint follows.
        self.write_ready(CHECKPOINT_WAIT)?;
        let Some(sealer) = self.sealer.as_ref() else {
            return Ok(self.anchor(now));
        };
        let claim = Claim {
            scheme: 0,
            epoch: 0,
            sealed_at: now,
            through,
            events: self.next_event,
            last_event: if self.first_ts.is_some() {
                self.last_ts
            } else {
                0
            },
            link: self.link,
        };
        let body = sealer.checkpoint(claim, self.checkpoints)?;
        let (first_ts, last_ts) = (self.first_ts.unwrap_or(0), self.last_ts);
        self.write_integrity_block(BlockType::Checkpoint, &body, first_ts, last_ts, 0)?;
        self.checkpoints += 1;
        Ok(self.anchor(now))
    }

    /// Computes and writes each events block's aggregates with `agg` from now on (call it
    /// before the first record).
    pub fn set_aggregator(&mut self, agg: Box<dyn BlockAggregator>) {
        self.aggregator = Some(agg);
    }

    /// Installs a [`Reserve`] check, run before every block from now on.
    pub fn set_reserve(&mut self, reserve: Reserve) {
        self.reserve = Some(reserve);
    }

    /// Whether a block was refused by the [`Reserve`] check: nothing more can be written, and
    /// [`Writer::finish`] writes the footer.
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// An upper bound on the bytes `finish_signed` writes now, the block being filled aside.
    pub fn footer_bound(&self) -> u64 {
        let tables = self.tables_raw_bound + 4096;
        // zstd's worst case is the input plus a small fraction.
        FOOTER_FIXED
            + CHECKPOINT_MAX
            + 48 * (self.index.len() as u64 + 2)
            + tables
            + tables / 128
            + 512
    }

    /// What has been written so far.
    pub fn stats(&self) -> WriteStats {
        self.stats
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Appends an event. Events should come in time order.
    pub fn append(&mut self, ev: &Event<'_>) -> io::Result<()> {
        self.check()?;
        if self.block_started.is_none() {
            self.block_started = Some(Instant::now());
        }
        self.note(ev);
        if let Some(a) = self.aggregator.as_mut() {
            a.event(ev);
        }
        self.enc.push(ev);
        if self.enc.raw_len() >= self.opts.block_bytes
            || (self.enc.count().is_multiple_of(256) && self.block_is_old())
        {
            self.flush_block()?;
        }
        Ok(())
    }

    /// Writes the block being filled if it is older than the maximum age. Call it at least once
    /// a second while events are scarce.
    pub fn tick(&mut self) -> io::Result<()> {
        self.check()?;
        if self.block_is_old() {
            self.flush_block()?;
        }
        Ok(())
    }

    /// Whether enough event blocks were written since the last state block that the producer
    /// should write a keyframe ([`Writer::write_state`]).
    pub fn needs_keyframe(&self) -> bool {
        self.blocks_since_keyframe >= self.opts.keyframe_every
    }

    /// Writes a state block (the snapshot at start, or a keyframe): the complete state as of now.
    /// The block being filled is written first, so the state sits between event blocks.
    pub fn write_state(&mut self, records: &[Event<'_>]) -> io::Result<()> {
        self.check()?;
        self.flush_block()?;
        if let Some(a) = self.aggregator.as_mut() {
            a.state(records);
        }
        let mut enc = Encoder::default();
        for r in records {
            if matches!(r.body, Body::Process(_) | Body::Container(_)) {
                self.keep_table(r);
            }
            enc.push(r);
        }
        self.write_block(BlockType::State, &mut enc)?;
        self.blocks_since_keyframe = 0;
        Ok(())
    }

    /// Writes the block being filled, if any.
    pub fn flush_block(&mut self) -> io::Result<()> {
        self.check()?;
        if self.enc.count() == 0 {
            return Ok(());
        }
        let mut enc = std::mem::take(&mut self.enc);
        let (first_event, first_ts, last_ts) = (self.next_event, enc.first_ts(), enc.last_ts());
        let r = self.write_block(BlockType::Events, &mut enc);
        self.enc = enc;
        self.block_started = None;
        self.blocks_since_keyframe += 1;
        let agg = self.aggregator.as_mut().map(|a| a.finish_block());
        r?;
        match agg {
            Some(raw) if !raw.is_empty() => {
                self.write_aggregates(&raw, first_event, first_ts, last_ts)?;
            }
            Some(_) => self.awaiting = Some((first_event, first_ts, last_ts)),
            None => {}
        }
        Ok(())
    }

    /// Writes the section of the events block just written if an aggregator working off this
    /// thread has it ready (else none will be written for that block). Called before any other
    /// block is written, so a section always follows its events block.
    fn write_ready(&mut self, wait: Duration) -> io::Result<()> {
        let Some((first_event, first_ts, last_ts)) = self.awaiting.take() else {
            return Ok(());
        };
        match self
            .aggregator
            .as_mut()
            .and_then(|a| a.ready(first_event, wait))
        {
            Some(raw) if !raw.is_empty() => {
                self.write_aggregates(&raw, first_event, first_ts, last_ts)
            }
            _ => Ok(()),
        }
    }

    /// Writes a notes block (type 7): key/value `entries`, encoded as the header's, that the
    /// header could not hold when it was written (a flight recorder's later triggers). Readers
    /// gather them with [`crate::CaptureFile::notes`].
    pub fn write_notes(&mut self, entries: &[(u16, Vec<u8>)]) -> io::Result<()> {
        self.check()?;
        self.write_ready(Duration::ZERO)?;
        let mut body = Vec::new();
        for (k, v) in entries {
            crate::header::put(&mut body, *k, v);
        }
        if body.len() > crate::block::MAX_BODY as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "notes larger than a block may be",
            ));
        }
        let ts = self.last_ts;
        let header = BlockHeader {
            block_type: BlockType::Notes,
            codec: codec_id::STORED,
            header_len: 0,
            body_len: body.len() as u32,
            raw_len: body.len() as u32,
            count: 0,
            flags: 0,
            first_event: self.next_event,
            first_ts: ts,
            last_ts: ts,
            body_hash: body_hash(&body),
            prev: self.link,
            summary: Summary::default(),
        };
        let (hbytes, buf) = frame(&header, &body);
        let offset = self.stats.bytes;
        if let Err(e) = self.reserve_room(&buf) {
            self.full = true;
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                format!("no room for notes and the footer: {e}"),
            ));
        }
        self.put_indexed(header, &hbytes, &buf, offset)?;
        // The footer's totals count every indexed block.
        self.stats.raw_bytes += body.len() as u64;
        self.stored_bytes += body.len() as u64;
        Ok(())
    }

    /// Writes the aggregates block of the events block just written. Aggregates are optional:
    /// when the [`Reserve`] check refuses room for them, none are written (the room for the
    /// footer was reserved with the events block) and the next block finds the disk full.
    fn write_aggregates(
        &mut self,
        raw: &[u8],
        first_event: u64,
        first_ts: u64,
        last_ts: u64,
    ) -> io::Result<()> {
        if raw.len() > crate::block::MAX_BODY as usize {
            return Ok(());
        }
        let stored = self.agg_compressor.compress(raw)?;
        let header = BlockHeader {
            block_type: BlockType::Aggregates,
            codec: codec_id::ZSTD,
            header_len: 0,
            body_len: stored.len() as u32,
            raw_len: raw.len() as u32,
            count: 0,
            flags: 0,
            first_event,
            first_ts,
            last_ts,
            body_hash: body_hash(&stored),
            prev: self.link,
            summary: Summary::default(),
        };
        let (hbytes, buf) = frame(&header, &stored);
        let offset = self.stats.bytes;
        if self.reserve_room(&buf).is_err() {
            return Ok(());
        }
        self.put_indexed(header, &hbytes, &buf, offset)?;
        self.stats.raw_bytes += raw.len() as u64;
        self.stored_bytes += stored.len() as u64;
        Ok(())
    }

    /// Writes the remaining block, the footer and the trailer (with a sealer, the final seal
    /// before the trailer), and returns the output.
    pub fn finish(self) -> io::Result<W> {
        Ok(self.finish_anchored(0)?.0)
    }

    /// Like [`Writer::finish`], and signs the seal with `key` in a signature block.
    pub fn finish_signed(mut self, key: &ed25519_dalek::SigningKey) -> io::Result<W> {
        self.sealer = Some(Sealer::ed25519(key.clone()));
        self.finish()
    }

    /// Like [`Writer::finish`]; also returns the anchor of the sealed file (the seal, the chain
    /// link after the footer). `now` is the wall clock, which steps a forward-secure key.
    pub fn finish_anchored(mut self, now: u64) -> io::Result<(W, Anchor)> {
        if self.full {
            // The refused block is gone; the footer goes into the space reserved before it.
            if self.failed {
                return Err(io::Error::other("an earlier write failed"));
            }
        } else {
            self.flush_block()?;
            self.write_ready(FINISH_WAIT)?;
        }
        let lost = self.stats.dropped + self.unwritten;
        if lost > 0 {
            let at = self.last_ts;
            self.tables.push(Event {
                ts: at,
                tid: 0,
                pid: 0,
                cpu: 0,
                container: 0,
                body: Body::Loss(crate::schema::Loss {
                    cpu: u16::MAX,
                    count: lost,
                    from: at,
                    to: now.max(at),
                }),
            });
        }
        let mut enc = Encoder::default();
        self.tables.sort_by_key(|e| e.ts);
        for t in &self.tables {
            enc.push(t);
        }
        let (raw, _) = enc.finish();
        let tables = self.compressor.compress(&raw)?;
        let footer = Footer {
            index: std::mem::take(&mut self.index),
            events: self.next_event,
            raw_bytes: self.stats.raw_bytes,
            stored_bytes: self.stored_bytes,
            first_ts: self.first_ts.unwrap_or(0),
            last_ts: self.last_ts,
            root: self.link,
            tables,
            tables_raw_len: raw.len() as u32,
        };
        let body = footer.encode();
        let header = BlockHeader {
            block_type: BlockType::Footer,
            codec: codec_id::STORED,
            header_len: 0,
            body_len: body.len() as u32,
            raw_len: body.len() as u32,
            count: 0,
            first_event: self.next_event,
            first_ts: footer.first_ts,
            last_ts: footer.last_ts,
            body_hash: body_hash(&body),
            prev: self.link,
            summary: Summary::default(),
            flags: self.stopped.map_or(0, StopReason::flags),
        }
        .encode();
        let footer_offset = self.stats.bytes;
        let seal = next_link(&self.link, &header);
        let trailer = Trailer {
            footer_offset,
            footer_len: (header.len() + body.len()) as u64,
            seal,
        };
        let mut all = header;
        all.extend_from_slice(&body);
        let mut anchor = self.anchor(now);
        anchor.pos += 1;
        anchor.offset = footer_offset + trailer.footer_len;
        anchor.link = seal;
        anchor.sealed = true;
        if let Some(sealer) = self.sealer.as_ref() {
            let sbody = sealer.final_seal(&seal, now)?;
            let sheader = BlockHeader {
                block_type: BlockType::Signature,
                codec: codec_id::STORED,
                header_len: 0,
                body_len: sbody.len() as u32,
                raw_len: sbody.len() as u32,
                count: 0,
                flags: 0,
                first_event: self.next_event,
                first_ts: footer.first_ts,
                last_ts: footer.last_ts,
                body_hash: body_hash(&sbody),
                prev: seal,
                summary: Summary::default(),
            };
            all.extend_from_slice(&sheader.encode());
            all.extend_from_slice(&sbody);
        }
        all.extend_from_slice(&trailer.encode());
        self.out.write_all(&all)?;
        self.out.flush()?;
        Ok((self.out, anchor))
    }

    fn check(&self) -> io::Result<()> {
        if self.failed {
            return Err(io::Error::other(
                "an earlier write failed; the capture is closed",
            ));
        }
        if self.full {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "no room for another block and the footer; finish the capture",
            ));
        }
        Ok(())
    }

    fn block_is_old(&self) -> bool {
        self.block_started
            .is_some_and(|t| t.elapsed() >= self.opts.max_age)
    }

    fn note(&mut self, ev: &Event<'_>) {
        self.first_ts = Some(self.first_ts.map_or(ev.ts, |f| f.min(ev.ts)));
        self.last_ts = self.last_ts.max(ev.ts);
        match &ev.body {
            Body::Container(_) | Body::Exec(_) | Body::Loss(_) => self.keep_table(ev),
            Body::Exit(e) if e.group_dead => self.keep_table(ev),
            _ => {}
        }
    }

    fn keep_table(&mut self, ev: &Event<'_>) {
        // Alone in an encoder a record takes at least the room it takes among others, but
        // for its tid delta: 10 bytes of slack cover that.
        let mut one = Encoder::default();
        one.push(ev);
        self.tables_raw_bound += one.raw_len() as u64 + 10;
        self.tables.push(ev.clone().into_owned());
    }

    fn write_block(&mut self, block_type: BlockType, enc: &mut Encoder) -> io::Result<()> {
        self.write_ready(Duration::ZERO)?;
        let count = enc.count();
        let (first_ts, last_ts) = (enc.first_ts(), enc.last_ts());
        let (raw, summary) = enc.finish();
        let stored = self.compressor.compress(&raw)?;
        let header = BlockHeader {
            block_type,
            codec: codec_id::ZSTD,
            header_len: 0,
            body_len: stored.len() as u32,
            raw_len: raw.len() as u32,
            count,
            flags: 0,
            first_event: self.next_event,
            first_ts,
            last_ts,
            body_hash: body_hash(&stored),
            prev: self.link,
            summary,
        };
        let (hbytes, buf) = frame(&header, &stored);
        let offset = self.stats.bytes;
        if let Err(e) = self.reserve_room(&buf) {
            // Nothing of this block reached the file: drop it and everything it added.
            self.full = true;
            self.stats.dropped += u64::from(count);
            let (tables, bound, first, last) = self.committed;
            self.tables.truncate(tables);
            self.tables_raw_bound = bound;
            self.first_ts = first;
            self.last_ts = last;
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                format!("no room for the next block and the footer: {e}"),
            ));
        }
        self.put_indexed(header, &hbytes, &buf, offset)?;
        if let Some(a) = self.aggregator.as_mut() {
            a.written(block_type, self.next_event, count, &raw);
        }
        self.stats.raw_bytes += raw.len() as u64;
        self.stored_bytes += stored.len() as u64;
        self.stats.blocks += 1;
        if block_type == BlockType::Events {
            self.next_event += u64::from(count);
            self.stats.events += u64::from(count);
        }
        self.committed = (
            self.tables.len(),
            self.tables_raw_bound,
            self.first_ts,
            self.last_ts,
        );
        Ok(())
    }

    /// Writes a stored block without summary or records (a checkpoint) and chains it.
    fn write_integrity_block(
        &mut self,
        block_type: BlockType,
        body: &[u8],
        first_ts: u64,
        last_ts: u64,
        flags: u32,
    ) -> io::Result<()> {
        let header = BlockHeader {
            block_type,
            codec: codec_id::STORED,
            header_len: 0,
            body_len: body.len() as u32,
            raw_len: body.len() as u32,
            count: 0,
            flags,
            first_event: self.next_event,
            first_ts,
            last_ts,
            body_hash: body_hash(body),
            prev: self.link,
            summary: Summary::default(),
        };
        let (hbytes, buf) = frame(&header, body);
        if let Err(e) = self.reserve_room(&buf) {
            self.full = true;
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                format!("no room for a checkpoint and the footer: {e}"),
            ));
        }
        self.put(&hbytes, &buf)
    }

    /// Asks the [`Reserve`] check, if any, for room for `block` at the end of the file and the
    /// footer after it.
    fn reserve_room(&mut self, block: &[u8]) -> io::Result<()> {
        let (offset, need) = (self.stats.bytes, block.len() as u64 + self.footer_bound());
        match self.reserve.as_mut() {
            Some(reserve) => reserve(offset, need),
            None => Ok(()),
        }
    }

    /// [`Writer::put`], then the block's entry in the index (`offset` is where it starts).
    fn put_indexed(
        &mut self,
        header: BlockHeader,
        hbytes: &[u8],
        buf: &[u8],
        offset: u64,
    ) -> io::Result<()> {
        self.put(hbytes, buf)?;
        self.index.push(IndexEntry::of(
            &BlockHeader {
                header_len: hbytes.len() as u16,
                ..header
            },
            offset,
        ));
        Ok(())
    }

    /// Writes a whole block (`buf`, whose header is `hbytes`) in one write and chains it.
    fn put(&mut self, hbytes: &[u8], buf: &[u8]) -> io::Result<()> {
        if let Err(e) = self.out.write_all(buf).and_then(|()| self.out.flush()) {
            self.failed = true;
            return Err(e);
        }
        self.link = next_link(&self.link, hbytes);
        self.chained += 1;
        self.stats.bytes += buf.len() as u64;
        Ok(())
    }
}

/// A block's header bytes, and the whole block: the header, then `body`.
fn frame(header: &BlockHeader, body: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let hbytes = header.encode();
    let mut buf = Vec::with_capacity(hbytes.len() + body.len());
    buf.extend_from_slice(&hbytes);
    buf.extend_from_slice(body);
    (hbytes, buf)
}
