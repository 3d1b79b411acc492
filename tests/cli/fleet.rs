//! `casefile merge` on two hosts' captures written here, and `casefile export --format
//! parquet|jsonl` read back by a real Parquet reader (DuckDB's Python package).

use std::borrow::Cow;
use std::path::Path;
use std::process::Command;

use capture_format::schema::syscalls::by_name;
use capture_format::schema::{Body, Container, Event, Params, Process, Sock, Syscall, Value, l4};
use capture_format::{HeaderInfo, Writer, WriterOptions};

use crate::read::{casefile, stderr, stdout};
use crate::util::Dir;

/// True start of the scenario: 2026-03-01T00:00:00Z.
const T0: u64 = 1_772_323_200_000_000_000;
/// How far host b's clock runs ahead of host a's.
const SKEW: u64 = 250_000_000;
/// TCP connections from a's client to b's server.
const CONNS: u64 = 12;

fn ev(ts: u64, pid: u32, container: u32, body: Body<'static>) -> Event<'static> {
    Event {
        ts,
        tid: pid,
        pid,
        cpu: 0,
        container,
        body,
    }
}

fn syscall(name: &str, ret: i64, latency: u64, params: Vec<Value<'static>>) -> Body<'static> {
    Body::Syscall(Syscall {
        nr: by_name(name).expect("syscall"),
        ret,
        latency,
        params: Params::from_vec(params),
    })
}

fn process(pid: u32, comm: &str, container: u32) -> Event<'static> {
    ev(
        T0,
        pid,
        container,
        Body::Process(Process {
            tid: pid,
            pid,
            ppid: 1,
            comm: Cow::Owned(comm.as_bytes().to_vec()),
            exe: Cow::Owned(format!("/usr/bin/{comm}").into_bytes()),
            cwd: Cow::Borrowed(b"/"),
            ..Process::default()
        }),
    )
}

fn container(name: &str, id: &str) -> Event<'static> {
    ev(
        T0,
        0,
        1,
        Body::Container(Container {
            id: Cow::Owned(id.as_bytes().to_vec()),
            name: Cow::Owned(name.as_bytes().to_vec()),
            image: Cow::Borrowed(b"docker.io/library/busybox:1.36"),
            runtime: Cow::Borrowed(b"containerd"),
            ..Container::default()
        }),
    )
}

fn open(ts: u64, pid: u32, container: u32, path: &str) -> Event<'static> {
    ev(
        ts,
        pid,
        container,
        syscall(
            "openat",
            3,
            1_000,
            vec![
                Value::Int(-100),
                Value::Bytes(Cow::Owned(path.as_bytes().to_vec())),
                Value::Int(0),
                Value::Int(0),
            ],
        ),
    )
}

fn tuple(port: u16) -> Sock {
    Sock::v4(l4::TCP, [10, 0, 0, 1], port, [10, 0, 0, 2], 80)
}

/// One host's recording: its snapshot and its events in time order.
struct Recording {
    host: &'static str,
    boot: u64,
    state: Vec<Event<'static>>,
    events: Vec<Event<'static>>,
}

impl Recording {
    /// Writes the events in `range` of positions as a capture named `name`, with the whole
    /// snapshot first (as every file of a rotated recording starts).
    fn write(&self, dir: &Dir, name: &str, range: std::ops::Range<usize>) -> String {
        let path = dir.join(name);
        let info = HeaderInfo {
            created_ns: T0,
            hostname: self.host.into(),
            kernel: "6.18.0".into(),
            boot_ns: self.boot,
            cpus: 2,
            source: "synthetic".into(),
            ..HeaderInfo::default()
        };
        let mut w = Writer::create(&path, &info, WriterOptions::default()).expect("create");
        w.write_state(&self.state).expect("state");
        for e in &self.events[range] {
            w.append(e).expect("append");
        }
        w.finish().expect("finish");
        path.display().to_string()
    }
}

