//! Golden tests of every view and of the overview on a committed fixture whose construction
//! fixes the numbers (see [`scenario`]; the comments there give each event's number and the
//! counts the tests assert).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use capture_format::CaptureFile;
use capture_format::schema::{Body, FdType, Signal, Value};
use insta::assert_snapshot;

use super::catalog::{VIEWS, view};
use super::eval::{Cell, Control, Table, display, run_view};
use super::overview::{TILES, run_overview, run_overview_live};
use crate::replay::session::{Options, Session};
use crate::replay::testutil::{Cap, P, int, tcp, text};

/// Sets the latency of the last event.
fn lat(c: &mut Cap, ns: u64) {
    if let Some(Body::Syscall(sc)) = c.events.last_mut().map(|e| &mut e.body) {
        sc.latency = ns;
    }
}

/// Turns the last event (a placeholder system call) into a delivered signal.
fn signal(c: &mut Cap, tid: u32, sig: u32) {
    c.sys(tid, tid, "getpid", 0, vec![]);
    if let Some(e) = c.events.last_mut() {
        e.body = Body::Signal(Signal {
            sig,
            sender: 0,
            code: 0,
        });
    }
}

/// The views scenario: a login shell runs sudo and vi (which rewrites /etc/hosts slowly, fails
/// on /etc/shadow, deletes a file, makes a symlink and segfaults), types ten characters read
/// with latencies of 0.1 to 1.0 ms, fails one connection and opens an SSH one; nginx in a
/// container binds port 80, serves two clients and writes its access log; a setns.
///
/// Facts the tests rely on (event numbers in the comments below):
/// - 10 reads of /dev/pts/0 by bash, 1 byte each, latencies 100..=1000 µs: p50 500 µs,
///   p95 and p99 1 ms (nearest rank), sum 5.5 ms;
/// - /etc/hosts: 2 writes, 120 + 80 bytes, latencies 2 ms and 0.5 ms;
/// - slow file I/O (≥ 1 ms): the 2 ms write and the 1 ms read;
/// - nginx: 100 + 50 bytes in, 612 + 300 bytes out on port 80, access log 10 + 23 bytes;
/// - failures: openat EACCES, connect ECONNREFUSED.
pub fn scenario() -> Cap {
    let mut c = Cap::new();
    let proc_ = |c: &mut Cap, pid, ppid, comm, exe, args, uid, container| {
        c.process(&P {
            pid,
            ppid,
            comm,
            exe,
            args,
            cwd: "/home/alice",
            uid,
            container,
        });
    };
    proc_(&mut c, 1, 0, "systemd", "/sbin/init", "", 0, 0);
    proc_(&mut c, 50, 1, "sshd", "/usr/sbin/sshd", "-D\0", 0, 0);
    proc_(&mut c, 100, 50, "bash", "/bin/bash", "-l\0", 1000, 0);
    proc_(
        &mut c,
        300,
        1,
        "nginx",
        "/usr/sbin/nginx",
        "-g\0daemon off;\0",
        0,
        1,
    );
    c.fd(100, 0, FdType::File, "/dev/pts/0");
    c.user(1000, "alice", "/home/alice", "/bin/bash");
    c.user(0, "root", "/root", "/bin/sh");
    c.container(
        1,
        "3f4c1a2b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a",
        "shop-web",
        "docker.io/library/nginx:1.25",
        "app=shop\0",
    );
    // 1..10: bash reads ten typed characters from the terminal.
    for (k, ch) in "sudo id vi".chars().enumerate() {
        c.sys(
            100,
            100,
            "read",
            1,
            vec![int(0), text(&ch.to_string()), int(1)],
        );
        lat(&mut c, 100_000 * (k as u64 + 1));
    }
    // 11: fork 400; 12: it execs sudo; 13: sudo exits.
    c.fork(100, 100, 400, 400);
    c.exec(400, 100, "sudo", "/usr/bin/sudo", "id\0");
    c.exit(400, 400, true);
    // 14: fork 401; 15: it execs vi /etc/hosts.
    c.fork(100, 100, 401, 401);
    c.exec(401, 100, "vi", "/usr/bin/vi", "/etc/hosts\0");
    // 16: open /etc/hosts for writing → 3; 17, 18: two writes; 19: close.
    c.sys(
        401,
        401,
        "openat",
        3,
        vec![int(-100), text("/etc/hosts"), int(0o1001), int(0o644)],
    );
    c.sys(
        401,
        401,
        "write",
        120,
        vec![int(3), text("127.0.0.1 localhost\n"), int(120)],
    );
    lat(&mut c, 2_000_000);
    c.sys(
        401,
        401,
        "write",
        80,
        vec![int(3), text("10.0.0.5 shop\n"), int(80)],
    );
    lat(&mut c, 500_000);
    c.sys(401, 401, "close", 0, vec![int(3)]);
    // 20: open /etc/shadow fails with EACCES.
    c.sys(
        401,
        401,
        "openat",
        -13,
        vec![int(-100), text("/etc/shadow"), int(0), int(0)],
    );
    // 21: unlink /tmp/vi.swp; 22: symlink.
    c.sys(
        401,
        401,
        "unlinkat",
        0,
        vec![int(-100), text("/tmp/vi.swp"), int(0)],
    );
    c.sys(
        401,
        401,
        "symlinkat",
        0,
        vec![text("/etc/hosts"), int(-100), text("/tmp/hosts")],
    );
    // 23: vi gets SIGSEGV; 24: it exits.
    signal(&mut c, 401, 11);
    c.exit(401, 401, true);
    // 25..27: nginx: socket → 6, bind 0.0.0.0:80, listen.
    c.sys_in(1, 300, 300, "socket", 6, vec![int(2), int(1), int(0)]);
    c.sys_in(
        1,
        300,
        300,
        "bind",
        0,
        vec![
            int(6),
            Value::Sock(capture_format::schema::Sock::v4(6, [0; 4], 0, [0; 4], 80)),
        ],
    );
    c.sys_in(1, 300, 300, "listen", 0, vec![int(6), int(128)]);
    // 28..31, 32..35: two clients, each accepted, read, answered, closed.
    for (fd, ip, port, req, resp) in [
        (7, [10, 0, 0, 7], 51000, 100, 612),
        (8, [10, 0, 0, 8], 52000, 50, 300),
    ] {
        let t = tcp(ip, port, [10, 0, 0, 5], 80);
        c.sys_in(1, 300, 300, "accept4", fd, vec![int(6), t.clone(), int(0)]);
        c.sys_in(
            1,
            300,
            300,
            "recvfrom",
            req,
            vec![
                int(fd),
                text("GET / HTTP/1.1\r\n"),
                int(1024),
                t.clone(),
                Value::None,
            ],
        );
        c.sys_in(
            1,
            300,
            300,
            "writev",
            resp,
            vec![int(fd), text("HTTP/1.1 200 OK\r\n")],
        );
        c.sys_in(1, 300, 300, "close", 0, vec![int(fd)]);
    }
    // 36: open the access log → 9; 37, 38: two lines, the second a warning.
    c.sys_in(
        1,
        300,
        300,
        "openat",
        9,
        vec![
            int(-100),
            text("/var/log/nginx/access.log"),
            int(0o2101),
            int(0o644),
        ],
    );
    c.sys_in(
        1,
        300,
        300,
        "write",
        10,
        vec![int(9), text("GET / 200\n"), int(10)],
    );
    c.sys_in(
        1,
        300,
        300,
        "write",
        23,
        vec![int(9), text("warning: slow upstream\n"), int(23)],
    );
    // 39, 40: bash: socket → 4; connect to 93.184.216.34:443 refused.
    c.sys(100, 100, "socket", 4, vec![int(2), int(1), int(0)]);
    c.sys(
        100,
        100,
        "connect",
        -111,
        vec![
            int(4),
            Value::None,
            tcp([10, 0, 0, 2], 40000, [93, 184, 216, 34], 443),
        ],
    );
    // 41..44: socket → 5; SSH to 10.0.0.9:22; banner out and in (21 bytes each).
    c.sys(100, 100, "socket", 5, vec![int(2), int(1), int(0)]);
    let ssh = tcp([10, 0, 0, 2], 40001, [10, 0, 0, 9], 22);
    c.sys(
        100,
        100,
        "connect",
        0,
        vec![int(5), Value::None, ssh.clone()],
    );
    c.sys(
        100,
        100,
        "sendto",
        21,
        vec![
            int(5),
            text("SSH-2.0-OpenSSH_9.6\r\n"),
            int(21),
            ssh.clone(),
            Value::None,
        ],
    );
    c.sys(
        100,
        100,
        "recvfrom",
        21,
        vec![
            int(5),
            text("SSH-2.0-OpenSSH_9.3\r\n"),
            int(4096),
            ssh,
            Value::None,
        ],
    );
    // 45: setns by nginx.
    c.sys_in(1, 300, 300, "setns", 0, vec![int(10), int(0x4000_0000)]);
    c
}

