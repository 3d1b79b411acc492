//! Work off the UI thread: opening a capture, the overview scan, view aggregation, echo and
//! dig. Each job runs on its own thread, reports progress and its result as
//! [`AppEvent::Job`](super::event::AppEvent) messages tagged with its id, and stops when its
//! cancel flag is set.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;

use capture_format::CaptureFile;
use capture_format::schema::Body;

use super::event::{AppEvent, JobMsg, Opened};
use crate::output::ordered::{Printer, print_parallel, splits};
use crate::output::{DEFAULT_FORMAT, Format, Sink, TextSink};
use crate::replay::render::BufMode;
use crate::replay::session::{Flow, Options, Session};
use crate::views::alerts::{self, Rules};
use crate::views::echo::Collector;
use crate::views::eval::{Control, Progress, ViewError, compile_filters};
use crate::views::overview::{Overview, run_overview_live};
use crate::views::spec::ViewSpec;

/// Opens the capture; each job opens its own handle (the caller decides how: mapped or read).
pub type Opener = Arc<dyn Fn() -> Result<CaptureFile, String> + Send + Sync>;

/// Buckets of the timeline density.
pub const TIMELINE_BUCKETS: usize = 240;
/// Buckets of the overview sparklines.
pub const SPARK_BUCKETS: usize = 24;
/// How often the overview's tiles are redrawn from the scan so far.
pub const PARTIAL_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
/// Most lines a dig or echo screen keeps.
pub const MAX_LINES: usize = 50_000;

/// What to compute.
#[derive(Clone, Debug)]
pub enum Request {
    /// Read the index: time range, density, losses.
    Open,
    /// The overview tiles (and the Alerts tile, with rules).
    Overview {
        /// The user's filter.
        filter: Option<String>,
        /// Rules for the Alerts tile.
        rules: Option<Arc<Rules>>,
    },
    /// The Alerts view: the rules that fired.
    Alerts {
        /// The rules.
        rules: Arc<Rules>,
        /// Drill-down context and the user's filter, combined.
        filter: Option<String>,
    },
    /// The events that fired one rule.
    AlertEvents {
        /// The rules.
        rules: Arc<Rules>,
        /// Index of the rule in `rules.set.rules`.
        rule: usize,
        /// Drill-down context and the user's filter, combined.
        filter: Option<String>,
    },
    /// A view.
    View {
        /// Which.
        spec: &'static ViewSpec,
        /// Drill-down context and the user's filter, combined.
        filter: Option<String>,
    },
    /// The I/O payloads of the events a filter selects.
    Echo {
        /// Selection.
        filter: Option<String>,
    },
    /// The raw events a filter selects.
    Dig {
        /// Selection.
        filter: Option<String>,
    },
}

/// A running job: its id and cancel flag.
#[derive(Debug)]
pub struct Handle {
    /// Id, echoed in its messages.
    pub id: u64,
    /// Set to stop it.
    pub cancel: Arc<AtomicBool>,
}

/// Starts `req` on a new thread.
pub fn spawn(
    id: u64,
    req: Request,
    open: Opener,
    range: Option<(u64, u64)>,
    tx: Sender<AppEvent>,
) -> Handle {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    std::thread::spawn(move || {
        let send = |m: JobMsg| {
            let _ = tx.send(AppEvent::Job(id, m));
        };
        let job = std::panic::AssertUnwindSafe(|| run(&req, &open, range, &flag, &send));
        let msg = match std::panic::catch_unwind(job) {
            Ok(Ok(m)) => m,
            Ok(Err(e)) => JobMsg::Failed(e),
            // A bug, not the user's doing: say so on the screen instead of hanging on it.
            Err(panic) => JobMsg::Failed(format!(
                "internal error (please report): {}",
                panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a job panicked".into())
            )),
        };
        send(msg);
    });
    Handle { id, cancel }
}