/// Host a's and host b's recordings. Both have a pid 100 and a container 1 (different ones);
/// a's curl (pid 100) connects to b's nginx (pid 100) `CONNS` times. `skew` is added to every
/// time b records.
fn recordings(skew: u64) -> (Recording, Recording) {
    let mut a_events = Vec::new();
    let mut b_events = Vec::new();
    for i in 0..CONNS {
        let t = T0 + 10_000_000 + i * 50_000_000;
        let port = 40_000 + i as u16;
        // a: connect enters at t, returns 100 µs later.
        a_events.push(ev(
            t + 100_000,
            100,
            0,
            syscall(
                "connect",
                0,
                100_000,
                vec![
                    Value::Int(3),
                    Value::Sock(Sock {
                        src: [0; 16],
                        sport: 0,
                        ..tuple(port)
                    }),
                    Value::Sock(tuple(port)),
                ],
            ),
        ));
        a_events.push(open(t + 2_000_000, 200, 1, &format!("/a/file{i}")));
        // b: accept (blocked) returns 50 µs after the connect did.
        b_events.push(ev(
            t + 150_000 + skew,
            100,
            0,
            syscall(
                "accept4",
                5,
                40_000_000,
                vec![Value::Int(3), Value::Sock(tuple(port)), Value::Int(0)],
            ),
        ));
        b_events.push(open(t + 1_000_000 + skew, 300, 1, &format!("/b/file{i}")));
    }
    a_events.sort_by_key(|e| e.ts);
    b_events.sort_by_key(|e| e.ts);
    let a = Recording {
        host: "a",
        boot: T0 - 3_600_000_000_000,
        state: vec![
            container("web-a", "aaaaaaaaaaaa1111"),
            process(100, "curl", 0),
            process(200, "sh", 1),
        ],
        events: a_events,
    };
    let b = Recording {
        host: "b",
        boot: T0 - 7_200_000_000_000 + skew,
        state: vec![
            container("db-b", "bbbbbbbbbbbb2222"),
            process(100, "nginx", 0),
            process(300, "postgres", 1),
        ],
        events: b_events,
    };
    (a, b)
}

/// Writes host a's and host b's captures (see [`recordings`]).
fn write_hosts(dir: &Dir, skew: u64) -> (String, String) {
    let (a, b) = recordings(skew);
    (
        a.write(dir, "a.case", 0..a.events.len()),
        b.write(dir, "b.case", 0..b.events.len()),
    )
}

fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