/// The committed views fixture, written when missing (with its `.txt` sidecar).
pub fn fixture() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("views");
    std::fs::create_dir_all(&dir).expect("fixtures/views");
    let path = dir.join("scenario.case");
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _g = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !path.exists() {
        let tmp = dir.join("scenario.case.tmp");
        scenario().write(&tmp);
        std::fs::rename(&tmp, &path).expect("rename");
        let cap = CaptureFile::read(&path).expect("reopen");
        std::fs::write(
            dir.join("scenario.txt"),
            format!(
                "Views scenario: a login shell types ten characters (read latencies 0.1..1 ms), \
                 runs sudo and vi (vi rewrites /etc/hosts with a 2 ms write, fails on \
                 /etc/shadow, unlinks, symlinks, segfaults), fails a connect and opens SSH; \
                 nginx in container 1 binds :80, serves two clients (100/612 and 50/300 bytes) \
                 and writes its access log; a setns.\n\nWritten by src/views/tests.rs \
                 (scenario); {} events in {} blocks. Regenerate by deleting this pair and \
                 running `cargo test`.\n",
                cap.event_count(),
                cap.blocks().len()
            ),
        )
        .expect("sidecar");
    }
    path
}

fn session(path: &Path) -> Session {
    Session::new(CaptureFile::read(path).expect("open"), Options::default()).expect("session")
}

