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
use capture_format::schema::{
    Body, Event, Kind, Params, Switch, Syscall, Usage, host_of, syscalls,
};

use super::calls::{self, Action};
use super::context::{EventCtx, Side};
use super::engine::{Engine, Flow};
use super::fields::{Fid, Field};
use super::render::BufMode;
use super::state::IdMap;
use crate::filter::ast::Op;
use crate::filter::{BlockOracle, Cmp, Filter, Tri};

/// Replays events pushed one at a time, in the order a capture of them would hold them.
#[derive(Debug, Default)]
pub struct Stream {
    engine: Engine,
    /// State records waiting for the next event (what a capture writes as a state block).
    pending: Vec<Event<'static>>,
    /// Events pushed so far (the number of the last one).
    events: u64,
    /// By call number: whether a call of it changes the state (see [`Stream::skip_call`]),
    /// `None` until asked.
    changes_state: Vec<Option<bool>>,
    /// Verdicts of [`Stream::skip_call`] by thread and call (`u16::MAX`: a switch), with the
    /// generation, process and container they were given for.
    verdicts: IdMap<u64, (u64, u32, u32, bool)>,
    /// Changes whenever a record may have changed what the verdicts read (a process's image,
    /// ids or directory, a thread, a container, a user).
    generation: u64,
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
            changes_state: Vec::new(),
            verdicts: IdMap::default(),
            generation: 0,
        }
    }

    /// Whether the next event can be left unconverted: a `Syscall` record of call `nr` (a
    /// `Switch` when `None`) by thread `tid` of process `pid` in `container` at `ts`, that
    /// changes nothing the tables keep (see [`changes_state`]) and for which `filter` is
    /// surely false, judged from its thread's process and its type alone. An event left out
    /// counts as an event, evaluated and not matched, and makes its thread known as the
    /// record would have. `shown` tells which state the output can show: names learned from
    /// DNS answers (reads then change state) and resource use (switches then change state).
    pub fn skip_call(
        &mut self,
        (ts, tid, pid, container): (u64, u32, u32, u32),
        would: Would,
        filter: &Filter<Field>,
        shown: Shown,
    ) -> bool {
        let (body, code) = match would {
            Would::Syscall(nr) => {
                let i = usize::from(nr);
                if i >= self.changes_state.len() {
                    self.changes_state.resize(i + 1, None);
                }
                let changes =
                    *self.changes_state[i].get_or_insert_with(|| changes_state(nr, shown.dns));
                if changes {
                    return false;
                }
                let body = Body::Syscall(Syscall {
                    nr,
                    ret: 0,
                    latency: 0,
                    params: Params::new(),
                });
                (body, nr)
            }
            Would::Switch | Would::Usage if shown.usage => return false,
            Would::Switch => (Body::Switch(Switch::default()), u16::MAX),
            Would::Usage => (Body::Usage(Usage::default()), u16::MAX - 1),
        };
        let key = u64::from(tid) << 16 | u64::from(code);
        let skip = match self.verdicts.get(&key) {
            Some(&(generation, p, c, skip))
                if generation == self.generation && p == pid && c == container =>
            {
                skip
            }
            _ => {
                let skip = self.judge((ts, tid, pid, container), body, filter);
                let v = (self.generation, pid, container, skip);
                self.verdicts.insert(key, v);
                skip
            }
        };
        if skip {
            if self.engine.first_ts == 0 {
                self.engine.first_ts = ts;
            }
            self.events += 1;
            self.engine.evaluated += 1;
        }
        skip
    }

    /// The verdict of [`Stream::skip_call`] for an event whose record would have `body`.
    fn judge(
        &mut self,
        (ts, tid, pid, container): (u64, u32, u32, u32),
        body: Body<'static>,
        filter: &Filter<Field>,
    ) -> bool {
        self.load_pending();
        self.engine.select(host_of(container));
        if !matches!(body, Body::Switch(_)) {
            // What applying the record would do first (see `State::apply_before`); a switch
            // makes no thread known.
            self.engine.state.ensure_task(tid, pid, container);
        }
        let ev = Event {
            ts,
            tid,
            pid,
            cpu: 0,
            container,
            body,
        };
        let oracle = CallOracle {
            ctx: EventCtx {
                ev: &ev,
                state: &self.engine.state,
                num: self.events + 1,
                first_ts: self.engine.first_ts,
                prev_ts: self.engine.last_match_ts,
                buf_mode: self.engine.buf_mode,
                side: Side::Both,
            },
        };
        filter.block_verdict(&oracle) == Tri::NoneMatch
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
        if !keeps_verdicts(&ev) {
            self.generation += 1;
        }
        self.engine.event(&ev, self.events, true, filter, sink)
    }

    /// Resets the task tables to the state records gathered since the last event, as replay
    /// resets them to a state block.
    fn load_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        self.engine.clear_tasks();
        self.generation += 1;
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

