//! Output files are created new, never through a link and never reusing a file; `--force`
//! replaces what is there by renaming a new file onto it. Inputs must be regular files.
//! (`record`'s side of this is in `record.rs`, with the probe.)

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::util::{Dir, TestCommand, fixture};

/// A command that writes one file, given its output path and whether to pass `--force`.
type Tool = fn(&Path, bool) -> TestCommand;

fn with_force(mut c: TestCommand, force: bool) -> TestCommand {
    if force {
        c.cmd().arg("--force");
    }
    c
}

fn export_case(out: &Path, force: bool) -> TestCommand {
    let mut c = TestCommand::new(["export"]);
    c.cmd()
        .arg(crate::read::fixture("state"))
        .arg("-o")
        .arg(out);
    with_force(c, force)
}

fn export_jsonl(out: &Path, force: bool) -> TestCommand {
    let mut c = TestCommand::new(["export", "--format", "jsonl"]);
    c.cmd()
        .arg(crate::read::fixture("state"))
        .arg("-o")
        .arg(out);
    with_force(c, force)
}

fn import(out: &Path, force: bool) -> TestCommand {
    let mut c = TestCommand::new(["import"]);
    c.cmd()
        .arg(fixture("scap/libs_sample.scap"))
        .arg("-w")
        .arg(out);
    with_force(c, force)
}

fn merge(out: &Path, force: bool) -> TestCommand {
    let mut c = TestCommand::new(["merge"]);
    c.cmd()
        .arg(crate::read::fixture("state"))
        .arg(fixture("scap/libs_sample.scap"))
        .arg("-w")
        .arg(out);
    with_force(c, force)
}

fn keygen(out: &Path, force: bool) -> TestCommand {
    let mut c = TestCommand::new(["keygen", "-o"]);
    c.cmd().arg(out);
    with_force(c, force)
}

const TOOLS: [(&str, Tool); 5] = [
    ("export", export_case),
    ("export-jsonl", export_jsonl),
    ("import", import),
    ("merge", merge),
    ("keygen", keygen),
];

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p)
        .expect("stat")
        .permissions()
        .mode()
        & 0o777
}

fn is_link(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

/// The victim of a planted link: a file someone else could read.
fn victim(dir: &Dir) -> PathBuf {
    let v = dir.write("victim", b"not yours\n");
    std::fs::set_permissions(&v, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    v
}

fn assert_untouched(v: &Path) {
    assert_eq!(std::fs::read(v).expect("victim"), b"not yours\n");
    assert_eq!(mode(v), 0o644);
}

#[test]
fn a_planted_link_at_the_output_is_refused_and_replaced_only_with_force() {
    for (name, tool) in TOOLS {
        let dir = Dir::new(&format!("link-{name}"));
        let v = victim(&dir);
        let out = dir.join("out");
        std::os::unix::fs::symlink(&v, &out).expect("plant link");
        let (_, err) = tool(&out, false).expect_code(2);
        assert!(
            err.contains(&format!("{} exists (a symbolic link)", out.display()))
                && err.contains("--force")
                && err.lines().count() == 1,
            "{name}: {err}"
        );
        assert!(is_link(&out), "{name}: the link is left alone");
        assert_untouched(&v);

        let (_, err) = tool(&out, true).expect_code(0);
        assert!(!is_link(&out), "{name}: the link was replaced: {err}");
        assert_eq!(mode(&out), 0o600, "{name}");
        assert_untouched(&v);
        let mut want = vec!["out", "victim"];
        if name == "keygen" {
            want.insert(1, "out.pub");
        }
        assert_eq!(names(&dir.path), want, "{name}: no temporary file left");
    }
}

/// A dangling link: opening it to create would create its target, wherever that is.
#[test]
fn a_dangling_link_at_the_output_does_not_create_its_target() {
    for (name, tool) in TOOLS {
        let dir = Dir::new(&format!("dangling-{name}"));
        let out = dir.join("out");
        let target = dir.join("created-through-the-link");
        std::os::unix::fs::symlink(&target, &out).expect("plant link");
        tool(&out, false).expect_code(2);
        assert!(!target.exists(), "{name}");
        tool(&out, true).expect_code(0);
        assert!(!target.exists(), "{name}");
        assert!(!is_link(&out), "{name}");
    }
}

#[test]
fn an_existing_output_file_is_refused_and_kept_without_force() {
    for (name, tool) in TOOLS {
        let dir = Dir::new(&format!("exists-{name}"));
        let v = victim(&dir);
        let (_, err) = tool(&v, false).expect_code(2);
        assert!(
            err.contains(&format!("{} exists (a file)", v.display())),
            "{name}: {err}"
        );
        assert_untouched(&v);
        assert_eq!(names(&dir.path), ["victim"], "{name}");
        // With --force it is replaced by a new file: its old mode does not carry over.
        tool(&v, true).expect_code(0);
        assert_eq!(mode(&v), 0o600, "{name}");
        assert_ne!(std::fs::read(&v).expect("read"), b"not yours\n", "{name}");
    }
}

/// A failed run leaves the old output as it was and nothing else behind.
#[test]
fn a_failed_export_keeps_the_old_output() {
    let dir = Dir::new("failed-export");
    let out = dir.write("out.case", b"old\n");
    let mut c = TestCommand::new(["export", "--force", "--sign-key"]);
    c.cmd()
        .arg(dir.join("no-such-key"))
        .arg(crate::read::fixture("state"))
        .arg("-o")
        .arg(&out);
    let (_, err) = c.expect_code(2);
    assert!(err.contains("no-such-key"), "{err}");
    assert_eq!(std::fs::read(&out).expect("read"), b"old\n");
    assert_eq!(names(&dir.path), ["out.case"]);
}

/// A Parquet export is a directory: made new, replaced with --force only when it holds an
/// earlier export's part files.
#[test]
fn a_parquet_export_directory_is_new_or_an_earlier_export() {
    let dir = Dir::new("parquet-dir");
    let out = dir.join("pq");
    let export = |force: bool| {
        let mut c = TestCommand::new(["export", "--format", "parquet"]);
        c.cmd()
            .arg(crate::read::fixture("state"))
            .arg("-o")
            .arg(&out);
        with_force(c, force)
    };
    export(false).expect_code(0);
    assert_eq!(names(&out), ["part-00000.parquet"]);
    assert_eq!(mode(&out.join("part-00000.parquet")), 0o600);
    let (_, err) = export(false).expect_code(2);
    assert!(err.contains("exists (a directory)"), "{err}");
    export(true).expect_code(0);
    assert_eq!(names(&out), ["part-00000.parquet"]);
    std::fs::write(out.join("notes.txt"), b"mine").expect("write");
    let (_, err) = export(true).expect_code(2);
    assert!(err.contains("other files"), "{err}");
    assert_eq!(names(&out), ["notes.txt", "part-00000.parquet"]);
    assert_eq!(names(&dir.path), ["pq"], "no temporary directory left");
}

#[test]
fn reading_a_directory_or_a_fifo_says_what_it_is() {
    let dir = Dir::new("not-regular");
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    for (path, what) in [(&dir.path, "a directory"), (&fifo, "a FIFO")] {
        for cmd in ["info", "read"] {
            let mut c = TestCommand::new([cmd]);
            c.cmd().arg(path);
            let (_, err) = c.expect_code(2);
            assert!(
                err.contains(&format!("{}: {what}, not a capture file", path.display())),
                "{cmd} {what}: {err}"
            );
        }
    }
}