fn table(id: &str, filter: Option<&str>) -> Table {
    let spec = view(id).unwrap_or_else(|| panic!("no view {id}"));
    run_view(
        spec,
        &mut session(&fixture()),
        filter,
        &mut Control::default(),
    )
    .unwrap_or_else(|e| panic!("{id}: {e}"))
}

/// A table as text: header, then `|`-separated cells in display form, then each row's drill.
fn render(t: &Table) -> String {
    let mut out = String::new();
    let head: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
    out.push_str(&head.join(" | "));
    out.push('\n');
    for r in &t.rows {
        let cells: Vec<String> = r
            .cells
            .iter()
            .zip(&t.columns)
            .map(|(c, h)| match c {
                Cell::None => "-".to_owned(),
                c => display(c, h.unit),
            })
            .collect();
        out.push_str(&cells.join(" | "));
        if let Some(d) = &r.drill {
            let _ = write!(out, "  => {} {d}", t.drill_view.unwrap_or(""));
        }
        out.push('\n');
    }
    out
}

fn cell<'t>(t: &'t Table, key: &str, col: &str) -> &'t Cell {
    let c = t.column(col).unwrap_or_else(|| panic!("no column {col}"));
    let row = t
        .rows
        .iter()
        .find(|r| r.cells[0].text() == key)
        .unwrap_or_else(|| panic!("no row {key}"));
    &row.cells[c]
}

