//! Golden tests of replay on the committed fixtures: state reconstruction, every operator on
//! real events, filter error messages, block skipping and seeking.

use std::fmt::Write as _;

use capture_format::CaptureFile;
use capture_format::schema::Value;
use insta::assert_snapshot;

use super::fields::Fields;
use super::session::Options;
use super::testutil::{fields_table, lines, state_fixture, synth_fixture};
use crate::filter::compile;

/// A session and a compiled filter move to a worker thread (the TUI replays off its UI
/// thread) and a filter is shared between threads.
#[test]
fn sessions_are_send_and_filters_are_shared() {
    fn send<T: Send>() {}
    fn sync<T: Sync + Send>() {}
    send::<super::session::Session>();
    sync::<crate::filter::Filter<super::fields::Field>>();
}

#[test]
fn a_session_runs_again_from_scratch() {
    use super::session::{Flow, ReplayError, Session};
    use super::testutil::{Cap, int, text};
    use capture_format::{HeaderInfo, Writer, WriterOptions};
    // No state block: what a run learns must not leak into the next one. Event 1 reads fd 3
    // before event 2 opens it, so only a clean run shows no name for it.
    let mut cap_events = Cap::new();
    cap_events.sys(7, 7, "read", 1, vec![int(3), text("x"), int(1)]);
    cap_events.sys(
        7,
        7,
        "openat",
        3,
        vec![int(-100), text("/etc/hosts"), int(0), int(0)],
    );
    let path = std::env::temp_dir().join(format!("casefile-rerun-{}.case", std::process::id()));
    let mut writer =
        Writer::create(&path, &HeaderInfo::default(), WriterOptions::default()).expect("create");
    for ev in &cap_events.events {
        writer.append(ev).expect("append");
    }
    writer.finish().expect("finish");
    let cap = CaptureFile::read(&path).expect("open");
    let _ = std::fs::remove_file(&path);
    let mut session = Session::new(cap, Options::default()).expect("session");
    let filter = compile("fd.name exists", &Fields).expect("filter");
    for _ in 0..2 {
        let mut nums = Vec::new();
        session
            .run(Some(&filter), |ctx| -> Result<Flow, ReplayError> {
                nums.push(ctx.num);
                Ok(Flow::Continue)
            })
            .expect("run");
        assert_eq!(nums, [2]);
    }
}

#[test]
fn default_lines_of_the_state_fixture() {
    let (l, _) = lines(&state_fixture(), None, Options::default());
    assert_snapshot!(l.join("\n"));
}

#[test]
fn fd_names_follow_dup_fork_exec_close_and_threads() {
    let t = fields_table(
        &state_fixture(),
        Some("evt.type in (read, write, close, openat, dup2, sendto, pipe)"),
        &[
            "proc.name",
            "thread.tid",
            "evt.type",
            "fd.num",
            "fd.name",
            "fd.type",
        ],
    );
    assert_snapshot!(t);
}

#[test]
fn process_fields_across_fork_and_exec() {
    let t = fields_table(
        &state_fixture(),
        Some("proc.pid = 200"),
        &[
            "evt.type",
            "proc.name",
            "proc.exe",
            "proc.cmdline",
            "proc.pname",
            "proc.ppid",
            "proc.aname[2]",
            "proc.apid",
            "user.name",
            "thread.ismain",
        ],
    );
    assert_snapshot!(t);
}

#[test]
fn container_and_network_fields() {
    let t = fields_table(
        &state_fixture(),
        Some("fd.sockfamily = ip or container.id != host"),
        &[
            "proc.name",
            "evt.type",
            "container.id",
            "container.name",
            "container.image",
            "container.label[app]",
            "k8s.pod.name",
            "k8s.ns.name",
            "k8s.pod.uid",
            "fd.cip",
            "fd.sport",
            "fd.lip",
            "fd.rport",
            "fd.l4proto",
            "fd.is_server",
        ],
    );
    assert_snapshot!(t);
}

