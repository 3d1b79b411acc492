//! A replay session over a capture file: walks its blocks in order, keeps the state current,
//! and pushes every event that is in the time range and matches the filter to a sink, with its
//! context.
//!
//! State blocks (the snapshot at the start and the keyframes) are authoritative: the task
//! tables are reset to each one. Seeking by time starts at the keyframe before the block that
//! holds the start time.
//!
//! Blocks whose summary proves the filter cannot match are skipped without decompressing them
//! ([`Options::skip_blocks`]). Their state changes are not lost: the session marks its state
//! stale, and before it next evaluates a block it catches up from where it stopped (at most
//! back to the last keyframe, which reset the state), applying the skipped blocks' records
//! without evaluating them. Results with and without skipping are identical (a test holds
//! this).
//!
//! A block that cannot be read (its checksum does not match, it does not decompress or decode)
//! is skipped and noted ([`Session::damage`]); the rest of the capture is still read. Events of a
//! block that fails part-way are delivered up to the failure.

use capture_format::schema::Event;
use capture_format::{BlockType, CaptureFile};

use super::context::EventCtx;
use super::engine::Engine;
pub use super::engine::Flow;
use super::fields::Field;
use super::render::BufMode;
use super::skip::SummaryOracle;
use super::state::IdMap;
use crate::filter::{Filter, Tri};

/// Errors while replaying.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The capture could not be read.
    #[error(transparent)]
    Capture(#[from] capture_format::Error),
}

/// Damaged blocks that were skipped, each once (by file and offset): what a session or a
/// merge read around. The command that read reports them after its output and does not claim
/// success, since the output lacks those blocks' events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Damage(Vec<capture_format::Error>);

impl Damage {
    /// Notes a damaged block (once per file and offset).
    pub fn note(&mut self, e: capture_format::Error) {
        if !self
            .0
            .iter()
            .any(|d| d.file == e.file && d.offset == e.offset)
        {
            self.0.push(e);
        }
    }

    /// Notes every block of `other`.
    pub fn extend(&mut self, other: &Damage) {
        for e in &other.0 {
            self.note(e.clone());
        }
    }

    /// Whether no block was damaged.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The damaged blocks, in the order they were met.
    pub fn iter(&self) -> std::slice::Iter<'_, capture_format::Error> {
        self.0.iter()
    }
}

/// How a session runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Skip blocks whose summary excludes every match (on by default).
    pub skip_blocks: bool,
    /// Only events at or after this time (ns since the epoch).
    pub from: Option<u64>,
    /// Only events at or before this time.
    pub to: Option<u64>,
    /// How buffers render in `evt.info`/`evt.arg`.
    pub buf_mode: BufMode,
    /// Reads the process names of an events block from the index, for skipping blocks on
    /// `proc.name` (the aggregates live in `views`; `None`: not used).
    pub block_names: Option<BlockNames>,
}

/// The distinct `proc.name` values of events block `i`, when the capture's index lists them
/// and they can be trusted.
pub type BlockNames = fn(&CaptureFile, usize) -> Option<Vec<Vec<u8>>>;

impl Default for Options {
    fn default() -> Self {
        Options {
            skip_blocks: true,
            from: None,
            to: None,
            buf_mode: BufMode::Dotted,
            block_names: None,
        }
    }
}

/// Counters of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Event blocks decoded and evaluated.
    pub blocks_evaluated: u64,
    /// Event blocks skipped from their summary.
    pub blocks_skipped: u64,
    /// Skipped blocks decoded later to catch the state up.
    pub blocks_caught_up: u64,
    /// Events evaluated against the filter.
    pub events_evaluated: u64,
    /// Events that matched.
    pub events_matched: u64,
    /// Blocks that could not be read and were skipped (see [`Session::damage`]).
    pub blocks_damaged: u64,
}

/// A capture being replayed.
pub struct Session {
    cap: CaptureFile,
    engine: Engine,
    opts: Options,
    stats: Stats,
    /// Containers from the footer tables (every version of each), for block verdicts on
    /// container fields.
    containers: IdMap<u32, Vec<capture_format::schema::Container<'static>>>,
    /// Damaged blocks skipped by every run so far (and those of the inputs it was made from).
    damage: Damage,
    /// Threads the runs that can use several may use (see [`Session::set_threads`]).
    threads: usize,
}

impl Session {
    /// A session over an opened capture.
    pub fn new(cap: CaptureFile, opts: Options) -> Result<Session, ReplayError> {
        let first_ts = cap.time_range().map_or(0, |(f, _)| f);
        let mut containers: IdMap<u32, Vec<_>> = IdMap::default();
        for ev in cap.tables()? {
            if let capture_format::schema::Body::Container(c) = ev.body {
                containers.entry(ev.container).or_default().push(c);
            }
        }
        let engine = base_engine(&cap, &containers, &opts, first_ts);
        Ok(Session {
            cap,
            engine,
            opts,
            stats: Stats::default(),
            containers,
            damage: Damage::default(),
            threads: 1,
        })
    }

