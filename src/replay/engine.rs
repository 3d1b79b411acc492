//! The per-event part of replay, shared by every event source: it keeps the state current and
//! evaluates one event at a time. [`super::session::Session`] drives it over a capture file's
//! blocks; a live source (the recorder feeding the TUI) calls [`Engine::event`] for each event
//! as it arrives, in time order.

use capture_format::schema::Event;

use super::context::EventCtx;
use super::fields::Field;
use super::render::BufMode;
use super::state::State;
use crate::filter::Filter;

/// What the sink wants next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Stop.
    Stop,
}

/// State plus evaluation.
#[derive(Debug, Default)]
pub struct Engine {
    /// The tables.
    pub state: State,
    /// Time of the first event (for `evt.reltime`); 0 until known.
    pub first_ts: u64,
    /// How buffers render.
    pub buf_mode: BufMode,
    /// Events evaluated against a filter.
    pub evaluated: u64,
    /// Events that matched.
    pub matched: u64,
}

impl Engine {
    /// Applies a record's effect on the state without evaluating it (state records, and
    /// events outside the range or being caught up).
    pub fn apply(&mut self, ev: &Event<'_>) {
        let d = self.state.apply_before(ev);
        self.state.apply_after(d);
    }

    /// Applies event number `num` and, when `evaluate`, passes it to `sink` if it matches
    /// `filter` (every event when `None`). The event is evaluated after its own effects that
    /// must show (a new fd) and before those that must not yet (a close, an exit).
    pub fn event<E>(
        &mut self,
        ev: &Event<'_>,
        num: u64,
        evaluate: bool,
        filter: Option<&Filter<Field>>,
        sink: &mut impl FnMut(&mut EventCtx<'_, '_>) -> Result<Flow, E>,
    ) -> Result<Flow, E> {
        if self.first_ts == 0 {
            self.first_ts = ev.ts;
        }
        let d = self.state.apply_before(ev);
        let mut flow = Flow::Continue;
        if evaluate {
            let mut ctx = EventCtx {
                ev,
                state: &self.state,
                num,
                first_ts: self.first_ts,
                buf_mode: self.buf_mode,
            };
            self.evaluated += 1;
            if filter.is_none_or(|f| f.matches(&mut ctx)) {
                self.matched += 1;
                flow = sink(&mut ctx)?;
            }
        }
        self.state.apply_after(d);
        Ok(flow)
    }
}
