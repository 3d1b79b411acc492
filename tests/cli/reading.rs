//! One reading interface: every reading command takes files then filter words, sysdig's flags
//! where they mean the same, and times as casefile prints them.

use crate::eqnice;
use crate::util::{Dir, TestCommand, fixture};

fn scenario() -> String {
    fixture("views/scenario.case").display().to_string()
}

fn falco() -> String {
    fixture("scap/falco_run_as_user_0_container.scap")
        .display()
        .to_string()
}

fn run(args: &[&str]) -> String {
    TestCommand::new(args).stdout()
}

fn fails(args: &[&str]) -> String {
    TestCommand::new(args).expect_code(2).1
}

#[test]
fn filter_words_work_on_every_reading_command() {
    let s = scenario();
    let top = run(&["top", "procs", &s, "container.name=shop-web"]);
    assert!(top.contains("nginx") && !top.contains("bash"), "{top}");
    // The same with -f, and with sysdig's -r.
    assert_eq!(
        top,
        run(&["top", "procs", &s, "-f", "container.name=shop-web"])
    );
    assert_eq!(
        top,
        run(&["top", "procs", "-r", &s, "container.name=shop-web"])
    );
    let ps = run(&["ps", &s, "container.name=shop-web"]);
    assert!(ps.contains("nginx") && !ps.contains("bash"), "{ps}");
    let all = run(&["ps", &s]);
    assert!(all.lines().count() > ps.lines().count(), "{all}");
    let timeline = run(&["timeline", &s, "evt.type=connect", "-j"]);
    let v: serde_json::Value = serde_json::from_str(&timeline).expect("timeline -j is JSON");
    assert!(v.is_array(), "{timeline}");
    let check = TestCommand::new(["check", &s, "proc.name=nginx"]).expect_code(1);
    assert!(check.0.contains("nginx"), "{}", check.0);
    // A word that names no file and does not parse says why.
    let err = fails(&["top", "procs", &s, "nosuch/file.case"]);
    assert!(err.contains("no file named 'nosuch/file.case'"), "{err}");
    // Commands that describe whole captures refuse a filter rather than ignore it.
    let err = fails(&["info", &s, "proc.name=nginx"]);
    assert!(err.contains("takes no filter"), "{err}");
}

#[test]
fn export_takes_filter_words_and_a_time_range() {
    let dir = Dir::new("export-filter");
    let s = scenario();
    let out = dir.join("web.jsonl");
    TestCommand::new(["export", &s, "container.name=shop-web", "-j", "-o"])
        .cmd_args(&out, &[])
        .stdout();
    let text = std::fs::read_to_string(&out).expect("export written");
    let lines = text.lines().count();
    assert!(lines > 0 && lines < 45, "{lines} lines");
    // Each line is `read -j`'s object followed by the export's fs.path.* and evt.arg.* keys.
    let want = run(&["read", &s, "container.name=shop-web", "-j"]);
    let read_part = |line: &str| {
        let mut v: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).expect("a JSON object per line");
        v.retain(|k, _| !k.starts_with("fs.path.") && !k.starts_with("evt.arg."));
        v
    };
    assert_eq!(
        text.lines().map(read_part).collect::<Vec<_>>(),
        want.lines().map(read_part).collect::<Vec<_>>()
    );
    assert!(text.contains("\"evt.arg.fd\":"), "{text}");
    // A filtered casefile export replays the same events, still named.
    let case = dir.join("web.case");
    TestCommand::new(["export", &s, "container.name=shop-web", "-o"])
        .cmd_args(&case, &[])
        .stdout();
    let case_path = case.display().to_string();
    let fmt = "%proc.name %evt.type %fd.name %container.name";
    let exported = run(&["read", &case_path, "-p", fmt]);
    let selected = run(&["read", &s, "container.name=shop-web", "-p", fmt]);
    eqnice!(selected, exported);
    TestCommand::new(["verify"]).cmd_args(&case, &[]).stdout();
    // -n limits.
    let few = dir.join("few.jsonl");
    TestCommand::new(["export", &s, "-n", "3", "-j", "-o"])
        .cmd_args(&few, &[])
        .stdout();
    assert_eq!(
        std::fs::read_to_string(&few).expect("few").lines().count(),
        3
    );
}