    /// A session over the same capture and options with a fresh engine, as [`Session::new`]
    /// made this one (without reading the footer's tables again): a worker of a parallel run.
    pub(super) fn worker(&self) -> Session {
        let mut engine = base_engine(
            &self.cap,
            &self.containers,
            &self.opts,
            self.engine.first_ts,
        );
        engine.split_sides = self.engine.split_sides;
        Session {
            cap: self.cap.clone(),
            engine,
            opts: self.opts.clone(),
            stats: Stats::default(),
            containers: self.containers.clone(),
            damage: Damage::default(),
            threads: 1,
        }
    }

    /// Notes a block that could not be read, in this run's counters and in [`Session::damage`].
    fn damaged(&mut self, r: Result<(), ReplayError>) {
        if let Err(ReplayError::Capture(e)) = r {
            self.stats.blocks_damaged += 1;
            self.damage.note(e);
        }
    }

    /// The damaged blocks skipped so far, by every run of this session, with those of the
    /// inputs its capture was made from ([`Session::note_input_damage`]), each once.
    pub fn damage(&self) -> &Damage {
        &self.damage
    }

    /// Adds the damaged blocks of the inputs the capture was made from (a merge in memory), so
    /// [`Session::damage`] names everything the output lacks.
    pub fn note_input_damage(&mut self, d: &Damage) {
        self.damage.extend(d);
    }

    /// The capture.
    pub fn capture(&self) -> &CaptureFile {
        &self.cap
    }

    /// The options it runs with (time range, buffer rendering).
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Counters of the last run.
    pub fn stats(&self) -> Stats {
        Stats {
            events_evaluated: self.engine.evaluated,
            events_matched: self.engine.matched,
            ..self.stats
        }
    }

    /// Whether sinks see each side of a call that moves data between two fds on its own (see
    /// `context::Side`); views keyed by fd set it for their run.
    pub fn set_split_sides(&mut self, on: bool) {
        self.engine.split_sides = on;
    }

    /// Replays the capture from the start (or the block holding `from`), calling `sink` for
    /// every event in range that matches `filter` (every event when `None`).
    pub fn run<E>(
        &mut self,
        filter: Option<&Filter<Field>>,
        sink: impl FnMut(&mut EventCtx<'_, '_>) -> Result<Flow, E>,
    ) -> Result<(), E>
    where
        E: From<ReplayError>,
    {
        self.run_with(filter, filter, None, sink)
    }

    /// Like [`Session::run`], but event blocks for which `skip` holds are passed over as if
    /// their summary excluded every match (their state changes still reach later blocks):
    /// the caller accounts for them another way (from the index's aggregates).
    pub fn run_except<E>(
        &mut self,
        skip: &dyn Fn(usize) -> bool,
        filter: Option<&Filter<Field>>,
        sink: impl FnMut(&mut EventCtx<'_, '_>) -> Result<Flow, E>,
    ) -> Result<(), E>
    where
        E: From<ReplayError>,
    {
        self.run_with(filter, filter, Some(skip), sink)
    }

    /// Like [`Session::run`], but `blocks` only decides which blocks to skip (from their
    /// summaries): every event in range of the blocks read goes to `sink`, which does its own
    /// matching (`casefile rules` evaluates many filters per event and skips the blocks that
    /// none of them can match).
    pub fn run_blocks<E>(
        &mut self,
        blocks: Option<&Filter<Field>>,
        sink: impl FnMut(&mut EventCtx<'_, '_>) -> Result<Flow, E>,
    ) -> Result<(), E>
    where
        E: From<ReplayError>,
    {
        self.run_with(blocks, None, None, sink)
    }

    /// Replays with `blocks` for skipping blocks and `filter` for events.
    fn run_with<E>(
        &mut self,
        blocks: Option<&Filter<Field>>,
        filter: Option<&Filter<Field>>,
        skip: Option<&dyn Fn(usize) -> bool>,
        sink: impl FnMut(&mut EventCtx<'_, '_>) -> Result<Flow, E>,
    ) -> Result<(), E>
    where
        E: From<ReplayError>,
    {
        self.begin_run();
        let Some(start) = self.start_block() else {
            return Ok(());
        };
        let n = self.cap.blocks().len();
        self.run_range(start, n, blocks, filter, skip, &mut Plain(sink))?;
        Ok(())
    }

    /// Lets runs that can split the capture at keyframes use `n` threads (1, the default:
    /// every run is sequential). Views replayed event by event use them; see
    /// [`Session::run_parallel`].
    pub fn set_threads(&mut self, n: usize) {
        self.threads = n.max(1);
    }

