//! `casefile record --keep`: the flight recorder, with the real probe. A trigger (a rule, a
//! filter, SIGUSR1 or `casefile trigger`) must leave one sealed incident file holding the
//! window from --keep before it to --after past it, saying what triggered it.
//!
//! These need root and a kernel that loads the probe (the container test also podman). Where
//! that is missing they skip with a message, except under `CI=true`, where that is a failure.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::{Dir, TestCommand};

/// A flight recorder running in the background, its stderr collected.
struct Flight {
    child: Child,
    err: Arc<Mutex<String>>,
}

impl Flight {
    /// Starts `casefile record -w DIR ARGS` and waits until it records; `None` when the probe
    /// cannot load here (a failure under `CI=true`).
    fn start(dir: &Path, args: &[&str]) -> Option<Flight> {
        let mut child = TestCommand::new(["record", "-w"])
            .cmd()
            .arg(dir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start casefile record");
        let err = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = Arc::clone(&err);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut s = sink.lock().expect("lock");
                s.push_str(&line);
                s.push('\n');
            }
        });
        let mut f = Flight { child, err };
        let deadline = Instant::now() + Duration::from_mins(1);
        while !f.stderr().contains("flight recorder recording") {
            if let Some(st) = f.child.try_wait().expect("wait") {
                std::thread::sleep(Duration::from_millis(200));
                let out = std::process::Output {
                    status: st,
                    stdout: Vec::new(),
                    stderr: f.stderr().into_bytes(),
                };
                assert!(
                    !crate::record::probe_loaded(&out),
                    "the flight recorder exited: {}",
                    f.stderr()
                );
                return None;
            }
            assert!(Instant::now() < deadline, "not recording: {}", f.stderr());
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(f)
    }

    fn stderr(&self) -> String {
        self.err.lock().expect("lock").clone()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until stderr holds `text` `n` times.
    fn wait_for(&self, text: &str, n: usize, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.stderr().matches(text).count() < n {
            assert!(
                Instant::now() < deadline,
                "no {text:?} after {limit:?}: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGINT, then the exit status and all of stderr.
    fn stop(mut self) -> String {
        let st = Command::new("kill")
            .args(["-INT", &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(st.success());
        let status = self.child.wait().expect("wait");
        std::thread::sleep(Duration::from_millis(100));
        let err = self.stderr();
        assert!(status.success(), "record exited with {status:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        err
    }
}

fn wall_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The incident files in `dir`.
fn incidents(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("incident-"))
                && p.extension().is_some_and(|x| x == "case")
        })
        .collect();
    v.sort();
    v
}

fn info_json(file: &Path) -> serde_json::Value {
    let out = TestCommand::new(["info", "--json", file.to_str().expect("utf8")]).stdout();
    serde_json::from_str(out.lines().next().unwrap_or(&out))
        .or_else(|_| serde_json::from_str(&out))
        .expect("info --json")
}

/// Asserts `file` is a private, sealed capture that `verify` passes.
fn assert_sealed(file: &Path) {
    let mode = std::fs::metadata(file).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    let (out, _) = TestCommand::new(["verify", file.to_str().expect("utf8")]).expect_code(0);
    assert!(out.contains("complete and sealed"), "{out}");
}

/// A container that, a few seconds after it starts, writes where it should not: the rule that
/// fires leaves one incident file that holds the container's whole story (its start, its
/// programs, the write) and the host's state from before it, named, sealed and verified.
#[test]
fn a_container_s_suspicious_write_leaves_a_sealed_incident_with_its_whole_story() {
    let dir = Dir::new("flight-ctr");
    let Some(conf) = crate::record::podman_conf(&dir) else {
        return;
    };
    let out_dir = dir.join("incidents");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let rules = dir.write(
        "rules.yaml",
        "- rule: Write below tmp stolen in a container\n\
         \x20 desc: a container writes loot\n\
         \x20 condition: evt.type in (open, openat, openat2) and fd.name startswith /tmp/stolen \
         and container.id != host\n\
         \x20 output: loot written (file=%fd.name container=%container.name cmd=%proc.cmdline)\n\
         \x20 priority: WARNING\n",
    );
    let Some(rec) = Flight::start(
        &out_dir,
        &[
            "--keep",
            "30s",
            "--after",
            "2s",
            "--trigger-rules",
            rules.to_str().expect("utf8"),
        ],
    ) else {
        return;
    };
    let name = format!("casefile-flight-{}", std::process::id());
    let script = "echo starting; sleep 2; echo loot > /tmp/stolen; sleep 1; exit 0";
    // Some history from before the container, which the incident must hold too.
    std::thread::sleep(Duration::from_secs(1));
    let launched = wall_ns();
    let st = Command::new("podman")
        .env("CONTAINERS_CONF", &conf)
        .args(["run", "--rm", "--name", &name, "--network", "host"])
        .args(["--runtime", "/usr/sbin/runc", crate::record::IMAGE])
        .args(["/bin/sh", "-c", script])
        .stdout(Stdio::null())
        .status()
        .expect("podman");
    assert!(st.success());
    rec.wait_for("incident written", 1, Duration::from_secs(20));
    let err = rec.stop();
    eprintln!("{err}");
    let files = incidents(&out_dir);
    assert_eq!(files.len(), 1, "one incident: {files:?}\n{err}");
    let file = &files[0];
    let fname = file.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(
        fname.contains("Write-below-tmp-stolen-in-a-container"),
        "{fname}"
    );
    assert_sealed(file);
    let info = info_json(file);
    let t = &info["triggers"][0];
    assert_eq!(
        t["what"],
        "rule Write below tmp stolen in a container (Warning)"
    );
    let event = t["event"].as_str().expect("event");
    assert!(
        event.contains("loot written (file=/tmp/stolen") && event.contains(&name),
        "{event}"
    );
    // The window reaches back before the container started, and past the trigger.
    let trigger_ts = t["ts"].as_u64().expect("ts");
    let first = info["first_ts"].as_u64().expect("first");
    let last = info["last_ts"].as_u64().expect("last");
    assert!(
        first < launched && trigger_ts - first > 2_000_000_000,
        "the window starts {} s before the trigger, {} s before podman was run",
        (trigger_ts - first) as f64 / 1e9,
        (launched as f64 - first as f64) / 1e9
    );
    assert!(
        last >= trigger_ts + 1_900_000_000,
        "the window ends {} s after",
        (last - trigger_ts) as f64 / 1e9
    );
    let out = TestCommand::new([
        "timeline",
        file.to_str().expect("utf8"),
        "--container",
        &name,
    ])
    .stdout();
    for want in [
        format!("container {name} ("),
        "  start".to_owned(),
        format!("exec      /bin/sh -c {script}"),
        "write     /tmp/stolen".to_owned(),
        "  exit".to_owned(),
    ] {
        assert!(out.contains(&want), "missing {want:?} in\n{out}");
    }
    // The host's processes from before the window are named (the snapshot at its start).
    let out = TestCommand::new([
        "read",
        file.to_str().expect("utf8"),
        "-f",
        "evt.type=procexec and proc.name=podman",
        "-p",
        "%proc.pname",
    ])
    .stdout();
    assert!(
        !out.trim().is_empty() && !out.contains("<NA>"),
        "podman's parent is named: {out}"
    );
}

/// SIGUSR1 and `casefile trigger PID` each write the window now; `casefile trigger` refuses a
/// process that is not a flight recorder (SIGUSR1 would end it).
#[test]
fn sigusr1_and_casefile_trigger_write_the_window_now() {
    let dir = Dir::new("flight-usr1");
    let out_dir = dir.join("incidents");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let Some(rec) = Flight::start(&out_dir, &["--keep", "10s", "--after", "1s"]) else {
        return;
    };
    std::thread::sleep(Duration::from_secs(2));
    TestCommand::new(["trigger", &rec.pid().to_string()]).stdout();
    rec.wait_for("incident written", 1, Duration::from_secs(10));
    let st = Command::new("kill")
        .args(["-USR1", &rec.pid().to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
    rec.wait_for("incident written", 2, Duration::from_secs(10));
    // Not a flight recorder: refused, and the process lives on.
    let mut sleeper = Command::new("sleep").arg("30").spawn().expect("sleep");
    let (_, e) = TestCommand::new(["trigger", &sleeper.id().to_string()]).expect_code(2);
    assert!(e.contains("is not a flight recorder"), "{e}");
    assert!(
        sleeper.try_wait().expect("wait").is_none(),
        "sleep was killed"
    );
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    let err = rec.stop();
    let files = incidents(&out_dir);
    assert_eq!(files.len(), 2, "{files:?}\n{err}");
    for f in &files {
        assert!(
            f.to_string_lossy().ends_with("-SIGUSR1.case")
                || f.to_string_lossy().ends_with("-SIGUSR1-1.case"),
            "{}",
            f.display()
        );
        assert_sealed(f);
        let info = info_json(f);
        assert_eq!(info["triggers"][0]["what"], "signal SIGUSR1");
        let span =
            info["last_ts"].as_u64().expect("last") - info["first_ts"].as_u64().expect("first");
        assert!(span > 1_500_000_000, "window of {} s", span as f64 / 1e9);
    }
    let text = TestCommand::new(["info", files[0].to_str().expect("utf8")]).stdout();
    assert!(
        text.contains("trigger:") && text.contains("signal SIGUSR1"),
        "{text}"
    );
}

/// A filter that does not compile, rules with errors, a --keep that does not fit its memory
/// and a -w that is not a directory: each refused with a clear message before recording.
#[test]
fn flight_recorder_bad_inputs_are_refused_before_recording() {
    let dir = Dir::new("flight-bad");
    let d = dir.path.to_str().expect("utf8").to_owned();
    let bad_rules = dir.write(
        "bad.yaml",
        "- rule: Broken\n  desc: x\n  condition: evt.type = open and and\n  output: x\n  priority: WARNING\n",
    );
    let file = dir.write("plain", "x");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--keep", "1m", "--trigger", "evt.type = = open"]
                .into_iter()
                .map(String::from)
                .collect(),
            "the --trigger filter does not compile",
        ),
        (
            vec![
                "--keep".into(),
                "1m".into(),
                "--trigger-rules".into(),
                bad_rules.display().to_string(),
            ],
            "bad.yaml:",
        ),
        (
            vec!["--keep", "1h", "--keep-memory", "64M"]
                .into_iter()
                .map(String::from)
                .collect(),
            "does not fit in --keep-memory 64 MiB",
        ),
    ];
    for (args, want) in cases {
        let o = TestCommand::new(["record", "-w", &d])
            .cmd()
            .args(&args)
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(want), "{args:?}: {e}");
        assert!(!e.contains("flight recorder"), "{args:?} started: {e}");
    }
    let (_, e) = TestCommand::new(["record", "-w", file.to_str().expect("utf8"), "--keep", "1m"])
        .expect_code(2);
    assert!(e.contains("is not a directory"), "{e}");
    let (_, e) =
        TestCommand::new(["record", "-w", &d, "--trigger", "evt.type=open"]).expect_code(2);
    assert!(e.contains("--keep"), "{e}");
    assert_eq!(incidents(&dir.path), Vec::<PathBuf>::new());
}

/// A tmpfs of `size` mounted on `dir`, unmounted when dropped; `None` (a skip, or a failure
/// under `CI=true`) when mounting is not possible here.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).expect("mountpoint");
        let st = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .status();
        if st.as_ref().is_ok_and(std::process::ExitStatus::success) {
            return Some(Tmpfs(dir.to_path_buf()));
        }
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "cannot mount a tmpfs in CI: {st:?}"
        );
        eprintln!("skipping: cannot mount a tmpfs: {st:?}");
        None
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The disk holding the incidents fills while one is written: the file is closed with its
/// footer, verifies, says it was cut, and the recorder goes on.
#[test]
fn a_full_disk_cuts_an_incident_that_still_verifies_and_says_so() {
    let dir = Dir::new("flight-full");
    let Some(fs) = Tmpfs::mount(&dir.join("small"), "1m") else {
        return;
    };
    // A busy host, so the window holds far more than the disk.
    let mut work = Command::new("sh")
        .args(["-c", "while :; do cat /etc/hostname; done >/dev/null"])
        .stdin(Stdio::null())
        .spawn()
        .expect("workload");
    let Some(rec) = Flight::start(&fs.0, &["--keep", "20s", "--after", "1s"]) else {
        let _ = work.kill();
        let _ = work.wait();
        return;
    };
    std::thread::sleep(Duration::from_secs(4));
    TestCommand::new(["trigger", &rec.pid().to_string()]).stdout();
    rec.wait_for("the incident was cut", 1, Duration::from_secs(20));
    let _ = work.kill();
    let _ = work.wait();
    let err = rec.stop();
    eprintln!("{err}");
    assert!(
        err.contains("is full") && err.contains("closed with its footer"),
        "{err}"
    );
    let files = incidents(&fs.0);
    assert_eq!(files.len(), 1, "{files:?}");
    let (out, _) = TestCommand::new(["verify", files[0].to_str().expect("utf8")]).expect_code(0);
    assert!(out.contains("STOPPED EARLY: the disk was full"), "{out}");
    let info = info_json(&files[0]);
    assert_eq!(info["triggers"][0]["what"], "signal SIGUSR1");
    assert!(info["loss"]["events"].as_u64().unwrap_or(0) > 0, "{info}");
}

/// `casefile live FILTER`: events print while they are recorded, each soon after it happened;
/// the temporary recording is removed at the end, and `-w` keeps it, sealed.
#[test]
fn live_prints_events_while_they_are_recorded() {
    let dir = Dir::new("live-read");
    let kept = dir.join("kept.case");
    // A file only this test reads (others run cat loops on /etc/hostname).
    let target = dir.write("watched", "x");
    let filter = format!(
        "proc.name=cat and evt.type=openat and fd.name={}",
        target.display()
    );
    let mut child = TestCommand::new(["live", "--duration", "6", "-w"])
        .cmd()
        .arg(&kept)
        .arg(&filter)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("casefile live");
    let err = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr");
    let sink = Arc::clone(&err);
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut s = sink.lock().expect("lock");
            s.push_str(&line);
            s.push('\n');
        }
    });
    let deadline = Instant::now() + Duration::from_mins(1);
    while !err.lock().expect("lock").contains("live: recording into") {
        if child.try_wait().expect("wait").is_some() || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for _ in 0..3 {
        Command::new("cat")
            .arg(&target)
            .stdout(Stdio::null())
            .status()
            .expect("cat");
        std::thread::sleep(Duration::from_millis(300));
    }
    let mut out = child.wait_with_output().expect("wait");
    reader.join().expect("stderr reader");
    out.stderr = err.lock().expect("lock").clone().into_bytes();
    let err = String::from_utf8_lossy(&out.stderr);
    if !crate::record::probe_loaded(&out) {
        return;
    }
    assert!(out.status.success(), "{err}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("cat (") && l.contains(&*target.to_string_lossy()))
            .count(),
        3,
        "{text}\n{err}"
    );
    assert!(err.contains("refresh lag behind the recorder"), "{err}");
    assert_sealed(&kept);
}

/// `casefile live --top procs`: a process that runs after the view started shows in a refresh
/// soon after, and the last refresh (the recording stopped) prints what `casefile top procs`
/// prints over the kept file.
#[test]
fn live_top_shows_new_processes_and_ends_as_top_over_the_kept_file() {
    let dir = Dir::new("live-top");
    let kept = dir.join("kept.case");
    // A process name only this test runs: a link to sleep (the name is the link's).
    let marker = dir.join("cflivemark");
    std::os::unix::fs::symlink("/bin/sleep", &marker).expect("symlink");
    let mut child = TestCommand::new(["live", "--duration", "6", "--top", "procs", "-w"])
        .cmd()
        .arg(&kept)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("casefile live --top");
    let err = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr");
    let sink = Arc::clone(&err);
    let err_reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut s = sink.lock().expect("lock");
            s.push_str(&line);
            s.push('\n');
        }
    });
    // Each stdout line with when it arrived.
    let lines: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let stdout = child.stdout.take().expect("stdout");
    let sink = Arc::clone(&lines);
    let out_reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().expect("lock").push((Instant::now(), line));
        }
    });
    let deadline = Instant::now() + Duration::from_mins(1);
    while !err.lock().expect("lock").contains("live: recording into") {
        if child.try_wait().expect("wait").is_some() || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The view has refreshed at least once before the marker runs.
    std::thread::sleep(Duration::from_millis(1500));
    let ran = Instant::now();
    Command::new(&marker)
        .arg("0.1")
        .status()
        .expect("run the marker");
    let st = child.wait().expect("wait");
    out_reader.join().expect("stdout reader");
    err_reader.join().expect("stderr reader");
    let err = err.lock().expect("lock").clone();
    let out = std::process::Output {
        status: st,
        stdout: Vec::new(),
        stderr: err.clone().into_bytes(),
    };
    if !crate::record::probe_loaded(&out) {
        return;
    }
    assert!(st.success(), "{err}");
    let lines = lines.lock().expect("lock").clone();
    let refreshes: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].1.starts_with("casefile live: procs"))
        .collect();
    assert!(refreshes.len() >= 3, "{} refreshes\n{err}", refreshes.len());
    // Refreshes before the marker ran do not name it; one within 2.5 s after it does (a
    // refresh a second, the view less than a second behind the recorder).
    let Some(&(first_seen, _)) = lines.iter().find(|(_, l)| l.contains("cflivemark")) else {
        panic!("the marker never showed\n{err}");
    };
    assert!(first_seen > ran, "the marker showed before it ran");
    let after = first_seen.duration_since(ran);
    assert!(
        after < Duration::from_millis(2500),
        "the marker showed {after:?} after it ran\n{err}"
    );
    // The last refresh: the recording stopped, everything in the file.
    let last = *refreshes.last().expect("a refresh");
    assert!(
        lines[last].1.ends_with("(recording stopped)"),
        "{}",
        lines[last].1
    );
    let shown: Vec<&str> = lines[last + 1..].iter().map(|(_, l)| l.as_str()).collect();
    let top = TestCommand::new(["top", "procs", kept.to_str().expect("utf8")]).stdout();
    assert_eq!(shown, top.lines().collect::<Vec<_>>(), "{err}");
    assert!(shown.iter().any(|l| l.contains("cflivemark")));
    assert!(err.contains("refresh lag behind the recorder"), "{err}");
    assert_sealed(&kept);
}