#[test]
fn n_zero_prints_nothing() {
    let s = scenario();
    assert_eq!(run(&["read", &s, "-n", "0"]), "");
    assert_eq!(run(&["read", &s, "-n", "2"]).lines().count(), 2);
    assert_eq!(run(&["top", "procs", &s, "-n", "1"]).lines().count(), 2);
}

#[test]
fn json_on_timeline_info_and_echo() {
    let s = scenario();
    for args in [
        &["timeline", &s, "-j"][..],
        &["info", &s, "-j"][..],
        &["summary", &s, "-j"][..],
    ] {
        let out = run(args);
        serde_json::from_str::<serde_json::Value>(&out)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"));
    }
    let echo = run(&["echo", &s, "-j"]);
    assert!(!echo.is_empty());
    for l in echo.lines() {
        let v: serde_json::Value = serde_json::from_str(l).expect("echo -j lines are JSON");
        assert!(v["runs"].is_array() && v["pid"].is_number(), "{l}");
    }
}

#[test]
fn sysdig_lines_run_as_sysdig_runs_them() {
    let f = falco();
    // `casefile -r FILE -c CHISEL FILTER`: the chisel's view, as `top` prints it.
    let chisel = run(&["-r", &f, "-c", "topprocs_cpu", "container.id!=host"]);
    let top = run(&[
        "top",
        "procs",
        &f,
        "--sort",
        "SYSCALL TIME",
        "container.id!=host",
    ]);
    assert_eq!(chisel, top);
    assert!(chisel.contains("hopeful_taussig"), "{chisel}");
    // `casefile -r FILE -n 2` reads.
    assert_eq!(run(&["-r", &f, "-n", "2"]), run(&["read", &f, "-n", "2"]));
    let list = run(&["-c", "list"]);
    for c in [
        "topprocs_cpu",
        "topfiles_bytes",
        "topconns",
        "spy_users",
        "echo_fds",
    ] {
        assert!(list.contains(c), "{c} missing from -c list:\n{list}");
    }
    let fields = run(&["-l"]);
    assert!(fields.contains("evt.deltatime"), "{fields}");
    assert!(run(&["-L"]).contains("openat"));
    let err = fails(&["-r", &f, "-c", "httplog"]);
    assert!(err.contains("casefile echo"), "{err}");
    let err = fails(&["read", &f, "-s", "200"]);
    assert!(err.contains("casefile record -s 200"), "{err}");
    let err = fails(&["read", &f, "-w", "out.scap"]);
    assert!(
        err.contains("hint:") && err.contains("casefile record -w"),
        "{err}"
    );
    let err = fails(&[&f]);
    assert!(err.contains("casefile read"), "{err}");
}

#[test]
fn timestamp_modes_follow_sysdig() {
    let f = falco();
    let abs = run(&[
        "read",
        &f,
        "-n",
        "2",
        "-t",
        "a",
        "-p",
        "%evt.outputtime %evt.rawtime",
    ]);
    for l in abs.lines() {
        let (a, raw) = l.split_once(' ').expect("two fields");
        let (s, ns) = a.split_once('.').expect("seconds.nanoseconds");
        assert_eq!(format!("{s}{ns}"), raw, "{l}");
    }
    let delta = run(&[
        "read",
        &f,
        "-n",
        "3",
        "-t",
        "D",
        "-p",
        "%evt.outputtime %evt.deltatime",
    ]);
    let lines: Vec<&str> = delta.lines().collect();
    assert!(lines[0].starts_with("0.000000000 0"), "{delta}");
    let rel = run(&["read", &f, "-t", "r", "-p", "%evt.outputtime %evt.reltime"]);
    for l in rel.lines().take(5) {
        let (a, ns) = l.split_once(' ').expect("two fields");
        let ns: u64 = ns.parse().expect("reltime is ns");
        assert_eq!(
            a,
            format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000)
        );
    }
    let err = fails(&["read", &f, "-t", "x"]);
    assert!(err.contains("-t takes h"), "{err}");
}

