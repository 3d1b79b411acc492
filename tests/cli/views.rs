//! `casefile top`, `ps`, `spy`, `echo` and `summary` on the committed views fixture
//! (fixtures/views/scenario.case; its construction is in src/views/tests.rs), and views of the
//! public .scap samples against what sysdig says of them.

use crate::eqnice;
use crate::util::{TestCommand, fixture};

fn scenario() -> String {
    fixture("views/scenario.case").display().to_string()
}

fn run(args: &[&str]) -> String {
    TestCommand::new(args).stdout()
}

#[test]
fn top_procs_text() {
    eqnice!(
        "\
PID  NAME   USER   CONTAINER  CPU%  VIRT KIB  RES KIB  EVENTS  SYSCALL TIME  BYTES IN  BYTES OUT  ERRORS  FIRST SEEN          LAST SEEN           CMDLINE
100  bash   alice  host          -         -        -      18        5.51ms        31         21       1  00:00:00.000000000  00:00:00.000043000  bash -l
300  nginx  root   shop-web      -         -        -      15       22.50us       150        945       0  00:00:00.000024000  00:00:00.000044000  nginx -g daemon off;
401  vi     alice  host          -         -        -      10        2.51ms         0        200       1  00:00:00.000014000  00:00:00.000023000  vi /etc/hosts
400  sudo   alice  host          -         -        -       2           0ns         0          0       0  00:00:00.000011000  00:00:00.000012000  sudo id
",
        run(&["top", "procs", &scenario()])
    );
}

#[test]
fn top_sort_limit_and_filter() {
    eqnice!(
        "\
FILE        BYTES IN  BYTES OUT  BYTES  IOPS  OPENS  ERRORS    TIME  PROCS  FIRST SEEN          LAST SEEN
/dev/pts/0        10          0     10    10      0       0  5.50ms      1  00:00:00.000000000  00:00:00.000009000
/etc/hosts         0        200    200     2      1       0  2.50ms      1  00:00:00.000015000  00:00:00.000018000
",
        run(&["top", "files", &scenario(), "--sort", "iops", "--limit", "2"])
    );
    eqnice!(
        "\
ERROR   COUNT  SYSCALLS  PROCS  FIRST SEEN          LAST SEEN
EACCES      1         1      1  00:00:00.000019000  00:00:00.000019000
",
        run(&["top", "errors", &scenario(), "-f", "proc.name = vi"])
    );
    // The first ten events (1 µs apart) are bash's reads.
    let out = run(&["top", "syscalls", &scenario(), "--to", "+9us"]);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("read        10 ")),
        "{out}"
    );
}

#[test]
fn top_json_has_raw_numbers_and_drill_filters() {
    let out = run(&["top", "sports", &scenario(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["view"], "sports");
    assert_eq!(v["drill_view"], "connections");
    let rows = v["rows"].as_array().expect("rows");
    // 80 and 22 carried data; the refused connect to 443 named its fd but moved nothing.
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2]["PORT"], 443);
    assert_eq!(rows[2]["BYTES"], 0);
    assert_eq!(rows[0]["PORT"], 80);
    assert_eq!(rows[0]["BYTES IN"], 150);
    assert_eq!(rows[0]["BYTES OUT"], 912);
    assert_eq!(rows[0]["drill"], "fd.sport = 80");
    assert_eq!(rows[1]["PORT"], 22);
    assert_eq!(rows[1]["BYTES"], 42);
}

