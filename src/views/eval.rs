//! Evaluating a view in one pass: every event the filter and time range select is keyed and
//! folded into its row's accumulators; the result is plain data, rows of typed [`Cell`]s.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use capture_format::schema::Body;

use super::spec::{Agg, Column, Unit, ViewKind, ViewSpec};
use crate::filter::error::FilterErrors;
use crate::filter::{Filter, Registry, ResolveError, Source, Val};
use capture_format::schema::syscalls::io;

use crate::replay::context::EventCtx;
use crate::replay::fields::{Field, Fields};
use crate::replay::session::{Flow, ReplayError, Session};
use crate::replay::state::IdHasher;

pub use super::percentile::{EXACT_MAX, Samples};
pub(super) use super::percentile::{HIST_BUCKETS, bucket_of};
pub use super::table::{Cell, Head, Row, Table, display, human_ns};
pub use accumulator::Accumulator;
pub(super) use accumulator::RowAcc;

/// Errors of a view run.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// No view has this id.
    #[error("no view named '{0}' (casefile top --list shows them)")]
    UnknownView(String),
    /// A column names a field the registry does not know (a bug in the catalog).
    #[error("view {view}, column {column}: field '{field}': {message}")]
    BadField {
        /// View id.
        view: String,
        /// Column name.
        column: String,
        /// Field name.
        field: String,
        /// Why.
        message: String,
    },
    /// `--sort` names no column.
    #[error("view {view} has no column '{name}' (columns: {columns})")]
    UnknownColumn {
        /// View id.
        view: String,
        /// The name given.
        name: String,
        /// The columns there are.
        columns: String,
    },
    /// A filter does not compile.
    #[error(transparent)]
    Filter(#[from] FilterErrors),
    /// Replay failed.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// The cancel flag was set.
    #[error("cancelled")]
    Cancelled,
    /// A thread could not be started.
    #[error("cannot start a thread: {0}")]
    Thread(String),
}

/// Progress of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Matching events seen so far.
    pub events: u64,
    /// Fraction of the time range covered, 0 to 1.
    pub fraction: f64,
}

/// How a caller follows and stops a run (the TUI runs views off its UI thread).
#[derive(Default)]
pub struct Control<'a> {
    /// Called now and then with the progress, and once at the end with fraction 1.
    pub progress: Option<&'a mut dyn FnMut(Progress)>,
    /// When set, the run stops with [`ViewError::Cancelled`].
    pub cancel: Option<&'a AtomicBool>,
}

/// How often (in matching events) progress is reported and the cancel flag read.
const CHECK_EVERY: u64 = 1 << 14;

impl Control<'_> {
    /// Called per matching event; returns `Stop` when cancelled.
    pub(crate) fn tick(&mut self, n: u64, ts: u64, range: (u64, u64)) -> Flow {
        if !n.is_multiple_of(CHECK_EVERY) {
            return Flow::Continue;
        }
        self.report(n, ts, range);
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Flow::Stop;
        }
        Flow::Continue
    }

    /// Reports `n` events done, up to time `ts` of `range`.
    pub(crate) fn report(&mut self, n: u64, ts: u64, range: (u64, u64)) {
        if let Some(p) = self.progress.as_mut() {
            let span = range.1.saturating_sub(range.0).max(1);
            let fraction = (ts.saturating_sub(range.0) as f64 / span as f64).min(1.0);
            p(Progress {
                events: n,
                fraction,
            });
        }
    }

    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }

    pub(crate) fn done(&mut self, n: u64) {
        if let Some(p) = self.progress.as_mut() {
            p(Progress {
                events: n,
                fraction: 1.0,
            });
        }
    }
}

/// Resolves a field name (`evt.arg.sig`, `container.label[app]`) in replay's registry.
pub fn resolve_field(name: &str) -> Result<Field, ResolveError> {
    let (n, arg) = match name.split_once('[') {
        Some((a, b)) => (a, Some(b.trim_end_matches(']'))),
        None => (name, None),
    };
    Ok(Fields.resolve(n, arg)?.id)
}

