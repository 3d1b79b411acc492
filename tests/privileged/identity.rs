//! The probe's output, pinned: a fixed workload (python3 making known system calls between two
//! marker opens) recorded under the real probe, decoded and rendered without what differs from
//! run to run (times, pids, addresses, ephemeral ports, the test's directories), must equal
//! `fixtures/probe/identity.txt`, written by the probe as it was before its fast paths (issue
//! 21). Recorded once through tp_btf and once through the raw_tp fallback: both programs
//! decode the same. Recorded once more with `--no-latency`, through both: the exit alone reads
//! the same arguments and memory, and only the latencies are gone. Needs root and BPF (see
//! `record.rs`).
//!
//! `CASEFILE_BLESS=1` rewrites the expected file (only when the probe's output changes on
//! purpose; say why in the commit).

use std::fmt::Write as _;
use std::path::Path;

use capture_format::CaptureFile;
use capture_format::schema::{Body, Sock, Syscall, Value, syscalls};

use crate::record::{events, record};
use crate::util::{Dir, TestCommand};

const EXPECTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/probe/identity.txt");
const BEGIN: &str = "/casefile-identity-begin";
const END: &str = "/casefile-identity-end";

/// Every capture source the probe has, with the sizes around the snaplen and the failures.
const WORKLOAD: &str = r#"
import os, socket
d = os.environ["WORKDIR"]
def mark(p):
    try: os.open(p, os.O_RDONLY)
    except OSError: pass
mark("/casefile-identity-begin")
path = os.path.join(d, "data.txt")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, b"0123456789" * 30)
os.close(fd)
fd = os.open(path, os.O_RDONLY)
os.read(fd, 1)
os.read(fd, 200)
os.pread(fd, 5, 7)
os.lseek(fd, 0, os.SEEK_END)
os.read(fd, 10)
os.close(fd)
null = os.open("/dev/null", os.O_WRONLY)
os.write(null, b"x")
os.write(null, b"y" * 300)
os.write(null, b"")
os.writev(null, [b"one-", b"two-", b"three"])
try: os.read(9999, 1)
except OSError: pass
try: os.write(null, None)
except TypeError: pass
r, w = os.pipe()
os.write(w, b"hello")
os.read(r, 5)
os.write(w, b"abc")
b = bytearray(2); c = bytearray(4)
os.readv(r, [b, c])
os.stat(path)
os.access("/nonexistent/x", os.R_OK)
os.readlink("/proc/self/root")
os.rename(path, path + ".2")
os.unlink(path + ".2")
os.umask(0o22)
os.umask(0o22)
os.getuid()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"ping", ("127.0.0.1", 9))
s.connect(("127.0.0.1", 9))
s.send(b"pong")
s.close()
mark("/casefile-identity-end")
"#;

#[test]
fn the_probe_decodes_a_fixed_workload_as_it_always_has() {
    let dir = Dir::new("identity");
    let mut got = Vec::new();
    for (name, flags) in [
        ("tp_btf", &[][..]),
        ("raw_tp", &["--force-raw-tp"][..]),
        ("tp_btf exit-only", &["--no-latency"][..]),
        ("raw_tp exit-only", &["--no-latency", "--force-raw-tp"][..]),
    ] {
        let file = dir.join(format!("{name}.case"));
        let cmd = format!(
            "WORKDIR={} exec python3 -S -c '{}'",
            dir.join("").display(),
            WORKLOAD.replace('\'', "\"")
        );
        if record(&file, flags, &["sh", "-c", &cmd]).is_none() {
            return;
        }
        let text = render(&file).replace(&dir.join("").display().to_string(), "<dir>/");
        got.push((name, text));
    }
    if std::env::var_os("CASEFILE_BLESS").is_some() {
        std::fs::write(EXPECTED, &got[0].1).expect("write expected");
    }
    let want = std::fs::read_to_string(EXPECTED).expect("fixtures/probe/identity.txt");
    // Without the enter hook, no call has a latency: the same lines, none of them entered.
    let want_exit_only: String = want
        .lines()
        .map(|l| l.replacen(" entered", " no-enter", 1) + "\n")
        .collect();
    assert_ne!(want, want_exit_only, "the fixture has calls with latencies");
    for (name, text) in &got {
        let want = if name.ends_with("exit-only") {
            &want_exit_only
        } else {
            &want
        };
        assert!(
            text == want,
            "{name}: the decoded workload differs from {EXPECTED}:\n{}",
            diff(want, text)
        );
    }
}

/// The workload's system calls between the markers (the markers' own opens excluded), one line
/// each.
fn render(file: &Path) -> String {
    let cap = CaptureFile::read(file).expect("open capture");
    let mut calls = Vec::new();
    let mut tid = None;
    let mut inside = false;
    for i in 0..cap.blocks().len() {
        let block = cap.read_block(i).expect("read block");
        if !block.is_events() {
            continue;
        }
        for ev in block.events().expect("decode") {
            let ev = ev.expect("event");
            let Body::Syscall(s) = &ev.body else { continue };
            if tid.is_some_and(|t| t != ev.tid) {
                continue;
            }
            let marker = first_bytes(s).filter(|p| *p == BEGIN || *p == END);
            match marker {
                Some(BEGIN) => {
                    tid = Some(ev.tid);
                    inside = true;
                }
                Some(_) if inside => inside = false,
                _ if inside => calls.push(line(s)),
                _ => {}
            }
        }
    }
    assert!(
        !calls.is_empty() && !inside,
        "{}: the workload's markers were not both recorded",
        file.display()
    );
    calls.concat()
}

