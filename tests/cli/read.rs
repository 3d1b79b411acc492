//! `casefile read` and `casefile fields` on the committed replay fixtures.

use std::io::Read;
use std::process::{Command, Output, Stdio};

use crate::eqnice;
use crate::util::TestCommand;

/// A committed replay fixture capture.
pub fn fixture(name: &str) -> std::path::PathBuf {
    crate::util::fixture(&format!("replay/{name}.case"))
}

/// Runs casefile with `args`.
pub fn casefile(args: &[&str]) -> Output {
    TestCommand::new(args).output()
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf8 stdout")
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf8 stderr")
}

fn state() -> String {
    fixture("state").display().to_string()
}

#[test]
fn default_format_with_a_filter() {
    let o = casefile(&["read", &state(), "-f", "proc.name=cat"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    eqnice!(
        "\
7 00:00:00.000006000 0 cat (200) < procexec exe=/bin/cat args=/etc/passwd cwd=/home/alice
8 00:00:00.000007000 0 cat (200) < execve filename=/bin/cat res=0
9 00:00:00.000008000 0 cat (200) < read fd=3(<f>/etc/passwd) size=4096 res=5 data=root:
15 00:00:00.000014000 0 cat (200) < procexit status=0 group_dead=true
",
        stdout(&o)
    );
}

#[test]
fn trailing_words_are_the_filter() {
    let a = casefile(&[
        "read",
        &state(),
        "-f",
        "proc.name = cat and evt.type = read",
    ]);
    let b = casefile(&[
        "read",
        &state(),
        "proc.name",
        "=",
        "cat",
        "and",
        "evt.type=read",
    ]);
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    eqnice!(stdout(&a), stdout(&b));
    assert_eq!(stdout(&a).lines().count(), 1);
}

#[test]
fn filter_twice_is_an_error() {
    let o = casefile(&["read", &state(), "-f", "proc.name=cat", "evt.num=1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("either with -f or as trailing words"));
}

#[test]
fn print_format_and_incomplete_events() {
    let o = casefile(&[
        "read",
        &state(),
        "-p",
        "%evt.num %fd.name",
        "-f",
        "evt.num in (11, 12)",
    ]);
    // Without a leading `*`, an event lacking a field is not printed (12 has no fd name).
    eqnice!("11 /etc/passwd\n", stdout(&o));
    let o = casefile(&[
        "read",
        &state(),
        "-p",
        "*%evt.num %fd.name",
        "-f",
        "evt.num in (11, 12)",
    ]);
    eqnice!("11 /etc/passwd\n12 <NA>\n", stdout(&o));
}

#[test]
fn bad_format_is_an_error_with_a_column() {
    let o = casefile(&["read", &state(), "-p", "%evt.num %fd.nam"]);
    assert_eq!(o.status.code(), Some(2));
    eqnice!(
        "casefile: invalid format at column 10: unknown field 'fd.nam' (did you mean 'fd.name'?)\n",
        stderr(&o)
    );
}

#[test]
fn json_lines() {
    let o = casefile(&["read", &state(), "--json", "-f", "evt.num = 14"]);
    eqnice!(
        r#"{"evt.cpu":1,"evt.dir":"<","evt.info":"fd=10(<f>/etc/passwd) size=3 res=3 data=hi.","evt.num":14,"evt.outputtime":1767225600000013000,"evt.type":"write","proc.name":"bash","thread.tid":101}
"#,
        stdout(&o)
    );
    let o = casefile(&[
        "read",
        &state(),
        "-j",
        "-p",
        "%fd.sport %fd.cip %proc.apid",
        "-f",
        "evt.num=28",
    ]);
    eqnice!(
        "{\"fd.cip\":\"10.0.0.7\",\"fd.sport\":80,\"proc.apid\":[1]}\n",
        stdout(&o)
    );
}

#[test]
fn payloads_as_ascii_and_hex() {
    let o = casefile(&["read", &state(), "-X", "-f", "evt.num = 20"]);
    eqnice!(
        "20 00:00:00.000019000 0 bash (100) < sendto fd=5(<4>10.0.0.2:40000->93.184.216.34:443) size=18 tuple=10.0.0.2:40000->93.184.216.34:443 addr=NULL res=18 data=GET / HTTP/1.1....
\t0x0000: 4745 5420 2f20 4854 5450 2f31 2e31 0d0a  GET / HTTP/1.1..
\t0x0010: 0d0a                                     ..
",
        stdout(&o)
    );
    let o = casefile(&[
        "read",
        &state(),
        "-A",
        "-p",
        "%evt.info",
        "-f",
        "evt.num = 28",
    ]);
    eqnice!(
        "fd=12(<4>10.0.0.7:51000->10.0.0.5:80) size=1024 tuple=10.0.0.7:51000->10.0.0.5:80 addr=NULL res=16 data=GET /x HTTP/1.1.\n\n",
        stdout(&o)
    );
}

#[test]
fn time_ranges_absolute_and_relative() {
    let rel = casefile(&[
        "read",
        &state(),
        "-p",
        "%evt.num",
        "--from",
        "+5us",
        "--to",
        "+7us",
    ]);
    eqnice!("6\n7\n8\n", stdout(&rel));
    // Absolute: RFC 3339 and epoch nanoseconds.
    let abs = casefile(&[
        "read",
        &state(),
        "-p",
        "%evt.num",
        "--from",
        "2026-01-01T00:00:00.000005Z",
        "--to",
        "1767225600000007000",
    ]);
    eqnice!(stdout(&rel), stdout(&abs));
    let tail = casefile(&["read", &state(), "-p", "%evt.num", "--from", "-2us"]);
    eqnice!("26\n27\n28\n", stdout(&tail));
    let bad = casefile(&["read", &state(), "--from", "tomorrow"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("bad time 'tomorrow'"));
}

#[test]
fn invalid_filter_shows_the_caret_and_a_suggestion() {
    let o = casefile(&[
        "read",
        &state(),
        "-f",
        "proc.name = cat and fd.nme contains x",
    ]);
    assert_eq!(o.status.code(), Some(2));
    eqnice!(
        "casefile: invalid filter: column 21: unknown field 'fd.nme' (did you mean 'fd.name'?)
  proc.name = cat and fd.nme contains x
                      ^^^^^^
",
        stderr(&o)
    );
}

#[test]
fn missing_file_is_an_error() {
    let o = casefile(&["read", "/nonexistent/x.case"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/x.case"), "{}", stderr(&o));
}

#[test]
fn closed_pipe_exits_cleanly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_casefile"))
        .args(["read", &fixture("synth").display().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 100];
    child
        .stdout
        .as_mut()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn skipping_is_invisible_in_the_output() {
    let synth = fixture("synth").display().to_string();
    for f in ["evt.type = execve", "proc.pid = 1400 and evt.type = clone"] {
        let on = casefile(&["read", &synth, "-f", f]);
        let off = casefile(&["read", &synth, "--no-skip", "-f", f]);
        eqnice!(stdout(&off), stdout(&on));
        assert!(!stdout(&on).is_empty());
    }
}

#[test]
fn fields_are_listed() {
    let o = casefile(&["fields"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    for name in [
        "evt.num",
        "proc.aname[N]",
        "fd.sport",
        "k8s.pod.name",
        "fs.path.target",
    ] {
        assert!(text.contains(name), "{name} missing");
    }
    let o = casefile(&["fields", "fd.s"]);
    eqnice!(
        "  fd.sip                       ip    Server IP address.
  fd.sport                     num   Server port.
  fd.sockfamily                str   Socket family: ip or unix.
",
        stdout(&o)
    );
}

#[test]
fn recovered_and_corrupt_captures() {
    let v1 = |n: &str| {
        crate::util::fixture(&format!("captures/v1/{n}.case"))
            .display()
            .to_string()
    };
    let whole = casefile(&["read", &v1("synthetic"), "-p", "%evt.num"]);
    assert_eq!(whole.status.code(), Some(0), "{}", stderr(&whole));
    assert_eq!(stdout(&whole).lines().count(), 3000);
    // A capture whose writer died reads up to its last complete block.
    let rec = casefile(&["read", &v1("recovered"), "-p", "%evt.num"]);
    assert_eq!(rec.status.code(), Some(0), "{}", stderr(&rec));
    let n = stdout(&rec).lines().count();
    assert!(n > 2000 && n < 3000, "{n} events");
    // A flipped byte stops the replay with an error naming the file and the offset.
    let bad = casefile(&["read", &v1("corrupt-middle"), "-p", "%evt.num"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("corrupt-middle.case: at byte") && stderr(&bad).contains("checksum"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn container_and_kubernetes_presets_and_a_count() {
    let o = casefile(&[
        "read",
        &state(),
        "-pc",
        "-n",
        "2",
        "container.id",
        "!=",
        "host",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    eqnice!(
        "\
25 00:00:00.000024000 0 shop-web (3f4c1a2b9d8e) nginx (300:300) < socket domain=2(AF_INET) type=1(SOCK_STREAM) proto=0 res=6(<4>)
26 00:00:00.000025000 0 shop-web (3f4c1a2b9d8e) nginx (300:300) < bind fd=6(<4>0.0.0.0:80) addr=0.0.0.0:80 res=0
",
        stdout(&o)
    );
    let o = casefile(&[
        "read",
        &state(),
        "-pk",
        "-n",
        "1",
        "-f",
        "k8s.ns.name = shop",
    ]);
    eqnice!(
        "25 00:00:00.000024000 0 shop-web-7d9f (3f4c1a2b9d8e) nginx (300:300) < socket domain=2(AF_INET) type=1(SOCK_STREAM) proto=0 res=6(<4>)\n",
        stdout(&o)
    );
}