/// The view filter and the user's, as one filter text.
pub fn combine(view: Option<&str>, user: Option<&str>) -> Option<String> {
    match (view, user.map(str::trim).filter(|u| !u.is_empty())) {
        (None, None) => None,
        (Some(v), None) => Some(v.to_owned()),
        (None, Some(u)) => Some(u.to_owned()),
        (Some(v), Some(u)) => Some(format!("({v}) and ({u})")),
    }
}

/// Compiles `view ∧ user`, reporting errors in the user's text against that text.
pub fn compile_filters(
    view: Option<&str>,
    user: Option<&str>,
) -> Result<Option<Filter<Field>>, FilterErrors> {
    if let Some(u) = user.filter(|u| !u.trim().is_empty()) {
        crate::filter::compile(u, &Fields)?;
    }
    combine(view, user)
        .map(|t| crate::filter::compile(&t, &Fields))
        .transpose()
}

/// Quotes a value for a filter (`"a \"b\""`); numbers stay bare.
pub fn quote(c: &Cell) -> String {
    match c {
        Cell::Num(n) => n.to_string(),
        Cell::Bool(b) => b.to_string(),
        other => {
            let t = other.text();
            let mut q = String::with_capacity(t.len() + 2);
            q.push('"');
            for ch in t.chars() {
                if ch == '"' || ch == '\\' {
                    q.push('\\');
                }
                q.push(ch);
            }
            q.push('"');
            q
        }
    }
}