/// A second trigger inside an open window extends it, and the incident file says so: `info`
/// lists both triggers (the first from the header, the later one from the file's notes).
#[test]
fn triggers_that_extend_a_window_are_all_listed_in_the_incident() {
    let dir = Dir::new("flight-twice");
    let out_dir = dir.join("incidents");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let Some(rec) = Flight::start(&out_dir, &["--keep", "10s", "--after", "3s"]) else {
        return;
    };
    std::thread::sleep(Duration::from_secs(1));
    let pid = rec.pid().to_string();
    let first = wall_ns();
    TestCommand::new(["trigger", &pid]).stdout();
    rec.wait_for("writing", 1, Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(1));
    let st = Command::new("kill")
        .args(["-USR1", &pid])
        .status()
        .expect("kill");
    assert!(st.success());
    rec.wait_for("extends the incident", 1, Duration::from_secs(10));
    rec.wait_for("incident written", 1, Duration::from_secs(15));
    let err = rec.stop();
    let files = incidents(&out_dir);
    assert_eq!(files.len(), 1, "{files:?}\n{err}");
    assert!(err.contains("holds 2 triggers"), "{err}");
    assert_sealed(&files[0]);
    let info = info_json(&files[0]);
    let t = info["triggers"].as_array().expect("triggers");
    assert_eq!(t.len(), 2, "{info}");
    let ts: Vec<u64> = t.iter().map(|t| t["ts"].as_u64().expect("ts")).collect();
    assert!(ts[0] >= first && ts[1] > ts[0] + 500_000_000, "{ts:?}");
    assert!(t.iter().all(|t| t["what"] == "signal SIGUSR1"), "{info}");
    // `casefile trigger` says it sent the first; the second was a plain kill.
    assert!(
        t[0]["event"]
            .as_str()
            .is_some_and(|e| e.starts_with("sent by casefile trigger (pid ")),
        "{info}"
    );
    assert_eq!(t[1]["event"], "", "{info}");
    // The window reaches --after past the second trigger.
    let last = info["last_ts"].as_u64().expect("last");
    assert!(
        last > ts[1] + 2_500_000_000,
        "window ends {} ms after",
        (last - ts[1]) / 1_000_000
    );
    let text = TestCommand::new(["info", files[0].to_str().expect("utf8")]).stdout();
    assert_eq!(text.matches("trigger:").count(), 2, "{text}");
}
