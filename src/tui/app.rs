//! The application state and how events change it. Drawing lives in [`super::ui`]; nothing
//! here touches the terminal.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::Frame;
use ratatui::layout::Rect;

use super::jobs::{self, Handle, JobMsg, Opened, Opener, Request, TIMELINE_BUCKETS};
use super::ui;
use crate::replay::render::BufMode;
use crate::replay::session::Damage;
use crate::views::alerts::{ALERT_EVENTS, ALERTS, ALERTS_TILE, Rules};
use crate::views::catalog;
use crate::views::echo::Stream;
use crate::views::eval::{Cell, Table, combine, compile_filters, quote};
use crate::views::spec::{Agg, Order, ViewSpec};
use crate::views::summary::{Category, Summary, TILES, Tile};

/// Everything the event loop reacts to; producers on threads feed one channel of these.
#[derive(Debug)]
pub enum AppEvent {
    /// A key press.
    Key(KeyEvent),
    /// A mouse action.
    Mouse(MouseEvent),
    /// The terminal changed size.
    Resize(u16, u16),
    /// Time passed (animates the progress spinner).
    Tick,
    /// A message from job `id`.
    Job(u64, JobMsg),
}

/// How echo shows payloads (csysdig's three renderings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoMode {
    /// Printable characters and line ends; other bytes dropped.
    Printable,
    /// Printable characters; other bytes as `.`.
    Dotted,
    /// Hex and dotted ASCII.
    Hex,
}

impl EchoMode {
    /// Its name in the status line.
    pub fn name(self) -> &'static str {
        match self {
            EchoMode::Printable => "printable ASCII",
            EchoMode::Dotted => "dotted ASCII",
            EchoMode::Hex => "hex",
        }
    }

    fn next(self) -> EchoMode {
        match self {
            EchoMode::Printable => EchoMode::Dotted,
            EchoMode::Dotted => EchoMode::Hex,
            EchoMode::Hex => EchoMode::Printable,
        }
    }
}

/// What a screen shows.
#[derive(Debug)]
pub enum Content {
    /// The tiles.
    Overview(Option<Box<Summary>>),
    /// A view table.
    Table {
        /// The view.
        spec: &'static ViewSpec,
        /// Its result once computed.
        table: Option<Box<Table>>,
        /// Sort column (its name: a merged capture's tables have a HOST column first) and
        /// order.
        sort: Option<(&'static str, Order)>,
    },
    /// I/O payloads.
    Echo {
        /// The streams (`casefile echo`'s).
        streams: Vec<Stream>,
        /// Rendering.
        mode: EchoMode,
        /// The rendered lines (header lines flagged).
        lines: Vec<(bool, String)>,
        /// Cut at the line limit.
        cut: bool,
    },
    /// Raw events.
    Dig {
        /// One line per event.
        lines: Vec<String>,
        /// Cut at the line limit.
        cut: bool,
    },
}

/// The time range a screen's content was computed for (`None` inside: the whole capture).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loaded(pub Option<(u64, u64)>);

/// One entry of the screen stack.
#[derive(Debug)]
pub struct Screen {
    /// Unique id (jobs name the screen they fill).
    pub uid: u64,
    /// Breadcrumb label.
    pub crumb: String,
    /// Filter from the tile or the drill-downs that led here.
    pub context: Option<String>,
    /// The user's filter from the filter bar.
    pub user: Option<String>,
    /// What it shows.
    pub content: Content,
    /// Selected row (tile index in display order on the overview).
    pub selected: usize,
    /// First visible row.
    pub offset: usize,
    /// The time range the content was computed for (`None`: not computed yet).
    pub loaded: Option<Loaded>,
    /// Progress of the job filling it.
    pub progress: Option<(f64, u64)>,
    /// Why it is empty.
    pub error: Option<String>,
    /// On the overview: the Alerts tile is shown (rules were given).
    pub alerts_tile: bool,
    /// On an alert events screen: the rule (an index into the ruleset) whose events it lists.
    pub rule: Option<usize>,
}

impl Screen {
    fn new(uid: u64, crumb: String, context: Option<String>, content: Content) -> Screen {
        Screen {
            uid,
            crumb,
            context,
            user: None,
            content,
            selected: 0,
            offset: 0,
            loaded: None,
            progress: None,
            error: None,
            alerts_tile: false,
            rule: None,
        }
    }