#[test]
fn top_list_names_every_view() {
    let out = run(&["top", "--list"]);
    for id in [
        "procs",
        "threads",
        "containers",
        "connections",
        "sports",
        "port_bindings",
        "files",
        "directories",
        "io_by_type",
        "slow_io",
        "errors",
        "procs_errors",
        "syscalls",
        "syscall_procs",
        "spy_users",
        "execs",
        "incoming_connections",
        "new_connections",
        "file_opens",
        "page_faults",
    ] {
        assert!(
            out.lines().any(|l| l.split_whitespace().next() == Some(id)),
            "{id} missing:\n{out}"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&run(&["top", "--list", "--json"])).expect("json");
    assert_eq!(json.as_array().map(Vec::len), Some(20));
}

#[test]
fn top_errors_exit_2() {
    let (_, err) = TestCommand::new(["top", "nope", &scenario()]).expect_code(2);
    assert!(err.contains("no view named 'nope'"), "{err}");
    let (_, err) = TestCommand::new(["top", "procs", &scenario(), "--sort", "nope"]).expect_code(2);
    assert!(err.contains("has no column 'nope'"), "{err}");
    let (_, err) =
        TestCommand::new(["top", "procs", &scenario(), "-f", "proc.nme = x"]).expect_code(2);
    assert!(err.contains("proc.nme"), "{err}");
    let (_, err) = TestCommand::new(["top", "dig", &scenario()]).expect_code(2);
    assert!(err.contains("casefile read"), "{err}");
    let (_, err) = TestCommand::new([
        "top",
        "procs",
        &scenario(),
        "--from",
        "+40us",
        "--to",
        "+10us",
    ])
    .expect_code(2);
    assert!(err.contains("--from +40us is after --to +10us"), "{err}");
    let (_, err) = TestCommand::new(["summary", &scenario(), "--buckets", "0"]).expect_code(2);
    assert!(err.contains("'0' for '--buckets <N>'"), "{err}");
}

#[test]
fn ps_tree_with_exec_history() {
    eqnice!(
        "\
1 systemd
  50 sshd -D
    100 bash -l
      400 sudo id  [00:00:00.000010000 → 00:00:00.000012000]
        exec 00:00:00.000011000 /usr/bin/sudo id  (cwd /home/alice, uid 1000)
      401 vi /etc/hosts  [00:00:00.000013000 → 00:00:00.000023000]
        exec 00:00:00.000014000 /usr/bin/vi /etc/hosts  (cwd /home/alice, uid 1000)
  300 nginx -g daemon off;
",
        run(&["ps", &scenario(), "--tree"])
    );
    let flat = run(&["ps", &scenario()]);
    assert!(
        flat.contains("    401     100       1  vi /etc/hosts"),
        "{flat}"
    );
}

#[test]
fn spy_shows_commands_run_from_shells() {
    eqnice!(
        "\
00:00:00.000011000 alice bash(100) 400 /home/alice$ sudo id
00:00:00.000014000 alice bash(100) 401 /home/alice$ vi /etc/hosts
",
        run(&["spy", &scenario()])
    );
}

#[test]
fn echo_reassembles_streams_per_fd() {
    eqnice!(
        "\
=== nginx (300) fd 7 <ipv4> 10.0.0.7:51000->10.0.0.5:80 ===
--- read 100 bytes in 1 call (16 captured) ---
GET / HTTP/1.1
[84 more bytes not captured]
--- write 612 bytes in 1 call (17 captured) ---
HTTP/1.1 200 OK
[595 more bytes not captured]
=== nginx (300) fd 8 <ipv4> 10.0.0.8:52000->10.0.0.5:80 ===
--- read 50 bytes in 1 call (16 captured) ---
GET / HTTP/1.1
[34 more bytes not captured]
--- write 300 bytes in 1 call (17 captured) ---
HTTP/1.1 200 OK
[283 more bytes not captured]
",
        run(&["echo", &scenario(), "-f", "fd.sport = 80"])
    );
    eqnice!(
        "\
=== bash (100) fd 5 <ipv4> 10.0.0.2:40001->10.0.0.9:22 ===
--- write 21 bytes in 1 call (21 captured) ---
\t0x0000: 5353 482d 322e 302d 4f70 656e 5353 485f  SSH-2.0-OpenSSH_
\t0x0010: 392e 360d 0a                             9.6..
--- read 21 bytes in 1 call (21 captured) ---
\t0x0000: 5353 482d 322e 302d 4f70 656e 5353 485f  SSH-2.0-OpenSSH_
\t0x0010: 392e 330d 0a                             9.3..
",
        run(&["echo", &scenario(), "-X", "-f", "fd.sport = 22"])
    );
    let a = run(&["echo", &scenario(), "-A", "-f", "proc.name = vi"]);
    assert!(
        a.contains(
            "--- write 200 bytes in 2 calls (34 captured) ---\n127.0.0.1 localhost\n10.0.0.5 shop\n"
        ),
        "{a}"
    );
}

#[test]
fn summary_text_and_json() {
    let out = run(&["summary", &scenario(), "--buckets", "9"]);
    assert!(
        out.starts_with("45 events from 2026-01-01 00:00:00.000000000"),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("  Sudo Invocations")
            && l.contains(
                " 1  [0 0 1 0 0 0 0 0 0]  → dig -f 'evt.type = procexec and proc.name = sudo'"
            )),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("  Net Bytes In+Out")
            && l.contains("  1.1K  [0 0 0 0 0 712 350 0 42]  → sports")),
        "{out}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&run(&["summary", &scenario(), "--json", "--buckets", "9"]))
            .expect("json");
    let tiles = v["tiles"].as_array().expect("tiles");
    let tile = |id: &str| {
        tiles
            .iter()
            .find(|t| t["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    assert_eq!(tile("executed_commands")["total"], 2);
    assert_eq!(tile("segfaults")["total"], 1);
    assert_eq!(tile("file_bytes_out")["total"], 233);
    assert_eq!(tile("modified_files")["category"], "file");
    assert_eq!(tile("file_open_errors")["target"], "file_opens");
    assert_eq!(v["buckets"], 9);
}

/// The processes and containers views of the public .scap samples name what sysdig names
/// (`fixtures/scap/*.expected`, made with Debian's sysdig 0.29.3): every process, and each
/// container with its image and its name, also where the capture first carries the
/// container's placeholder record and its metadata later.
#[test]
fn views_of_scap_samples_agree_with_sysdig() {
    let dir = fixture("scap");
    for sample in [
        "libs_sample",
        "falco_run_as_user_0_container",
        "curl_google",
        "single_ipv6_conn",
        "test_ipv6_client",
    ] {
        let file = dir.join(format!("{sample}.scap")).display().to_string();
        let expected = |what: &str| {
            std::fs::read_to_string(dir.join(format!("{sample}.{what}.expected")))
                .expect("expected file")
        };
        let top = |view: &str| -> serde_json::Value {
            serde_json::from_str(&run(&["top", view, &file, "--json"])).expect("json")
        };
        let rows = |t: &serde_json::Value| t["rows"].as_array().expect("rows").clone();
        // sysdig prints <NA> where the capture has no process information.
        let mut procs: Vec<String> = rows(&top("procs"))
            .iter()
            .map(|r| r["NAME"].as_str().unwrap_or("<NA>").to_owned())
            .collect();
        procs.sort();
        procs.dedup();
        let want: Vec<String> = expected("proc_names").lines().map(str::to_owned).collect();
        assert_eq!(procs, want, "{sample}: processes");
        let mut containers: Vec<String> = rows(&top("containers"))
            .iter()
            .filter(|r| r["ID"] != "host")
            .map(|r| format!("{} {} {}", r["ID"], r["IMAGE"], r["NAME"]).replace('"', ""))
            .collect();
        containers.sort();
        // (sysdig's lines: id, runtime, image, name.)
        let want: Vec<String> = expected("containers")
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                format!("{} {} {}", f[0], f[2], f[3])
            })
            .collect();
        assert_eq!(containers, want, "{sample}: containers");
    }
}

/// Echo over two hosts' captures keeps the same pid and fd of each host apart, and names the
/// host of each stream.
#[test]
fn echo_of_two_hosts_keeps_their_streams_apart() {
    let dir = crate::util::Dir::new("echo-hosts");
    let copy = dir.join("copy.case");
    std::fs::copy(scenario(), &copy).expect("copy");
    let one = run(&["echo", &scenario()]);
    let two = run(&["echo", &scenario(), &copy.display().to_string()]);
    let heads = |t: &str| t.lines().filter(|l| l.starts_with("===")).count();
    assert_eq!(heads(&two), 2 * heads(&one), "{two}");
    // The copy is a host of the same name: it is told apart as name#1.
    assert!(two.contains("=== fixture: bash (100) fd 0"), "{two}");
    assert!(two.contains("=== fixture#1: bash (100) fd 0"), "{two}");
}

/// A container whose shell runs busybox's wget re-executed through `/proc/self/exe` (the
/// kernel names it `exe`, its `argv[0]` is `wget`); its container records come among the events,
/// as the recorder writes them: at the start and at its exit. 7 events besides them.
fn write_applet_capture(path: &std::path::Path) {
    use std::borrow::Cow;

    use capture_format::schema::syscalls::by_name;
    use capture_format::schema::{Body, Container, Event, Exit, Fork, Process, Syscall, Value};
    use capture_format::{HeaderInfo, Writer, WriterOptions};

    const T0: u64 = 1_767_225_600_000_000_000;
    let ev = |ts: u64, pid: u32, body: Body<'static>| Event {
        ts: T0 + ts * 1000,
        tid: pid,
        pid,
        cpu: 0,
        container: 1,
        body,
    };
    let sc = |name: &str, ret: i64, params: Vec<Value<'static>>| {
        Body::Syscall(Syscall {
            nr: by_name(name).expect(name),
            ret,
            latency: 500,
            params: params.into(),
        })
    };
    let b = |s: &'static str| Cow::Borrowed(s.as_bytes());
    let container = Container {
        id: b("c0ffee0000000000000000000000000000000000000000000000000000000002"),
        name: b("fetch"),
        image: b("docker.io/library/busybox:1"),
        runtime: b("podman"),
        start_ts: T0,
        ..Container::default()
    };
    let image = |pid: u32, comm: &'static str, exe: &'static str, args: &'static str| Process {
        tid: pid,
        pid,
        ppid: 1,
        comm: b(comm),
        exe: b(exe),
        exe_path: b("/bin/busybox"),
        args: b(args),
        cwd: b("/"),
        ..Process::default()
    };
    let events = vec![
        Event {
            ts: T0,
            tid: 0,
            pid: 0,
            cpu: 0,
            container: 1,
            body: Body::Container(container.clone()),
        },
        ev(
            1,
            100,
            Body::Exec(image(100, "sh", "sh", "/usr/local/bin/fetch-it\0")),
        ),
        ev(
            2,
            100,
            Body::Fork(Fork {
                child_tid: 101,
                child_pid: 101,
                flags: 0,
            }),
        ),
        ev(
            3,
            101,
            Body::Exec(Process {
                ppid: 100,
                ..image(101, "exe", "wget", "-q\0http://example.com/\0")
            }),
        ),
        ev(
            4,
            101,
            sc(
                "socket",
                3,
                vec![Value::Int(2), Value::Int(1), Value::Int(0)],
            ),
        ),
        ev(5, 101, sc("close", 0, vec![Value::Int(3)])),
        ev(
            6,
            101,
            Body::Exit(Exit {
                code: 0,
                group_dead: true,
            }),
        ),
        ev(
            7,
            100,
            Body::Exit(Exit {
                code: 0,
                group_dead: true,
            }),
        ),
        Event {
            ts: T0 + 8_000,
            tid: 0,
            pid: 0,
            cpu: 0,
            container: 1,
            body: Body::Container(Container {
                exit_ts: T0 + 8_000,
                ..container
            }),
        },
    ];
    let mut w = Writer::create(path, &HeaderInfo::default(), WriterOptions::default()).expect("w");
    for e in &events {
        w.append(e).expect("append");
    }
    w.finish().expect("finish");
}