#[test]
fn every_view_is_golden() {
    for v in VIEWS {
        let t = table(v.id, None);
        insta::with_settings!({ snapshot_suffix => v.id }, {
            assert_snapshot!(render(&t));
        });
    }
}

#[test]
fn procs_counts_bytes_and_errors() {
    let t = table("procs", None);
    // bash: 10 reads, 2 forks, 2 sockets, 2 connects, a send and a receive.
    assert_eq!(cell(&t, "100", "EVENTS"), &Cell::Num(18));
    assert_eq!(cell(&t, "100", "BYTES IN"), &Cell::Num(10 + 21));
    assert_eq!(cell(&t, "100", "BYTES OUT"), &Cell::Num(21));
    assert_eq!(cell(&t, "100", "ERRORS"), &Cell::Num(1));
    assert_eq!(cell(&t, "100", "USER"), &Cell::Text("alice".into()));
    // vi replaced the fork's image: the row shows the exec'd program.
    assert_eq!(cell(&t, "401", "NAME"), &Cell::Text("vi".into()));
    assert_eq!(
        cell(&t, "401", "CMDLINE"),
        &Cell::Text("vi /etc/hosts".into())
    );
    assert_eq!(cell(&t, "401", "BYTES OUT"), &Cell::Num(200));
    assert_eq!(cell(&t, "300", "BYTES IN"), &Cell::Num(150));
    assert_eq!(cell(&t, "300", "BYTES OUT"), &Cell::Num(912 + 33));
    assert_eq!(cell(&t, "300", "CONTAINER"), &Cell::Text("shop-web".into()));
    assert_eq!(t.rows[0].drill.as_deref(), Some("proc.pid = 100"));
}

#[test]
fn latency_percentiles_are_nearest_rank() {
    let t = table("syscalls", Some("proc.pid = 100"));
    assert_eq!(cell(&t, "read", "CALLS"), &Cell::Num(10));
    assert_eq!(cell(&t, "read", "P50"), &Cell::Num(500_000));
    assert_eq!(cell(&t, "read", "P95"), &Cell::Num(1_000_000));
    assert_eq!(cell(&t, "read", "P99"), &Cell::Num(1_000_000));
    assert_eq!(cell(&t, "read", "MAX"), &Cell::Num(1_000_000));
    assert_eq!(cell(&t, "read", "TIME"), &Cell::Num(5_500_000));
    assert_eq!(cell(&t, "read", "AVG"), &Cell::Num(550_000));
}

#[test]
fn slow_io_is_file_io_over_a_millisecond() {
    let t = table("slow_io", None);
    assert_eq!(t.rows.len(), 2);
    assert_eq!(cell(&t, "/etc/hosts", "CALLS"), &Cell::Num(1));
    assert_eq!(cell(&t, "/etc/hosts", "MAX"), &Cell::Num(2_000_000));
    assert_eq!(cell(&t, "/etc/hosts", "BYTES"), &Cell::Num(120));
    assert_eq!(cell(&t, "/dev/pts/0", "MIN"), &Cell::Num(1_000_000));
}

