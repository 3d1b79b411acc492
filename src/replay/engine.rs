//! The per-event part of replay, shared by every event source: it keeps the state current and
//! evaluates one event at a time. [`super::session::Session`] drives it over a capture file's
//! blocks; a live source (the recorder feeding the TUI) calls [`Engine::event`] for each event
//! as it arrives, in time order.

use capture_format::HeaderInfo;
use capture_format::schema::{Event, Kind, host_of};

use super::context::{EventCtx, Side};
use super::fields::Field;
use super::render::BufMode;
use super::state::{IdMap, State};
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
///
/// A merged capture holds several hosts whose pids overlap, so each host has its own tables:
/// `state` holds the tables of the host of the last event, and the others wait in `parked`
/// (swapping them costs a few pointer moves; a capture of one host never swaps).
#[derive(Debug, Default)]
pub struct Engine {
    /// The tables of the current host.
    pub state: State,
    /// The tables of the other hosts of a merged capture, by host index.
    parked: IdMap<u32, State>,
    /// Host index of `state`.
    host: u32,
    /// Host names by index (from the header).
    host_names: IdMap<u32, String>,
    /// Time of the first event (for `evt.reltime`); 0 until known.
    pub first_ts: u64,
    /// How buffers render.
    pub buf_mode: BufMode,
    /// Time of the last event that matched (for `evt.deltatime`); 0 before the first.
    pub last_match_ts: u64,
    /// Events evaluated against a filter.
    pub evaluated: u64,
    /// Events that matched.
    pub matched: u64,
    /// Whether the sink sees each side of a call that moves data between two fds on its own
    /// (views keyed by fd), instead of once (see [`Side`]).
    pub split_sides: bool,
    /// When set, the counters (events evaluated, events matched) as of each call of the sink
    /// are pushed here: a parallel run that stops part-way through a block (`-n`) counts what
    /// the sequential run would have.
    pub marks: Option<Vec<(u64, u64)>>,
}

impl Engine {
    /// Takes the host names from a capture's header: its source hosts when merged, else its
    /// own hostname for host 0.
    pub fn set_hosts(&mut self, info: &HeaderInfo) {
        self.host_names.clear();
        if info.hosts.is_empty() {
            self.host_names.insert(0, info.hostname.clone());
        }
        for h in &info.hosts {
            self.host_names
                .insert(u32::from(h.index), h.hostname.clone());
        }
        let name = self.host_names.get(&self.host).cloned().unwrap_or_default();
        self.state.host_name = name;
    }

    /// Forgets every host's tasks (see [`State::clear_tasks`]).
    pub fn clear_tasks(&mut self) {
        self.state.clear_tasks();
        for s in self.parked.values_mut() {
            s.clear_tasks();
        }
    }

    /// Makes `host`'s tables the current ones.
    pub(crate) fn select(&mut self, host: u32) {
        if host == self.host {
            return;
        }
        let mut next = self.parked.remove(&host).unwrap_or_else(|| {
            let mut s = State::default();
            s.containers.clone_from(&self.state.containers);
            s.host_name = self.host_names.get(&host).cloned().unwrap_or_default();
            s
        });
        std::mem::swap(&mut self.state, &mut next);
        self.parked.insert(self.host, next);
        self.host = host;
    }

    /// Applies a record's effect on the state without evaluating it (state records, and
    /// events outside the range or being caught up).
    pub fn apply(&mut self, ev: &Event<'_>) {
        self.select(host_of(ev.container));
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
        self.select(host_of(ev.container));
        let d = self.state.apply_before(ev);
        let mut flow = Flow::Continue;
        // A state record among the events (a task an imported capture first saw in an event)
        // updates the tables and is not itself an event, as sysdig hides `procinfo`.
        // Resource samples are hidden too, as sysdig hides `procinfo`.
        if evaluate
            && !ev.body.kind().is_some_and(Kind::is_state)
            && !matches!(ev.body.kind(), Some(Kind::Usage))
        {
            let mut ctx = EventCtx {
                ev,
                state: &self.state,
                num,
                first_ts: self.first_ts,
                prev_ts: self.last_match_ts,
                buf_mode: self.buf_mode,
                side: Side::Both,
            };
            self.evaluated += 1;
            if !ctx.has_sides() {
                if filter.is_none_or(|f| f.matches(&mut ctx)) {
                    self.matched += 1;
                    self.last_match_ts = ev.ts;
                    mark(&mut self.marks, self.evaluated, self.matched);
                    flow = sink(&mut ctx)?;
                }
            } else if self.split_sides {
                let mut any = false;
                for side in [Side::Read, Side::Write] {
                    ctx.side = side;
                    if filter.is_none_or(|f| f.matches(&mut ctx)) {
                        any = true;
                        mark(&mut self.marks, self.evaluated, self.matched + 1);
                        flow = sink(&mut ctx)?;
                        if flow != Flow::Continue {
                            break;
                        }
                    }
                }
                self.matched += u64::from(any);
                if any {
                    self.last_match_ts = ev.ts;
                }
            } else {
                for side in [Side::Both, Side::Read, Side::Write] {
                    ctx.side = side;
                    if filter.is_none_or(|f| f.matches(&mut ctx)) {
                        self.matched += 1;
                        self.last_match_ts = ev.ts;
                        mark(&mut self.marks, self.evaluated, self.matched);
                        flow = sink(&mut ctx)?;
                        break;
                    }
                }
            }
        }
        self.state.apply_after(d);
        Ok(flow)
    }
}

/// Notes the counters at a call of the sink (see [`Engine::marks`]).
fn mark(marks: &mut Option<Vec<(u64, u64)>>, evaluated: u64, matched: u64) {
    if let Some(m) = marks {
        m.push((evaluated, matched));
    }
}
