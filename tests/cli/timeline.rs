//! `casefile timeline`: a container's life rebuilt from the capture alone.

use std::borrow::Cow;

use capture_format::schema::syscalls::by_name;
use capture_format::schema::{Body, Container, Event, Exit, Process, Sock, Syscall, Value, l4};
use capture_format::{HeaderInfo, Writer, WriterOptions};

use crate::util::{Dir, TestCommand, fixture};

const T0: u64 = 1_767_225_600_000_000_000;

fn ev(ts: u64, pid: u32, body: Body<'static>) -> Event<'static> {
    Event {
        ts: T0 + ts * 1000,
        tid: pid,
        pid,
        cpu: 0,
        container: 1,
        body,
    }
}

fn sc(name: &str, ret: i64, params: Vec<Value<'static>>) -> Body<'static> {
    Body::Syscall(Syscall {
        nr: by_name(name).expect(name),
        ret,
        latency: 500,
        params: params.into(),
    })
}

fn b(s: &str) -> Value<'static> {
    Value::Bytes(Cow::Owned(s.as_bytes().to_vec()))
}

/// A container that writes, renames and deletes a file, connects out, becomes root, fails an
/// open and exits.
fn write_capture(path: &std::path::Path) {
    let mut w = Writer::create(path, &HeaderInfo::default(), WriterOptions::default()).expect("w");
    let container = Container {
        id: Cow::Borrowed(b"c0ffee0000000000000000000000000000000000000000000000000000000001"),
        name: Cow::Borrowed(b"web"),
        image: Cow::Borrowed(b"localhost/web:1"),
        runtime: Cow::Borrowed(b"podman"),
        start_ts: T0,
        note: Cow::Borrowed(b"no labels: podman socket absent"),
        ..Container::default()
    };
    let shell = Process {
        tid: 100,
        pid: 100,
        ppid: 1,
        comm: Cow::Borrowed(b"sh"),
        exe: Cow::Borrowed(b"/bin/sh"),
        exe_path: Cow::Borrowed(b"/bin/sh"),
        args: Cow::Borrowed(b"-c\0echo hello > /tmp/a\0"),
        cwd: Cow::Borrowed(b"/"),
        ..Process::default()
    };
    let tuple = Sock::v4(l4::TCP, [10, 88, 0, 2], 40000, [10, 0, 0, 9], 5432);
    let events = vec![
        Event {
            ts: T0,
            tid: 0,
            pid: 0,
            cpu: 0,
            container: 1,
            body: Body::Container(container.clone()),
        },
        ev(1, 100, Body::Exec(shell)),
        ev(
            2,
            100,
            sc(
                "openat",
                3,
                vec![
                    Value::Int(-100),
                    b("/tmp/a"),
                    Value::Int(0o1101),
                    Value::Int(0o644),
                ],
            ),
        ),
        ev(
            3,
            100,
            sc("write", 6, vec![Value::Int(3), b("hello\n"), Value::Int(6)]),
        ),
        ev(
            4,
            100,
            sc("write", 6, vec![Value::Int(3), b("again\n"), Value::Int(6)]),
        ),
        ev(5, 100, sc("close", 0, vec![Value::Int(3)])),
        ev(
            6,
            100,
            sc(
                "renameat",
                0,
                vec![Value::Int(-100), b("/tmp/a"), Value::Int(-100), b("/tmp/b")],
            ),
        ),
        ev(7, 100, sc("unlink", 0, vec![b("/tmp/b")])),
        ev(
            8,
            100,
            sc(
                "socket",
                4,
                vec![Value::Int(2), Value::Int(1), Value::Int(0)],
            ),
        ),
        ev(
            9,
            100,
            sc(
                "connect",
                0,
                vec![
                    Value::Int(4),
                    Value::Sock(Sock::v4(l4::TCP, [0; 4], 0, [10, 0, 0, 9], 5432)),
                    Value::Sock(tuple),
                ],
            ),
        ),
        ev(
            10,
            100,
            sc(
                "sendto",
                10,
                vec![
                    Value::Int(4),
                    b("ping\0\0\0\0\0\0"),
                    Value::Int(10),
                    Value::Sock(tuple),
                    Value::None,
                ],
            ),
        ),
        ev(11, 100, sc("setuid", 0, vec![Value::Int(0)])),
        ev(
            12,
            100,
            sc(
                "openat",
                -2,
                vec![
                    Value::Int(-100),
                    b("/etc/missing"),
                    Value::Int(0),
                    Value::Int(0),
                ],
            ),
        ),
        ev(13, 100, sc("exit_group", 0, vec![Value::Int(0)])),
        ev(
            14,
            100,
            Body::Exit(Exit {
                code: 0,
                group_dead: true,
            }),
        ),
        Event {
            ts: T0 + 15_000,
            tid: 0,
            pid: 0,
            cpu: 0,
            container: 1,
            body: Body::Container(Container {
                exit_ts: T0 + 15_000,
                ..container
            }),
        },
    ];
    for e in &events {
        w.append(e).expect("append");
    }
    w.finish().expect("finish");
}

#[test]
fn timeline_rebuilds_what_a_removed_container_did() {
    let d = Dir::new("timeline");
    let cap = d.join("web.case");
    write_capture(&cap);
    let out = TestCommand::new(["timeline", cap.to_str().expect("utf8")]).stdout();
    for want in [
        "container web (c0ffee000000) image localhost/web:1 runtime podman\n  metadata: no labels: podman socket absent\n",
        "2026-01-01 00:00:00.000000000  start",
        "exec      /bin/sh -c echo hello > /tmp/a (parent ? 1, user 0) [sh 100]",
        "write     /tmp/a (12 bytes in 2 writes) [sh 100]",
        "rename    /tmp/a -> /tmp/b [sh 100]",
        "delete    /tmp/b [sh 100]",
        "connect   10.88.0.2:40000->10.0.0.9:5432 (sent 10 bytes, received 0 bytes) [sh 100]",
        "privilege setuid uid=0 res=0 [sh 100]",
        "openat ENOENT x1",
        "/etc/missing by sh (100)",
        "procexit  exit status 0 [sh 100]",
        "2026-01-01 00:00:00.000015000  exit",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    let json = TestCommand::new([
        "timeline",
        cap.to_str().expect("utf8"),
        "--json",
        "--container",
        "web",
    ])
    .stdout();
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v[0]["name"], "web");
    assert_eq!(v[0]["exit_ns"], T0 + 15_000);
    let kinds: Vec<&str> = v[0]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "exec",
            "write",
            "rename",
            "delete",
            "connect",
            "privilege",
            "procexit"
        ]
    );
    let (_, err) = TestCommand::new(["timeline", cap.to_str().expect("utf8"), "--container", "db"])
        .expect_code(2);
    assert!(
        err.contains("no container \"db\"") && err.contains("web (c0ffee000000)"),
        "{err}"
    );
}

#[test]
fn timeline_of_a_sysdig_capture_names_its_container() {
    let scap = fixture("scap/falco_run_as_user_0_container.scap");
    let out = TestCommand::new(["timeline", scap.to_str().expect("utf8")]).stdout();
    assert!(
        out.contains("container hopeful_taussig (697956520d89) image nginx runtime docker"),
        "{out}"
    );
    assert!(
        out.contains("exec      /bin/ls (parent bash 25754, user root) [ls 32052]"),
        "{out}"
    );
}