#[test]
fn results_paths_and_args() {
    let t = fields_table(
        &state_fixture(),
        Some("evt.type in (openat, chdir) or evt.failed = true"),
        &[
            "evt.type",
            "evt.res",
            "evt.rawres",
            "evt.failed",
            "fs.path.name",
            "evt.arg.flags",
            "evt.rawarg.flags",
            "evt.arg[1]",
            "fd.directory",
            "fd.filename",
        ],
    );
    assert_snapshot!(t);
}

/// Event numbers matching each filter, one line per filter: every operator, on real events.
#[test]
fn every_operator_on_the_state_fixture() {
    let path = state_fixture();
    let filters = [
        "proc.name = cat",
        "proc.name == bash and evt.type = read",
        "proc.name != bash",
        "evt.rawres < 0",
        "evt.rawres <= 0 and evt.type = read",
        "evt.num > 25",
        "evt.num >= 27",
        "fd.name contains passwd",
        "fd.name icontains PASSWD",
        "fd.name startswith /home",
        "fd.name endswith .log",
        "fd.name glob '/home/*/notes/*.txt'",
        "fd.name iglob '/ETC/PASS*'",
        "evt.type in (dup2, pipe, chdir)",
        "proc.aname intersects (systemd)",
        "fd.name pmatch (/var/log, /home/alice/notes)",
        "container.label[app] exists",
        "not proc.name exists",
        "evt.buffer bcontains 474554",
        "evt.buffer bstartswith 726f6f74",
        "fd.sip = 93.184.216.0/24",
        "fd.cip in (10.0.0.7, 10.0.0.8)",
        "proc.aname[2] = systemd",
        "proc.apid = 1 and not proc.pid = 100",
        "evt.arg.name contains passwd",
        "evt.rawarg.flags > 0",
        "evt.type = procexec and evt.arg.exe endswith /cat and evt.arg[2] = /etc/passwd",
        "(proc.name = bash or proc.name = cat) and not (evt.type = read or evt.type = close)",
    ];
    let mut out = String::new();
    for f in filters {
        let (l, _) = lines(&path, Some(f), Options::default());
        let nums: Vec<&str> = l.iter().filter_map(|x| x.split(' ').next()).collect();
        let _ = writeln!(out, "{f:<80} => {}", nums.join(","));
    }
    assert_snapshot!(out);
}

#[test]
fn error_messages_point_at_the_column_and_suggest() {
    let bad = [
        "proc.nmae = bash",
        "fd.nam contains /etc",
        "proc.pid = bash",
        "proc.name contains",
        "evt.type in open",
        "proc.name = bash and (fd.num > 3",
        "proc.name = bash)",
        "proc.aname[x] = bash",
        "container.label exists",
        "evt.failed = maybe",
        "fd.cip = 10.0.0.256",
        "proc.pid contains 3",
        "fd.sport = 70000",
        "proc.name = 'unterminated",
        "proc.nmae = a and fd.nam = b",
    ];
    let mut out = String::new();
    for f in bad {
        match compile(f, &Fields) {
            Ok(_) => {
                let _ = writeln!(out, "{f}\n  compiled (unexpected)");
            }
            Err(e) => {
                let _ = write!(out, "{e}\n\n");
            }
        }
    }
    assert_snapshot!(out);
}

#[test]
fn skipping_blocks_gives_the_same_results() {
    let path = synth_fixture();
    let filters = [
        "evt.type = execve",
        "evt.type in (clone, procexit) and proc.name != bash",
        "evt.type = ptrace",
        "proc.pid = 1400",
        "proc.pid in (1201, 1300) and evt.type = connect",
        "container.name = shop-web and evt.type = execve",
        "not container.name = shop-web",
        "k8s.ns.name = shop and fd.name contains index",
        "evt.type != futex and proc.name = curl",
        "fd.name contains /etc/passwd",
        "evt.category = system",
        "evt.category = net and proc.name = nginx",
        "evt.category in (process, signal) or evt.type = procexit",
        "evt.is_io_write = true and fd.name contains log",
        "not evt.is_io = true and not evt.category != file",
        "evt.is_wait = true",
    ];
    let mut skipped_some = false;
    for f in filters {
        let on = lines(&path, Some(f), Options::default());
        let off = lines(
            &path,
            Some(f),
            Options {
                skip_blocks: false,
                ..Options::default()
            },
        );
        assert_eq!(on.0, off.0, "different results with skipping for {f}");
        assert_eq!(off.1.blocks_skipped, 0);
        skipped_some |= on.1.blocks_skipped > 0;
        if f == "evt.type = ptrace" || f == "evt.category = system" {
            assert_eq!(on.1.blocks_evaluated, 0, "{f}: every block skipped");
            assert!(on.0.is_empty());
        }
    }
    assert!(skipped_some);
    // The fixture has keyframes between event blocks.
    let cap = CaptureFile::read(&path).expect("open");
    let states = cap
        .blocks()
        .iter()
        .filter(|b| b.block_type == capture_format::BlockType::State)
        .count();
    assert!(states > 2, "{states} state blocks");
}