fn session(open: &Opener, range: Option<(u64, u64)>) -> Result<Session, String> {
    let cap = open()?;
    let opts = Options {
        from: range.map(|r| r.0),
        to: range.map(|r| r.1),
        block_names: Some(crate::views::aggregate::block_names),
        ..Options::default()
    };
    let mut s = Session::new(cap, opts).map_err(|e| e.to_string())?;
    // Views that decode replay on every core, as `top` does.
    s.set_threads(std::thread::available_parallelism().map_or(1, usize::from));
    Ok(s)
}

/// Tells the screen when the run skipped damaged blocks: what it shows lacks their events.
fn warn_damage(s: &Session, send: &dyn Fn(JobMsg)) {
    let n = s.stats().blocks_damaged;
    if n > 0 {
        send(JobMsg::Damaged(n, s.damage().clone()));
    }
}

/// Runs one job to its result.
fn run(
    req: &Request,
    open: &Opener,
    range: Option<(u64, u64)>,
    cancel: &AtomicBool,
    send: &dyn Fn(JobMsg),
) -> Result<JobMsg, String> {
    let mut progress = |p: Progress| send(JobMsg::Progress(p.fraction, p.events));
    match req {
        Request::Open => {
            // The density: the first screen needs nothing else (the losses follow).
            let cap = open()?;
            // The losses come from the footer's tables, which take a while to decode on a big
            // capture: the job ends with `Opened`, so the overview need not wait for them, and
            // they follow.
            send(JobMsg::Opened(Box::new(index_summary(&cap))));
            Ok(JobMsg::Losses(losses(&cap)))
        }
        Request::Overview { filter, rules } => {
            let mut s = session(open, range)?;
            let mut ctl = Control {
                progress: Some(&mut progress),
                cancel: Some(cancel),
            };
            let mut partial = |p: Overview| send(JobMsg::Partial(Box::new(p)));
            let every = (PARTIAL_EVERY, &mut partial as &mut dyn FnMut(Overview));
            let r = run_overview_live(&mut s, filter.as_deref(), SPARK_BUCKETS, &mut ctl, every);
            let r = match (r, rules) {
                // A second pass for the Alerts tile; the other tiles show meanwhile.
                (Ok(mut sum), Some(rules)) => {
                    send(JobMsg::Partial(Box::new(sum.clone())));
                    alerts::alerts_tile(rules, &mut s, filter.as_deref(), &sum, &mut ctl).map(|t| {
                        sum.tiles.push(t);
                        sum
                    })
                }
                (r, _) => r,
            };
            warn_damage(&s, send);
            r.map(|s| JobMsg::Overview(Box::new(s)))
                .map_err(|e: ViewError| e.to_string())
        }
        Request::Alerts { rules, filter } => {
            let mut s = session(open, range)?;
            let mut ctl = Control {
                progress: Some(&mut progress),
                cancel: Some(cancel),
            };
            let r = alerts::run_alerts(rules, &mut s, filter.as_deref(), &mut ctl);
            warn_damage(&s, send);
            r.map(|t| JobMsg::Table(Box::new(t)))
                .map_err(|e: ViewError| e.to_string())
        }
        Request::AlertEvents {
            rules,
            rule,
            filter,
        } => {
            let mut s = session(open, range)?;
            let mut ctl = Control {
                progress: Some(&mut progress),
                cancel: Some(cancel),
            };
            let r = alerts::run_alert_events(
                rules,
                *rule,
                &mut s,
                filter.as_deref(),
                MAX_LINES,
                &mut ctl,
            );
            warn_damage(&s, send);
            r.map(|t| JobMsg::Table(Box::new(t)))
                .map_err(|e: ViewError| e.to_string())
        }
        Request::View { spec, filter } => {
            let mut s = session(open, range)?;
            let mut ctl = Control {
                progress: Some(&mut progress),
                cancel: Some(cancel),
            };
            let r = crate::views::eval::run_view(spec, &mut s, filter.as_deref(), &mut ctl);
            warn_damage(&s, send);
            r.map(|t| JobMsg::Table(Box::new(t)))
                .map_err(|e: ViewError| e.to_string())
        }
        Request::Echo { filter } => echo(open, range, filter.as_deref(), cancel, send),
        Request::Dig { filter } => dig(open, range, filter.as_deref(), cancel, send),
    }
}