// See: issue 15 ("What the capture says is true"): a busybox applet re-executed through
// `/proc/self/exe` was `exe` in ps, top procs and the timeline but `wget` in spy and top execs;
// it is `wget` everywhere (its `argv[0]`), as the one naming rule says.
#[test]
fn every_view_names_a_process_as_proc_name_does() {
    let d = crate::util::Dir::new("applet-names");
    let cap = d.join("applet.case");
    write_applet_capture(&cap);
    let cap = cap.to_str().expect("utf8");
    let names = run(&["read", cap, "-p", "%proc.name", "proc.pid=101"]);
    assert!(names.lines().all(|l| l == "wget"), "{names}");
    let ps = run(&["ps", cap]);
    assert!(ps.contains("  wget -q http://example.com/"), "{ps}");
    let procs = run(&["top", "procs", cap]);
    assert!(procs.contains("101  wget "), "{procs}");
    let spy = run(&["spy", cap]);
    assert!(spy.ends_with("/$ wget -q http://example.com/\n"), "{spy}");
    let execs = run(&["top", "execs", cap]);
    assert!(execs.contains("  wget -q http://example.com/"), "{execs}");
    let timeline = run(&["timeline", cap]);
    assert!(timeline.contains("[wget 101]"), "{timeline}");
    for out in [&spy, &execs, &timeline, &procs, &ps] {
        assert!(!out.contains("exe -q"), "{out}");
    }
}