    /// The threads runs may use.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Notes a damaged block a worker of a parallel run met.
    pub(super) fn note_damage(&mut self, e: capture_format::Error) {
        self.damage.note(e);
    }

    /// Takes the counters noted at each call of the sink, and notes them again from now on
    /// when `on` (see [`Engine::marks`]).
    pub(super) fn take_marks(&mut self, on: bool) -> Option<Vec<(u64, u64)>> {
        std::mem::replace(&mut self.engine.marks, on.then(Vec::new))
    }

    /// Sets the counters of a run made by workers.
    pub(super) fn set_run_stats(&mut self, s: Stats) {
        self.stats = s;
        self.engine.evaluated = s.events_evaluated;
        self.engine.matched = s.events_matched;
    }

    /// Resets the counters and the state for a run: each run starts from nothing (then the
    /// snapshot or the keyframe it seeks to).
    pub(super) fn begin_run(&mut self) {
        self.stats = Stats::default();
        self.engine.clear_tasks();
        self.engine.state.dns = super::dns::DnsNames::default();
        self.engine.evaluated = 0;
        self.engine.matched = 0;
    }

    /// The block a run starts at: 0, or the keyframe before the block holding `from`; `None`
    /// when every event is before `from`.
    pub(super) fn start_block(&self) -> Option<usize> {
        let target = self.opts.from.and_then(|t| self.cap.seek_time(t));
        match (self.opts.from, target) {
            (Some(_), None) => None,
            (Some(_), Some(t)) => Some(self.cap.keyframe_for(t).unwrap_or(0)),
            _ => Some(0),
        }
    }

