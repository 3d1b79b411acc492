//! `casefile live`: record and view at once.
//!
//! The recording is an ordinary `casefile record` run as a child process into a file (a
//! temporary one unless `-w`); the view reads that file as it grows, since every block reaches
//! the file whole and a reader of a growing file sees a valid prefix:
//!
//! - events (the default): a streaming reader that waits at the end of the file for the next
//!   block ([`Follow`]), through the same engine and printer as `read`;
//! - `--top VIEW`: the view over what was written so far, redrawn each second;
//! - `--inspect`: the terminal UI, reopening the file each second and following "now".
//!
//! Quitting (Ctrl+C, or `q` in the UI) stops the recorder with SIGINT, so it writes its footer;
//! the view then reads what is left and ends.

use crate::replay::session::Damage;
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::cli::LiveArgs;

/// The recorder, a child process.
struct Recorder {
    pid: u32,
    /// Set when it exited.
    exited: Arc<AtomicBool>,
    /// Its stderr, printed at the end.
    log: Arc<Mutex<String>>,
    waiter: Option<std::thread::JoinHandle<Option<std::process::ExitStatus>>>,
    /// A temporary directory to remove at the end.
    temp: Option<PathBuf>,
    path: PathBuf,
}

impl Recorder {
    fn start(args: &LiveArgs) -> anyhow::Result<Recorder> {
        let (path, temp) = if let Some(p) = &args.file {
            (p.clone(), None)
        } else {
            let dir = std::env::temp_dir().join(format!("casefile-live-{}", std::process::id()));
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(&dir)
                .with_context(|| format!("creating {}", dir.display()))?;
            (dir.join("live.case"), Some(dir))
        };
        let exe = std::env::current_exe().context("finding the casefile binary")?;
        let mut cmd = Command::new(exe);
        cmd.arg("record")
            .arg("-w")
            .arg(&path)
            .args(["--snaplen", &args.snaplen.to_string()]);
        if let Some(d) = args.duration {
            cmd.args(["--duration", &format!("{}ms", d.as_millis())]);
        }
        let mut child: Child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting the recorder")?;
        let log = Arc::new(Mutex::new(String::new()));
        if let Some(mut err) = child.stderr.take() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut s = String::new();
                let _ = err.read_to_string(&mut s);
                if let Ok(mut l) = log.lock() {
                    l.push_str(&s);
                }
            });
        }
        let exited = Arc::new(AtomicBool::new(false));
        let pid = child.id();
        let flag = Arc::clone(&exited);
        let waiter = std::thread::spawn(move || {
            let st = child.wait().ok();
            flag.store(true, Ordering::SeqCst);
            st
        });
        let rec = Recorder {
            pid,
            exited,
            log,
            waiter: Some(waiter),
            temp,
            path,
        };
        // Recording has begun once the header and the first state block are on disk.
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            if rec.exited.load(Ordering::SeqCst) {
                let mut rec = rec;
                rec.finish();
                let log = rec.log.lock().map(|l| l.clone()).unwrap_or_default();
                bail!("the recorder stopped: {}", log.trim());
            }
            if std::fs::metadata(&rec.path).is_ok_and(|m| m.len() > 4096)
                || capture_format::CaptureFile::read(&rec.path)
                    .is_ok_and(|c| !c.blocks().is_empty())
            {
                return Ok(rec);
            }
            if Instant::now() > deadline {
                bail!("the recorder did not start within a minute");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Asks the recorder to stop (it writes its footer).
    fn stop(&self) {
        if !self.exited.load(Ordering::SeqCst)
            && let Ok(pid) = libc::pid_t::try_from(self.pid)
        {
            // SAFETY: kill with our child's pid and a signal number; no memory is passed.
            unsafe { libc::kill(pid, libc::SIGINT) };
        }
    }

    /// Stops the recorder, waits for it, prints what it said and removes a temporary file.
    fn finish(&mut self) -> Option<std::process::ExitStatus> {
        self.stop();
        let st = self.waiter.take().and_then(|w| w.join().ok()).flatten();
        std::thread::sleep(Duration::from_millis(50));
        if let Ok(l) = self.log.lock() {
            eprint!("{l}");
        }
        if let Some(t) = self.temp.take() {
            let _ = std::fs::remove_file(&self.path);
            let _ = std::fs::remove_dir(&t);
        }
        st
    }
}

use std::os::unix::fs::DirBuilderExt;

/// A growing file read to its end and then waited on: a read returns 0 only once the recorder
/// has exited and nothing more is there.
struct Follow {
    f: File,
    exited: Arc<AtomicBool>,
    /// Set each time the reader reached the end and waited: the next block is a fresh one.
    waited: Arc<AtomicBool>,
}

