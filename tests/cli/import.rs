//! `casefile import`: .scap files into casefile captures.

use std::ffi::OsStr;

use capture_format::CaptureFile;
use capture_format::schema::{Body, Kind};

use crate::util::{Dir, TestCommand, fixture};

const SAMPLES: [&str; 2] = ["libs_sample", "falco_run_as_user_0_container"];

fn import(input: &std::path::Path, output: &std::path::Path) -> std::process::Output {
    TestCommand::new([
        OsStr::new("import"),
        input.as_os_str(),
        OsStr::new("-w"),
        output.as_os_str(),
        OsStr::new("--json"),
    ])
    .output()
}

fn text(o: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Every record of a capture: (state records, event records).
fn records(cap: &CaptureFile) -> (Vec<Body<'static>>, Vec<Body<'static>>) {
    let (mut state, mut events) = (Vec::new(), Vec::new());
    for i in 0..cap.blocks().len() {
        if !cap.blocks()[i].block_type.holds_records() {
            // Aggregates blocks (import and export write them) hold no records.
            continue;
        }
        let b = cap.read_block(i).expect("block");
        for ev in b.events().expect("decoder") {
            let ev = ev.expect("record").into_owned();
            if ev.body.kind().is_some_and(Kind::is_state) {
                state.push(ev.body);
            } else {
                events.push(ev.body);
            }
        }
    }
    (state, events)
}

#[test]
fn samples_import_and_read_back() {
    for sample in SAMPLES {
        let dir = Dir::new("import");
        let out = dir.join("out.case");
        let o = import(&fixture(&format!("scap/{sample}.scap")), &out);
        let (stdout, stderr) = text(&o);
        assert!(o.status.success(), "{sample}: {stderr}");
        let summary: serde_json::Value = serde_json::from_str(&stdout).expect("json summary");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out)
                .expect("output")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{sample}");
        }
        let cap = CaptureFile::read(&out).expect("read back");
        assert!(cap.recovery().is_none(), "{sample}: footer missing");
        let (state, events) = records(&cap);
        assert_eq!(
            events.len() as u64,
            summary["events_written"].as_u64().expect("events_written"),
            "{sample}"
        );
        assert_eq!(cap.event_count(), events.len() as u64);
        let state_count: u64 = [
            "state.process",
            "state.fd",
            "state.user",
            "state.group",
            "state.interface",
        ]
        .iter()
        .map(|k| summary["records"][k].as_u64().unwrap_or(0))
        .sum();
        assert_eq!(state.len() as u64, state_count, "{sample}");
        assert!(state.iter().any(|b| matches!(b, Body::Process(_))));
        assert!(events.iter().any(|b| matches!(b, Body::Syscall(_))));
    }
}

#[test]
fn container_sample_keeps_its_container() {
    let dir = Dir::new("container");
    let out = dir.join("c.case");
    let o = import(&fixture("scap/falco_run_as_user_0_container.scap"), &out);
    assert!(o.status.success(), "{}", text(&o).1);
    let cap = CaptureFile::read(&out).expect("read back");
    let names: Vec<String> = cap
        .tables()
        .expect("tables")
        .into_iter()
        .filter_map(|e| match e.body {
            Body::Container(c) => Some(String::from_utf8_lossy(&c.name).into_owned()),
            _ => None,
        })
        .collect();
    assert!(names.iter().any(|n| n == "hopeful_taussig"), "{names:?}");
}

#[test]
fn truncated_scap_imports_every_complete_block_with_a_warning() {
    let dir = Dir::new("truncated");
    let bytes = std::fs::read(fixture("scap/libs_sample.scap")).expect("sample");
    let cut = dir.join("cut.scap");
    std::fs::write(&cut, &bytes[..bytes.len() - 1000]).expect("write");
    let out = dir.join("cut.case");
    let o = import(&cut, &out);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("file truncated"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let written = summary["events_written"].as_u64().expect("events");
    assert!(written > 0);
    assert_eq!(
        CaptureFile::read(&out).expect("read back").event_count(),
        written
    );
}

#[test]
fn empty_and_foreign_files_are_clear_errors() {
    let dir = Dir::new("bad");
    for (name, bytes, msg) in [
        ("empty.scap", &b""[..], "empty file"),
        (
            "text.scap",
            &b"hello, this is not a capture file\n"[..],
            "not a scap file",
        ),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, bytes).expect("write");
        let o = import(&p, &dir.join("x.case"));
        let (_, stderr) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(msg), "{name}: {stderr}");
        assert!(
            stderr.contains(name),
            "{name}: error should name the file: {stderr}"
        );
        assert!(
            stderr.contains("at byte"),
            "{name}: error should give the offset: {stderr}"
        );
    }
    let o = import(&dir.join("missing.scap"), &dir.join("x.case"));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn reading_commands_take_a_scap_directly() {
    let scap = crate::util::fixture("scap/falco_run_as_user_0_container.scap");
    let scap = scap.to_str().expect("utf8");
    let info = crate::util::TestCommand::new(["info", scap]).stdout();
    assert!(
        info.contains("hopeful_taussig") && info.contains("scap 1.2 gzip"),
        "{info}"
    );
    let lines = crate::util::TestCommand::new(["read", scap, "-f", "evt.type=execve"]).stdout();
    assert!(
        lines.contains("ls (32052) < execve filename=/bin/ls res=0"),
        "{lines}"
    );
    let (out, _) =
        crate::util::TestCommand::new(["check", scap, "-f", "proc.name=ls"]).expect_code(1);
    assert!(out.contains("execve"), "{out}");
}

/// A block of a type this version does not know is skipped and counted, by `import` and by
/// every command that reads the .scap directly (here `info`).
#[test]
fn unknown_scap_blocks_are_skipped_and_counted() {
    let dir = Dir::new("unknown-block");
    let mut bytes = std::fs::read(fixture("scap/libs_sample.scap")).expect("sample");
    // Type 0x7777, total length 28: 8 bytes of header, 16 of body, the length again.
    bytes.extend_from_slice(&0x7777u32.to_le_bytes());
    bytes.extend_from_slice(&28u32.to_le_bytes());
    bytes.extend_from_slice(b"someone else blk");
    bytes.extend_from_slice(&28u32.to_le_bytes());
    let input = dir.write("unknown.scap", &bytes);
    let o = import(&input, &dir.join("out.case"));
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.contains(r#""unknown_blocks":1,"#), "{out}");
    let (out, err) = TestCommand::new(["info", input.to_str().expect("utf8")]).expect_code(0);
    assert!(out.contains("events:"), "{out}");
    assert!(
        err.contains("unknown.scap: skipped 1 blocks and 0 events of types this version"),
        "{err}"
    );
}
