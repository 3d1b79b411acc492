//! The application state and how events change it. Drawing lives in [`super::ui`]; nothing
//! here touches the terminal.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;

use crossterm::event::KeyEventKind;

use super::event::{AppEvent, JobMsg, Opened};
use super::jobs::{self, Handle, Opener, Request, TIMELINE_BUCKETS};
use super::layout;
use super::screen::{Content, EchoMode, Loaded, Mode, Screen};

mod drill;
mod input;
use crate::replay::render::BufMode;
use crate::replay::session::Damage;
use crate::views::alerts::{ALERT_EVENTS, ALERTS, Rules};
use crate::views::catalog;
use crate::views::echo::Stream;
use crate::views::eval::compile_filters;
use crate::views::spec::ViewSpec;

/// The spec of a table view by id: the catalog's, and the Alerts views.
fn table_spec(id: &str) -> Option<&'static ViewSpec> {
    match id {
        "alerts" => Some(&ALERTS),
        "alert_events" => Some(&ALERT_EVENTS),
        _ => catalog::view(id),
    }
}

/// The whole UI state.
pub struct App {
    /// The capture's path (its file name shows in the header).
    pub path: PathBuf,
    open: Opener,
    tx: Sender<AppEvent>,
    /// Terminal size.
    pub size: (u16, u16),
    /// What the index said, once read.
    pub opened: Option<Box<Opened>>,
    /// The screens, overview first.
    pub stack: Vec<Screen>,
    /// The input mode.
    pub mode: Mode,
    /// Timeline markers (bucket indices, inclusive).
    pub marks: (usize, usize),
    /// The time range applied to every view.
    pub range: Option<(u64, u64)>,
    /// A one-line message in the status bar.
    pub message: Option<String>,
    /// Spinner phase.
    pub spin: usize,
    /// Set when the user quits.
    pub quit: bool,
    job: Option<(Handle, Option<u64>)>,
    /// The open job whose index `opened` holds (its losses come after it ended).
    opened_by: u64,
    /// Whether that job's losses are still to come.
    losses_pending: bool,
    next_id: u64,
    drag: bool,
    rules: Option<Arc<Rules>>,
    /// Following a recording as it grows (`casefile live --inspect`).
    pub live: Option<Live>,
    /// The damaged blocks the jobs skipped, for the command to name on exit.
    pub damage: Damage,
}

/// How a live UI follows the recording.
#[derive(Clone, Copy, Debug)]
pub struct Live {
    /// Paused by the user (`p`): the views stay as they are.
    pub paused: bool,
    /// When the file was last reopened.
    last: std::time::Instant,
}