#[test]
fn seeking_by_time_starts_at_the_keyframe_and_matches_a_full_read() {
    let path = synth_fixture();
    let cap = CaptureFile::read(&path).expect("open");
    let (first, last) = cap.time_range().expect("events");
    let (all, _) = lines(&path, None, Options::default());
    for frac in [3u64, 2] {
        let from = first + (last - first) / frac;
        let (tail, stats) = lines(
            &path,
            None,
            Options {
                from: Some(from),
                ..Options::default()
            },
        );
        assert!(!tail.is_empty());
        assert!(stats.blocks_evaluated < cap.blocks().len() as u64);
        // Same lines (numbers, names, fds) as the full read from that point on.
        let start = all.len() - tail.len();
        assert_eq!(all[start..], tail[..], "from 1/{frac}");
    }
    let to = first + (last - first) / 4;
    let (head, _) = lines(
        &path,
        None,
        Options {
            to: Some(to),
            ..Options::default()
        },
    );
    assert_eq!(all[..head.len()], head[..]);
    assert!(head.len() < all.len());
}

/// Writes the benchmark capture (bench/replay.sh): synthetic activity in 1 MiB blocks with a
/// keyframe every 64 blocks written from replay's state, as a recorder would.
/// `CASEFILE_BENCH_OUT=FILE CASEFILE_BENCH_EVENTS=N cargo test --release -- --ignored bench_capture`
#[test]
#[ignore = "writes a large file for bench/replay.sh"]
fn bench_capture() {
    let out = std::env::var("CASEFILE_BENCH_OUT").expect("CASEFILE_BENCH_OUT");
    let n = std::env::var("CASEFILE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    super::testutil::write_synth(std::path::Path::new(&out), n, 1 << 20, 64);
}

/// The fields Falco's public rules need, on events built for them: open intents, parent and
/// ancestor executables, raw names, networks, connection state and raw results.
#[test]
fn falco_rule_fields() {
    use super::testutil::{Cap, P, int, tcp, text};
    let mut c = Cap::new();
    c.process(&P {
        pid: 10,
        ppid: 1,
        comm: "bash",
        exe: "/bin/bash",
        args: "",
        cwd: "/home/alice",
        uid: 1000,
        container: 0,
    });
    c.process(&P {
        pid: 20,
        ppid: 10,
        comm: "curl",
        exe: "/usr/bin/curl",
        args: "",
        cwd: "/home/alice",
        uid: 1000,
        container: 0,
    });
    // 1: write-create an executable, by a relative path; 2: read-only; 3: read-write;
    // 4: creat with mode 0644; 5: failed open.
    c.sys(
        20,
        20,
        "openat",
        3,
        vec![int(-100), text("bin/x.sh"), int(0o101), int(0o755)],
    );
    c.sys(20, 20, "open", 4, vec![text("/etc/hosts"), int(0), int(0)]);
    c.sys(20, 20, "open", 5, vec![text("/etc/passwd"), int(2), int(0)]);
    c.sys(20, 20, "creat", 6, vec![text("/tmp/y"), int(0o644)]);
    c.sys(20, 20, "open", -2, vec![text("nope"), int(0), int(0)]);
    // 6: socket; 7: connect in progress; 8: send on it.
    c.sys(20, 20, "socket", 7, vec![int(2), int(1), int(0)]);
    c.sys(
        20,
        20,
        "connect",
        -115,
        vec![
            int(7),
            Value::None,
            tcp([10, 0, 0, 2], 40000, [93, 184, 216, 34], 443),
        ],
    );
    c.sys(20, 20, "write", 3, vec![int(7), text("hi\n"), int(3)]);
    let path = std::env::temp_dir().join(format!("casefile-falco-{}.case", std::process::id()));
    c.write(&path);
    let t = fields_table(
        &path,
        None,
        &[
            "evt.is_open_read",
            "evt.is_open_write",
            "evt.is_open_exec",
            "fd.name",
            "fd.nameraw",
            "evt.rawarg.res",
        ],
    );
    let net = fields_table(
        &path,
        Some("fd.type = ipv4"),
        &[
            "evt.type",
            "fd.connected",
            "fd.name_changed",
            "fd.rnet",
            "proc.pexe",
            "proc.aexe[2]",
            "proc.aexepath",
        ],
    );
    let matching = |f: &str| {
        let t = fields_table(&path, Some(f), &[]);
        t.lines()
            .map(|l| l.trim().to_owned())
            .collect::<Vec<_>>()
            .join(",")
    };
    let nets = [
        matching("fd.net = 93.184.0.0/16"),
        matching("fd.snet in (93.184.216.0/24)"),
        matching("fd.cnet != 10.0.0.0/8"),
        matching("evt.rawarg.res = -115"),
        matching("evt.arg.res = EINPROGRESS"),
    ];
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        t.trim_start(),
        "  \
  1 evt.is_open_read=false evt.is_open_write=true evt.is_open_exec=true fd.name=/home/alice/bin/x.sh fd.nameraw=bin/x.sh evt.rawarg.res=3
  2 evt.is_open_read=true evt.is_open_write=false evt.is_open_exec=false fd.name=/etc/hosts fd.nameraw=/etc/hosts evt.rawarg.res=4
  3 evt.is_open_read=true evt.is_open_write=true evt.is_open_exec=false fd.name=/etc/passwd fd.nameraw=/etc/passwd evt.rawarg.res=5
  4 evt.is_open_read=false evt.is_open_write=false evt.is_open_exec=false fd.name=/tmp/y fd.nameraw=/tmp/y evt.rawarg.res=6
  5 evt.is_open_read=true evt.is_open_write=false evt.is_open_exec=false fd.name=/home/alice/nope fd.nameraw=nope evt.rawarg.res=-2
  6 evt.is_open_read=false evt.is_open_write=false evt.is_open_exec=false fd.name=<NA> fd.nameraw=<NA> evt.rawarg.res=7
  7 evt.is_open_read=false evt.is_open_write=false evt.is_open_exec=false fd.name=10.0.0.2:40000->93.184.216.34:443 fd.nameraw=10.0.0.2:40000->93.184.216.34:443 evt.rawarg.res=-115
  8 evt.is_open_read=false evt.is_open_write=false evt.is_open_exec=false fd.name=10.0.0.2:40000->93.184.216.34:443 fd.nameraw=10.0.0.2:40000->93.184.216.34:443 evt.rawarg.res=3
"
        .trim_start(),
    );
    assert_eq!(
        net.trim_start(),
        "  \
  6 evt.type=socket fd.connected=false fd.name_changed=false fd.rnet=<NA> proc.pexe=/bin/bash proc.aexe[2]=<NA> proc.aexepath=/bin/bash
  7 evt.type=connect fd.connected=true fd.name_changed=true fd.rnet=93.184.216.34 proc.pexe=/bin/bash proc.aexe[2]=<NA> proc.aexepath=/bin/bash
  8 evt.type=write fd.connected=true fd.name_changed=false fd.rnet=93.184.216.34 proc.pexe=/bin/bash proc.aexe[2]=<NA> proc.aexepath=/bin/bash
"
        .trim_start(),
    );
    assert_eq!(nets, ["7,8", "7,8", "", "7", "7"]);
}