/// Loss intervals (from, to, events lost) from the footer tables.
pub fn losses(cap: &CaptureFile) -> Vec<(u64, u64, u64)> {
    let mut out = Vec::new();
    if let Ok(tables) = cap.tables() {
        for ev in tables {
            if let Body::Loss(l) = ev.body {
                out.push((l.from, l.to.max(l.from), l.count));
            }
        }
    }
    out
}

/// Density from the block index; no block is decoded. Losses are left empty (see [`losses`]).
pub fn index_summary(cap: &CaptureFile) -> Opened {
    let range = cap.time_range().unwrap_or((0, 0));
    let span = range.1.saturating_sub(range.0) + 1;
    let mut density = vec![0u64; TIMELINE_BUCKETS];
    let bucket = |ts: u64| {
        ((u128::from(ts.saturating_sub(range.0)) * TIMELINE_BUCKETS as u128 / u128::from(span))
            as usize)
            .min(TIMELINE_BUCKETS - 1)
    };
    let mut blocks = 0;
    for b in cap.blocks() {
        if b.count == 0 || b.block_type != capture_format::BlockType::Events {
            continue;
        }
        blocks += 1;
        let (lo, hi) = (bucket(b.first_ts), bucket(b.last_ts.max(b.first_ts)));
        let n = (hi - lo + 1) as u64;
        for (i, d) in density[lo..=hi].iter_mut().enumerate() {
            // Spread evenly; the first buckets take the remainder.
            *d += u64::from(b.count) / n + u64::from((i as u64) < u64::from(b.count) % n);
        }
    }
    Opened {
        events: cap.event_count(),
        range,
        density,
        losses: Vec::new(),
        blocks,
        recovered: cap.recovery().is_some(),
        triggers: crate::record::incident::Trigger::of_capture(cap)
            .unwrap_or_else(|_| crate::record::incident::Trigger::of(&cap.header().info))
            .into_iter()
            .map(|t| (t.ts, t.what))
            .collect(),
    }
}

/// Why a hand-written scan stopped.
#[derive(Debug, thiserror::Error)]
enum ScanError {
    #[error(transparent)]
    Replay(#[from] crate::replay::session::ReplayError),
    #[error("{0}")]
    Other(String),
}

/// Progress and cancellation for the hand-written scans (echo, dig).
struct Ticker<'a> {
    n: u64,
    range: (u64, u64),
    cancel: &'a AtomicBool,
    send: &'a dyn Fn(JobMsg),
}

impl Ticker<'_> {
    fn tick(&mut self, ts: u64) -> Flow {
        self.n += 1;
        if self.n.is_multiple_of(1 << 14) {
            let span = self.range.1.saturating_sub(self.range.0).max(1);
            let f = (ts.saturating_sub(self.range.0) as f64 / span as f64).min(1.0);
            (self.send)(JobMsg::Progress(f, self.n));
            if self.cancel.load(Ordering::Relaxed) {
                return Flow::Stop;
            }
        }
        Flow::Continue
    }
}

fn echo(
    open: &Opener,
    range: Option<(u64, u64)>,
    user: Option<&str>,
    cancel: &AtomicBool,
    send: &dyn Fn(JobMsg),
) -> Result<JobMsg, String> {
    let filter = crate::views::echo::filter(user).map_err(|e| e.to_string())?;
    let mut s = session(open, range)?;
    let mut streams = Collector::new(&s).map_err(|e| format!("{e:?}"))?;
    let mut t = Ticker {
        n: 0,
        range: crate::views::eval::session_range(&s),
        cancel,
        send,
    };
    let mut cut = false;
    s.run(filter.as_ref(), |ctx| -> Result<Flow, ScanError> {
        if streams.chunks() >= MAX_LINES {
            cut = true;
            return Ok(Flow::Stop);
        }
        streams.event(ctx);
        Ok(t.tick(ctx.ev.ts))
    })
    .map_err(|e| e.to_string())?;
    if cancel.load(Ordering::Relaxed) {
        return Err("cancelled".into());
    }
    Ok(JobMsg::Echo(streams.finish(), cut))
}

