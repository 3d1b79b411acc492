//! The UI rendered on a 100×30 `TestBackend` from the committed synthetic fixture, driven by
//! synthetic keys, and compared with insta snapshots. Jobs run on their real threads; the
//! harness waits for each to finish before drawing, so the screens are deterministic.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use capture_format::CaptureFile;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::App;
use super::event::{AppEvent, JobMsg};
use super::jobs::{self, Opener, TIMELINE_BUCKETS};
use super::screen::{self, Content, EchoMode, Mode};
use super::ui;
use crate::views::alerts::Rules;
use crate::views::eval::Table;
use crate::views::spec::ViewSpec;

const W: u16 = 100;
const H: u16 = 30;

struct Harness {
    app: App,
    rx: Receiver<AppEvent>,
    term: Terminal<TestBackend>,
}

fn opener(path: &Path) -> Opener {
    let p = path.to_path_buf();
    Arc::new(move || CaptureFile::read(&p).map_err(|e| e.to_string()))
}

fn fixture() -> PathBuf {
    crate::replay::testutil::synth_fixture()
}

impl Harness {
    fn new(path: &Path) -> Harness {
        Harness::with_opener(path, opener(path))
    }

    fn with_opener(path: &Path, open: Opener) -> Harness {
        Harness::build(path, open, None)
    }

    /// The app over `path` with the rules of the fixture files `rules` (`fixtures/rules/`).
    fn with_rules(path: &Path, rules: &[&str], skip_unsupported: bool) -> Harness {
        let args = crate::cli::RuleArgs {
            rules: rules
                .iter()
                .map(|r| {
                    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/rules/{r}.yaml"))
                })
                .collect(),
            min_priority: None,
            tags: Vec::new(),
            disable_tags: Vec::new(),
            disable: Vec::new(),
            skip_unsupported,
            all_matches: false,
        };
        let set = crate::cmd::args::load_rules(&args).expect("rules load");
        let rules = Arc::new(Rules {
            set,
            all_matches: false,
        });
        Harness::build(path, opener(path), Some(rules))
    }

    fn build(path: &Path, open: Opener, rules: Option<Arc<Rules>>) -> Harness {
        let (tx, rx) = mpsc::channel();
        let mut app = App::new(path.to_path_buf(), open, tx, (W, H));
        if let Some(r) = rules {
            app = app.with_rules(r);
        }
        app.start();
        let term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
        let mut h = Harness { app, rx, term };
        h.settle();
        h
    }

    /// Feeds job messages until no job runs.
    fn settle(&mut self) {
        while self.app.busy() {
            let ev = self
                .rx
                .recv_timeout(Duration::from_mins(1))
                .expect("a job message within 60 s");
            self.app.handle_event(ev);
        }
    }

    fn key_mod(&mut self, code: KeyCode, m: KeyModifiers) {
        self.app.handle_event(AppEvent::Key(KeyEvent::new(code, m)));
        self.settle();
    }

    fn key(&mut self, code: KeyCode) {
        self.key_mod(code, KeyModifiers::NONE);
    }