    /// Context and user filter together.
    pub fn filter(&self) -> Option<String> {
        combine(self.context.as_deref(), self.user.as_deref())
    }

    /// Number of selectable rows.
    pub fn len(&self) -> usize {
        match &self.content {
            Content::Overview(_) => tile_order(self.alerts_tile).len(),
            Content::Table { table, .. } => table.as_ref().map_or(0, |t| t.rows.len()),
            Content::Echo { lines, .. } => lines.len(),
            Content::Dig { lines, .. } => lines.len(),
        }
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Searchable text of row `i`.
    fn row_text(&self, i: usize) -> String {
        match &self.content {
            Content::Overview(_) => tile_order(self.alerts_tile)
                .get(i)
                .map_or("", |t| t.name)
                .into(),
            Content::Table { table, .. } => table
                .as_ref()
                .and_then(|t| t.rows.get(i))
                .map(|r| r.cells.iter().map(Cell::text).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
            Content::Echo { lines, .. } => lines.get(i).map(|l| l.1.clone()).unwrap_or_default(),
            Content::Dig { lines, .. } => lines.get(i).cloned().unwrap_or_default(),
        }
    }
}

/// An input mode layered over the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Keys go to the screen.
    Normal,
    /// Editing the filter; the error is recomputed on each key.
    Filter {
        /// Text typed so far.
        text: String,
        /// Column (1-based) and message of the first error.
        error: Option<(usize, String)>,
    },
    /// Finding text in the rows.
    Find {
        /// Text typed so far.
        text: String,
        /// Whether the last search failed.
        missed: bool,
    },
    /// Choosing a view.
    Picker {
        /// Selected entry.
        selected: usize,
    },
    /// The key list.
    Help,
}

/// The entries of the view picker: the Alerts view (when rules were given), every catalog
/// view, then dig and echo.
pub fn picker_entries(alerts: bool) -> Vec<(&'static str, &'static str)> {
    alerts
        .then_some((ALERTS.id, "Alerts (Falco rules)"))
        .into_iter()
        .chain(catalog::VIEWS.iter().map(|v| (v.id, v.name)))
        .chain([("dig", "Raw events (dig)"), ("echo", "I/O streams (echo)")])
        .collect()
}

/// The overview's tiles in display order (by category); the Alerts tile leads the Security
/// category when rules were given.
pub fn tile_order(alerts: bool) -> Vec<&'static Tile> {
    Category::ALL
        .iter()
        .flat_map(|c| {
            let lead = (alerts && ALERTS_TILE.category == *c).then_some(&ALERTS_TILE);
            lead.into_iter()
                .chain(TILES.iter().filter(move |t| t.category == *c))
        })
        .collect()
}

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

