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
//! stale, and before it next evaluates a block it catches up, from the nearest keyframe or from
//! where it stopped, applying the skipped blocks' records without evaluating them. Results with
//! and without skipping are identical (a test holds this).

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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            skip_blocks: true,
            from: None,
            to: None,
            buf_mode: BufMode::Dotted,
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
}

/// A capture being replayed.
pub struct Session {
    cap: CaptureFile,
    engine: Engine,
    opts: Options,
    stats: Stats,
    /// Containers from the footer tables, for block verdicts on container fields.
    containers: IdMap<u32, capture_format::schema::Container<'static>>,
}

impl Session {
    /// A session over an opened capture.
    pub fn new(cap: CaptureFile, opts: Options) -> Result<Session, ReplayError> {
        let first_ts = cap.time_range().map_or(0, |(f, _)| f);
        let mut containers = IdMap::default();
        for ev in cap.tables()? {
            if let capture_format::schema::Body::Container(c) = ev.body {
                containers.insert(ev.container, c);
            }
        }
        let mut engine = Engine {
            first_ts,
            buf_mode: opts.buf_mode,
            ..Engine::default()
        };
        engine.state.containers.clone_from(&containers);
        Ok(Session {
            cap,
            engine,
            opts,
            stats: Stats::default(),
            containers,
        })
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

    /// Replays the capture from the start (or the block holding `from`), calling `sink` for
    /// every event in range that matches `filter` (every event when `None`).
    pub fn run<E>(
        &mut self,
        filter: Option<&Filter<Field>>,
        mut sink: impl FnMut(&mut EventCtx<'_, '_>) -> Result<Flow, E>,
    ) -> Result<(), E>
    where
        E: From<ReplayError>,
    {
        self.stats = Stats::default();
        // Each run starts from nothing (then the snapshot or the keyframe it seeks to).
        self.engine.state.clear_tasks();
        self.engine.evaluated = 0;
        self.engine.matched = 0;
        let n = self.cap.blocks().len();
        // Where to start: the keyframe before the block holding `from`.
        let target = self.opts.from.and_then(|t| self.cap.seek_time(t));
        let start = match (self.opts.from, target) {
            (Some(_), None) => return Ok(()),
            (Some(_), Some(t)) => self.cap.keyframe_for(t).unwrap_or(0),
            _ => 0,
        };
        // The state is current up to (not including) block `done`.
        let mut done = start;
        let mut stale = false;
        for i in start..n {
            let entry = self.cap.blocks()[i];
            match entry.block_type {
                BlockType::State => {
                    // State blocks are authoritative: the tables are reset to each one, whether
                    // reading straight through or catching up, so both see the same state.
                    self.load_keyframe(i)?;
                    stale = false;
                    done = i + 1;
                    continue;
                }
                BlockType::Events => {}
                _ => {
                    done = i + 1;
                    continue;
                }
            }
            if self.opts.to.is_some_and(|to| entry.first_ts > to) {
                break;
            }
            let before_range = self.opts.from.is_some_and(|f| entry.last_ts < f);
            if !before_range
                && self.opts.skip_blocks
                && let Some(f) = filter
            {
                let header = self.cap.block_header(i).map_err(ReplayError::from)?;
                let oracle = SummaryOracle {
                    summary: &header.summary,
                    containers: &self.containers,
                };
                if f.block_verdict(&oracle) == Tri::NoneMatch {
                    self.stats.blocks_skipped += 1;
                    stale = true;
                    continue;
                }
            }
            if stale {
                self.catch_up(done, i)?;
                stale = false;
            }
            done = i + 1;
            if before_range {
                self.apply_block(i)?;
                continue;
            }
            self.stats.blocks_evaluated += 1;
            if self.eval_block(i, filter, &mut sink)? == Flow::Stop {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Resets the task tables to a state block.
    fn load_keyframe(&mut self, i: usize) -> Result<(), ReplayError> {
        let b = self.cap.read_block(i)?;
        self.engine.state.clear_tasks();
        for ev in b.events()? {
            self.engine.apply(&ev?);
        }
        Ok(())
    }

    /// Brings the state from block `from` up to block `to` (exclusive), starting at the latest
    /// keyframe in between when there is one.
    fn catch_up(&mut self, from: usize, to: usize) -> Result<(), ReplayError> {
        let mut start = from;
        if let Some(k) = self.cap.keyframe_for(to)
            && k >= from
        {
            self.load_keyframe(k)?;
            start = k + 1;
        }
        for i in start..to {
            if self.cap.blocks()[i].block_type == BlockType::Events {
                self.stats.blocks_caught_up += 1;
                self.apply_block(i)?;
            }
        }
        Ok(())
    }

    /// Applies a block's state changes without evaluating its events.
    fn apply_block(&mut self, i: usize) -> Result<(), ReplayError> {
        let b = self.cap.read_block(i)?;
        for ev in b.events()? {
            self.engine.apply(&ev?);
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
        let b = self.cap.read_block(i).map_err(ReplayError::from)?;
        let first = b.header.first_event;
        let dec = b.events().map_err(ReplayError::from)?;
        for (k, item) in dec.enumerate() {
            // Borrow the event where it lies: moving it costs a large memcpy per event.
            let ev: &Event<'_> = match &item {
                Ok(ev) => ev,
                Err(e) => return Err(ReplayError::from(e.clone()).into()),
            };
            let in_range = self.opts.from.is_none_or(|f| ev.ts >= f)
                && self.opts.to.is_none_or(|t| ev.ts <= t);
            let flow = self
                .engine
                .event(ev, first + k as u64 + 1, in_range, filter, sink)?;
            if flow == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }
}