    fn keys(&mut self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    fn click(&mut self, x: u16, y: u16) {
        for kind in [
            MouseEventKind::Down(MouseButton::Left),
            MouseEventKind::Up(MouseButton::Left),
        ] {
            self.app.handle_event(AppEvent::Mouse(MouseEvent {
                kind,
                column: x,
                row: y,
                modifiers: KeyModifiers::NONE,
            }));
        }
        self.settle();
    }

    /// The screen as text, one line per row.
    fn screen(&mut self) -> String {
        let app = &self.app;
        self.term.draw(|f| ui::draw(app, f)).expect("draw");
        let buf = self.term.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            let mut line = String::new();
            for x in 0..buf.area.width {
                line.push_str(buf[(x, y)].symbol());
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[test]
fn overview_shows_tiles_by_category_with_totals_and_sparklines() {
    let mut h = Harness::new(&fixture());
    let s = h.screen();
    for cat in ["General", "File", "Network", "Security", "Performance"] {
        assert!(s.contains(cat), "{cat} missing:\n{s}");
    }
    insta::assert_snapshot!("overview", s);
}

#[test]
fn a_tile_opens_its_view_and_a_row_drills_down_with_breadcrumbs() {
    let mut h = Harness::new(&fixture());
    // The first tile is Running Processes → procs.
    h.key(KeyCode::Enter);
    let view = h.screen();
    assert!(
        view.contains("Overview › Processes [Running Processes]"),
        "{view}"
    );
    insta::assert_snapshot!("view_procs", view);
    // Drill into the top process: its threads.
    h.key(KeyCode::Enter);
    let drill = h.screen();
    assert!(drill.contains("› Threads ["), "{drill}");
    insta::assert_snapshot!("drill_threads", drill);
    // Backspace twice returns to the overview.
    h.key(KeyCode::Backspace);
    h.key(KeyCode::Backspace);
    assert_eq!(h.app.stack.len(), 1);
    h.key(KeyCode::Backspace);
    assert_eq!(h.app.stack.len(), 1, "the overview stays");
}

#[test]
fn echo_switches_between_printable_dotted_and_hex() {
    let mut h = Harness::new(&fixture());
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('e'));
    let s = h.screen();
    assert!(s.contains("I/O streams ["), "{s}");
    assert!(s.contains("HTTP/1.1"), "{s}");
    insta::assert_snapshot!("echo_printable", s);
    let mode = |h: &Harness| match &h.app.top().content {
        Content::Echo { mode, .. } => *mode,
        other => panic!("not echo: {other:?}"),
    };
    h.key(KeyCode::Char('m'));
    assert_eq!(mode(&h), EchoMode::Dotted);
    insta::assert_snapshot!("echo_dotted", h.screen());
    h.key(KeyCode::Char('m'));
    assert_eq!(mode(&h), EchoMode::Hex);
    insta::assert_snapshot!("echo_hex", h.screen());
    // F2 is the view picker here too.
    h.key(KeyCode::F(2));
    assert!(
        matches!(h.app.mode, Mode::Picker { .. }),
        "{:?}",
        h.app.mode
    );
}

#[test]
fn dig_lists_the_raw_events_of_the_selection() {
    let mut h = Harness::new(&fixture());
    h.key(KeyCode::Enter);
    h.key(KeyCode::Down);
    h.key(KeyCode::Char('d'));
    let s = h.screen();
    assert!(s.contains("Events ["), "{s}");
    insta::assert_snapshot!("dig", s);
    // Every line is one event of the selected process.
    if let Content::Dig { lines, .. } = &h.app.top().content {
        assert!(!lines.is_empty());
        let pid = h.app.stack[1].crumb.clone();
        assert!(pid.contains("Processes"), "{pid}");
    }
}

#[test]
fn the_filter_bar_shows_a_live_error_under_the_column_and_applies_when_valid() {
    let mut h = Harness::new(&fixture());
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('/'));
    h.keys("proc.nam = nginx");
    let s = h.screen();
    assert!(s.contains("Filter: proc.nam = nginx"), "{s}");
    assert!(s.contains("^ unknown field"), "{s}");
    insta::assert_snapshot!("filter_error", s);
    // Enter with an error keeps the bar open.
    h.key(KeyCode::Enter);
    assert!(matches!(h.app.mode, Mode::Filter { .. }));
    // Fix it: insert the missing 'e' by retyping.
    for _ in 0.."m = nginx".len() {
        h.key(KeyCode::Backspace);
    }
    h.keys("me = nginx");
    assert!(matches!(&h.app.mode, Mode::Filter { error: None, .. }));
    h.key(KeyCode::Enter);
    assert_eq!(h.app.mode, Mode::Normal);
    let s = h.screen();
    assert!(s.contains("filter: proc.name = nginx"), "{s}");
    let Content::Table { table: Some(t), .. } = &h.app.top().content else {
        panic!("no table");
    };
    assert!(t.rows.iter().all(|r| r.cells[1].text() == "nginx"), "{t:?}");
}

#[test]
fn help_lists_the_keys() {
    let mut h = Harness::new(&fixture());
    h.key(KeyCode::Char('?'));
    let s = h.screen();
    for k in ["Backspace", "Ctrl+F", "F9", "quit"] {
        assert!(s.contains(k), "{k}:\n{s}");
    }
    insta::assert_snapshot!("help", s);
    h.key(KeyCode::Char('x'));
    assert_eq!(h.app.mode, Mode::Normal);
    // The function keys do what `?` and `/` do.
    h.key(KeyCode::F(1));
    assert_eq!(h.screen(), s, "F1 shows the same help");
    h.key(KeyCode::Esc);
    h.key(KeyCode::F(4));
    assert!(
        matches!(h.app.mode, Mode::Filter { .. }),
        "{:?}",
        h.app.mode
    );
}

/// A container row, reached through the view picker, drills into that container's processes.
#[test]
fn a_container_row_drills_down() {
    let mut h = Harness::new(&fixture());
    h.key(KeyCode::F(2));
    let pick = |h: &mut Harness, id: &str| {
        let entries = screen::picker_entries(false);
        let i = entries
            .iter()
            .position(|(eid, _)| *eid == id)
            .unwrap_or_else(|| panic!("no {id} in the picker"));
        for _ in 0..i {
            h.key(KeyCode::Down);
        }
        h.key(KeyCode::Enter);
    };
    pick(&mut h, "containers");
    let s = h.screen();
    assert!(s.contains("Containers"), "{s}");
    h.key(KeyCode::Enter);
    let s = h.screen();
    let crumb = s.lines().nth(3).unwrap_or_default().to_owned();
    assert!(crumb.contains("› ") && crumb.contains(" ["), "{s}");
    assert!(h.app.stack.len() == 3, "overview, containers, drill: {s}");
}

#[test]
fn sort_with_f9_and_a_header_click() {
    let mut h = Harness::new(&fixture());
    h.key(KeyCode::Enter);
    let Content::Table { spec, .. } = &h.app.top().content else {
        panic!("no table");
    };
    let spec: &'static ViewSpec = spec;
    let default = spec.column(spec.sort.0).expect("sort column");
    h.key(KeyCode::F(9));
    let Content::Table { sort, .. } = &h.app.top().content else {
        panic!("no table");
    };
    assert_eq!(sort.map(|s| s.0), Some(spec.columns[default + 1].name));
    // Click on the first header cell (PID): sorted by it, largest first; again: ascending.
    h.click(1, 4);
    let first = |h: &Harness| match &h.app.top().content {
        Content::Table {
            table: Some(t),
            sort,
            ..
        } => (t.rows[0].cells[0].text(), *sort),
        _ => panic!("no table"),
    };
    let (pid_desc, sort) = first(&h);
    assert_eq!(sort.map(|s| s.0), Some("PID"));
    h.click(1, 4);
    let (pid_asc, _) = first(&h);
    assert!(
        pid_desc.parse::<i64>().expect("pid") > pid_asc.parse::<i64>().expect("pid"),
        "{pid_desc} vs {pid_asc}"
    );
}

#[test]
fn picker_find_and_paging() {
    let mut h = Harness::new(&fixture());
    h.key(KeyCode::F(2));
    assert!(h.screen().contains("Views (F2)"));
    // Pick "files" (walk down to it).
    let idx = screen::picker_entries(false)
        .iter()
        .position(|e| e.0 == "files")
        .expect("files view");
    for _ in 0..idx {
        h.key(KeyCode::Down);
    }
    h.key(KeyCode::Enter);
    assert!(h.screen().contains("Overview › Files"));
    h.key_mod(KeyCode::Char('f'), KeyModifiers::CONTROL);
    h.keys("passwd");
    assert!(matches!(h.app.mode, Mode::Find { missed: false, .. }));
    let s = h.app.top();
    let Content::Table { table: Some(t), .. } = &s.content else {
        panic!("no table");
    };
    assert!(t.rows[s.selected].cells[0].text().contains("passwd"));
    h.key(KeyCode::Esc);
    h.key(KeyCode::End);
    let n = h.app.top().len();
    assert_eq!(h.app.top().selected, n - 1);
    h.key(KeyCode::Home);
    assert_eq!(h.app.top().selected, 0);
}

#[test]
fn a_time_range_from_the_markers_applies_to_every_view() {
    let mut h = Harness::new(&fixture());
    let all = match &h.app.top().content {
        Content::Overview(Some(s)) => s.events,
        _ => panic!("no summary"),
    };
    // Move the start marker to the middle and apply.
    for _ in 0..24 {
        h.key(KeyCode::Char(']'));
    }
    h.key(KeyCode::Char('t'));
    let r = h.app.range.expect("range applied");
    let half = match &h.app.top().content {
        Content::Overview(Some(s)) => s.events,
        _ => panic!("no summary"),
    };
    assert!(half < all && half > 0, "{half} of {all}");
    // The view opened now runs over the range only.
    h.key(KeyCode::Enter);
    let Content::Table { table: Some(t), .. } = &h.app.top().content else {
        panic!("no table");
    };
    assert!(t.events < all, "{} of {all}", t.events);
    insta::assert_snapshot!("time_range", h.screen());
    // Back on the overview the range still holds; `t` clears it.
    h.key(KeyCode::Backspace);
    h.key(KeyCode::Char('t'));
    assert_eq!(h.app.range, None);
    assert!(r.0 > 0);
}

/// 3000 synthetic events with a loss record in the middle.
fn write_loss_capture(path: &Path) {
    use capture_format::schema::{Body, Event, Loss};
    use capture_format::synth::Synth;
    use capture_format::{HeaderInfo, Writer, WriterOptions};
    let synth = Synth::new(3);
    let opts = WriterOptions {
        block_bytes: 8 << 10,
        ..WriterOptions::default()
    };
    let info = HeaderInfo {
        hostname: "loss".into(),
        ..HeaderInfo::default()
    };
    let mut w = Writer::create(path, &info, opts).expect("create");
    w.write_state(&synth.state()).expect("state");
    let mut last = 0;
    for (i, ev) in synth.take(3000).enumerate() {
        if i == 1500 {
            w.append(&Event {
                ts: ev.ts,
                tid: 0,
                pid: 0,
                cpu: 0,
                container: 0,
                body: Body::Loss(Loss {
                    cpu: 1,
                    count: 500,
                    from: last,
                    to: ev.ts,
                }),
            })
            .expect("loss");
        }
        last = ev.ts;
        w.append(&ev).expect("append");
    }
    w.finish().expect("finish");
}

/// Several captures open as one merged capture; its views lead with a HOST column that keys
/// rows (the same pid on two hosts is two rows), sorting goes by column name past it, and a
/// drill-down names the host.
#[test]
fn views_of_several_hosts_keep_them_apart() {
    let dir = std::env::temp_dir().join(format!("casefile-tui-hosts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let fx = fixture();
    let copy = dir.join("copy.case");
    std::fs::copy(&fx, &copy).expect("copy");
    let cap = crate::cmd::open_all(&[fx, copy]).expect("merge").cap;
    let path = dir.join("two.case");
    std::fs::write(&path, cap.bytes()).expect("write");
    let mut h = Harness::new(&path);
    h.key(KeyCode::Enter);
    let table = |h: &Harness| match &h.app.top().content {
        Content::Table {
            table: Some(t),
            sort,
            ..
        } => ((**t).clone(), *sort),
        _ => panic!("no table"),
    };
    let (t, _) = table(&h);
    assert_eq!(t.columns[0].name, "HOST");
    assert_eq!(t.columns[1].name, "PID");
    let hosts: std::collections::BTreeSet<String> =
        t.rows.iter().map(|r| r.cells[0].text()).collect();
    assert_eq!(hosts.len(), 2, "{hosts:?}");
    let (pid, host) = (t.rows[0].cells[1].text(), t.rows[0].cells[0].text());
    let twins = t.rows.iter().filter(|r| r.cells[1].text() == pid).count();
    assert_eq!(twins, 2, "pid {pid} once per host");
    // F9 moves from the default sort (CPU%) to the next column, by name.
    h.key(KeyCode::F(9));
    let (_, sort) = table(&h);
    let cpu = t.column("CPU%").expect("cpu");
    assert_eq!(sort.map(|s| s.0), Some(t.columns[cpu + 1].name));
    // Back to the default order, then drill into the top row: its host is in the filter.
    h.key(KeyCode::Backspace);
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter);
    let s = h.screen();
    assert!(s.contains("› Threads ["), "{s}");
    let crumb = s
        .lines()
        .find(|l| l.contains("› Threads ["))
        .expect("crumb");
    assert!(
        crumb.contains(&host) || s.contains(&format!("host.name = {host:?}")),
        "{s}"
    );
    let (threads, _) = table(&h);
    assert!(
        threads.rows.iter().all(|r| r.cells[0].text() == host),
        "only {host}'s threads"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_timeline_density_comes_from_the_index_and_marks_losses() {
    let dir = std::env::temp_dir().join(format!("casefile-tui-loss-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("loss.case");
    write_loss_capture(&path);
    let cap = CaptureFile::read(&path).expect("open");
    let o = jobs::index_summary(&cap);
    assert_eq!(o.density.iter().sum::<u64>(), cap.event_count());
    assert_eq!(o.density.len(), TIMELINE_BUCKETS);
    assert_eq!(jobs::losses(&cap).len(), 1);
    let mut h = Harness::new(&path);
    let s = h.screen();
    let axis = s.lines().nth(2).expect("axis");
    assert!(axis.contains('×'), "{axis}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn esc_cancels_a_running_job_and_a_new_request_supersedes_it() {
    let path = fixture();
    let (tx, rx) = mpsc::channel();
    let mut app = App::new(path.clone(), opener(&path), tx, (W, H));
    app.start();
    // Let the index and the losses arrive; the summary job started with the index.
    loop {
        let ev = rx.recv_timeout(Duration::from_secs(30)).expect("event");
        let opened = matches!(ev, AppEvent::Job(_, JobMsg::Losses(_)));
        app.handle_event(ev);
        if opened {
            break;
        }
    }
    assert!(app.busy());
    app.handle_event(AppEvent::Key(KeyEvent::new(
        KeyCode::Esc,
        KeyModifiers::NONE,
    )));
    assert!(!app.busy());
    assert!(
        app.top()
            .error
            .as_deref()
            .is_some_and(|e| e.contains("cancelled"))
    );
    // Late messages of the cancelled job are ignored.
    while let Ok(ev) = rx.recv_timeout(Duration::from_millis(200)) {
        app.handle_event(ev);
    }
    assert!(matches!(app.top().content, Content::Overview(None)));
    // r reloads.
    app.handle_event(AppEvent::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::NONE,
    )));
    assert!(app.busy());
}

/// Time to the first screen and drill-down latencies on a big capture, in process with the real
/// jobs and the mapped file (as `casefile inspect` opens it), drawn on a 100×30 TestBackend:
///
/// ```text
/// CASEFILE_BENCH_OUT=target/bench/replay-10000000.case \
///     cargo test --release --bin casefile -- --ignored --exact tui::tests::bench_inspect --nocapture
/// ```
/// CPU time of this process (all threads, user + system) from /proc/self/stat, in ms.
fn cpu_ms() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command name (which ends at the last ')'): utime and stime are the
    // 12th and 13th, in clock ticks of 10 ms.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<u64> = rest
        .split(' ')
        .skip(11)
        .take(2)
        .map(|x| x.parse().expect("ticks"))
        .collect();
    (f[0] + f[1]) * 10
}

#[test]
#[ignore = "a benchmark: CASEFILE_BENCH_OUT names a big capture (see bench/inspect.sh)"]
fn bench_inspect() {
    use std::time::Instant;
    let c0 = cpu_ms();
    let path = PathBuf::from(std::env::var("CASEFILE_BENCH_OUT").expect("CASEFILE_BENCH_OUT"));
    let p = path.clone();
    let open: Opener = Arc::new(move || crate::cmd::open(&p).map_err(|e| format!("{e:#}")));
    let t0 = Instant::now();
    let (tx, rx) = mpsc::channel();
    let mut app = App::new(path.clone(), open, tx, (W, H));
    app.start();
    let mut term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    term.draw(|f| ui::draw(&app, f)).expect("draw");
    let blank = t0.elapsed();
    while app.opened.is_none() {
        let ev = rx.recv().expect("event");
        app.handle_event(ev);
    }
    term.draw(|f| ui::draw(&app, f)).expect("draw");
    let first = t0.elapsed();
    let first_cpu = cpu_ms() - c0;
    let mut progress = 0;
    while app.busy() {
        let ev = rx.recv().expect("event");
        if matches!(ev, AppEvent::Job(_, JobMsg::Progress(..))) {
            progress += 1;
        }
        app.handle_event(ev);
        term.draw(|f| ui::draw(&app, f)).expect("draw");
    }
    let overview = t0.elapsed();
    let overview_cpu = cpu_ms() - c0;
    let mut step = |app: &mut App, code: KeyCode| {
        let t = Instant::now();
        let c = cpu_ms();
        app.handle_event(AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        term.draw(|f| ui::draw(app, f)).expect("draw");
        while app.busy() {
            let ev = rx.recv().expect("event");
            app.handle_event(ev);
        }
        term.draw(|f| ui::draw(app, f)).expect("draw");
        (t.elapsed(), cpu_ms() - c)
    };
    let view = step(&mut app, KeyCode::Enter);
    let drill = step(&mut app, KeyCode::Enter);
    let back = step(&mut app, KeyCode::Backspace);
    let dig = step(&mut app, KeyCode::Char('d'));
    let events = app.opened.as_ref().map_or(0, |o| o.events);
    println!("capture: {} ({events} events)", path.display());
    println!("first frame (before the index): {blank:?}");
    println!("first screen (index read, timeline drawn): {first:?} wall, {first_cpu} ms cpu");
    println!(
        "overview complete ({progress} progress updates drawn): {overview:?} wall, \
         {overview_cpu} ms cpu"
    );
    println!(
        "tile -> Processes view: {:?} wall, {} ms cpu",
        view.0, view.1
    );
    println!(
        "drill-down process -> Threads: {:?} wall, {} ms cpu",
        drill.0, drill.1
    );
    println!("back: {:?} wall, {} ms cpu", back.0, back.1);
    println!(
        "dig of the selected process: {:?} wall, {} ms cpu",
        dig.0, dig.1
    );
}

/// A job that panics (a bug) ends with an error on the screen instead of a screen that waits
/// for it forever.
#[test]
fn a_job_that_panics_shows_an_internal_error() {
    let path = fixture();
    let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let p = path.clone();
    let open: Opener = Arc::new(move || {
        // The index job opens first; the overview's scan is the one that breaks.
        assert!(
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0,
            "a bug in a job"
        );
        CaptureFile::read(&p).map_err(|e| e.to_string())
    });
    let mut h = Harness::with_opener(&path, open);
    assert!(!h.app.busy());
    let s = h.screen();
    assert!(
        s.contains("internal error (please report): a bug in a job"),
        "{s}"
    );
}

/// A capture with a damaged block: the overview is drawn from every other block, and the
/// status line says that something is missing.
#[test]
fn damaged_blocks_are_announced_on_the_screen() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/captures/v1/corrupt-middle.case");
    let mut h = Harness::new(&path);
    let s = h.screen();
    assert!(s.contains("Running Processes"), "{s}");
    assert!(s.contains("warning: 1 damaged block(s) skipped"), "{s}");
}

fn state() -> PathBuf {
    crate::replay::testutil::state_fixture()
}

/// The table of the top screen.
fn top_table(h: &Harness) -> Table {
    match &h.app.top().content {
        Content::Table { table: Some(t), .. } => (**t).clone(),
        other => panic!("no table: {other:?}"),
    }
}

fn column(t: &Table, name: &str) -> Vec<String> {
    let i = t.column(name).unwrap_or_else(|| panic!("no column {name}"));
    t.rows.iter().map(|r| r.cells[i].text()).collect()
}

/// Opens view `id` from the picker.
fn pick(h: &mut Harness, id: &str) {
    h.key(KeyCode::F(2));
    let entries = screen::picker_entries(h.app.has_rules());
    let i = entries
        .iter()
        .position(|(eid, _)| *eid == id)
        .unwrap_or_else(|| panic!("no {id} in the picker"));
    for _ in 0..i {
        h.key(KeyCode::Down);
    }
    h.key(KeyCode::Enter);
}

/// `casefile inspect -r fixtures/rules/basic.yaml fixtures/replay/state.case`: the five rules
/// that `casefile rules` reports fire here too, the most severe first; a rule drills into the
/// events that fired it with the alert text, and an event into its process and its container.
#[test]
fn alerts_view_lists_the_rules_that_fired_and_drills_into_their_events() {
    let mut h = Harness::with_rules(&state(), &["basic"], false);
    // The overview has the Alerts tile, leading the Security category, with the alert count.
    let s = h.screen();
    let tile = s
        .lines()
        .find(|l| l.trim_start().starts_with("Alerts "))
        .unwrap_or_else(|| panic!("no Alerts tile:\n{s}"));
    assert!(tile.split_whitespace().nth(1) == Some("5"), "{tile}");
    // The picker lists it first.
    assert_eq!(screen::picker_entries(true)[0].0, "alerts");
    pick(&mut h, "alerts");
    let s = h.screen();
    assert!(s.contains("Overview › Alerts"), "{s}");
    assert!(s.contains("5 of 6 rules fired · 5 alerts"), "{s}");
    insta::assert_snapshot!("alerts", s);
    let t = top_table(&h);
    assert_eq!(
        column(&t, "RULE"),
        [
            "Write to a passwd file",
            "Read sensitive file",
            "Shell spawned a program",
            "Outbound connection",
            "Container accepted a connection"
        ]
    );
    let prio: Vec<String> = s
        .lines()
        .skip(5)
        .take(5)
        .filter_map(|l| l.get(32..45).map(|p| p.trim().to_owned()))
        .collect();
    assert_eq!(
        prio,
        ["Error", "Warning", "Notice", "Informational", "Debug"],
        "{s}"
    );
    assert_eq!(column(&t, "COUNT"), ["1"; 5]);
    assert_eq!(column(&t, "CONTAINERS")[4], "shop-web");
    // e and d explain themselves here instead of listing every event.
    h.key(KeyCode::Char('d'));
    assert_eq!(h.app.stack.len(), 2);
    assert!(
        h.screen()
            .contains("Enter lists the events that fired the rule")
    );
    // Drill into "Read sensitive file": its event, with the alert text.
    h.key(KeyCode::Down);
    h.key(KeyCode::Enter);
    let s = h.screen();
    assert!(
        s.contains("Overview › Alerts › Alert events [Read sensitive file]"),
        "{s}"
    );
    insta::assert_snapshot!("alert_events", s);
    let t = top_table(&h);
    assert_eq!(
        column(&t, "OUTPUT"),
        ["Sensitive file opened (file=/etc/shadow res=ENOENT proc=bash pid=100 user=alice)"]
    );
    assert_eq!(column(&t, "PID"), ["100"]);
    // Enter: the process.
    h.key(KeyCode::Enter);
    let s = h.screen();
    assert!(s.contains("› Processes [proc.pid = 100]"), "{s}");
    assert_eq!(column(&top_table(&h), "PID"), ["100"]);
    // c: the container (the host here).
    h.key(KeyCode::Backspace);
    h.key(KeyCode::Char('c'));
    let s = h.screen();
    assert!(s.contains("› Containers [host]"), "{s}");
    assert_eq!(column(&top_table(&h), "ID"), ["host"]);
    // The accept in the container: its container is shop-web, whose processes follow.
    h.key(KeyCode::Backspace);
    h.key(KeyCode::Backspace);
    h.key(KeyCode::End);
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('c'));
    assert_eq!(column(&top_table(&h), "NAME"), ["shop-web"]);
    h.key(KeyCode::Enter);
    assert_eq!(column(&top_table(&h), "NAME"), ["nginx"]);
}

/// The Alerts tile opens the Alerts view; the user's filter narrows the events the rules see.
#[test]
fn the_alerts_tile_opens_the_view_and_a_filter_narrows_it() {
    let mut h = Harness::with_rules(&state(), &["basic"], false);
    let i = screen::tile_order(true)
        .iter()
        .position(|t| t.id == "alerts")
        .expect("alerts tile");
    for _ in 0..i {
        h.key(KeyCode::Down);
    }
    // d on the tile explains instead of listing every event.
    h.key(KeyCode::Char('d'));
    assert_eq!(h.app.stack.len(), 1);
    h.key(KeyCode::Enter);
    assert!(h.screen().contains("Overview › Alerts"));
    assert_eq!(top_table(&h).rows.len(), 5);
    h.key(KeyCode::Char('/'));
    h.keys("proc.name = nginx");
    h.key(KeyCode::Enter);
    let t = top_table(&h);
    assert_eq!(column(&t, "RULE"), ["Container accepted a connection"]);
}

/// `--skip-unsupported`: the rules casefile cannot evaluate are left out, and the Alerts view
/// says how many; an output field it does not know shows as `<NA>`.
#[test]
fn alerts_with_skipped_rules_say_so() {
    let mut h = Harness::with_rules(&state(), &["unsupported"], true);
    pick(&mut h, "alerts");
    let s = h.screen();
    assert!(
        s.contains(
            "1 of 1 rules fired · 1 alerts · 2 skipped as unsupported · 1 with unknown output \
             fields (<NA>)"
        ),
        "{s}"
    );
    h.key(KeyCode::Enter);
    let t = top_table(&h);
    assert_eq!(
        column(&t, "OUTPUT"),
        ["failed open of /etc/shadow by bash (exe=<NA>)"]
    );
}

/// Without rules there is no Alerts tile and no Alerts entry in the picker.
#[test]
fn without_rules_there_is_no_alerts_view() {
    let h = Harness::new(&fixture());
    assert!(!h.app.has_rules());
    assert!(screen::tile_order(false).iter().all(|t| t.id != "alerts"));
    assert!(
        screen::picker_entries(false)
            .iter()
            .all(|e| e.0 != "alerts")
    );
}

/// A time range applies to the Alerts view and tile as to every view.
#[test]
fn a_time_range_applies_to_the_alerts() {
    let mut h = Harness::with_rules(&state(), &["basic"], false);
    for _ in 0..24 {
        h.key(KeyCode::Char(']'));
    }
    h.key(KeyCode::Char('t'));
    let (from, _) = h.app.range.expect("range applied");
    let tile = match &h.app.top().content {
        Content::Overview(Some(s)) => s
            .tiles
            .iter()
            .find(|t| t.id == "alerts")
            .map(|t| t.total)
            .expect("alerts tile"),
        _ => panic!("no summary"),
    };
    pick(&mut h, "alerts");
    let t = top_table(&h);
    assert!(!t.rows.is_empty() && t.rows.len() < 5, "{t:?}");
    assert_eq!(i64::try_from(t.events).expect("count"), tile);
    let first = t.column("FIRST").expect("FIRST");
    assert!(
        t.rows.iter().all(
            |r| matches!(r.cells[first], crate::views::eval::Cell::Num(ts) if ts as u64 >= from)
        ),
        "{t:?}"
    );
}

/// An incident file of the flight recorder: the header names the trigger, the timeline marks
/// it (▲) and the UI opens with the markers around it.
#[test]
fn an_incident_opens_on_its_trigger_marked_on_the_timeline() {
    use capture_format::synth::Synth;
    use capture_format::{HeaderInfo, Writer, WriterOptions};
    let dir = std::env::temp_dir().join(format!("casefile-tui-trig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("incident.case");
    let synth = Synth::new(5);
    let state = synth.state();
    let events: Vec<_> = synth.take(2000).collect();
    let ts = events[1500].ts;
    let trigger = crate::record::incident::Trigger {
        ts,
        what: "rule Shell in container (Warning)".into(),
        event: "a shell".into(),
    };
    let mut info = HeaderInfo::default();
    info.unknown
        .push((crate::record::incident::TRIGGER_KEY, trigger.encode()));
    let opts = WriterOptions {
        block_bytes: 8 << 10,
        ..WriterOptions::default()
    };
    let mut writer = Writer::create(&path, &info, opts).expect("create");
    writer.write_state(&state).expect("state");
    for ev in &events {
        writer.append(ev).expect("append");
    }
    writer.finish().expect("finish");
    let mut h = Harness::new(&path);
    let screen = h.screen();
    let axis = screen.lines().nth(2).expect("axis");
    let col = axis.chars().position(|c| c == '▲').expect("a trigger mark");
    let opened = h.app.opened.as_ref().expect("opened");
    let bucket = super::app::trigger_bucket(opened.range, ts);
    assert_eq!(col, bucket * usize::from(W) / TIMELINE_BUCKETS, "{axis}");
    assert!(
        h.app.marks.0 <= bucket && bucket <= h.app.marks.1,
        "{:?}",
        h.app.marks
    );
    assert!(screen.contains("trigger rule Shell in"), "{screen}");
    assert!(
        screen.contains("incident: rule Shell in container (Warning) at"),
        "{screen}"
    );
    // `t` applies the range around the trigger to every view.
    h.key(KeyCode::Char('t'));
    let (from, to) = h.app.range.expect("range");
    assert!(from <= ts && ts <= to);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A live UI reopens the growing file each second and reloads the view on top, until paused.
#[test]
fn a_live_ui_follows_the_growing_capture_until_paused() {
    use capture_format::synth::Synth;
    use capture_format::{HeaderInfo, Writer, WriterOptions};
    let dir = std::env::temp_dir().join(format!("casefile-tui-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("live.case");
    let synth = Synth::new(7);
    let state = synth.state();
    let events: Vec<_> = synth.take(4000).collect();
    let opts = WriterOptions {
        block_bytes: 8 << 10,
        ..WriterOptions::default()
    };
    let mut writer = Writer::create(&path, &HeaderInfo::default(), opts).expect("create");
    writer.write_state(&state).expect("state");
    for ev in &events[..1000] {
        writer.append(ev).expect("append");
    }
    writer.flush_block().expect("flush");
    let (tx, rx) = mpsc::channel();
    let app = App::new(path.clone(), opener(&path), tx, (W, H)).with_live();
    let term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    let mut h = Harness { app, rx, term };
    h.app.start();
    h.settle();
    assert_eq!(h.app.opened.as_ref().expect("opened").events, 1000);
    assert!(h.screen().contains("LIVE"));
    for ev in &events[1000..3000] {
        writer.append(ev).expect("append");
    }
    writer.flush_block().expect("flush");
    std::thread::sleep(Duration::from_millis(1100));
    h.app.handle_event(AppEvent::Tick);
    h.settle();
    assert_eq!(h.app.opened.as_ref().expect("opened").events, 3000);
    // Paused: the file grows, the view stays.
    h.key(KeyCode::Char('p'));
    assert!(h.screen().contains("LIVE (paused)"));
    for ev in &events[3000..] {
        writer.append(ev).expect("append");
    }
    writer.finish().expect("finish");
    std::thread::sleep(Duration::from_millis(1100));
    h.app.handle_event(AppEvent::Tick);
    h.settle();
    assert_eq!(h.app.opened.as_ref().expect("opened").events, 3000);
    h.key(KeyCode::Char('p'));
    std::thread::sleep(Duration::from_millis(1100));
    h.app.handle_event(AppEvent::Tick);
    h.settle();
    assert_eq!(h.app.opened.as_ref().expect("opened").events, 4000);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A drill-down's event list reads on several threads as on one: the same lines, and the same
/// cut past the most it keeps.
#[test]
fn dig_lists_the_same_lines_on_several_threads() {
    use crate::replay::session::{Options, Session};
    use std::sync::atomic::AtomicBool;
    let cap = CaptureFile::read(crate::replay::testutil::synth_fixture()).expect("open");
    let cancel = AtomicBool::new(false);
    for (filter, most, cut) in [
        (None, 100_000, false),
        (Some("evt.type = read"), 100_000, false),
        (None, 700, true),
        (Some("proc.name contains a"), 50, true),
    ] {
        let f = crate::views::eval::compile_filters(None, filter).expect("filter");
        let run = |threads| {
            let mut s = Session::new(cap.clone(), Options::default()).expect("session");
            s.set_threads(threads);
            match jobs::dig_lines(&mut s, f.as_ref(), most, &cancel, &|_| {}) {
                Ok(JobMsg::Dig(lines, cut)) => (lines, cut),
                other => panic!("{filter:?}: {other:?}"),
            }
        };
        let one = run(1);
        assert!(!one.0.is_empty(), "{filter:?}");
        assert_eq!(one.1, cut, "{filter:?}");
        assert_eq!(run(4), one, "{filter:?}, 4 threads");
    }
}