/// How often a live UI reopens the growing file.
const LIVE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl App {
    /// A new app over the capture at `path`; `open` opens it for each job.
    pub fn new(path: PathBuf, open: Opener, tx: Sender<AppEvent>, size: (u16, u16)) -> App {
        App {
            path,
            open,
            tx,
            size,
            opened: None,
            opened_by: 0,
            losses_pending: false,
            stack: vec![Screen::new(
                0,
                "Overview".into(),
                None,
                Content::Overview(None),
            )],
            mode: Mode::Normal,
            marks: (0, TIMELINE_BUCKETS - 1),
            range: None,
            message: None,
            spin: 0,
            quit: false,
            job: None,
            next_id: 1,
            drag: false,
            rules: None,
            live: None,
            damage: Damage::default(),
        }
    }

    /// Follows the capture as it grows: reopens it each second and reloads the view on top,
    /// its time range following "now" until the user pauses (`p`) or chooses a range.
    #[must_use]
    pub fn with_live(mut self) -> App {
        self.live = Some(Live {
            paused: false,
            last: std::time::Instant::now(),
        });
        self
    }

    /// Whether a live UI follows the recording now.
    pub fn following(&self) -> bool {
        self.live.is_some_and(|l| !l.paused) && self.range.is_none()
    }

    /// A live UI reopens the file each second while it follows and no job runs.
    fn live_tick(&mut self) {
        if !self.following() || self.job.is_some() || self.opened.is_none() {
            return;
        }
        if let Some(l) = self.live.as_mut() {
            if l.last.elapsed() < LIVE_EVERY {
                return;
            }
            l.last = std::time::Instant::now();
        }
        self.spawn(Request::Open, None);
    }

    /// Adds the Alerts view and tile for these rules.
    #[must_use]
    pub fn with_rules(mut self, rules: Arc<Rules>) -> App {
        self.rules = Some(rules);
        self.stack[0].alerts_tile = true;
        self
    }

    /// The rules of the Alerts view, when given.
    pub fn rules(&self) -> Option<&Rules> {
        self.rules.as_deref()
    }

    /// Whether rules were given (the Alerts view exists).
    pub fn has_rules(&self) -> bool {
        self.rules.is_some()
    }

    /// Starts reading the index.
    pub fn start(&mut self) {
        if self.opened.is_none() && self.job.is_none() {
            self.spawn(Request::Open, None);
        }
    }

    /// Whether a job is running, or the losses of the last open are still to come.
    #[cfg(test)]
    pub fn busy(&self) -> bool {
        self.job.is_some() || self.losses_pending
    }

    /// The top screen.
    pub fn top(&self) -> &Screen {
        // The stack always holds the overview.
        &self.stack[self.stack.len() - 1]
    }

    fn top_mut(&mut self) -> &mut Screen {
        let n = self.stack.len() - 1;
        &mut self.stack[n]
    }

    fn spawn(&mut self, req: Request, target: Option<u64>) {
        self.cancel_job();
        let id = self.next_id;
        self.next_id += 1;
        let h = jobs::spawn(id, req, self.open.clone(), self.range, self.tx.clone());
        self.job = Some((h, target));
    }

    /// Cancels the running job, if any.
    pub fn cancel_job(&mut self) {
        if let Some((h, _)) = self.job.take() {
            h.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Starts the job the top screen needs, cancelling one for a screen no longer on top.
    fn refresh(&mut self) {
        if self.opened.is_none() {
            return;
        }
        let uid = self.top().uid;
        if let Some((_, target)) = &self.job {
            // The open job (no target) finishes first; so does one for the top screen.
            if *target == Some(uid) || target.is_none() {
                return;
            }
            // A job for a screen we left: stop it and forget its progress.
            let old = *target;
            self.cancel_job();
            if let Some(s) = self.stack.iter_mut().find(|s| Some(s.uid) == old) {
                s.progress = None;
            }
        }
        let range = self.range;
        let top = self.top();
        if top.loaded == Some(Loaded(range)) {
            return;
        }
        let filter = top.filter();
        let req = match (&top.content, &self.rules) {
            (Content::Overview(_), rules) => Request::Overview {
                filter,
                rules: rules.clone(),
            },
            (Content::Table { spec, .. }, Some(rules)) if spec.id == ALERTS.id => Request::Alerts {
                rules: Arc::clone(rules),
                filter,
            },
            (Content::Table { spec, .. }, Some(rules)) if spec.id == ALERT_EVENTS.id => {
                Request::AlertEvents {
                    rules: Arc::clone(rules),
                    rule: top.rule.unwrap_or(usize::MAX),
                    filter,
                }
            }
            (Content::Table { spec, .. }, _) => Request::View { spec, filter },
            (Content::Echo { .. }, _) => Request::Echo { filter },
            (Content::Dig { .. }, _) => Request::Dig { filter },
        };
        self.top_mut().progress = Some((0.0, 0));
        self.spawn(req, Some(uid));
    }

    /// Changes the state for one event.
    pub fn handle_event(&mut self, ev: AppEvent) {
        match ev {
            AppEvent::Key(k) if k.kind != KeyEventKind::Release => self.key(k),
            AppEvent::Key(_) => {}
            AppEvent::Mouse(m) => self.mouse(m),
            AppEvent::Resize(w, h) => self.size = (w, h),
            AppEvent::Tick => {
                self.spin = self.spin.wrapping_add(1);
                self.live_tick();
            }
            AppEvent::Job(id, msg) => self.job_msg(id, msg),
        }
        self.refresh();
        self.keep_visible();
    }

    fn job_msg(&mut self, id: u64, msg: JobMsg) {
        // Every job's damage is named on exit, even a job the user has moved on from.
        if let JobMsg::Damaged(_, d) = &msg {
            self.damage.extend(d);
        }
        if id == self.opened_by && self.losses_pending {
            // The losses follow the end of their open job (see `jobs::run`), or its failure.
            match msg {
                JobMsg::Losses(l) => {
                    if let Some(o) = &mut self.opened {
                        o.losses = l;
                    }
                    self.losses_pending = false;
                    return;
                }
                JobMsg::Failed(_) => {
                    self.losses_pending = false;
                    return;
                }
                _ => {}
            }
        }
        let Some((h, target)) = &self.job else { return };
        if h.id != id {
            return;
        }
        let target = *target;
        if let JobMsg::Progress(f, n) = msg {
            if let Some(s) = self.stack.iter_mut().find(|s| Some(s.uid) == target) {
                s.progress = Some((f, n));
            }
            return;
        }
        if let JobMsg::Damaged(n, _) = msg {
            self.message = Some(format!(
                "warning: {n} damaged block(s) skipped: their events are missing here \
                 (casefile names them on exit)"
            ));
            return;
        }
        if let JobMsg::Partial(sum) = msg {
            // Tiles fill in while the scan goes on; the job is not over.
            if let Some(s) = self.stack.iter_mut().find(|s| Some(s.uid) == target)
                && let Content::Overview(slot) = &mut s.content
            {
                *slot = Some(sum);
            }
            return;
        }
        if let JobMsg::Opened(mut o) = msg {
            // The first screen, and the end of the job: its losses follow.
            self.job = None;
            let first = self.opened.is_none();
            if first && let Some((ts, what)) = o.triggers.first() {
                // An incident file opens on its trigger: the markers around it, named below.
                let b = trigger_bucket(o.range, *ts);
                self.marks = (b.saturating_sub(2), (b + 2).min(TIMELINE_BUCKETS - 1));
                self.message = Some(format!(
                    "incident: {what} at {} (▲ on the timeline; t applies the range around it)",
                    layout::short_time(*ts)
                ));
            }
            if !first && self.following() {
                // Grown: the view on top reloads over the longer capture.
                for s in &mut self.stack {
                    s.loaded = None;
                }
            }
            // Until the new losses come, the file's earlier ones stand (a live file only grows).
            if let Some(old) = self.opened.take() {
                o.losses = old.losses;
            }
            self.opened = Some(o);
            self.opened_by = id;
            self.losses_pending = true;
            return;
        }
        self.job = None;
        let range = self.range;
        let Some(s) = self.stack.iter_mut().find(|s| Some(s.uid) == target) else {
            return;
        };
        s.progress = None;
        s.loaded = Some(Loaded(range));
        s.error = None;
        match (msg, &mut s.content) {
            (JobMsg::Overview(sum), Content::Overview(slot)) => *slot = Some(sum),
            (JobMsg::Table(t), Content::Table { table, sort, .. }) => {
                let mut t = t;
                if let Some((c, o)) = *sort
                    && let Some(i) = t.column(c)
                {
                    t.sort(i, o);
                }
                *table = Some(t);
                s.selected = s.selected.min(s.len().saturating_sub(1));
            }
            (
                JobMsg::Echo(c, was_cut),
                Content::Echo {
                    streams,
                    mode,
                    lines,
                    cut,
                },
            ) => {
                *lines = echo_lines(&c, *mode);
                *streams = c;
                *cut = was_cut;
            }
            (JobMsg::Dig(l, was_cut), Content::Dig { lines, cut }) => {
                *lines = l;
                *cut = was_cut;
            }
            (JobMsg::Failed(e), _) => s.error = Some(e),
            _ => {}
        }
    }
}

/// Timeline markers move by this many buckets per key press.
pub const STEP: usize = TIMELINE_BUCKETS / 48;

/// The time range that markers `(a, b)` cover over `range`.
pub fn marks_range(range: (u64, u64), (a, b): (usize, usize)) -> (u64, u64) {
    let span = u128::from(range.1.saturating_sub(range.0)) + 1;
    let at = |i: usize| range.0 + (span * i as u128 / TIMELINE_BUCKETS as u128) as u64;
    (at(a), at(b + 1).saturating_sub(1).max(at(a)))
}

/// The first error of a filter being typed: its 1-based column and message.
pub fn filter_error(text: &str) -> Option<(usize, String)> {
    if text.trim().is_empty() {
        return None;
    }
    match compile_filters(None, Some(text)) {
        Ok(_) => None,
        Err(e) => e
            .errors
            .first()
            .map(|f| (f.column(&e.source), f.kind.to_string())),
    }
}

/// The timeline bucket of time `ts` in a capture spanning `range`.
pub fn trigger_bucket(range: (u64, u64), ts: u64) -> usize {
    let span = u128::from(range.1.saturating_sub(range.0)) + 1;
    ((u128::from(ts.saturating_sub(range.0)) * TIMELINE_BUCKETS as u128 / span) as usize)
        .min(TIMELINE_BUCKETS - 1)
}

/// Renders echo streams as lines ([`crate::views::echo::lines`], as `casefile echo` prints
/// them); `true` marks a header line. A terminal cell holds no tab: tabs show as four spaces.
pub fn echo_lines(streams: &[Stream], mode: EchoMode) -> Vec<(bool, String)> {
    let mode = match mode {
        EchoMode::Printable => BufMode::Ascii,
        EchoMode::Dotted => BufMode::Dotted,
        EchoMode::Hex => BufMode::Hex,
    };
    streams
        .iter()
        .flat_map(|st| crate::views::echo::lines(st, mode))
        .map(|(head, l)| (head, l.replace('\t', "    ")))
        .collect()
}