// See: issue 15 ("What the capture says is true"): `proc.pname` and `proc.aname[N]` became
// `<NA>` once a parent exited, so ancestry rules stopped matching.
#[test]
fn ancestry_fields_resolve_after_the_parents_exit() {
    use super::state::State;
    use super::testutil::{Cap, P, int, text};
    use capture_format::{HeaderInfo, Writer, WriterOptions};
    let mut c = Cap::new();
    let p = |pid, ppid, comm, exe| P {
        pid,
        ppid,
        comm,
        exe,
        args: "",
        cwd: "/",
        uid: 0,
        container: 0,
    };
    c.process(&p(1, 0, "systemd", "/sbin/init"));
    c.process(&p(100, 1, "sshd", "/usr/sbin/sshd"));
    c.process(&p(200, 100, "bash", "/bin/bash"));
    c.fork(200, 200, 300, 300);
    c.exec(300, 200, "curl", "/usr/bin/curl", "");
    // The parent and the grandparent exit; the child goes on.
    c.exit(200, 200, true);
    c.exit(100, 100, true);
    c.sys(300, 300, "read", 1, vec![int(0), text("x"), int(1)]);
    let before_keyframe = c.events.len();
    c.sys(300, 300, "write", 1, vec![int(1), text("x"), int(1)]);

    // A keyframe (as `casefile merge` writes them) between the two calls: a replay that
    // starts there resolves the same ancestry.
    let mut st = State::default();
    for ev in c.state.iter().chain(&c.events[..before_keyframe]) {
        let d = st.apply_before(ev);
        st.apply_after(d);
    }
    assert!(!st.procs.contains_key(&200) && !st.procs.contains_key(&100));
    let path = std::env::temp_dir().join(format!("casefile-ancestry-{}.case", std::process::id()));
    let mut w =
        Writer::create(&path, &HeaderInfo::default(), WriterOptions::default()).expect("create");
    w.write_state(&c.state).expect("state");
    for ev in &c.events[..before_keyframe] {
        w.append(ev).expect("append");
    }
    w.flush_block().expect("flush");
    w.write_state(&st.to_records(c.events[before_keyframe].ts))
        .expect("keyframe");
    for ev in &c.events[before_keyframe..] {
        w.append(ev).expect("append");
    }
    w.finish().expect("finish");
    let t = super::testutil::fields_table(
        &path,
        Some("evt.type in (read, write)"),
        &[
            "evt.type",
            "proc.name",
            "proc.pname",
            "proc.pexe",
            "proc.aname[2]",
            "proc.aname[3]",
            "proc.apid[2]",
            "proc.aexe[2]",
        ],
    );
    let _ = std::fs::remove_file(&path);
    let want = " proc.name=curl proc.pname=bash proc.pexe=/bin/bash proc.aname[2]=sshd \
                proc.aname[3]=systemd proc.apid[2]=100 proc.aexe[2]=/usr/sbin/sshd";
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 2, "{t}");
    assert!(lines[0].ends_with(&format!("evt.type=read{want}")), "{t}");
    assert!(lines[1].ends_with(&format!("evt.type=write{want}")), "{t}");
}

/// Exited processes are kept only while they are ancestors of live ones.
#[test]
fn exited_processes_are_kept_only_as_ancestors() {
    use super::state::State;
    use super::testutil::{Cap, P};
    let mut c = Cap::new();
    c.process(&P {
        pid: 10,
        ppid: 1,
        comm: "sh",
        exe: "/bin/sh",
        args: "",
        cwd: "/",
        uid: 0,
        container: 0,
    });
    // One long-lived child, then thousands of short-lived ones; then the parent exits.
    c.fork(10, 10, 11, 11);
    for pid in 1000..6000 {
        c.fork(10, 10, pid, pid);
        c.exit(pid, pid, true);
    }
    c.exit(10, 10, true);
    let mut st = State::default();
    for ev in c.state.iter().chain(&c.events) {
        let d = st.apply_before(ev);
        st.apply_after(d);
    }
    assert!(st.exited.len() <= 256 + 1, "{} kept", st.exited.len());
    assert_eq!(st.parent_of(&st.procs[&11]).map(|p| p.pid), Some(10));
}