impl Read for Follow {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let done = self.exited.load(Ordering::SeqCst);
            let n = self.f.read(buf)?;
            if n > 0 || done {
                return Ok(n);
            }
            self.waited.store(true, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Refresh lags, ms: how far the view was behind the recorder's newest event when it showed it.
#[derive(Default)]
struct Lags(Vec<u64>);

impl Lags {
    fn note(&mut self, newest_event: u64) {
        let now = super::args::now_ns();
        self.0.push(now.saturating_sub(newest_event) / 1_000_000);
    }

    fn report(&mut self) -> String {
        if self.0.is_empty() {
            return "no refresh".into();
        }
        self.0.sort_unstable();
        let pct = |p: usize| self.0[(self.0.len() - 1) * p / 100];
        format!(
            "refresh lag behind the recorder over {} refreshes: median {} ms, p95 {} ms, max {} ms",
            self.0.len(),
            pct(50),
            pct(95),
            pct(100)
        )
    }
}

/// Runs `casefile live`.
pub fn run(args: &LiveArgs) -> anyhow::Result<ExitCode> {
    let filter_text = match (&args.filter, args.words.is_empty()) {
        (Some(_), false) => bail!("give the filter either with -f or as trailing words, not both"),
        (Some(f), true) => Some(f.clone()),
        (None, false) => Some(args.words.join(" ")),
        (None, true) => None,
    };
    // Checked before the recorder starts.
    let filter = filter_text
        .as_deref()
        .map(|t| crate::filter::compile(t, &crate::replay::fields::Fields))
        .transpose()?;
    let spec = match &args.top {
        Some(id) => Some(
            crate::views::catalog::view(id)
                .ok_or_else(|| crate::views::eval::ViewError::UnknownView(id.clone()))?,
        ),
        None => None,
    };
    if args.inspect && !io::stdout().is_terminal() {
        bail!("casefile live --inspect needs a terminal");
    }
    if let Some(p) = &args.file {
        crate::outfile::check_free(p, false)?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("installing signal handlers")?;
    }
    let mut rec = Recorder::start(args)?;
    eprintln!(
        "casefile: live: recording into {}{}",
        rec.path.display(),
        if rec.temp.is_some() {
            " (removed at the end; -w keeps it)"
        } else {
            ""
        }
    );
    let result = if args.inspect {
        inspect(&rec)
    } else if let Some(spec) = spec {
        top(&rec, spec, filter_text.as_deref(), args.last, &stop)
    } else {
        events(&rec, filter.as_ref(), &stop)
    };
    let status = rec.finish();
    let (vu, vs) = super::args::own_cpu();
    eprintln!("casefile: live view CPU: {vu:.2} s user, {vs:.2} s system");
    let (lags, damage) = result?;
    eprintln!("casefile: {lags}");
    if status.is_some_and(|s| !s.success()) {
        eprintln!("casefile: the recorder exited with {status:?}");
        return Ok(ExitCode::from(2));
    }
    Ok(super::args::report_damage(&damage, ExitCode::SUCCESS))
}

/// Events as `read` prints them, as the blocks reach the file.
fn events(
    rec: &Recorder,
    filter: Option<&crate::filter::Filter<crate::replay::fields::Field>>,
    stop: &AtomicBool,
) -> anyhow::Result<(String, Damage)> {
    use capture_format::{BlockType, Reader};

    use crate::output::{DEFAULT_FORMAT, Format, Sink, TextSink};
    use crate::replay::engine::{Engine, Flow};
    use crate::replay::render::BufMode;

    let f = File::open(&rec.path).with_context(|| format!("opening {}", rec.path.display()))?;
    let waited = Arc::new(AtomicBool::new(false));
    let mut reader = Reader::new(Follow {
        f,
        exited: Arc::clone(&rec.exited),
        waited: Arc::clone(&waited),
    })
    .with_context(|| format!("reading {}", rec.path.display()))?;
    let mut engine = Engine::default();
    engine.set_hosts(&reader.header().info);
    let stdout = io::stdout();
    let mut sink = TextSink::new(
        io::BufWriter::new(stdout.lock()),
        Format::parse(DEFAULT_FORMAT)?,
        BufMode::Dotted,
    );
    let mut lags = Lags::default();
    let mut stopping = false;
    while let Some(b) = reader.next_block() {
        // The lag counts once the view caught up: blocks read right after a wait at the end.
        let fresh = waited.swap(false, Ordering::Relaxed);
        if stop.load(Ordering::Relaxed) && !stopping {
            stopping = true;
            rec.stop();
        }
        let b = match b {
            Ok(b) => b,
            Err(e) => {
                eprintln!("casefile: warning: {}: {e}", rec.path.display());
                continue;
            }
        };
        let first = b.header.first_event;
        let mut err = None;
        for (i, ev) in b.events()?.enumerate() {
            let ev = ev?;
            match b.header.block_type {
                BlockType::State => engine.apply(&ev),
                _ => {
                    let _ =
                        engine.event::<()>(&ev, first + i as u64 + 1, true, filter, &mut |ctx| {
                            if let Err(e) = sink.event(ctx) {
                                err = Some(e);
                                return Err(());
                            }
                            Ok(Flow::Continue)
                        });
                }
            }
            if err.is_some() {
                break;
            }
        }
        match err.map_or_else(|| sink.flush(), Err) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                rec.stop();
                break;
            }
            r => r?,
        }
        if b.is_events() && fresh && !stopping {
            lags.note(b.header.last_ts);
        }
    }
    Ok((lags.report(), Damage::default()))
}

