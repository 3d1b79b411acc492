//! Replay of a stream of events as a source produces them, without a capture file in between:
//! `casefile read X.scap` hands the converted events of a .scap straight to the engine instead
//! of encoding, compressing and decoding them again through a capture held in memory.
//!
//! The events go through the same steps a capture made from them by `casefile import` would
//! take: state records without a time (a file's metadata) are gathered and applied as a state
//! block would be (the task tables reset to them) just before the next event; every other
//! record is an event, numbered in order. A test holds the output of both paths equal on the
//! fixtures.

use capture_format::HeaderInfo;
use capture_format::schema::{Event, Kind};

use super::context::EventCtx;
use super::engine::{Engine, Flow};
use super::fields::Field;
use super::render::BufMode;
use crate::filter::Filter;

/// Replays events pushed one at a time, in the order a capture of them would hold them.
#[derive(Debug, Default)]
pub struct Stream {
    engine: Engine,
    /// State records waiting for the next event (what a capture writes as a state block).
    pending: Vec<Event<'static>>,
    /// Events pushed so far (the number of the last one).
    events: u64,
}

impl Stream {
    /// A stream of the capture `info` describes (its hosts name the tables).
    pub fn new(info: &HeaderInfo, buf_mode: BufMode) -> Stream {
        let mut engine = Engine::default();
        engine.buf_mode = buf_mode;
        engine.set_hosts(info);
        Stream {
            engine,
            pending: Vec::new(),
            events: 0,
        }
    }

    /// Takes the next record: a state record without a time waits for the next event; an
    /// event is applied and, when it matches `filter` (every event when `None`), handed to
    /// `sink`.
    pub fn push<E>(
        &mut self,
        ev: Event<'static>,
        filter: Option<&Filter<Field>>,
        sink: &mut impl FnMut(&mut EventCtx<'_, '_>) -> Result<Flow, E>,
    ) -> Result<Flow, E> {
        if ev.ts == 0 && ev.body.kind().is_some_and(Kind::is_state) {
            self.pending.push(ev);
            return Ok(Flow::Continue);
        }
        self.load_pending();
        self.events += 1;
        self.engine.event(&ev, self.events, true, filter, sink)
    }

    /// Resets the task tables to the state records gathered since the last event, as replay
    /// resets them to a state block.
    fn load_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        self.engine.clear_tasks();
        for r in self.pending.drain(..) {
            self.engine.apply(&r);
        }
    }

    /// Events pushed so far (state records without a time not counted).
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Events evaluated against the filter.
    pub fn evaluated(&self) -> u64 {
        self.engine.evaluated
    }

    /// Events that matched.
    pub fn matched(&self) -> u64 {
        self.engine.matched
    }
}
