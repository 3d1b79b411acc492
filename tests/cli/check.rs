//! `casefile check`: exit 0 when nothing matches, 1 when something does, 2 on errors.

use crate::eqnice;
use crate::read::{casefile, fixture, stderr, stdout};

fn state() -> String {
    fixture("state").display().to_string()
}

#[test]
fn nothing_matches_exits_0() {
    let o = casefile(&["check", &state(), "-f", "proc.name = sshd"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    eqnice!("", stdout(&o));
}

#[test]
fn a_match_exits_1_and_prints_it() {
    let o = casefile(&[
        "check",
        &state(),
        "-f",
        "fd.name = /etc/shadow or evt.res = ENOENT",
    ]);
    assert_eq!(o.status.code(), Some(1));
    eqnice!(
        "17 00:00:00.000016000 0 bash (100) < openat dirfd=-100(AT_FDCWD) name=/etc/shadow flags=0(O_RDONLY) mode=0 res=-2(ENOENT)\n",
        stdout(&o)
    );
    eqnice!(
        "casefile check: 1 matching event for: fd.name = /etc/shadow or evt.res = ENOENT\n",
        stderr(&o)
    );
}

#[test]
fn max_matches_limits_what_is_printed() {
    let o = casefile(&["check", &state(), "--max-matches", "2", "proc.name=bash"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o).lines().count(), 2);
    assert!(stderr(&o).contains("2 matching events (stopped after the first 2)"));
}

#[test]
fn errors_exit_2() {
    let o = casefile(&["check", &state(), "-f", "proc.pid = x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("'x' is not a number"));
    let o = casefile(&["check", &state()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("check needs a filter"));
    let o = casefile(&["check", "/nonexistent.case", "-f", "proc.pid = 1"]);
    assert_eq!(o.status.code(), Some(2));
}

/// "Nothing matched" is a promise about the whole recording: a capture that is cut, never
/// sealed or changed cannot make it, whatever its readable part holds.
#[test]
fn nothing_matched_in_a_capture_not_proven_whole_exits_2() {
    let v1 = |n: &str| {
        crate::util::fixture(&format!("captures/v1/{n}"))
            .display()
            .to_string()
    };
    let o = casefile(&["check", &v1("synthetic.case"), "proc.name = nosuch"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = casefile(&["check", &v1("recovered.case"), "proc.name = nosuch"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("recovered.case is not proven whole")
            && stderr(&o).contains("NOT SEALED"),
        "{}",
        stderr(&o)
    );
    // A byte of the footer changed: every event still reads, but the file is not what was
    // recorded.
    let dir = crate::util::Dir::new("check-footer");
    let mut b = std::fs::read(v1("synthetic.case")).expect("read");
    let at = b.len() - 56 - 20;
    b[at] ^= 0x40;
    let p = dir.write("flipped.case", &b);
    let o = casefile(&["check", p.to_str().expect("utf8"), "proc.name = nosuch"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("CHANGED"), "{}", stderr(&o));
    // A match is a match, whole or not.
    let o = casefile(&["check", &v1("recovered.case"), "evt.type = openat"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}