/// Appends a value's identity bytes (type tag, then content) to `out`.
pub(crate) fn encode(v: &Val<'_>, out: &mut Vec<u8>) {
    match v {
        Val::Num(n) => {
            out.push(1);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Val::Str(b) => {
            out.push(2);
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        Val::Bool(b) => out.extend_from_slice(&[3, u8::from(*b)]),
        Val::Ip(IpAddr::V4(a)) => {
            out.push(4);
            out.extend_from_slice(&a.octets());
        }
        Val::Ip(IpAddr::V6(a)) => {
            out.push(6);
            out.extend_from_slice(&a.octets());
        }
        Val::List(items) => {
            out.push(5);
            out.extend_from_slice(&(items.len() as u32).to_le_bytes());
            for i in items {
                encode(i, out);
            }
        }
    }
}

pub(crate) fn hash64(b: &[u8]) -> u64 {
    // FNV-1a then a final mix: stable across runs, good enough for distinct counts of field
    // values (a collision would undercount by one in 2^64).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in b {
        h ^= u64::from(c);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// A column's running state for one row.
#[derive(Clone, Debug)]
pub(super) enum Acc {
    Key,
    Count(u64),
    Sum(Option<i64>),
    Avg(i64, u64),
    Min(Option<i64>),
    Max(Option<i64>),
    Pct(Box<Samples>),
    /// A percentile of the samples an earlier column keeps ([`Col::pct_of`]).
    PctShared,
    Seen(u64),
    #[expect(
        clippy::box_collection,
        reason = "a boxed set keeps every accumulator small; most rows have none"
    )]
    Distinct(Box<HashSet<u64, BuildHasherDefault<IdHasher>>>),
    Val(Cell),
}

impl Acc {
    pub(super) fn for_col(col: &Col) -> Acc {
        match col.pct_of {
            Some(_) => Acc::PctShared,
            None => Acc::new(col.spec.agg),
        }
    }

    fn new(agg: Agg) -> Acc {
        match agg {
            Agg::Key => Acc::Key,
            Agg::Count => Acc::Count(0),
            Agg::Sum => Acc::Sum(Some(0)),
            Agg::Avg => Acc::Avg(0, 0),
            Agg::Min => Acc::Min(None),
            Agg::Max => Acc::Max(None),
            Agg::P50 | Agg::P95 | Agg::P99 => Acc::Pct(Box::default()),
            Agg::FirstSeen | Agg::LastSeen => Acc::Seen(0),
            Agg::Distinct => Acc::Distinct(Box::default()),
            Agg::First | Agg::Last | Agg::Image | Agg::Value => Acc::Val(Cell::None),
        }
    }

    fn finish(&mut self, agg: Agg) -> Cell {
        match self {
            Acc::Key | Acc::PctShared => Cell::None,
            Acc::Count(n) => Cell::Num(*n as i64),
            Acc::Sum(s) | Acc::Min(s) | Acc::Max(s) => s.map_or(Cell::None, Cell::Num),
            Acc::Avg(s, n) => {
                if *n == 0 {
                    Cell::None
                } else {
                    Cell::Num(*s / *n as i64)
                }
            }
            Acc::Pct(samples) => {
                let q = match agg {
                    Agg::P50 => 50,
                    Agg::P95 => 95,
                    _ => 99,
                };
                samples.percentile(q).map_or(Cell::None, Cell::Num)
            }
            Acc::Seen(t) => Cell::Num(*t as i64),
            Acc::Distinct(set) => Cell::Num(set.len() as i64),
            Acc::Val(c) => std::mem::replace(c, Cell::None),
        }
    }
}

/// A condition, compiled. The few conditions the catalog uses on every event have a native
/// form with the same meaning as the filter text (the fields' definitions in
/// `replay::context`); any other text is a compiled filter.
pub(super) enum Cond {
    /// `evt.is_io_read = true`.
    IoRead,
    /// `evt.is_io_write = true`.
    IoWrite,
    /// `evt.is_io = true`.
    Io,
    /// `evt.failed = true`.
    Failed,
    /// `proc.pid > 0`.
    HasPid,
    /// `thread.tid > 0`.
    HasTid,
    /// Anything else.
    Filter(Filter<Field>),
}

impl Cond {
    fn compile(text: &str) -> Result<Cond, FilterErrors> {
        Ok(match text {
            "evt.is_io_read = true" => Cond::IoRead,
            "evt.is_io_write = true" => Cond::IoWrite,
            "evt.is_io = true" => Cond::Io,
            "evt.failed = true" => Cond::Failed,
            "proc.pid > 0" => Cond::HasPid,
            "thread.tid > 0" => Cond::HasTid,
            t => Cond::Filter(crate::filter::compile(t, &Fields)?),
        })
    }

    pub(super) fn matches(&self, ctx: &mut EventCtx<'_, '_>) -> bool {
        let io = |flag: u8| ctx.io() & flag != 0;
        match self {
            Cond::IoRead => io(io::READ),
            Cond::IoWrite => io(io::WRITE),
            Cond::Io => io(io::READ | io::WRITE),
            Cond::Failed => {
                matches!(&ctx.ev.body, Body::Syscall(sc) if sc.ret < 0 && sc.ret > -4096)
            }
            Cond::HasPid => ctx.ev.pid > 0,
            Cond::HasTid => ctx.ev.tid > 0,
            Cond::Filter(f) => f.matches(ctx),
        }
    }
}

/// A column, resolved.
pub(super) struct Col {
    pub(super) spec: Column,
    /// For a percentile column: the earlier column that keeps the same samples.
    pub(super) pct_of: Option<usize>,
    /// For a percentile column: the row's minimum and maximum columns of the same values, which
    /// bound what a histogram's bucket middle may report (see [`Compiled::new`]).
    pub(super) bounds: (Option<usize>, Option<usize>),
    pub(super) field: Option<Field>,
    pub(super) when: Option<usize>,
}

/// A view ready to run: filters compiled, fields resolved.
pub struct Compiled {
    pub(super) spec: &'static ViewSpec,
    pub(super) filter: Option<Filter<Field>>,
    pub(super) cols: Vec<Col>,
    pub(super) conds: Vec<Cond>,
    /// The view's own filter in native form, applied in the sink (then `filter` is `None`).
    pub(super) native: Option<Cond>,
    pub(super) keys: Vec<usize>,
    pub(super) images: bool,
    /// A HOST column leads: rows of a merged capture are kept apart by host.
    pub(super) per_host: bool,
    /// No user filter: the view's own events, which the index's aggregates hold.
    pub(super) plain: bool,
}

/// The column that leads every view of a merged capture: pid 100 on two hosts is two
/// processes, `/etc/passwd` two files.
const HOST_KEY: Column = super::spec::col("HOST", Agg::Key, Some("host.name"), None, Unit::Text);
const HOST_VALUE: Column =
    super::spec::col("HOST", Agg::Value, Some("host.name"), None, Unit::Text);

impl Compiled {
    /// The event's row key, the identity bytes of its key columns, into `out` (cleared first);
    /// false when a key column has no value for it (the event makes no row).
    pub(super) fn row_key(&self, ctx: &mut EventCtx<'_, '_>, out: &mut Vec<u8>) -> bool {
        out.clear();
        for &k in &self.keys {
            let Some(f) = &self.cols[k].field else {
                return false;
            };
            match ctx.get(f) {
                Some(v) => encode(&v, out),
                None => return false,
            }
        }
        true
    }

    /// Whether the view is keyed by fd: it sees a sendfile's (splice's, tee's,
    /// copy_file_range's) read and write each on its own fd, as two events.
    pub(super) fn by_fd(&self) -> bool {
        self.spec.columns.iter().any(|c| {
            c.agg == super::spec::Agg::Key && c.field.is_some_and(|f| f.starts_with("fd."))
        })
    }

    /// Compiles `spec` with the user's extra filter; with `per_host`, a HOST column leads (a
    /// key of tables, a value of lists) and drill-down filters name the host.
    pub fn new(
        spec: &'static ViewSpec,
        user: Option<&str>,
        per_host: bool,
    ) -> Result<Compiled, ViewError> {
        let mut filter = compile_filters(spec.filter, user)?;
        let mut native = None;
        if user.is_none_or(|u| u.trim().is_empty())
            && let Some(f) = spec.filter
            && let c @ (Cond::HasPid | Cond::HasTid) = Cond::compile(f)?
        {
            native = Some(c);
            filter = None;
        }
        let mut conds: Vec<Cond> = Vec::new();
        let mut cond_text: Vec<&str> = Vec::new();
        let mut cols = Vec::new();
        let host = match spec.kind {
            ViewKind::Table => &HOST_KEY,
            ViewKind::List => &HOST_VALUE,
        };
        let lead = per_host.then_some(host);
        for c in lead.into_iter().chain(spec.columns) {
            if c.agg.needs_field() != c.field.is_some() {
                return Err(ViewError::BadField {
                    view: spec.id.to_owned(),
                    column: c.name.to_owned(),
                    field: c.field.unwrap_or("").to_owned(),
                    message: format!("aggregation {:?} and field do not go together", c.agg),
                });
            }
            let field = match c.field {
                Some(f) => Some(resolve_field(f).map_err(|e| ViewError::BadField {
                    view: spec.id.to_owned(),
                    column: c.name.to_owned(),
                    field: f.to_owned(),
                    message: match e {
                        ResolveError::Unknown => "unknown field".to_owned(),
                        ResolveError::Arg(m) => m,
                    },
                })?),
                None => None,
            };
            let when = match c.when {
                Some(w) => Some(if let Some(i) = cond_text.iter().position(|t| *t == w) {
                    i
                } else {
                    conds.push(Cond::compile(w)?);
                    cond_text.push(w);
                    conds.len() - 1
                }),
                None => None,
            };
            let is_pct = |a: Agg| matches!(a, Agg::P50 | Agg::P95 | Agg::P99);
            let pct_of = if is_pct(c.agg) {
                cols.iter().position(|o: &Col| {
                    is_pct(o.spec.agg)
                        && o.pct_of.is_none()
                        && o.spec.field == c.field
                        && o.spec.when == c.when
                })
            } else {
                None
            };
            cols.push(Col {
                spec: *c,
                pct_of,
                bounds: (None, None),
                field,
                when,
            });
        }
        // A percentile read from a histogram is its bucket's middle, which may lie past the
        // values' minimum or maximum: a column showing either bounds it, as an exact
        // percentile always is.
        for i in 0..cols.len() {
            if !matches!(cols[i].spec.agg, Agg::P50 | Agg::P95 | Agg::P99) {
                continue;
            }
            let same = |agg: Agg| {
                cols.iter().position(|o: &Col| {
                    o.spec.agg == agg
                        && o.spec.field == cols[i].spec.field
                        && o.spec.when == cols[i].spec.when
                })
            };
            cols[i].bounds = (same(Agg::Min), same(Agg::Max));
        }
        let keys = (0..cols.len())
            .filter(|&i| cols[i].spec.agg == Agg::Key)
            .collect();
        let images = cols.iter().any(|c| c.spec.agg == Agg::Image);
        Ok(Compiled {
            spec,
            filter,
            cols,
            conds,
            native,
            keys,
            images,
            per_host,
            plain: user.is_none_or(|u| u.trim().is_empty()),
        })
    }

    /// Runs the view over `session` (its options give the time range).
    pub fn run(&self, session: &mut Session, ctl: &mut Control<'_>) -> Result<Table, ViewError> {
        if let Some(t) = super::aggregate::view_from_index(self, session, ctl) {
            return t;
        }
        self.run_decoding(session, ctl)
    }

    /// Runs `run` over `session` handing this view each side of a call that moves data
    /// between two fds on its own when the view is keyed by fd (as the index's sections
    /// count them), and resets the session after.
    pub(super) fn with_sides<T>(
        &self,
        session: &mut Session,
        run: impl FnOnce(&mut Session) -> T,
    ) -> T {
        session.set_split_sides(self.by_fd());
        let r = run(session);
        session.set_split_sides(false);
        r
    }

    /// [`Compiled::run`] without the index's aggregates: every event replayed (on the
    /// session's threads when it can be split, see `merge`).
    pub(crate) fn run_decoding(
        &self,
        session: &mut Session,
        ctl: &mut Control<'_>,
    ) -> Result<Table, ViewError> {
        if session.threads() > 1 && self.splits(session) {
            return self.run_parallel(session, ctl);
        }
        let range = session_range(session);
        let mut acc = Accumulator::new(self);
        let mut n = 0u64;
        let res = self.with_sides(session, |s| {
            s.run(self.filter.as_ref(), |ctx| -> Result<Flow, ViewError> {
                if !is_event(&ctx.ev.body) {
                    return Ok(Flow::Continue);
                }
                if let Some(c) = &self.native
                    && !c.matches(ctx)
                {
                    return Ok(Flow::Continue);
                }
                n += 1;
                acc.event(ctx);
                Ok(ctl.tick(n, ctx.ev.ts, range))
            })
        });
        res?;
        if ctl.cancelled() {
            return Err(ViewError::Cancelled);
        }
        ctl.done(n);
        Ok(acc.finish(n))
    }
}

/// Whether a record is an event views count: something a task did or underwent (a system
/// call, fork, exec, exit, signal). Container, loss and state records describe the capture
/// and are neither events nor processes in views and tiles (their pid is 0).
pub fn is_event(body: &Body<'_>) -> bool {
    matches!(
        body,
        Body::Syscall(_) | Body::Fork(_) | Body::Exec(_) | Body::Exit(_) | Body::Signal(_)
    )
}

/// The time range a session covers: its options' range within the capture's.
pub fn session_range(session: &Session) -> (u64, u64) {
    let (lo, hi) = session.capture().time_range().unwrap_or((0, 0));
    let o = session.options();
    (o.from.unwrap_or(lo).max(lo), o.to.unwrap_or(hi).min(hi))
}

/// Runs view `spec` over `session` with the user's filter.
pub fn run_view(
    spec: &'static ViewSpec,
    session: &mut Session,
    user_filter: Option<&str>,
    ctl: &mut Control<'_>,
) -> Result<Table, ViewError> {
    let merged = session.capture().header().info.hosts.len() > 1;
    Compiled::new(spec, user_filter, merged)?.run(session, ctl)
}

mod accumulator;
mod merge;
#[cfg(test)]
mod unit_tests;
