//! `casefile info`.

use crate::util::{Dir, TestCommand, fixture};

#[test]
fn info_describes_a_complete_capture() {
    let out = TestCommand::new([
        "info",
        fixture("captures/v1/synthetic.case")
            .to_str()
            .expect("utf8"),
    ])
    .stdout();
    for want in [
        "format:      casefile v1 (record schema v1)",
        "host:        fixture-host (kernel 6.18.44, 2 CPUs",
        "events:      3,000 in 10 blocks, plus 1 state block",
        "3f4c1a2b9d8e  shop-web  docker.io/library/nginx:1.25",
        "loss:        none",
        "complete:    yes (footer present)",
        "integrity:   complete and sealed: every byte accounted for; hash chain intact over 11 blocks",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn info_json_has_the_numbers() {
    let out = TestCommand::new([
        "info",
        "--json",
        fixture("captures/v1/synthetic.case")
            .to_str()
            .expect("utf8"),
    ])
    .stdout();
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["events"], 3000);
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["containers"][0]["name"], "shop-web");
    assert_eq!(v["integrity"]["intact"], true);
    assert_eq!(v["recovered"], serde_json::Value::Null);
    assert!(v["bytes_per_event"].as_f64().expect("f64") > 1.0);
}

#[test]
fn info_reports_a_recovered_capture() {
    // The same verdict and exit code as `verify`: 3, not sealed.
    let (out, _) = TestCommand::new([
        "info",
        fixture("captures/v1/recovered.case")
            .to_str()
            .expect("utf8"),
    ])
    .expect_code(3);
    assert!(
        out.contains("complete:    no, RECOVERED: no valid trailer"),
        "{out}"
    );
    assert!(out.contains("integrity:   NOT SEALED"), "{out}");
}

#[test]
fn info_reports_a_broken_chain() {
    let (out, _) = TestCommand::new([
        "info",
        fixture("captures/v1/corrupt-middle.case")
            .to_str()
            .expect("utf8"),
    ])
    .expect_code(1);
    assert!(out.contains("integrity:   CHANGED at byte 18118"), "{out}");
}

#[test]
fn info_on_bad_input_exits_2_naming_file_and_offset() {
    let dir = Dir::new("info-bad");
    let cases = [
        ("empty.case", Vec::new(), "empty.case: at byte 0: truncated"),
        (
            "text.case",
            b"hello, this is not a capture".to_vec(),
            "text.case: at byte 0: not a casefile capture",
        ),
    ];
    for (name, bytes, want) in cases {
        let p = dir.write(name, bytes);
        let (_, err) = TestCommand::new(["info".as_ref(), p.as_os_str()]).expect_code(2);
        assert!(err.contains(want), "{err}");
    }
    let (_, err) =
        TestCommand::new(["info", dir.join("missing.case").to_str().expect("utf8")]).expect_code(2);
    assert!(
        err.contains("missing.case") && err.contains("No such file"),
        "{err}"
    );
}

#[test]
fn info_piped_into_a_closed_pipe_exits_cleanly() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_casefile"))
        .args([
            "info",
            "--json",
            fixture("captures/v1/synthetic.case")
                .to_str()
                .expect("utf8"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