fn first_bytes<'a>(s: &'a Syscall<'_>) -> Option<&'a str> {
    s.params
        .iter()
        .find_map(Value::as_bytes)
        .and_then(|b| std::str::from_utf8(b).ok())
}

/// `name ret=R entered params...`: integers that look like user addresses and ports above 1024
/// are masked; everything else is as decoded.
fn line(s: &Syscall<'_>) -> String {
    let name = syscalls::name(s.nr).unwrap_or("?");
    let mut out = format!(
        "{name} ret={} {}",
        s.ret,
        if s.latency > 0 { "entered" } else { "no-enter" }
    );
    for (i, v) in s.params.iter().enumerate() {
        let _ = write!(out, " {i}=");
        match v {
            Value::None => out.push('-'),
            Value::Int(n) if *n > 0xffff_ffff => out.push_str("<addr>"),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Bytes(b) => {
                let _ = write!(out, "{:?}", String::from_utf8_lossy(b));
            }
            Value::Sock(sock) => out.push_str(&sock_text(sock)),
        }
    }
    out.push('\n');
    out
}

fn sock_text(s: &Sock) -> String {
    let port = |p: u16| {
        if p > 1024 {
            "<port>".to_string()
        } else {
            p.to_string()
        }
    };
    format!(
        "af{}/l4{} {:?}:{}->{:?}:{}",
        s.family,
        s.proto,
        &s.src[..4],
        port(s.sport),
        &s.dst[..4],
        port(s.dport)
    )
}

fn diff(want: &str, got: &str) -> String {
    let (w, g): (Vec<_>, Vec<_>) = (want.lines().collect(), got.lines().collect());
    let mut out = String::new();
    for i in 0..w.len().max(g.len()) {
        let (a, b) = (w.get(i), g.get(i));
        if a != b {
            let _ = writeln!(out, "line {}:\n  want {:?}\n  got  {:?}", i + 1, a, b);
        }
    }
    out
}

/// `--no-latency` hooks only the exits. A clone's flags still come from the registers of the
/// call in progress (the fork hook read them from its enter before), and what needs latencies
/// refuses the capture rather than reading 0: a filter (the verdict of `check`), a rule, and a
/// view that selects slow calls.
#[test]
fn exit_only_recording_keeps_clone_flags_and_refuses_latency_questions() {
    let dir = Dir::new("exit-only");
    let mut forks = Vec::new();
    for (name, flags) in [("both", &[][..]), ("exit", &["--no-latency"][..])] {
        let file = dir.join(format!("{name}.case"));
        if record(&file, flags, &["sh", "-c", "/bin/true; /bin/true & wait"]).is_none() {
            return;
        }
        let flags = events(&file).into_iter().filter_map(|ev| match ev.body {
            Body::Fork(f) => Some(f.flags),
            _ => None,
        });
        forks.push(flags.collect::<Vec<_>>());
    }
    assert_eq!(forks[0].len(), 2, "the shell forks twice: {forks:?}");
    assert!(forks[0].iter().all(|&f| f != 0), "clone flags: {forks:?}");
    assert_eq!(
        forks[0], forks[1],
        "clone flags with and without the enter hook"
    );

    let file = dir.join("exit.case");
    let rules = dir.write(
        "slow.yaml",
        "- rule: slow\n  desc: a slow call\n  condition: evt.latency > 1000\n  output: slow\n  priority: WARNING\n",
    );
    let rules = rules.to_str().expect("utf-8 path");
    for (args, says) in [
        (
            vec!["check", "-f", "evt.latency > 0"],
            "the filter reads evt.latency",
        ),
        (
            vec!["read", "-f", "evt.latency > 0"],
            "the filter reads evt.latency",
        ),
        (vec!["rules", "-r", rules], "rule 'slow' reads evt.latency"),
        (
            vec!["top", "slow_io"],
            "view slow_io selects calls by their latency",
        ),
    ] {
        let mut cmd = TestCommand::new(&args);
        cmd.cmd().arg(&file);
        let (_, err) = cmd.expect_code(2);
        assert!(
            err.contains(says) && err.contains("--no-latency"),
            "{args:?}: {err}"
        );
    }
    // What does not need latencies reads as ever.
    let mut read = TestCommand::new(["read", "-n", "1", "-f", "evt.type = execve"]);
    read.cmd().arg(&file);
    assert!(read.stdout().contains("execve"));
}

/// The verifier sees the snaplen as a constant, so whether the probe loads depends on it: every
/// boundary of the payload paths (none, the 8- and 80-byte in-place records, the scratch
/// buffer, the largest) must load, through tp_btf (`record` fails the test when a program fell
/// back to raw_tp) and through raw_tp, with the enter hook and without.
#[test]
fn the_probe_loads_at_every_snaplen_boundary() {
    let dir = Dir::new("snaplens");
    for snaplen in ["0", "1", "8", "9", "80", "81", "127", "128", "4096"] {
        for (i, flags) in [
            &[][..],
            &["--force-raw-tp"][..],
            &["--no-latency"][..],
            &["--no-latency", "--force-raw-tp"][..],
        ]
        .into_iter()
        .enumerate()
        {
            let file = dir.join(format!("s{snaplen}-{i}.case"));
            let mut args = vec!["-s", snaplen];
            args.extend_from_slice(flags);
            if record(&file, &args, &["true"]).is_none() {
                return;
            }
        }
    }
}
