//! `casefile record` refusals and `info` counts that need no BPF: bad paths, sizes and users
//! are refused before the probe loads. (What the probe records is in the privileged tests.)

use std::process::Command;

use crate::util::{Dir, TestCommand, is_root};

#[test]
fn record_to_an_unwritable_directory_fails_clearly() {
    let (_, err) = TestCommand::new([
        "record",
        "-w",
        "/nonexistent-casefile-dir/x.case",
        "--",
        "true",
    ])
    .expect_code(2);
    // The first check that fails depends on who runs the test.
    if is_root() {
        assert!(
            err.contains("cannot write /nonexistent-casefile-dir/x.case"),
            "stderr: {err}"
        );
    } else {
        assert!(err.contains("needs root"), "stderr: {err}");
    }
}

#[test]
fn record_as_an_ordinary_user_says_it_needs_root() {
    // As root, drop to nobody with setpriv; as anyone else, run as is.
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_casefile"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_casefile"))
    };
    let out = match cmd
        .args([
            "record",
            "-w",
            "/tmp/casefile-never-written.case",
            "--",
            "true",
        ])
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            crate::util::skip(&format!("cannot run setpriv ({e})"));
            return;
        }
    };
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("recording needs root"), "stderr: {err}");
}

/// Pieces of an earlier rotation are refused up front, not when the recording reaches them.
#[test]
fn record_refuses_an_earlier_rotation_s_pieces_without_force() {
    let dir = Dir::new("record-rotated");
    let file = dir.join("cap.case");
    let piece = dir.write("cap.case.1", b"earlier\n");
    let (_, err) = TestCommand::new(["record", "-w"])
        .cmd_args(&file, &["--rotate-size", "1M", "--", "true"])
        .expect_code(2);
    assert!(
        err.contains(&format!("{} exists (a file)", piece.display())),
        "{err}"
    );
    assert!(!file.exists());
    assert_eq!(std::fs::read(&piece).expect("piece"), b"earlier\n");
}

#[test]
fn a_tiny_rotate_size_is_refused() {
    let (_, err) =
        TestCommand::new(["record", "-w", "x.case", "--rotate-size", "10"]).expect_code(2);
    assert!(err.contains("too small") && err.contains("1M"), "{err}");
}

/// `info` counts what `read` prints: not the process records an import writes among the
/// events, nor sysdig's procinfo samples (libs_sample: 315 events, as sysdig prints them).
#[test]
fn info_counts_an_import_s_events_as_read_prints_them() {
    let scap = crate::util::fixture("scap/libs_sample.scap");
    let info = TestCommand::new(["info"]).cmd_args(&scap, &[]).stdout();
    assert!(info.contains("events:      315 in"), "{info}");
    let read = TestCommand::new(["read"]).cmd_args(&scap, &[]).stdout();
    assert_eq!(read.lines().count(), 315);
}

/// A recording without latencies (`--no-latency`) cannot answer a capture filter or a trigger
/// that reads them: refused before the probe loads, rather than recording nothing or never
/// firing.
#[test]
fn no_latency_refuses_filters_and_triggers_that_read_latency() {
    let dir = Dir::new("record-no-latency");
    let file = dir.join("cap.case");
    let incidents = dir.join("incidents");
    std::fs::create_dir(&incidents).expect("mkdir");
    let rules = dir.write(
        "slow.yaml",
        "- rule: slow\n  desc: a slow call\n  condition: evt.latency > 1000\n  output: slow\n  priority: WARNING\n",
    );
    let rules = rules.to_str().expect("utf-8 path");
    for (to, args, says) in [
        (
            &file,
            vec!["-f", "evt.latency > 1000"],
            "the capture filter reads evt.latency",
        ),
        (
            &incidents,
            vec!["--keep", "10s", "--trigger", "evt.latency > 1000"],
            "the --trigger filter reads evt.latency",
        ),
        (
            &incidents,
            vec!["--keep", "10s", "--trigger-rules", rules],
            "the --trigger-rules rule 'slow' reads evt.latency",
        ),
    ] {
        let mut cmd = TestCommand::new(["record", "-w"]);
        cmd.cmd().arg(to).arg("--no-latency").args(&args);
        let (_, err) = cmd.expect_code(2);
        assert!(
            err.contains(says) && err.contains("--no-latency"),
            "{args:?}: {err}"
        );
    }
    assert!(!file.exists(), "nothing is recorded");
    let left = std::fs::read_dir(&incidents).expect("read dir").count();
    assert_eq!(left, 0, "no incident is written");
}