/// How often `--top` redraws at most.
const REDRAW: Duration = Duration::from_secs(1);
/// How often `--top` looks whether the file grew.
const POLL: Duration = Duration::from_millis(25);

/// A view over what was written so far, redrawn each second. The view's state is kept
/// between refreshes and fed only the blocks written since the last one
/// ([`crate::views::live::LiveView`]).
fn top(
    rec: &Recorder,
    spec: &'static crate::views::spec::ViewSpec,
    filter: Option<&str>,
    last: Option<Duration>,
    stop: &AtomicBool,
) -> anyhow::Result<(String, Damage)> {
    use crate::views::live::LiveView;

    let mut damage = Damage::default();
    let tty = io::stdout().is_terminal();
    let rows = crossterm::terminal::size().map_or(40, |(_, h)| usize::from(h));
    let mut lags = Lags::default();
    let mut view: Option<LiveView> = None;
    let mut drawn: Option<Instant> = None;
    let mut seen_len = 0u64;
    loop {
        let ended = rec.exited.load(Ordering::SeqCst);
        if stop.load(Ordering::Relaxed) {
            rec.stop();
        }
        // Redrawn at most once a second, as soon after that as the file grew (the recorder
        // writes a block at least every 400 ms while there are events), and every two seconds
        // on a file that does not grow: so the newest events show without waiting for a tick.
        let len = std::fs::metadata(&rec.path).map_or(0, |m| m.len());
        let since = drawn.map(|t| t.elapsed());
        let due = since.is_none_or(|d| d >= REDRAW);
        let idle = since.is_some_and(|d| d >= 2 * REDRAW);
        if !(ended || idle || (due && len > seen_len)) {
            std::thread::sleep(POLL);
            continue;
        }
        seen_len = len;
        drawn = Some(Instant::now());
        // SAFETY: the recorder only appends to the file.
        let cap = match unsafe { capture_format::CaptureFile::open_mmap(&rec.path) } {
            Ok(c) => c,
            Err(e) => {
                eprintln!("casefile: warning: {}: {e}", rec.path.display());
                if ended {
                    break;
                }
                continue;
            }
        };
        let v = match &mut view {
            Some(v) => v,
            None => view.insert(LiveView::new(spec, filter, last, &cap.header().info)?),
        };
        damage.extend(&v.feed(&cap));
        let newest = v.newest();
        if newest == 0 {
            if ended {
                break;
            }
            continue;
        }
        let (table, start) = v.table()?;
        lags.note(newest);
        let mut out = io::stdout().lock();
        if tty {
            write!(out, "\x1b[H\x1b[2J")?;
        }
        let mut clock = String::new();
        crate::replay::render::time_of_day_s(newest, &mut clock);
        let mut window = String::new();
        if let Some(s) = start {
            window.push_str(", window from ");
            crate::replay::render::time_of_day_s(s, &mut window);
        }
        writeln!(
            out,
            "casefile live: {} ({}) — {} events recorded, newest {clock}{window}{}",
            spec.id,
            spec.name,
            cap.event_count(),
            if ended { " (recording stopped)" } else { "" }
        )?;
        crate::output::table::print_table(&mut out, &table, tty.then(|| rows.saturating_sub(3)))?;
        out.flush()?;
        if ended {
            break;
        }
    }
    let report = format!(
        "{} ({} event blocks, each replayed once)",
        lags.report(),
        view.as_ref().map_or(0, LiveView::blocks)
    );
    Ok((report, damage))
}

/// The terminal UI over the growing file, following "now".
fn inspect(rec: &Recorder) -> anyhow::Result<(String, Damage)> {
    let path = rec.path.clone();
    let open: crate::tui::jobs::Opener = Arc::new(move || {
        // SAFETY: the recorder only appends to the file.
        unsafe { capture_format::CaptureFile::open_mmap(&path) }.map_err(|e| e.to_string())
    });
    let name: &Path = &rec.path;
    let damage = crate::tui::run_live(name, open)
        .with_context(|| format!("inspecting {}", name.display()))?;
    Ok(("the UI followed the recording".into(), damage))
}
