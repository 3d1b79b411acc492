//! `--threads N`: replay split at keyframes gives what one thread gives, byte for byte.

use crate::util::{Dir, TestCommand, fixture};

/// The synthetic fixture: 75 event blocks, a keyframe every 8, so 10 segments.
fn synth() -> String {
    fixture("replay/synth.case").display().to_string()
}

/// Exit status, stdout, and stderr without the timing `--stats` ends with.
fn run(args: &[&str], threads: &str) -> (Option<i32>, String, String) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--threads", threads]);
    let o = TestCommand::new(&all).output();
    let err = String::from_utf8_lossy(&o.stderr)
        .lines()
        .map(|l| match l.rfind("; ") {
            Some(i) if l.starts_with("blocks: ") => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    (
        o.status.code(),
        String::from_utf8(o.stdout).expect("utf8"),
        err,
    )
}

/// Runs `args` on one thread and on four; asserts the same status, output and counters, and
/// returns the output.
fn same(args: &[&str]) -> String {
    let one = run(args, "1");
    let four = run(args, "4");
    assert_eq!(one.0, four.0, "exit status of {args:?}");
    assert!(
        one.1 == four.1,
        "output of {args:?} differs: {} lines on one thread, {} on four; first difference at \
         line {:?}",
        one.1.lines().count(),
        four.1.lines().count(),
        one.1.lines().zip(four.1.lines()).position(|(a, b)| a != b)
    );
    assert_eq!(one.2, four.2, "stderr of {args:?}");
    one.1
}

/// The event numbers at the start of each line.
fn nums(out: &str) -> Vec<u64> {
    out.lines()
        .map(|l| {
            l.split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no event number in {l}"))
        })
        .collect()
}

#[test]
fn read_splits_at_keyframes_and_prints_in_order() {
    let f = synth();
    let out = same(&["read", &f, "--stats"]);
    // Every event, in order: a merge out of order would break this even if each piece is right.
    assert_eq!(nums(&out), (1..=6000).collect::<Vec<u64>>());
    let json = same(&["read", &f, "-j", "--stats"]);
    assert_eq!(json.lines().count(), 6000);
    let text = same(&[
        "read",
        &f,
        "-p",
        "*%evt.num %evt.reltime %proc.name %fd.name %evt.info",
    ]);
    assert_eq!(text.lines().count(), 6000);
}

#[test]
fn read_in_parallel_keeps_filters_limits_and_ranges() {
    let f = synth();
    let opens = same(&["read", &f, "-f", "evt.type=openat", "--stats"]);
    let n = nums(&opens);
    assert!(n.len() > 100 && n.windows(2).all(|w| w[0] < w[1]), "{n:?}");
    // -n cuts part-way through a block of a later segment, counters as far as it read.
    let first = same(&["read", &f, "-f", "evt.type=openat", "-n", "100", "--stats"]);
    assert_eq!(nums(&first), n[..100]);
    let cut = same(&["read", &f, "-n", "3001", "--stats"]);
    assert_eq!(nums(&cut), (1..=3001).collect::<Vec<u64>>());
    same(&["read", &f, "-n", "0"]);
    same(&["read", &f, "--from", "+2ms", "--to", "+4ms", "--stats"]);
    // Skipped blocks and catch-ups happen inside each segment as in one run.
    same(&["read", &f, "-f", "evt.type=read", "--stats"]);
    same(&["read", &f, "-f", "proc.name=nginx", "-n", "50", "--stats"]);
}

#[test]
fn read_in_parallel_keeps_the_time_since_the_previous_match() {
    let f = synth();
    // The first match of a segment needs the last match of the one before it.
    let out = same(&[
        "read",
        &f,
        "-f",
        "evt.type=openat",
        "-p",
        "%evt.num %evt.deltatime",
    ]);
    assert!(out.lines().skip(1).all(|l| !l.ends_with(" 0")), "{out}");
    same(&["read", &f, "-t", "D", "-f", "evt.type=close"]);
    same(&["read", &f, "-f", "evt.deltatime > 20000", "-n", "40"]);
}

#[test]
fn read_in_parallel_reports_damage_as_one_thread() {
    let dir = Dir::new("threads-damage");
    let mut bytes = std::fs::read(fixture("replay/synth.case")).expect("fixture");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    let f = dir.write("damaged.case", &bytes).display().to_string();
    let out = same(&["read", &f, "--stats"]);
    assert!(!out.is_empty());
    let (code, _, err) = run(&["read", &f], "4");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("that block's events were skipped"), "{err}");
}

#[test]
fn top_in_parallel_merges_segments_exactly() {
    let f = synth();
    for view in [
        "procs",
        "threads",
        "files",
        "connections",
        "syscalls",
        "execs",
        "file_opens",
        "spy_users",
        "procs_errors",
    ] {
        let table = same(&["top", view, &f]);
        assert!(table.lines().count() > 1, "{view}: {table}");
        same(&["top", view, &f, "-j"]);
        same(&["top", view, &f, "-f", "evt.type != read"]);
    }
}

#[test]
fn merged_captures_read_on_one_thread_as_before() {
    // Two hosts: each host's tables are made as its first record comes, which a segment
    // cannot know, so the run does not split; the output is still the same.
    let f = synth();
    let state = fixture("replay/state.case").display().to_string();
    let out = same(&["read", &f, &state, "--stats"]);
    assert!(out.lines().count() > 6000, "{out}");
    same(&["top", "procs", &f, &state]);
}

/// `check` on four threads: the same events printed, the same count past them, the same exit
/// status, whether the matches end early, at the limit or past it.
#[test]
fn check_gives_what_one_thread_gives() {
    let f = synth();
    for (filter, max) in [
        ("evt.type = execve", "10"),
        ("evt.type = execve", "1000"),
        ("evt.type = read", "7"),
        ("evt.type = read", "0"),
        ("proc.name = doesnotexist", "10"),
    ] {
        let out = same(&["check", &f, "-f", filter, "--max-matches", max]);
        let limit: usize = max.parse().expect("number");
        assert!(out.lines().count() <= limit, "{filter}: {out}");
    }
    // A match found past the first segments, printed whole.
    let all = same(&[
        "check",
        &f,
        "-f",
        "evt.type = execve",
        "--max-matches",
        "1000",
    ]);
    assert!(all.lines().count() > 10, "{all}");
    assert!(nums(&all).windows(2).all(|w| w[0] < w[1]), "in order");
}

/// Falco rules fire the same alerts, with the same counts and exit status, on four threads as
/// on one: text, JSON and every match.
#[test]
fn rules_alert_the_same() {
    let rules = fixture("rules/basic.yaml").display().to_string();
    let file = synth();
    for extra in [&[][..], &["--all-matches"], &["-j"]] {
        let mut args = vec!["rules", "-r", &rules, &file];
        args.extend(extra);
        let out = same(&args);
        assert!(out.lines().count() > 400, "{extra:?}: {out}");
    }
}