// See: issue 15: container records were counted as events of a pid-0 process.
#[test]
fn container_records_are_neither_events_nor_processes_in_views() {
    let d = crate::util::Dir::new("applet-counts");
    let cap = d.join("applet.case");
    write_applet_capture(&cap);
    let cap = cap.to_str().expect("utf8");
    let procs = run(&["top", "procs", cap, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&procs).expect("json");
    let rows = v["rows"].as_array().expect("rows");
    let pids: Vec<i64> = rows
        .iter()
        .map(|r| r["PID"].as_i64().expect("pid"))
        .collect();
    assert_eq!(pids.len(), 2, "{procs}");
    assert!(!pids.contains(&0), "{procs}");
    let events: i64 = rows.iter().map(|r| r["EVENTS"].as_i64().expect("n")).sum();
    assert_eq!(events, 7, "{procs}");
    assert_eq!(v["events"].as_i64(), Some(7), "{procs}");
    let containers = run(&["top", "containers", cap, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&containers).expect("json");
    let row = &v["rows"][0];
    assert_eq!(
        (row["PROCS"].as_i64(), row["EVENTS"].as_i64()),
        (Some(2), Some(7)),
        "{containers}"
    );
    let summary = run(&["summary", cap, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&summary).expect("json");
    assert_eq!(v["events"].as_i64(), Some(7), "{summary}");
    let tile = |id: &str| {
        v["tiles"]
            .as_array()
            .expect("tiles")
            .iter()
            .find(|t| t["id"] == id)
            .and_then(|t| t["total"].as_i64())
    };
    assert_eq!(tile("running_processes"), Some(2), "{summary}");
    assert_eq!(tile("system_calls"), Some(2), "{summary}");
}