    /// Replays blocks `start..n` (`start` is where a run starts, or a state block), deciding
    /// for each block whether to skip, catch up, apply or evaluate it; `sink` sees the events
    /// and each evaluated block before and after its events. Returns `Stop` when the sink
    /// stopped the run.
    pub(super) fn run_range<E>(
        &mut self,
        start: usize,
        n: usize,
        blocks: Option<&Filter<Field>>,
        filter: Option<&Filter<Field>>,
        skip: Option<&dyn Fn(usize) -> bool>,
        sink: &mut impl RangeSink<E>,
    ) -> Result<Flow, E>
    where
        E: From<ReplayError>,
    {
        // The state is current up to (not including) block `done`.
        let mut done = start;
        let mut stale = false;
        // Names learned from DNS answers live past keyframes (which do not hold them): when
        // a filter reads them, skipped blocks are caught up before a keyframe resets the rest.
        let dns =
            blocks.is_some_and(|f| f.uses_field(&|f: &Field| super::dns::is_name_field(f.fid)));
        let block_names = self.opts.block_names.filter(|_| {
            blocks.is_some_and(|f| f.uses_field(&|f: &Field| f.fid == super::fields::Fid::ProcName))
        });
        for i in start..n {
            let entry = self.cap.blocks()[i];
            match entry.block_type {
                BlockType::State if stale && dns => {
                    self.catch_up(done, i);
                    let r = self.load_keyframe(i);
                    self.damaged(r);
                    stale = false;
                    done = i + 1;
                    continue;
                }
                BlockType::State => {
                    // State blocks are authoritative: the tables are reset to each one, whether
                    // reading straight through or catching up, so both see the same state.
                    let r = self.load_keyframe(i);
                    self.damaged(r);
                    stale = false;
                    done = i + 1;
                    continue;
                }
                BlockType::Events => {}
                _ => {
                    // Checkpoints and aggregates hold no records; past skipped blocks, the
                    // catch-up must still start at the first of those.
                    if !stale {
                        done = i + 1;
                    }
                    continue;
                }
            }
            if self.opts.to.is_some_and(|to| entry.first_ts > to) {
                break;
            }
            let before_range = self.opts.from.is_some_and(|f| entry.last_ts < f);
            if !before_range && skip.is_some_and(|s| s(i)) {
                self.stats.blocks_skipped += 1;
                stale = true;
                continue;
            }
            if !before_range
                && self.opts.skip_blocks
                && let Some(f) = blocks
            {
                let header = match self.cap.block_header(i) {
                    Ok(h) => h,
                    Err(e) => {
                        self.damaged(Err(e.into()));
                        continue;
                    }
                };
                let mut oracle = SummaryOracle {
                    summary: &header.summary,
                    containers: &self.containers,
                    names: None,
                };
                let mut verdict = f.block_verdict(&oracle);
                // The names, from the index, only when the summary could not decide.
                let names = match block_names {
                    Some(read) if verdict != Tri::NoneMatch => read(&self.cap, i),
                    _ => None,
                };
                if let Some(names) = &names {
                    oracle.names = Some(names);
                    verdict = f.block_verdict(&oracle);
                }
                if verdict == Tri::NoneMatch {
                    self.stats.blocks_skipped += 1;
                    stale = true;
                    continue;
                }
            }
            if stale {
                self.catch_up(done, i);
                stale = false;
            }
            done = i + 1;
            if before_range {
                let r = self.apply_block(i);
                self.damaged(r);
                continue;
            }
            self.stats.blocks_evaluated += 1;
            sink.before_block(self, i);
            if self.eval_block(i, filter, &mut |ctx| sink.event(ctx))? == Flow::Stop {
                sink.after_block(self)?;
                return Ok(Flow::Stop);
            }
            if sink.after_block(self)? == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }

    /// Resets the task tables to a state block.
    fn load_keyframe(&mut self, i: usize) -> Result<(), ReplayError> {
        let b = self.cap.read_block(i)?;
        self.engine.clear_tasks();
        for ev in b.events()? {
            self.engine.apply(&ev?);
        }
        Ok(())
    }

    /// Brings the state from block `from` up to block `to` (exclusive): the skipped event
    /// blocks in between, applied without evaluation. (A state block in between was already
    /// loaded by `run`, which never skips those, so the range holds only event blocks.)
    fn catch_up(&mut self, from: usize, to: usize) {
        for i in from..to {
            if self.cap.blocks()[i].block_type == BlockType::Events {
                self.stats.blocks_caught_up += 1;
                let r = self.apply_block(i);
                self.damaged(r);
            }
        }
    }

    /// Applies a block's state changes without evaluating its events.
    fn apply_block(&mut self, i: usize) -> Result<(), ReplayError> {
        let b = self.cap.read_block(i)?;
        let mut dec = b.events()?;
        let mut ev = placeholder();
        while let Some(r) = dec.next_into(&mut ev) {
            r?;
            self.engine.apply(&ev);
        }
        Ok(())
    }

    fn eval_block<E>(
        &mut self,
        i: usize,
        filter: Option<&Filter<Field>>,
        sink: &mut impl FnMut(&mut EventCtx<'_, '_>) -> Result<Flow, E>,
    ) -> Result<Flow, E>
    where
        E: From<ReplayError>,
    {
        let b = match self.cap.read_block(i) {
            Ok(b) => b,
            Err(e) => {
                self.damaged(Err(e.into()));
                return Ok(Flow::Continue);
            }
        };
        let first = b.header.first_event;
        let mut dec = match b.events() {
            Ok(d) => d,
            Err(e) => {
                self.damaged(Err(e.into()));
                return Ok(Flow::Continue);
            }
        };
        // Decode each record into the same event: moving a decoded event costs a large memcpy.
        let mut ev = placeholder();
        let mut k = 0u64;
        while let Some(r) = dec.next_into(&mut ev) {
            if let Err(e) = r {
                self.damaged(Err(e.into()));
                return Ok(Flow::Continue);
            }
            let in_range = self.opts.from.is_none_or(|f| ev.ts >= f)
                && self.opts.to.is_none_or(|t| ev.ts <= t);
            k += 1;
            let flow = self.engine.event(&ev, first + k, in_range, filter, sink)?;
            if flow == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }
}

/// What [`Session::run_range`] hands events and evaluated blocks to.
pub(super) trait RangeSink<E> {
    /// A matching event.
    fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> Result<Flow, E>;
    /// Block `i`'s evaluation is about to start (its skips, catch-ups and keyframes are
    /// counted).
    fn before_block(&mut self, _s: &mut Session, _i: usize) {}
    /// The block's events were evaluated (or the sink stopped the run among them).
    fn after_block(&mut self, _s: &mut Session) -> Result<Flow, E> {
        Ok(Flow::Continue)
    }
}

/// A sink of events only.
struct Plain<F>(F);

impl<E, F: FnMut(&mut EventCtx<'_, '_>) -> Result<Flow, E>> RangeSink<E> for Plain<F> {
    fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> Result<Flow, E> {
        (self.0)(ctx)
    }
}

/// The engine of a new session or a worker: the capture's start time, the last version of
/// each container, the host names and the buffer rendering.
fn base_engine(
    cap: &CaptureFile,
    containers: &IdMap<u32, Vec<capture_format::schema::Container<'static>>>,
    opts: &Options,
    first_ts: u64,
) -> Engine {
    let mut engine = Engine::default();
    engine.first_ts = first_ts;
    engine.buf_mode = opts.buf_mode;
    engine.state.containers = (containers.iter())
        .filter_map(|(&i, v)| Some((i, v.last()?.clone())))
        .collect();
    engine.set_hosts(&cap.header().info);
    engine
}

/// An event to decode into.
pub(crate) fn placeholder<'a>() -> Event<'a> {
    Event {
        ts: 0,
        tid: 0,
        pid: 0,
        cpu: 0,
        container: 0,
        body: capture_format::schema::Body::Exit(capture_format::schema::Exit::default()),
    }
}