/// What the record of an event [`Stream::skip_call`] judges would be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Would {
    /// A `Syscall` of this x86_64 call number.
    Syscall(u16),
    /// A `Switch`.
    Switch,
    /// A `Usage` sample.
    Usage,
}

/// Which state the output can show beyond what the filter tests, for [`Stream::skip_call`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Shown {
    /// Names learned from DNS answers (`fd.rip.name` and friends).
    pub dns: bool,
    /// Resource use from samples and switches (`thread.vmsize` and friends).
    pub usage: bool,
}

impl Shown {
    /// What an output shows, given whether its format or filter `uses` a field a test holds
    /// for.
    pub fn by(uses: impl Fn(&dyn Fn(&Field) -> bool) -> bool) -> Shown {
        Shown {
            dns: uses(&|f| super::dns::is_name_field(f.fid)),
            usage: uses(&|f| f.fid.family() == super::fields::Family::Usage),
        }
    }
}

/// Whether applying a call of `nr` changes the tables: it opens, closes, connects or
/// duplicates fds, changes ids, capabilities or the working directory, or (when `dns`) is a
/// read that may be a DNS answer to learn names from. Such calls are always converted and
/// applied, whether or not they can match.
fn changes_state(nr: u16, dns: bool) -> bool {
    let call = calls::info(nr);
    call.action != Action::None
        || nr == super::state::NR_CAPSET
        || (dns
            && call.spec.io & syscalls::io::READ != 0
            && call.fd_param.is_some()
            && call.buf_param.is_some())
}

/// Whether applying `ev` leaves what [`Stream::skip_call`] judges by as it was: the
/// processes, threads, users and containers (an fd-only call, a switch, a resource sample).
fn keeps_verdicts(ev: &Event<'_>) -> bool {
    match &ev.body {
        Body::Syscall(sc) => {
            sc.nr != super::state::NR_CAPSET
                && matches!(
                    calls::info(sc.nr).action,
                    Action::None
                        | Action::Open
                        | Action::Memfd
                        | Action::Socket
                        | Action::Connect
                        | Action::Accept
                        | Action::Bind
                        | Action::Listen
                        | Action::Pipe
                        | Action::SocketPair
                        | Action::Dup
                        | Action::Dup3
                        | Action::Fcntl
                        | Action::NewFd(_)
                        | Action::Close
                        | Action::SockIo
                )
        }
        Body::Switch(_) | Body::Usage(_) | Body::Signal(_) => true,
        _ => false,
    }
}

/// Judges a filter's comparisons for one call from what is known without its parameters: its
/// thread's process, user and container, and its type. Everything else is unknown.
struct CallOracle<'a, 'e> {
    ctx: EventCtx<'a, 'e>,
}

/// Whether a field's value for a call depends only on its thread (through the tables) and its
/// call number.
fn judged_alone(fid: Fid) -> bool {
    matches!(
        fid,
        Fid::EvtType
            | Fid::EvtCategory
            | Fid::ProcPid
            | Fid::ProcName
            | Fid::ProcExe
            | Fid::ProcExepath
            | Fid::ProcArgs
            | Fid::ProcCmdline
            | Fid::ProcExeline
            | Fid::ProcCwd
            | Fid::ProcPpid
            | Fid::ProcPname
            | Fid::ProcPcmdline
            | Fid::ProcPexe
            | Fid::ProcPexepath
            | Fid::ProcApid
            | Fid::ProcAname
            | Fid::ProcAexe
            | Fid::ProcAexepath
            | Fid::ProcVpid
            | Fid::ProcTty
            | Fid::ThreadTid
            | Fid::ThreadVtid
            | Fid::ThreadIsmain
            | Fid::UserUid
            | Fid::UserName
            | Fid::GroupGid
            | Fid::GroupName
            | Fid::ContainerId
            | Fid::ContainerName
            | Fid::ContainerImage
            | Fid::HostName
    )
}

impl BlockOracle<Field> for CallOracle<'_, '_> {
    fn verdict(&self, field: &Field, cmp: &Cmp) -> Tri {
        if !judged_alone(field.fid) {
            return Tri::Unknown;
        }
        // As the filter evaluates a comparison (`filter::eval`): no value fails it.
        match self.ctx.value(field) {
            Some(v) if cmp.op == Op::Exists || cmp.test(&v) => Tri::AllMatch,
            _ => Tri::NoneMatch,
        }
    }
}