#[test]
fn from_takes_every_time_casefile_prints() {
    let f = falco();
    let lines = run(&[
        "read",
        &f,
        "-p",
        "%evt.num %evt.time %evt.datetime %evt.rawtime",
    ]);
    let line = lines.lines().nth(700).expect("700 events");
    let parts: Vec<&str> = line.split(' ').collect();
    let (num, time, date, day_time, raw) = (parts[0], parts[1], parts[2], parts[3], parts[4]);
    let info = run(&["info", &f]);
    let range = info
        .lines()
        .find_map(|l| l.strip_prefix("time range:  "))
        .expect("time range");
    let first_rfc = range.split(' ').next().expect("first");
    let pasted = [
        time.to_owned(),
        format!("{date} {day_time}"),
        format!("{date} {day_time} UTC"),
        format!("{date}T{day_time}Z"),
        format!("{date}T{day_time}+00:00"),
        raw.to_owned(),
    ];
    for from in &pasted {
        let got = run(&["read", &f, "--from", from, "-n", "1", "-p", "%evt.rawtime"]);
        let got: u64 = got
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{from}: {got}"));
        assert!(
            got >= raw.parse::<u64>().expect("raw"),
            "--from {from} started early at {got}"
        );
    }
    // An RFC 3339 time from info, a date, and relative forms.
    assert_eq!(
        run(&["read", &f, "--from", first_rfc, "-n", "1"]),
        run(&["read", &f, "-n", "1"])
    );
    assert!(run(&["read", &f, "--from", date, "-n", "1"]).starts_with("1 "));
    let last = run(&["read", &f, "--from", "-0s", "-p", "%evt.rawtime"]);
    assert!(!last.is_empty() && last.lines().count() < 5, "{last}");
    // The same wall-clock time in another zone: --tz shifts what prints and what is read.
    let berlin = run(&[
        "read",
        &f,
        "--tz",
        "Europe/Berlin",
        "-p",
        "%evt.num %evt.time",
    ]);
    let b_time = berlin
        .lines()
        .find(|l| l.split(' ').next() == Some(num))
        .and_then(|l| l.split(' ').nth(1))
        .expect("the same event in Berlin time");
    assert_ne!(b_time, time);
    assert_eq!(&b_time[2..], &time[2..], "whole hours apart");
    let a = run(&[
        "read",
        &f,
        "--tz",
        "Europe/Berlin",
        "--from",
        b_time,
        "-n",
        "1",
        "-p",
        "%evt.rawtime",
    ]);
    let b = run(&["read", &f, "--from", time, "-n", "1", "-p", "%evt.rawtime"]);
    assert_eq!(a, b);
    let err = fails(&["read", &f, "--tz", "Mars/Olympus"]);
    assert!(err.contains("unknown time zone"), "{err}");
    let err = fails(&["read", &f, "--from", "yesterday"]);
    assert!(err.contains("00:02:36"), "{err}");
}

#[test]
fn info_names_what_a_path_is() {
    let err = fails(&["info", "/tmp"]);
    assert!(err.contains("/tmp") && err.contains("directory"), "{err}");
    let scap = run(&["info", &falco()]);
    assert!(!scap.contains("format:      casefile"), "{scap}");
    assert!(!scap.contains("hash chain intact"), "{scap}");
}