#[test]
fn merge_orders_by_corrected_time_and_keeps_hosts_apart() {
    let dir = Dir::new("merge");
    let (host_a, host_b) = write_hosts(&dir, SKEW);
    let out = dir.join("ab.case").display().to_string();
    let o = casefile(&["merge", &host_a, &host_b, "-w", &out]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    // The correction is stated, near −250 ms, with its support.
    let line = err
        .lines()
        .find(|l| l.starts_with("host 1 b"))
        .unwrap_or_else(|| panic!("no line for host b: {err}"));
    assert!(
        line.contains("12 TCP connections seen on both a and b"),
        "{line}"
    );
    let ms: f64 = line
        .split("clock correction ")
        .nth(1)
        .and_then(|r| r.split(" ms").next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no correction in {line}"));
    assert!((ms + 250.0).abs() < 0.5, "{line}");
    assert!(
        err.contains("host 0 a") && err.contains("reference clock"),
        "{err}"
    );
    assert!(err.contains("merged 48 events from 2 hosts"), "{err}");
    // The header keeps the hosts and their corrections.
    let o = casefile(&["info", &out, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["hosts"][1]["hostname"], "b");
    let off = v["hosts"][1]["offset_ns"].as_i64().expect("offset");
    assert!((off + SKEW as i64).abs() < 500_000, "{v}");
    assert!(
        v["hosts"][1]["offset_basis"]
            .as_str()
            .is_some_and(|b| b.contains("12 TCP connections")),
        "{v}"
    );

    // Time order over both hosts, after correction.
    let o = casefile(&["read", &out, "-p", "%evt.rawtime %host.name %evt.type"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let times: Vec<u64> = text
        .lines()
        .map(|l| {
            l.split(' ')
                .next()
                .and_then(|t| t.parse().ok())
                .expect("time")
        })
        .collect();
    assert_eq!(times.len(), 48);
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{text}");
    // Each accept on b now follows its connect on a.
    let kinds: Vec<&str> = text
        .lines()
        .take(4)
        .map(|l| l.split_once(' ').expect("x").1)
        .collect();
    assert_eq!(
        kinds,
        ["a connect", "b accept4", "b openat", "a openat"],
        "{text}"
    );

    // host.name filters; pid 100 is a different process on each host.
    let o = casefile(&[
        "read",
        &out,
        "-f",
        "host.name=b and proc.pid=100",
        "-p",
        "%host.name %host.index %proc.name %evt.type",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    assert_eq!(lines(&t).len(), 12, "{t}");
    assert!(lines(&t).iter().all(|l| *l == "b 1 nginx accept4"), "{t}");
    let o = casefile(&[
        "read",
        &out,
        "-f",
        "proc.pid=100",
        "-p",
        "%host.name %proc.name",
    ]);
    let t = stdout(&o);
    assert_eq!(t.matches("a curl").count(), 12, "{t}");
    assert_eq!(t.matches("b nginx").count(), 12, "{t}");

    // Containers of the two hosts stay distinct, and so do their processes.
    let o = casefile(&[
        "read",
        &out,
        "-f",
        "container.name=db-b",
        "-p",
        "%host.name %container.id %proc.name %fd.name",
    ]);
    let t = stdout(&o);
    assert_eq!(lines(&t).len(), 12, "{t}");
    assert_eq!(lines(&t)[0], "b bbbbbbbbbbbb postgres /b/file0", "{t}");
    let o = casefile(&[
        "read",
        &out,
        "-f",
        "host.name=a and container.id!=host",
        "-p",
        "%container.name %proc.name",
    ]);
    let t = stdout(&o);
    assert_eq!(lines(&t).len(), 12, "{t}");
    assert!(lines(&t).iter().all(|l| *l == "web-a sh"), "{t}");
    // Host-side events of b are on b's host, not in a container.
    let o = casefile(&[
        "read",
        &out,
        "-f",
        "evt.type=accept4",
        "-p",
        "%container.id",
    ]);
    assert!(stdout(&o).lines().all(|l| l == "host"), "{}", stdout(&o));
}

#[test]
fn merge_without_shared_connections_applies_no_correction() {
    let dir = Dir::new("merge-none");
    let (a, _) = write_hosts(&dir, SKEW);
    // Two captures of host a's kind: a's connects find no accept in the other one.
    let a2 = dir.join("a2.case");
    std::fs::copy(&a, &a2).expect("copy");
    let out = dir.join("aa.case").display().to_string();
    let o = casefile(&["merge", &a, &a2.display().to_string(), "-w", &out]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("clock correction +0.000 ms: none: no TCP connection links"),
        "{err}"
    );
    // Merging a merged capture again is refused with a reason.
    let o = casefile(&[
        "merge",
        &out,
        &a,
        "-w",
        &dir.join("x.case").display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("already a merged capture"),
        "{}",
        stderr(&o)
    );
}

/// A Python with DuckDB: under CI=true its absence fails the test; elsewhere it skips with a
/// message.
fn duckdb_python() -> Option<String> {
    let ok = Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("python3".into());
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but python3 cannot import duckdb (.ci/run installs it with pip)"
    );
    crate::util::skip("python3 cannot import duckdb (pip install duckdb)");
    None
}

fn duckdb(python: &str, script: &str) -> String {
    let o = Command::new(python)
        .args(["-c", script])
        .output()
        .expect("run python");
    assert!(
        o.status.success(),
        "duckdb failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf8")
}

fn py_path(p: &Path) -> String {
    p.display().to_string().replace('\'', "''")
}

#[test]
fn parquet_export_reads_back_in_duckdb() {
    let Some(py) = duckdb_python() else { return };
    let dir = Dir::new("parquet");
    let fixture = crate::read::fixture("state");
    let out = dir.join("pq");
    let o = casefile(&[
        "export",
        &fixture.display().to_string(),
        "--format",
        "parquet",
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("exported 28 events"), "{}", stderr(&o));
    let file = out.join("part-00000.parquet");
    assert!(file.exists());
    let f = py_path(&file);
    let script = format!(
        r#"
import duckdb
c = duckdb.connect()
f = '{f}'
print(c.execute(f"select count(*) from read_parquet('{{f}}')").fetchone()[0])
print(','.join(r[0] for r in c.execute(f"describe select * from read_parquet('{{f}}')").fetchall()))
print(dict((r[0], r[1]) for r in c.execute(f"describe select * from read_parquet('{{f}}')").fetchall())['evt.time'])
for r in c.execute(f'''select "proc.name", count(*) n from read_parquet('{{f}}')
                       group by 1 order by n desc, 1 limit 3''').fetchall():
    print(r[0], r[1])
r = c.execute(f'''select "evt.num", "evt.type", "fd.name", "proc.cmdline", "user.name",
                  epoch_ns("evt.time")
                  from read_parquet('{{f}}') where "proc.name" = 'cat' and "evt.type" = 'read' ''').fetchone()
print(r)
r = c.execute(f'''select "container.name", "k8s.pod.name", "k8s.ns.name", "fd.cip", "fd.sport", "fd.l4proto"
                  from read_parquet('{{f}}') where "evt.type" like 'accept%' ''').fetchone()
print(r)
print(c.execute(f"select value from parquet_kv_metadata('{{f}}') where decode(key) = 'casefile.parquet.schema_version'").fetchone()[0].decode())
"#
    );
    let got = duckdb(&py, &script);
    let l = lines(&got);
    assert_eq!(l[0], "28", "{got}");
    assert!(
        l[1].starts_with("evt.num,evt.time,evt.type,evt.category,evt.cpu,evt.dir,evt.res"),
        "{got}"
    );
    assert!(
        l[1].contains("k8s.pod.name,k8s.ns.name,host.name,fs.path.name,fs.path.source,fs.path.target,evt.arg.addr,"),
        "{got}"
    );
    assert!(l[1].ends_with(",evt.arg.uid"), "{got}");
    // A nanosecond timestamp with a time zone (DuckDB names it TIMESTAMPTZ_NS).
    assert!(l[2].contains("NS") && l[2].contains("TZ"), "{got}");
    // Read the same capture with casefile for the expected values.
    let o = casefile(&[
        "read",
        &fixture.display().to_string(),
        "-f",
        "proc.name=cat and evt.type=read",
        "-p",
        "%evt.num|%fd.name|%proc.cmdline|%user.name|%evt.rawtime",
    ]);
    let want: Vec<String> = stdout(&o).trim().split('|').map(str::to_owned).collect();
    assert_eq!(
        l[6],
        format!(
            "({}, 'read', '{}', '{}', '{}', {})",
            want[0], want[1], want[2], want[3], want[4]
        ),
        "{got}"
    );
    let o = casefile(&[
        "read",
        &fixture.display().to_string(),
        "-f",
        "evt.type startswith accept",
        "-p",
        "%container.name|%k8s.pod.name|%k8s.ns.name|%fd.cip|%fd.sport|%fd.l4proto",
    ]);
    let want: Vec<String> = stdout(&o).trim().split('|').map(str::to_owned).collect();
    assert_eq!(
        l[7],
        format!(
            "('{}', '{}', '{}', '{}', {}, '{}')",
            want[0], want[1], want[2], want[3], want[4], want[5]
        ),
        "{got}"
    );
    assert_eq!(l[8], "2", "{got}");
}

#[test]
fn jsonl_export_is_read_json_and_redaction_nulls_buffers() {
    let dir = Dir::new("jsonl");
    let fixture = crate::read::fixture("state").display().to_string();
    let out = dir.join("x.jsonl");
    let o = casefile(&[
        "export",
        &fixture,
        "--format",
        "jsonl",
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got = std::fs::read_to_string(&out).expect("read jsonl");
    let o = casefile(&["read", &fixture, "--json"]);
    // Each line is read --json's object with the fs.path.* keys and the event's evt.arg.* keys
    // added.
    let read_json = stdout(&o);
    assert_eq!(got.lines().count(), read_json.lines().count());
    for (line, want) in got.lines().zip(read_json.lines()) {
        let mut v: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).expect("json line");
        let keys = v.len();
        v.retain(|k, _| !k.starts_with("evt.arg.") && !k.starts_with("fs.path."));
        assert!(keys - v.len() >= 3, "{line}");
        let want: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(want).expect("read --json line");
        assert_eq!(v, want);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Redacted: the same events, no payloads.
    let red = dir.join("r.jsonl");
    let o = casefile(&[
        "export",
        &fixture,
        "--format",
        "jsonl",
        "--redact",
        "-o",
        &red.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = std::fs::read_to_string(&red).expect("read");
    assert_eq!(r.lines().count(), got.lines().count());
    assert_ne!(r, got, "redaction changed nothing");

    let Some(py) = duckdb_python() else { return };
    let pq = dir.join("pq");
    let o = casefile(&[
        "export",
        &fixture,
        "--format",
        "parquet",
        "--redact",
        "-o",
        &pq.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let f = py_path(&pq.join("part-00000.parquet"));
    let got = duckdb(
        &py,
        &format!(
            "import duckdb\nprint(duckdb.connect().execute(\"select count(*), count(\\\"evt.buffer\\\") from read_parquet('{f}')\").fetchone())"
        ),
    );
    assert_eq!(got.trim(), "(28, 0)");
    let pq2 = dir.join("pq2");
    let o = casefile(&[
        "export",
        &fixture,
        "--format",
        "parquet",
        "-o",
        &pq2.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let f = py_path(&pq2.join("part-00000.parquet"));
    let got = duckdb(
        &py,
        &format!(
            "import duckdb\nprint(duckdb.connect().execute(\"select count(\\\"evt.buffer\\\") > 0 from read_parquet('{f}')\").fetchone()[0])"
        ),
    );
    assert_eq!(got.trim(), "True");
}

/// Every reading command takes several files, and reads them as `merge` would have written
/// them.
#[test]
fn reading_commands_take_several_hosts_files_as_one_merge() {
    let dir = Dir::new("many-hosts");
    let (a, b) = write_hosts(&dir, SKEW);
    let ab = dir.join("ab.case").display().to_string();
    let o = casefile(&["merge", &a, &b, "-w", &ab]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let fmt = "*%evt.rawtime %host.index %host.name %container.name %proc.name %evt.type %fd.name";
    let o = casefile(&["read", &a, &b, "-p", fmt]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let merged = casefile(&["read", &ab, "-p", fmt]);
    assert_eq!(stdout(&o), stdout(&merged));
    assert_eq!(lines(&stdout(&o)).len(), 48);
    // The clock correction is stated, as merge states it.
    assert!(
        stderr(&o).contains("host b (") && stderr(&o).contains("clock corrected by -250."),
        "{}",
        stderr(&o)
    );
    // Files, then filter words.
    let o = casefile(&[
        "read",
        &a,
        &b,
        "-p",
        fmt,
        "host.name=b",
        "and",
        "proc.pid=100",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(lines(&stdout(&o)).len(), 12, "{}", stdout(&o));
    let o = casefile(&["check", &a, &b, "proc.name=postgres"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = casefile(&["check", &a, &b, "proc.name=redis"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // The analysis commands give what they give on the merged file.
    for args in [
        &["top", "procs"][..],
        &["top", "files", "--json"],
        &["ps", "--json"],
        &["spy", "--all"],
        &["summary", "--json"],
        &["timeline", "--json"],
        &["echo"],
    ] {
        let run = |files: &[&str]| {
            let mut v: Vec<&str> = args.to_vec();
            v.extend_from_slice(files);
            let o = casefile(&v);
            assert_eq!(o.status.code(), Some(0), "{v:?}: {}", stderr(&o));
            stdout(&o)
        };
        let several = run(&[&a, &b]);
        let one = run(&[&ab]);
        // summary and timeline name their source; the rest must match byte for byte.
        let strip = |t: &str| {
            t.lines()
                .filter(|l| !l.contains("ab.case") && !l.contains("a.case"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(strip(&several), strip(&one), "{args:?}");
        // (No execs and no payloads in these captures: spy and echo print nothing.)
        assert!(
            !several.trim().is_empty() || ["spy", "echo"].contains(&args[0]),
            "{args:?}"
        );
    }
    // Views of several hosts keep them apart: pid 100 is curl on a and nginx on b, and a
    // row's drill-down names its host.
    let o = casefile(&["top", "procs", &a, &b, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let rows: Vec<(String, String)> = v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                format!("{} {} {}", r["HOST"], r["PID"], r["NAME"]).replace('"', ""),
                r["drill"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        rows.contains(&(
            "a 100 curl".into(),
            r#"host.name = "a" and proc.pid = 100"#.into()
        )),
        "{rows:?}"
    );
    assert!(
        rows.contains(&(
            "b 100 nginx".into(),
            r#"host.name = "b" and proc.pid = 100"#.into()
        )),
        "{rows:?}"
    );
    let o = casefile(&[
        "read",
        &a,
        &b,
        "-f",
        r#"host.name = "b" and proc.pid = 100"#,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(lines(&stdout(&o)).len(), 12, "{}", stdout(&o));
    assert!(
        stdout(&o).lines().all(|l| l.contains("nginx")),
        "{}",
        stdout(&o)
    );

    // info and verify take each file on its own.
    let o = casefile(&["info", &a, &b, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let names: Vec<&str> = v
        .as_array()
        .expect("an array for several files")
        .iter()
        .map(|r| r["host"]["hostname"].as_str().expect("hostname"))
        .collect();
    assert_eq!(names, ["a", "b"], "{v}");
    let o = casefile(&["info", &a, &b]);
    let text = stdout(&o);
    assert!(text.contains("a.case") && text.contains("b.case"), "{text}");
    // Tamper with one byte of a copy of b: verify names it and exits 1, a stays OK.
    let bad = dir.join("bad.case");
    let mut bytes = std::fs::read(&b).expect("read b");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&bad, bytes).expect("write");
    let o = casefile(&["verify", &a, &bad.display().to_string()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let text = stdout(&o);
    assert!(text.contains("a.case: OK"), "{text}");
    assert!(text.contains("bad.case: FAILED"), "{text}");
    let o = casefile(&[
        "verify",
        &a,
        &dir.join("missing.case").display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).contains("a.case: OK"), "{}", stdout(&o));
}

/// The files of one rotated recording read as that recording, whatever order they are given
/// in: no host column, no repeated snapshot, processes and containers carried across.
#[test]
fn pieces_of_a_rotated_recording_read_as_one() {
    let dir = Dir::new("pieces");
    let (a, _) = recordings(SKEW);
    let n = a.events.len();
    let whole = a.write(&dir, "a.case", 0..n);
    let p0 = a.write(&dir, "a.case.0", 0..n / 3);
    let p1 = a.write(&dir, "a.case.1", n / 3..2 * n / 3);
    let p2 = a.write(&dir, "a.case.2", 2 * n / 3..n);
    let fmt = "*%evt.num %evt.rawtime %host.index %host.name %container.name %proc.name %fd.name";
    let want = casefile(&["read", &whole, "-p", fmt]);
    assert_eq!(lines(&stdout(&want)).len(), n);
    let got = casefile(&["read", &p2, &p0, &p1, "-p", fmt]);
    assert_eq!(got.status.code(), Some(0), "{}", stderr(&got));
    assert_eq!(stdout(&got), stdout(&want));
    assert_eq!(stderr(&got), "", "no clock correction for one host");
    // merge joins them the same way.
    let out = dir.join("joined.case").display().to_string();
    let o = casefile(&["merge", &p1, &p0, &p2, "-w", &out]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("from 1 hosts"), "{}", stderr(&o));
    let o = casefile(&["info", &out, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["host"]["hostname"], "a", "{v}");
    assert_eq!(v["hosts"], serde_json::json!([]), "{v}");
    let source = v["recorder"]["source"].as_str().expect("source");
    let order: Vec<usize> = ["a.case.0", "a.case.1", "a.case.2"]
        .iter()
        .map(|p| source.find(p).expect("piece named"))
        .collect();
    assert!(order.is_sorted(), "pieces in time order: {source}");
    assert_eq!(v["events"].as_u64(), Some(n as u64), "{v}");
    assert_eq!(stdout(&casefile(&["read", &out, "-p", fmt])), stdout(&want));
}

/// The DuckDB queries the README shows run as written on an export (through DuckDB's Python
/// package: the same engine as the `duckdb` command).
#[test]
fn readme_duckdb_queries_run_as_written() {
    let Some(py) = duckdb_python() else { return };
    let readme = std::fs::read_to_string(crate::util::repo().join("README.md")).expect("README");
    // Each `duckdb -c "..."` argument, up to its closing quote (not an escaped one).
    let queries: Vec<&str> = readme
        .split("duckdb -c \"")
        .skip(1)
        .map(|rest| {
            let b = rest.as_bytes();
            let end = (0..b.len())
                .find(|&i| b[i] == b'"' && (i == 0 || b[i - 1] != b'\\'))
                .expect("closing quote");
            &rest[..end]
        })
        .collect();
    assert_eq!(queries.len(), 2, "{queries:?}");
    let dir = Dir::new("readme-duckdb");
    let out = dir.join("incident");
    let sample = crate::util::repo().join("fixtures/scap/falco_run_as_user_0_container.scap");
    let o = casefile(&[
        "export",
        &sample.display().to_string(),
        "--format",
        "parquet",
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let file = py_path(&out.join("part-00000.parquet"));
    let mut results = Vec::new();
    for q in &queries {
        let sql = q
            .replace("\\\"", "\"")
            .replace("incident/part-00000.parquet", &file);
        assert_ne!(&sql, q, "the query reads the export: {q}");
        let script = format!(
            "import duckdb\nfor r in duckdb.connect().execute({sql:?}).fetchall():\n    print('|'.join(map(str, r)))"
        );
        results.push(duckdb(&py, &script));
    }
    // Processes by events: sshd leads this sample, as `casefile top procs` says.
    let first = lines(&results[0]);
    assert_eq!(first.len(), 10, "{}", results[0]);
    assert_eq!(first[0], "ubuntu|sshd|475", "{}", results[0]);
    // What containers wrote to: the sample's one container writes to its terminal.
    assert_eq!(
        lines(&results[1]),
        ["hopeful_taussig|/dev/pts/0"],
        "{}",
        results[1]
    );
}