/// [`dig_lines`] on the session's threads, its lines in order: one match past the most kept
/// tells that the list was cut.
fn dig_parallel(
    s: &mut Session,
    filter: Option<&crate::filter::Filter<crate::replay::fields::Field>>,
    format: &Format,
    most: usize,
    cancel: &AtomicBool,
    send: &dyn Fn(JobMsg),
) -> Result<JobMsg, String> {
    let cap = s.capture();
    // Progress counts the events of the blocks in the time range.
    let (from, to) = crate::views::eval::session_range(s);
    let inside = (cap.blocks().iter())
        .filter(|b| b.block_type == capture_format::BlockType::Events)
        .filter(|b| b.last_ts >= from && b.first_ts <= to);
    let (start, end) = inside.fold((u64::MAX, 0), |(a, z), b| {
        (
            a.min(b.first_event),
            z.max(b.first_event + u64::from(b.count)),
        )
    });
    let printer = || Printer::Text(TextSink::new(Vec::new(), format.clone(), BufMode::Dotted));
    let mut bytes = Vec::new();
    let most = most as u64;
    let shown = print_parallel(
        s,
        (s.threads(), filter),
        (Some(most + 1), Some(most)),
        &mut |reached| {
            let done = reached.saturating_sub(start);
            let f = done as f64 / end.saturating_sub(start).max(1) as f64;
            send(JobMsg::Progress(f.min(1.0), done));
            if cancel.load(Ordering::Relaxed) {
                anyhow::bail!("cancelled");
            }
            Ok(())
        },
        &printer,
        &mut bytes,
    )
    .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(JobMsg::Dig(
        text.lines().map(str::to_owned).collect(),
        shown > most,
    ))
}

fn dig(
    open: &Opener,
    range: Option<(u64, u64)>,
    user: Option<&str>,
    cancel: &AtomicBool,
    send: &dyn Fn(JobMsg),
) -> Result<JobMsg, String> {
    let filter = compile_filters(None, user).map_err(|e| e.to_string())?;
    let mut s = session(open, range)?;
    dig_lines(&mut s, filter.as_ref(), MAX_LINES, cancel, send)
}

/// The first `most` lines of the events of `s` that match `filter` (and whether there were
/// more), on the session's threads when the run splits.
pub(super) fn dig_lines(
    s: &mut Session,
    filter: Option<&crate::filter::Filter<crate::replay::fields::Field>>,
    most: usize,
    cancel: &AtomicBool,
    send: &dyn Fn(JobMsg),
) -> Result<JobMsg, String> {
    let format = Format::parse(DEFAULT_FORMAT).map_err(|e| e.to_string())?;
    if s.threads() > 1 && splits(s, &format, filter) {
        return dig_parallel(s, filter, &format, most, cancel, send);
    }
    let mut t = Ticker {
        n: 0,
        range: crate::views::eval::session_range(s),
        cancel,
        send,
    };
    let mut bytes = Vec::new();
    let mut sink = TextSink::new(&mut bytes, format, BufMode::Dotted);
    let mut lines = 0usize;
    let mut cut = false;
    s.run(filter, |ctx| -> Result<Flow, ScanError> {
        if lines >= most {
            cut = true;
            return Ok(Flow::Stop);
        }
        sink.event(ctx)
            .map_err(|e| ScanError::Other(e.to_string()))?;
        lines += 1;
        Ok(t.tick(ctx.ev.ts))
    })
    .map_err(|e| e.to_string())?;
    if cancel.load(Ordering::Relaxed) {
        return Err("cancelled".into());
    }
    drop(sink);
    let text = String::from_utf8_lossy(&bytes);
    Ok(JobMsg::Dig(text.lines().map(str::to_owned).collect(), cut))
}