    /// Whether a job is running.
    #[cfg(test)]
    pub fn busy(&self) -> bool {
        self.job.is_some()
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

    /// Draws the UI.
    pub fn render(&self, f: &mut Frame<'_>) {
        ui::draw(self, f);
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
            (Content::Overview(_), rules) => Request::Summary {
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
        if let JobMsg::Opened(o) = msg {
            // The first screen; the job goes on to read the losses.
            let first = self.opened.is_none();
            if first && let Some((ts, what)) = o.triggers.first() {
                // An incident file opens on its trigger: the markers around it, named below.
                let b = trigger_bucket(o.range, *ts);
                self.marks = (b.saturating_sub(2), (b + 2).min(TIMELINE_BUCKETS - 1));
                self.message = Some(format!(
                    "incident: {what} at {} (▲ on the timeline; t applies the range around it)",
                    ui::short_time(*ts)
                ));
            }
            if !first && self.following() {
                // Grown: the view on top reloads over the longer capture.
                for s in &mut self.stack {
                    s.loaded = None;
                }
            }
            self.opened = Some(o);
            return;
        }
        self.job = None;
        if let JobMsg::Losses(l) = msg {
            if let Some(o) = &mut self.opened {
                o.losses = l;
            }
            return;
        }
        let range = self.range;
        let Some(s) = self.stack.iter_mut().find(|s| Some(s.uid) == target) else {
            return;
        };
        s.progress = None;
        s.loaded = Some(Loaded(range));
        s.error = None;
        match (msg, &mut s.content) {
            (JobMsg::Summary(sum), Content::Overview(slot)) => *slot = Some(sum),
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

    /// Height of the main area (rows of a table below its header).
    fn page(&self) -> usize {
        let a = ui::areas(Rect::new(0, 0, self.size.0, self.size.1), &self.mode);
        let header = usize::from(matches!(self.top().content, Content::Table { .. }));
        (a.main.height as usize).saturating_sub(header).max(1)
    }

    fn keep_visible(&mut self) {
        let page = self.page();
        let s = self.top_mut();
        if matches!(s.content, Content::Overview(_)) {
            return;
        }
        if s.selected < s.offset {
            s.offset = s.selected;
        } else if s.selected >= s.offset + page {
            s.offset = s.selected + 1 - page;
        }
    }

    fn key(&mut self, k: KeyEvent) {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        match self.mode.clone() {
            Mode::Normal => self.key_normal(k),
            Mode::Help => self.mode = Mode::Normal,
            Mode::Filter { mut text, .. } => match k.code {
                KeyCode::Esc => self.mode = Mode::Normal,
                KeyCode::Enter => {
                    let error = filter_error(&text);
                    if error.is_some() {
                        self.mode = Mode::Filter { text, error };
                        return;
                    }
                    let user = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
                    let s = self.top_mut();
                    if s.user != user {
                        s.user = user;
                        s.loaded = None;
                        s.selected = 0;
                        s.offset = 0;
                    }
                    self.mode = Mode::Normal;
                }
                KeyCode::Backspace => {
                    text.pop();
                    let error = filter_error(&text);
                    self.mode = Mode::Filter { text, error };
                }
                KeyCode::Char(c) => {
                    text.push(c);
                    let error = filter_error(&text);
                    self.mode = Mode::Filter { text, error };
                }
                _ => {}
            },
            Mode::Find { mut text, .. } => match k.code {
                KeyCode::Esc => self.mode = Mode::Normal,
                KeyCode::Enter | KeyCode::F(3) => {
                    let missed = !self.find(&text, 1);
                    self.mode = Mode::Find { text, missed };
                }
                KeyCode::Backspace => {
                    text.pop();
                    let missed = !self.find(&text, 0);
                    self.mode = Mode::Find { text, missed };
                }
                KeyCode::Char(c) => {
                    text.push(c);
                    let missed = !self.find(&text, 0);
                    self.mode = Mode::Find { text, missed };
                }
                _ => {}
            },
            Mode::Picker { selected } => {
                let n = picker_entries(self.has_rules()).len();
                match k.code {
                    KeyCode::Esc => self.mode = Mode::Normal,
                    KeyCode::Up => {
                        self.mode = Mode::Picker {
                            selected: selected.saturating_sub(1),
                        };
                    }
                    KeyCode::Down => {
                        self.mode = Mode::Picker {
                            selected: (selected + 1).min(n - 1),
                        };
                    }
                    KeyCode::Enter => {
                        self.mode = Mode::Normal;
                        let Some(&(id, _)) = picker_entries(self.has_rules()).get(selected) else {
                            return;
                        };
                        let context = self.top().filter();
                        self.open_target(id, context, None, None);
                    }
                    _ => {}
                }
            }
        }
    }

    /// Moves the selection to the next row containing `text` (case-insensitive), starting
    /// `skip` rows after the current one. Returns whether one was found.
    fn find(&mut self, text: &str, skip: usize) -> bool {
        if text.is_empty() {
            return true;
        }
        let needle = text.to_lowercase();
        let s = self.top();
        let n = s.len();
        for d in 0..n {
            let i = (s.selected + skip + d) % n;
            if s.row_text(i).to_lowercase().contains(&needle) {
                self.top_mut().selected = i;
                return true;
            }
        }
        false
    }

    fn key_normal(&mut self, k: KeyEvent) {
        self.message = None;
        let page = self.page();
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Char('q') | KeyCode::F(10) => self.quit = true,
            KeyCode::Char('?' | 'h') | KeyCode::F(1) => self.mode = Mode::Help,
            KeyCode::Char('f') if ctrl => {
                self.mode = Mode::Find {
                    text: String::new(),
                    missed: false,
                };
            }
            KeyCode::Char('/') | KeyCode::F(4) => {
                let text = self.top().user.clone().unwrap_or_default();
                let error = filter_error(&text);
                self.mode = Mode::Filter { text, error };
            }
            KeyCode::Char('m') if matches!(self.top().content, Content::Echo { .. }) => {
                self.cycle_echo();
            }
            KeyCode::F(2) => self.mode = Mode::Picker { selected: 0 },
            // The open job (no target) is short and feeds the timeline: Esc leaves it.
            KeyCode::Esc if self.job.as_ref().is_some_and(|j| j.1.is_some()) => {
                if let Some((_, target)) = self.job.take().map(|(h, t)| {
                    h.cancel.store(true, Ordering::Relaxed);
                    (h, t)
                }) {
                    let range = self.range;
                    if let Some(s) = self.stack.iter_mut().find(|s| Some(s.uid) == target) {
                        s.progress = None;
                        s.loaded = Some(Loaded(range));
                        s.error = Some("cancelled (r reloads)".into());
                    }
                }
            }
            KeyCode::Char('r') => self.top_mut().loaded = None,
            KeyCode::Backspace if self.stack.len() > 1 => {
                self.stack.pop();
            }
            KeyCode::Enter => self.drill(),
            KeyCode::Char('c')
                if matches!(&self.top().content,
                    Content::Table { spec, .. } if spec.id == ALERT_EVENTS.id) =>
            {
                self.drill_container();
            }
            KeyCode::Char('e') | KeyCode::F(5) => self.echo_or_dig(true),
            KeyCode::Char('d') | KeyCode::F(6) => self.echo_or_dig(false),
            KeyCode::F(9) | KeyCode::Char('>') => self.sort_next(),
            KeyCode::Char('[') => self.marks.0 = self.marks.0.saturating_sub(STEP),
            KeyCode::Char(']') => self.marks.0 = (self.marks.0 + STEP).min(self.marks.1),
            KeyCode::Char('{') => {
                self.marks.1 = self.marks.1.saturating_sub(STEP).max(self.marks.0);
            }
            KeyCode::Char('}') => self.marks.1 = (self.marks.1 + STEP).min(TIMELINE_BUCKETS - 1),
            KeyCode::Char('t') => self.toggle_range(),
            KeyCode::Char('p') if self.live.is_some() => {
                if let Some(l) = self.live.as_mut() {
                    l.paused = !l.paused;
                    self.message = Some(
                        if l.paused {
                            "live view paused (p follows again)"
                        } else {
                            "following the recording"
                        }
                        .into(),
                    );
                }
            }
            KeyCode::Up => self.move_sel(-1),
            KeyCode::Down => self.move_sel(1),
            KeyCode::Left if matches!(self.top().content, Content::Overview(_)) => {
                self.move_tile_column(false);
            }
            KeyCode::Right if matches!(self.top().content, Content::Overview(_)) => {
                self.move_tile_column(true);
            }
            KeyCode::PageUp => self.move_sel(-(page as isize)),
            KeyCode::PageDown => self.move_sel(page as isize),
            KeyCode::Home => self.top_mut().selected = 0,
            KeyCode::End => {
                let n = self.top().len();
                self.top_mut().selected = n.saturating_sub(1);
            }
            _ => {}
        }
    }

    fn cycle_echo(&mut self) {
        if let Content::Echo {
            streams,
            mode,
            lines,
            ..
        } = &mut self.top_mut().content
        {
            *mode = mode.next();
            *lines = echo_lines(streams, *mode);
            let n = lines.len();
            let s = self.top_mut();
            s.selected = s.selected.min(n.saturating_sub(1));
        }
    }

    fn move_sel(&mut self, d: isize) {
        let s = self.top_mut();
        let n = s.len();
        if n == 0 {
            return;
        }
        s.selected = s.selected.saturating_add_signed(d).min(n - 1);
    }

    fn move_tile_column(&mut self, right: bool) {
        let a = ui::areas(Rect::new(0, 0, self.size.0, self.size.1), &self.mode);
        let pos = ui::tile_positions(a.main, self.top().alerts_tile);
        let sel = self.top().selected;
        let Some(&(col, row)) = pos.get(sel) else {
            return;
        };
        let want = if right {
            col + 1
        } else {
            match col.checked_sub(1) {
                Some(c) => c,
                None => return,
            }
        };
        let best = pos
            .iter()
            .enumerate()
            .filter(|(_, p)| p.0 == want)
            .min_by_key(|(_, p)| p.1.abs_diff(row))
            .map(|(i, _)| i);
        if let Some(i) = best {
            self.top_mut().selected = i;
        }
    }

    fn toggle_range(&mut self) {
        if self.range.is_some() {
            self.range = None;
            self.marks = (0, TIMELINE_BUCKETS - 1);
            self.message = Some("time range cleared".into());
        } else if let Some(o) = &self.opened {
            let r = marks_range(o.range, self.marks);
            self.range = Some(r);
        }
    }

    /// Opens view `id` (or dig/echo) as a new screen.
    fn open_target(
        &mut self,
        id: &str,
        context: Option<String>,
        sort: Option<&str>,
        label: Option<String>,
    ) {
        let uid = self.next_id;
        self.next_id += 1;
        let (content, name) = match id {
            "dig" => (
                Content::Dig {
                    lines: Vec::new(),
                    cut: false,
                },
                "Events",
            ),
            "echo" => (
                Content::Echo {
                    streams: Vec::new(),
                    mode: EchoMode::Printable,
                    lines: Vec::new(),
                    cut: false,
                },
                "I/O streams",
            ),
            "alerts" | "alert_events" if self.rules.is_none() => {
                self.message = Some("no rules: start inspect with -r RULES.yaml".into());
                return;
            }
            _ => {
                let Some(spec) = table_spec(id) else {
                    self.message = Some(format!("no view {id}"));
                    return;
                };
                let sort = sort
                    .and_then(|c| spec.column(c))
                    .map(|c| (spec.columns[c].name, Order::Desc));
                (
                    Content::Table {
                        spec,
                        table: None,
                        sort,
                    },
                    spec.name,
                )
            }
        };
        let crumb = match label {
            Some(l) => format!("{name} [{l}]"),
            None => name.to_owned(),
        };
        self.stack.push(Screen::new(uid, crumb, context, content));
    }

    /// The selected row's filter and a short label for it.
    fn selection(&self) -> Option<(String, String, Option<&'static str>)> {
        let s = self.top();
        match &s.content {
            Content::Overview(_) => {
                let t = *tile_order(s.alerts_tile).get(s.selected)?;
                if t.id == ALERTS_TILE.id {
                    return None;
                }
                Some((t.filter.to_owned(), t.name.to_owned(), None))
            }
            Content::Table { spec, table, .. } => {
                let t = table.as_ref()?;
                let row = t.rows.get(s.selected)?;
                let keys: Vec<(usize, &'static str)> = t
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.agg == Agg::Key)
                    .filter_map(|(i, h)| h.field.map(|f| (i, f)))
                    .collect();
                let mut label = keys
                    .iter()
                    .map(|&(i, _)| row.cells[i].text())
                    .collect::<Vec<_>>()
                    .join(" ");
                let filter = match &row.drill {
                    Some(d) => d.clone(),
                    None => keys
                        .iter()
                        .filter(|&&(i, _)| row.cells[i] != Cell::None)
                        .map(|&(i, f)| format!("{f} = {}", quote(&row.cells[i])))
                        .collect::<Vec<_>>()
                        .join(" and "),
                };
                if filter.is_empty() {
                    return None;
                }
                // A list row has no key: its drill-down filter names it.
                if label.is_empty() {
                    label.clone_from(&filter);
                }
                Some((filter, label, spec.drill.map(|d| d.view)))
            }
            _ => None,
        }
    }

    fn drill(&mut self) {
        let s = self.top();
        match &s.content {
            Content::Overview(_) => {
                let Some(&t) = tile_order(s.alerts_tile).get(s.selected) else {
                    return;
                };
                let context = combine(t.drill_filter(), s.user.as_deref());
                // The Alerts tile opens the view of its name: no label to add.
                let label = (t.id != ALERTS_TILE.id).then(|| t.name.to_owned());
                self.open_target(t.target, context, t.target_sort, label);
            }
            Content::Table { spec, .. } if spec.id == ALERTS.id => self.drill_rule(),
            Content::Table { .. } => {
                let Some((filter, label, target)) = self.selection() else {
                    return;
                };
                let Some(target) = target else {
                    self.message = Some("this view has no drill-down; e: echo, d: dig".into());
                    return;
                };
                let context = combine(self.top().filter().as_deref(), Some(&filter));
                self.open_target(target, context, None, Some(label));
            }
            _ => {}
        }
    }

    /// From a row of the Alerts view: the events that fired its rule.
    fn drill_rule(&mut self) {
        let s = self.top();
        let Content::Table { table: Some(t), .. } = &s.content else {
            return;
        };
        let Some(name) = t.rows.get(s.selected).and_then(|r| r.cells.first()) else {
            return;
        };
        let name = name.text();
        let Some(i) = self
            .rules
            .as_ref()
            .and_then(|r| r.set.rules.iter().position(|x| x.name == name))
        else {
            return;
        };
        let context = s.filter();
        self.open_target(ALERT_EVENTS.id, context, None, Some(name));
        self.top_mut().rule = Some(i);
    }

    /// From a row of an alert events screen: the Containers view of its container.
    fn drill_container(&mut self) {
        let s = self.top();
        let Content::Table { table: Some(t), .. } = &s.content else {
            return;
        };
        let Some(row) = t.rows.get(s.selected) else {
            return;
        };
        let cell = |name: &str| t.column(name).and_then(|i| row.cells.get(i));
        let Some(container) = cell("CONTAINER").filter(|c| **c != Cell::None) else {
            self.message = Some("this event has no container".into());
            return;
        };
        let label = container.text();
        let mut filter = format!("container.name = {}", quote(container));
        if let Some(host) = cell("HOST") {
            filter = format!("host.name = {} and {filter}", quote(host));
        }
        let context = combine(s.filter().as_deref(), Some(&filter));
        self.open_target("containers", context, None, Some(label));
    }

    fn echo_or_dig(&mut self, echo: bool) {
        let target = if echo { "echo" } else { "dig" };
        let s = self.top();
        let alerts_tile = matches!(s.content, Content::Overview(_))
            && tile_order(s.alerts_tile)
                .get(s.selected)
                .is_some_and(|t| t.id == ALERTS_TILE.id);
        if alerts_tile || matches!(&s.content, Content::Table { spec, .. } if spec.id == ALERTS.id)
        {
            self.message =
                Some("Enter lists the events that fired the rule; e and d work from there".into());
            return;
        }
        let (context, label) = match (&s.content, self.selection()) {
            (Content::Echo { .. } | Content::Dig { .. }, _) => return,
            (Content::Overview(_), Some((f, label, _))) => {
                (combine(Some(&f), s.user.as_deref()), label)
            }
            (_, Some((f, label, _))) => (combine(s.filter().as_deref(), Some(&f)), label),
            (_, None) => (s.filter(), s.crumb.clone()),
        };
        self.open_target(target, context, None, Some(label));
    }

    fn sort_next(&mut self) {
        let s = self.top_mut();
        if let Content::Table {
            table: Some(t),
            sort,
            spec,
        } = &mut s.content
        {
            let cur = t.column(sort.map_or(spec.sort.0, |(c, _)| c)).unwrap_or(0);
            let next = (cur + 1) % t.columns.len();
            *sort = Some((t.columns[next].name, Order::Desc));
            t.sort(next, Order::Desc);
            s.selected = 0;
        }
    }

    fn sort_by(&mut self, col: usize) {
        let s = self.top_mut();
        if let Content::Table {
            table: Some(t),
            sort,
            spec,
        } = &mut s.content
            && let Some(name) = t.columns.get(col).map(|h| h.name)
        {
            let order = match sort.unwrap_or(spec.sort) {
                (c, Order::Desc) if c == name => Order::Asc,
                _ => Order::Desc,
            };
            *sort = Some((name, order));
            t.sort(col, order);
            s.selected = 0;
        }
    }

    fn mouse(&mut self, ev: MouseEvent) {
        let lay = ui::areas(Rect::new(0, 0, self.size.0, self.size.1), &self.mode);
        let (x, y) = (ev.column, ev.row);
        let in_timeline = y >= lay.timeline.y
            && y < lay.timeline.y + lay.timeline.height
            && lay.timeline.width > 0;
        let bucket = |col: u16| {
            (usize::from(col.saturating_sub(lay.timeline.x)) * TIMELINE_BUCKETS
                / usize::from(lay.timeline.width.max(1)))
            .min(TIMELINE_BUCKETS - 1)
        };
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) if in_timeline => {
                let b = bucket(x);
                self.marks = (b, b);
                self.drag = true;
            }
            MouseEventKind::Drag(MouseButton::Left) if self.drag => {
                let b = bucket(x);
                let start = self.marks.0;
                self.marks = (start.min(b), start.max(b));
            }
            MouseEventKind::Up(MouseButton::Left) if self.drag => {
                self.drag = false;
                if let Some(o) = &self.opened {
                    self.range = Some(marks_range(o.range, self.marks));
                }
            }
            MouseEventKind::Down(MouseButton::Left) if y == lay.main.y => {
                if let Content::Table {
                    table: Some(t),
                    spec,
                    ..
                } = &self.top().content
                {
                    let widths = ui::column_widths(t, spec, lay.main.width);
                    let mut left = lay.main.x;
                    for (i, width) in widths.iter().enumerate() {
                        if x >= left && x < left + width + 1 {
                            self.sort_by(i);
                            break;
                        }
                        left += width + 1;
                    }
                }
            }
            MouseEventKind::Down(MouseButton::Left) if y > lay.main.y && y < lay.main.bottom() => {
                let s = self.top();
                if !matches!(s.content, Content::Overview(_)) {
                    let header = usize::from(matches!(s.content, Content::Table { .. }));
                    let i = s.offset + usize::from(y - lay.main.y) - header;
                    if i < s.len() {
                        self.top_mut().selected = i;
                    }
                }
            }
            MouseEventKind::ScrollDown => self.move_sel(3),
            MouseEventKind::ScrollUp => self.move_sel(-3),
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
