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

use super::app::{App, AppEvent, Content, EchoMode, Mode};
use super::jobs::{self, JobMsg, Opener, TIMELINE_BUCKETS};
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
        let (tx, rx) = mpsc::channel();
        let mut app = App::new(path.to_path_buf(), open, tx, (W, H));
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
        self.term.draw(|f| app.render(f)).expect("draw");
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
        let entries = super::app::picker_entries();
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
    let idx = super::app::picker_entries()
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
    let cap = crate::cmd::open_all(&[fx, copy]).expect("merge");
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
    // F9 moves from the default sort (EVENTS) to the next column, by name.
    h.key(KeyCode::F(9));
    let (_, sort) = table(&h);
    let events = t.column("EVENTS").expect("events");
    assert_eq!(sort.map(|s| s.0), Some(t.columns[events + 1].name));
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
    // Let the index and the losses arrive; the summary job starts.
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
    term.draw(|f| app.render(f)).expect("draw");
    let blank = t0.elapsed();
    while app.opened.is_none() {
        let ev = rx.recv().expect("event");
        app.handle_event(ev);
    }
    term.draw(|f| app.render(f)).expect("draw");
    let first = t0.elapsed();
    let first_cpu = cpu_ms() - c0;
    let mut progress = 0;
    while app.busy() {
        let ev = rx.recv().expect("event");
        if matches!(ev, AppEvent::Job(_, JobMsg::Progress(..))) {
            progress += 1;
        }
        app.handle_event(ev);
        term.draw(|f| app.render(f)).expect("draw");
    }
    let overview = t0.elapsed();
    let overview_cpu = cpu_ms() - c0;
    let mut step = |app: &mut App, code: KeyCode| {
        let t = Instant::now();
        let c = cpu_ms();
        app.handle_event(AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        term.draw(|f| app.render(f)).expect("draw");
        while app.busy() {
            let ev = rx.recv().expect("event");
            app.handle_event(ev);
        }
        term.draw(|f| app.render(f)).expect("draw");
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