#[test]
fn completions_and_version() {
    for (shell, marker) in [
        ("bash", "complete"),
        ("zsh", "#compdef"),
        ("fish", "complete -c casefile"),
    ] {
        let out = run(&["completions", shell]);
        assert!(out.contains(marker) && out.contains("timeline"), "{shell}");
    }
    let v = run(&["--version"]);
    assert!(v.starts_with("casefile "), "{v}");
    for part in ["commit ", "capture format v", "record schema v", "probe "] {
        assert!(v.contains(part), "{part} missing: {v}");
    }
}

#[test]
fn tables_fit_the_terminal_width_they_are_given() {
    // COLUMNS only counts on a terminal; off one nothing is cut.
    let f = falco();
    let wide = run(&["top", "procs", &f]);
    assert!(wide.lines().any(|l| l.chars().count() > 100));
    let mut narrow = TestCommand::new(["top", "procs", &f]);
    narrow.cmd().env("COLUMNS", "60");
    assert_eq!(narrow.stdout(), wide);
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let s = scenario();
    let plain = run(&["top", "procs", &s]);
    assert!(!plain.contains('\u{1b}'), "auto off a terminal is plain");
    let always = run(&["top", "procs", &s, "--color", "always"]);
    assert!(always.starts_with("\u{1b}[1m"), "{always:?}");
    assert_eq!(
        always.replace("\u{1b}[1m", "").replace("\u{1b}[0m", ""),
        plain
    );
    let mut no_color = TestCommand::new(["top", "procs", &s, "--color", "never"]);
    no_color.cmd().env("NO_COLOR", "1");
    assert_eq!(no_color.stdout(), plain);
    let err = fails(&["top", "procs", &s, "--color", "sometimes"]);
    assert!(err.contains("auto") && err.contains("always"), "{err}");
}

/// Runs `casefile ARGS` on a pseudo-terminal (script(1)) with `env`, returning what it printed.
fn on_terminal(env: &str, args: &str) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_casefile");
    let out = std::process::Command::new("script")
        .args(["-qec", &format!("env {env} {bin} {args}"), "/dev/null"])
        .output();
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => panic!("script: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => {
            crate::util::skip(&format!("no script(1) for a pseudo-terminal ({e})"));
            None
        }
    }
}

#[test]
fn on_a_terminal_tables_fit_colour_shows_and_times_are_local() {
    let f = falco();
    let Some(wide) = on_terminal("COLUMNS=200 TZ=UTC", &format!("top procs {f}")) else {
        return;
    };
    assert!(
        wide.contains("\u{1b}[1m"),
        "no colour on a terminal: {wide:?}"
    );
    let Some(narrow) = on_terminal("COLUMNS=90 NO_COLOR=1 TZ=UTC", &format!("top procs {f}"))
    else {
        return;
    };
    assert!(
        !narrow.contains("\u{1b}[1m"),
        "NO_COLOR ignored: {narrow:?}"
    );
    let rows: Vec<&str> = narrow
        .lines()
        .map(|l| l.trim_start_matches("\u{1b}[K").trim_end_matches('\r'))
        .filter(|l| l.contains("sshd"))
        .collect();
    assert!(!rows.is_empty(), "{narrow:?}");
    for r in &rows {
        // Only the text columns give way: both times (FIRST SEEN, LAST SEEN) stay whole.
        let whole = r
            .split_whitespace()
            .filter(|w| w.len() == 18 && w.matches(':').count() == 2 && w.contains('.'))
            .count();
        assert_eq!(whole, 2, "{r}");
    }
    assert!(
        narrow.contains('…'),
        "nothing was cut to fit 90 columns: {narrow}"
    );
    // Local time on a terminal: Berlin in July is two hours ahead of UTC.
    let Some(local) = on_terminal("TZ=Europe/Berlin", &format!("read {f} -n 1 -p %evt.time"))
    else {
        return;
    };
    assert!(local.contains("00:31:10."), "{local:?}");
    assert!(local.contains("times in Europe/Berlin"), "{local:?}");
}