#[test]
fn files_and_ports() {
    let t = table("files", None);
    assert_eq!(cell(&t, "/etc/hosts", "BYTES OUT"), &Cell::Num(200));
    assert_eq!(cell(&t, "/etc/hosts", "OPENS"), &Cell::Num(1));
    assert_eq!(cell(&t, "/dev/pts/0", "BYTES IN"), &Cell::Num(10));
    assert_eq!(cell(&t, "/dev/pts/0", "IOPS"), &Cell::Num(10));
    let p = table("sports", None);
    assert_eq!(cell(&p, "80", "BYTES IN"), &Cell::Num(150));
    assert_eq!(cell(&p, "80", "BYTES OUT"), &Cell::Num(912));
    assert_eq!(cell(&p, "80", "CONNECTIONS"), &Cell::Num(2));
    assert_eq!(cell(&p, "22", "BYTES"), &Cell::Num(42));
    assert_eq!(p.rows[0].drill.as_deref(), Some("fd.sport = 80"));
    let e = table("errors", None);
    assert_eq!(e.rows.len(), 2);
    assert_eq!(cell(&e, "EACCES", "COUNT"), &Cell::Num(1));
    assert_eq!(cell(&e, "ECONNREFUSED", "COUNT"), &Cell::Num(1));
}

#[test]
fn user_filter_and_time_range_narrow_a_view() {
    let t = table("procs", Some("container.name = shop-web"));
    assert_eq!(t.rows.len(), 1);
    assert_eq!(t.rows[0].cells[0], Cell::Num(300));
    // Events are 1 µs apart from T0: the first ten are bash's reads.
    let cap = CaptureFile::read(fixture()).expect("open");
    let (t0, _) = cap.time_range().expect("range");
    let opts = Options {
        from: Some(t0),
        to: Some(t0 + 9_000),
        ..Options::default()
    };
    let mut s = Session::new(cap, opts).expect("session");
    let t = run_view(
        view("syscalls").expect("syscalls"),
        &mut s,
        None,
        &mut Control::default(),
    )
    .expect("run");
    assert_eq!(t.rows.len(), 1);
    assert_eq!(cell(&t, "read", "CALLS"), &Cell::Num(10));
}

#[test]
fn a_bad_user_filter_is_reported_against_its_own_text() {
    let Err(e) = run_view(
        view("procs").expect("procs"),
        &mut session(&fixture()),
        Some("proc.nme = x"),
        &mut Control::default(),
    ) else {
        panic!("should fail")
    };
    let msg = e.to_string();
    assert!(msg.contains("proc.nme"), "{msg}");
    assert!(!msg.contains("proc.pid > 0"), "{msg}");
}

#[test]
fn progress_is_reported_and_cancel_stops() {
    let mut seen = Vec::new();
    let mut cb = |p: super::eval::Progress| seen.push(p);
    let mut ctl = Control {
        progress: Some(&mut cb),
        cancel: None,
    };
    run_view(
        view("procs").expect("procs"),
        &mut session(&fixture()),
        None,
        &mut ctl,
    )
    .expect("run");
    assert_eq!(seen.last().map(|p| p.fraction), Some(1.0));
    let cancel = std::sync::atomic::AtomicBool::new(true);
    let mut ctl = Control {
        progress: None,
        cancel: Some(&cancel),
    };
    let r = run_view(
        view("procs").expect("procs"),
        &mut session(&fixture()),
        None,
        &mut ctl,
    );
    assert!(matches!(r, Err(super::eval::ViewError::Cancelled)));
}

#[test]
fn overview_tiles_are_golden() {
    let s = run_overview(&mut session(&fixture()), None, 9, &mut Control::default()).expect("sum");
    let total = |id: &str| {
        s.tiles
            .iter()
            .find(|t| t.id == id)
            .unwrap_or_else(|| panic!("{id}"))
            .total
    };
    assert_eq!(total("executed_commands"), 2);
    assert_eq!(total("interactive_commands"), 2);
    assert_eq!(total("sudo_invocations"), 1);
    assert_eq!(total("setns_invocations"), 1);
    assert_eq!(total("deleted_files"), 1);
    assert_eq!(total("new_symlinks"), 1);
    assert_eq!(total("segfaults"), 1);
    assert_eq!(total("received_signals"), 1);
    assert_eq!(total("fork_count"), 2);
    assert_eq!(total("file_open_errors"), 1);
    assert_eq!(total("failed_connections"), 1);
    assert_eq!(total("new_outbound_connections"), 1);
    assert_eq!(total("new_inbound_connections"), 2);
    assert_eq!(total("new_ssh_connections"), 1);
    assert_eq!(total("new_listening_ports"), 1);
    assert_eq!(total("modified_files"), 2);
    assert_eq!(total("modified_system_files"), 1);
    assert_eq!(total("file_bytes_out"), 200 + 33);
    assert_eq!(total("net_bytes_in"), 150 + 21);
    assert_eq!(total("net_bytes_out"), 912 + 21);
    assert_eq!(total("slow_io_1ms"), 2);
    assert_eq!(total("slow_io_10ms"), 0);
    assert_eq!(total("app_log_messages"), 2);
    assert_eq!(total("app_log_warnings"), 1);
    assert_eq!(total("running_containers"), 1);
    // Every series adds up to its total for counts and sums.
    for t in &s.tiles {
        if !matches!(
            TILES.iter().find(|x| x.id == t.id).map(|x| x.metric),
            Some(super::overview::Metric::Distinct(_))
        ) {
            assert_eq!(t.series.iter().sum::<i64>(), t.total, "{}", t.id);
        }
    }
    let mut text = String::new();
    for t in &s.tiles {
        let _ = writeln!(
            text,
            "{:<26} {:>5} {:?} -> {} {}",
            t.id,
            t.total,
            t.series,
            t.target,
            t.target_filter.unwrap_or("")
        );
    }
    assert_snapshot!(text);
}

/// The overview hands out its tiles while it scans (the TUI fills them in as it goes): the
/// partial tiles count the events so far, and the final ones are those of a plain run.
#[test]
fn the_overview_hands_out_its_tiles_while_it_scans() {
    let path = crate::replay::testutil::synth_fixture();
    let mut partials = Vec::new();
    let live = run_overview_live(
        &mut session(&path),
        None,
        9,
        &mut Control::default(),
        (std::time::Duration::ZERO, &mut |p| partials.push(p)),
    )
    .expect("live");
    let whole = run_overview(&mut session(&path), None, 9, &mut Control::default()).expect("sum");
    assert_eq!(live, whole);
    let events: Vec<u64> = partials.iter().map(|p| p.events).collect();
    assert_eq!(events, [4096], "one partial per 4096 events of the 6000");
    let p = &partials[0];
    assert!(
        p.tiles
            .iter()
            .zip(&whole.tiles)
            .all(|(p, w)| p.total <= w.total)
    );
    assert!(
        p.tiles
            .iter()
            .zip(&whole.tiles)
            .any(|(p, w)| 0 < p.total && p.total < w.total),
        "some tile is part-way"
    );
}

/// A view replayed on several threads reports its progress as each segment is merged, not
/// only at the end (the TUI shows it while a drill-down decodes).
#[test]
fn a_parallel_view_reports_progress_per_segment() {
    let cap =
        capture_format::CaptureFile::read(crate::replay::testutil::synth_fixture()).expect("synth");
    let mut s = Session::new(cap, Options::default()).expect("session");
    s.set_threads(4);
    let mut seen = Vec::new();
    let mut cb = |p: super::eval::Progress| seen.push(p);
    let mut ctl = Control {
        progress: Some(&mut cb),
        cancel: None,
    };
    // A filter keeps the view off the index: it decodes, in 10 keyframe segments.
    run_view(
        view("procs").expect("procs"),
        &mut s,
        Some("evt.type != futex"),
        &mut ctl,
    )
    .expect("run");
    assert!(seen.len() > 3, "{} progress reports", seen.len());
    assert!(
        seen.windows(2).all(|w| w[0].events <= w[1].events),
        "events only grow"
    );
    assert!(seen.iter().any(|p| p.fraction > 0.0 && p.fraction < 1.0));
    assert_eq!(seen.last().map(|p| p.fraction), Some(1.0));
}
