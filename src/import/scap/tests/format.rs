//! Block layouts the two samples do not cover, built byte by byte: SHB options, old process,
//! fd, interface and user list versions, V1 events with inferred parameter counts, EVF and
//! `_LARGE` blocks, unknown block and event types, exit-only captures, concatenated files.

use capture_format::schema::{Body, Event, Value, syscalls};

use super::super::block::id;
use super::super::convert::Stats;

/// A little-endian byte builder.
#[derive(Default)]
pub struct B(pub Vec<u8>);

impl B {
    pub fn u8(mut self, v: u8) -> B {
        self.0.push(v);
        self
    }
    pub fn u16(mut self, v: u16) -> B {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u32(mut self, v: u32) -> B {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u64(mut self, v: u64) -> B {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn bytes(mut self, b: &[u8]) -> B {
        self.0.extend_from_slice(b);
        self
    }
    pub fn s16(self, s: &[u8]) -> B {
        self.u16(s.len() as u16).bytes(s)
    }
}

/// A whole block: header, body, padding, trailer.
pub fn block(block_type: u32, body: &[u8]) -> Vec<u8> {
    let total = (8 + body.len() + 4).div_ceil(4) * 4;
    let pad = total - 12 - body.len();
    B::default()
        .u32(block_type)
        .u32(total as u32)
        .bytes(body)
        .bytes(&vec![0; pad])
        .u32(total as u32)
        .0
}

/// A section header block with `options` after the fixed body.
pub fn shb(options: &[u8]) -> Vec<u8> {
    let body = B::default()
        .u32(0x1A2B_3C4D)
        .u16(1)
        .u16(2)
        .u64(u64::MAX)
        .bytes(options)
        .0;
    block(id::SHB, &body)
}

/// An event (header + lengths + values) with a V2 header; `large` selects u32 lengths.
pub fn event_v2(etype: u16, ts: u64, tid: u64, params: &[&[u8]], large: bool) -> Vec<u8> {
    let w = if large { 4 } else { 2 };
    let len = 26 + params.len() * w + params.iter().map(|p| p.len()).sum::<usize>();
    let mut b = B::default()
        .u64(ts)
        .u64(tid)
        .u32(len as u32)
        .u16(etype)
        .u32(params.len() as u32);
    for p in params {
        b = if large {
            b.u32(p.len() as u32)
        } else {
            b.u16(p.len() as u16)
        };
    }
    for p in params {
        b = b.bytes(p);
    }
    b.0
}

/// An EV V2 block.
pub fn ev(etype: u16, ts: u64, tid: u64, params: &[&[u8]]) -> Vec<u8> {
    let body = B::default()
        .u16(1)
        .bytes(&event_v2(etype, ts, tid, params, false))
        .0;
    block(id::EV_V2, &body)
}

/// An EV V1 block: 22-byte header, no parameter count, u16 lengths.
pub fn ev_v1(etype: u16, ts: u64, tid: u64, params: &[&[u8]]) -> Vec<u8> {
    let len = 22 + params.len() * 2 + params.iter().map(|p| p.len()).sum::<usize>();
    let mut b = B::default()
        .u16(0)
        .u64(ts)
        .u64(tid)
        .u32(len as u32)
        .u16(etype);
    for p in params {
        b = b.u16(p.len() as u16);
    }
    for p in params {
        b = b.bytes(p);
    }
    block(id::EV_V1, &b.0)
}

fn i64b(v: i64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn u32b(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

fn run(bytes: impl AsRef<[u8]>) -> (Vec<Event<'static>>, Stats) {
    let read = super::read_both("synthetic.scap", bytes.as_ref(), None);
    assert!(read.failure.is_none(), "{:?}", read.failure);
    (read.events, read.stats)
}

fn machine() -> Vec<u8> {
    let mut host = [0u8; 128];
    host[..4].copy_from_slice(b"box1");
    let body = B::default()
        .u32(4)
        .u64(1 << 30)
        .u64(32768)
        .bytes(&host)
        .u64(1_600_000_000_000_000_000)
        .u64(0)
        .u64(0)
        .u64(0)
        .0;
    assert_eq!(body.len(), 180);
    block(id::MI, &body)
}

/// A process list V2 entry (no length prefix): tid, pid, ptid, comm, exe, args, cwd, fdlimit,
/// flags, uid, gid, vm sizes, page faults.
fn pl_v2_entry(tid: u64, comm: &[u8]) -> Vec<u8> {
    B::default()
        .u64(tid)
        .u64(tid)
        .u64(1)
        .s16(comm)
        .s16(b"/bin/x")
        .s16(b"-a\0-b")
        .s16(b"/tmp")
        .u64(1024)
        .u32(0)
        .u32(1000)
        .u32(1000)
        .u32(1)
        .u32(2)
        .u32(3)
        .u64(4)
        .u64(5)
        .0
}

/// A process list V9 entry as libs < 0.10 wrote it: the 29-byte tail right after `root`.
fn pl_v9_old_entry(tid: u64, comm: &[u8]) -> Vec<u8> {
    let body = B::default()
        .u64(tid)
        .u64(tid)
        .u64(1)
        .u64(tid)
        .u64(tid)
        .s16(comm)
        .s16(b"/usr/bin/y")
        .s16(b"/usr/bin/y")
        .s16(b"")
        .s16(b"/")
        .u64(1024)
        .u32(0)
        .u32(0)
        .u32(0)
        .u32(0)
        .u32(0)
        .u32(0)
        .u64(0)
        .u64(0)
        .s16(b"HOME=/root")
        .u64(1)
        .u64(1)
        .s16(b"cpu=/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
        .s16(b"/")
        .u32(1000) // loginuid
        .u8(0) // exe_writable
        .u64(0)
        .u64(0)
        .u64(0x3f) // cap_effective
        .0;
    B::default().u32(body.len() as u32 + 4).bytes(&body).0
}

#[test]
fn old_and_new_block_versions_read() {
    let mut f = shb(b"\x01\x00\x04\x00test"); // a pcapng comment option
    f.extend(machine());
    f.extend(block(id::PL_V2, &pl_v2_entry(10, b"old-proc")));
    f.extend(block(id::PL_V9, &pl_v9_old_entry(11, b"new-proc")));
    // FDL V1: tid, then fd 3 = FILE "/etc/passwd".
    let fdl = B::default()
        .u64(10)
        .u64(3)
        .u64(77)
        .u8(1)
        .s16(b"/etc/passwd")
        .0;
    f.extend(block(id::FDL_V1, &fdl));
    // FDL V2: fd 4 = FILE_V2 without a device number, fd 5 = a type from the future.
    let e1 = B::default()
        .u64(4)
        .u64(78)
        .u8(16)
        .u32(1 << 1) // PPM_O_WRONLY
        .s16(b"/var/log/x")
        .0;
    let e2 = B::default().u64(5).u64(0).u8(99).bytes(b"future").0;
    let fdl2 = B::default()
        .u64(11)
        .u32(e1.len() as u32 + 4)
        .bytes(&e1)
        .u32(e2.len() as u32 + 4)
        .bytes(&e2)
        .0;
    f.extend(block(id::FDL_V2, &fdl2));
    // IL V1: one IPv4 address with link speed.
    let il = B::default()
        .u16(1)
        .u16(3)
        .bytes(&[10, 1, 2, 3])
        .bytes(&[255, 255, 255, 0])
        .bytes(&[10, 1, 2, 255])
        .u64(1000)
        .bytes(b"et0")
        .0;
    f.extend(block(id::IL_V1, &il));
    // UL V1: a user and a group.
    let ul = B::default()
        .u8(0)
        .u32(1000)
        .u32(1000)
        .s16(b"alice")
        .s16(b"/home/alice")
        .s16(b"/bin/sh")
        .u8(1)
        .u32(1000)
        .s16(b"staff")
        .0;
    f.extend(block(id::UL_V1, &ul));
    f.extend(block(0x7777, b"someone else's block"));
    // V1 open enter (name, flags, mode) and exit with 4 of the table's 6 parameters.
    f.extend(ev_v1(
        2,
        1_000,
        10,
        &[&cstr("/etc/shadow"), &u32b(1), &u32b(0)],
    ));
    f.extend(ev_v1(
        3,
        1_500,
        10,
        &[&i64b(-13), &cstr("/etc/shadow"), &u32b(1), &u32b(0)],
    ));
    // EVF V2 (state-only flag) of a close exit, and an event type newer than the table.
    let evf = B::default()
        .u16(2)
        .u32(1)
        .bytes(&event_v2(5, 2_000, 11, &[&i64b(0)], false))
        .0;
    f.extend(block(id::EVF_V2, &evf));
    f.extend(ev(999, 2_100, 11, &[b"??"]));
    // A container JSON_2 event in a _LARGE block (u32 lengths).
    let json = br#"{"container":{"id":"0123456789ab","name":"web","image":"nginx:1","imageid":"sha256:1","type":0,"labels":{"a":"b"}}}"#;
    let large = B::default()
        .u16(0)
        .bytes(&event_v2(324, 2_200, 11, &[json], true))
        .0;
    f.extend(block(id::EV_V2_LARGE, &large));
    // A syscall by a thread in that container, after the container record.
    f.extend(ev(5, 2_300, 11, &[&i64b(0), &i64b(4)])); // close exit: res, fd

    let (events, stats) = run(f);
    let procs: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::Process(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(procs.len(), 2);
    assert_eq!(&*procs[0].comm, b"old-proc");
    assert_eq!(&*procs[0].args, b"-a\0-b\0");
    assert_eq!(procs[0].uid, 1000);
    assert_eq!(&*procs[1].comm, b"new-proc");
    assert_eq!(procs[1].loginuid, 1000);
    assert_eq!(procs[1].cap_effective, 0x3f);
    assert_eq!(&*procs[1].env, b"HOME=/root\0");
    let fds: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::Fd(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(fds.len(), 3);
    assert_eq!((fds[0].fd, &*fds[0].name), (3, &b"/etc/passwd"[..]));
    assert_eq!(fds[1].flags, 1); // O_WRONLY
    assert!(events.iter().any(|e| matches!(&e.body,
        Body::Interface(i) if &*i.name == b"et0" && i.prefix == 24 && i.addr[..4] == [10, 1, 2, 3])));
    assert!(events.iter().any(
        |e| matches!(&e.body, Body::User(u) if &*u.name == b"alice" && &*u.shell == b"/bin/sh")
    ));
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.body, Body::Group(g) if &*g.name == b"staff"))
    );

    // The V1 pair became one open record with the enter's parameters and the latency.
    let open = events
        .iter()
        .find_map(|e| match &e.body {
            Body::Syscall(s) if s.nr == 2 => Some((e.clone(), s.clone())),
            _ => None,
        })
        .expect("open record");
    assert_eq!(open.1.ret, -13);
    assert_eq!(open.1.latency, 500);
    assert_eq!(open.0.ts, 1_500);
    assert_eq!(open.1.params[0], Value::Bytes(b"/etc/shadow"[..].into()));
    assert_eq!(open.1.params[1], Value::Int(0)); // PPM_O_RDONLY → O_RDONLY
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.body, Body::Syscall(s) if s.nr == 3))
    );

    let c = events
        .iter()
        .find_map(|e| match &e.body {
            Body::Container(c) => Some((e.container, c.clone())),
            _ => None,
        })
        .expect("container");
    assert_eq!(&*c.1.name, b"web");
    assert_eq!(&*c.1.labels, b"a=b\0");
    // The thread's cgroup named the same container before the JSON came: same index.
    assert_eq!(c.0, 1);
    let close = events.iter().find(|e| e.ts == 2_300).expect("close");
    assert!(matches!(&close.body, Body::Syscall(s) if s.nr == 3 && s.params[0] == Value::Int(4)));
    assert_eq!((close.tid, close.container), (11, 1));

    assert_eq!(stats.unknown_blocks, 1);
    assert_eq!(stats.unknown_events, 1);
    // The EVF block carried SCAP_DF_STATE_ONLY: read, but not recorded.
    assert_eq!(stats.skipped.get("state-only"), Some(&1));
    assert!(!events.iter().any(|e| e.ts == 2_000));
    assert!(stats.has_enter_events);
    let machine = stats.blocks.get(&id::MI).copied();
    assert_eq!(machine, Some(1));
}

#[test]
fn exit_only_captures_fill_parameters_from_the_exit() {
    let mut f = shb(b"");
    // openat exit (307): fd, dirfd, name, flags, mode, dev, ino.
    f.extend(ev(
        307,
        5_000,
        42,
        &[
            &i64b(7),
            &i64b(-100),
            &cstr("notes.txt"),
            &u32b((1 << 1) | (1 << 2)), // PPM_O_WRONLY | PPM_O_CREAT
            &u32b(0o644),
            &u32b(0),
            &i64b(99),
        ],
    ));
    let (events, stats) = run(f);
    assert!(!stats.has_enter_events);
    let Body::Syscall(s) = &events[0].body else {
        panic!("{:?}", events[0]);
    };
    assert_eq!(syscalls::spec(s.nr).name, "openat");
    assert_eq!((s.ret, s.latency), (7, 0));
    assert_eq!(
        s.params.as_slice(),
        &[
            Value::Int(-100),
            Value::Bytes(b"notes.txt"[..].into()),
            Value::Int(0o1 | 0o100),
            Value::Int(0o644),
        ]
    );
}

#[test]
fn concatenated_files_read_as_one() {
    let one = std::fs::read(super::fixture("libs_sample.scap")).expect("sample");
    let mut two = one.clone();
    two.extend_from_slice(&one);
    let (a, sa) = run(one);
    let (b, sb) = run(two);
    assert_eq!(sb.sections, 2);
    assert_eq!(b.len(), 2 * a.len());
    assert_eq!(
        sb.events.values().sum::<u64>(),
        2 * sa.events.values().sum::<u64>()
    );
}

#[test]
fn old_container_event_and_async_container_event() {
    let mut f = shb(b"");
    // 228: id, type (u32), name, image.
    f.extend(ev(
        228,
        0,
        0,
        &[
            &cstr("aaaaaaaaaaaa"),
            &u32b(7),
            &cstr("old"),
            &cstr("busybox"),
        ],
    ));
    // 402 asyncevent from the container plugin: plugin_id, name, data (u32 lengths).
    let json = b"{\"container\":{\"id\":\"bbbbbbbbbbbb\",\"name\":\"new\",\"image\":\"alpine\",\"type\":\"containerd\"}}\0";
    let body = B::default()
        .u16(0)
        .bytes(&event_v2(
            402,
            10,
            1,
            &[&u32b(1), &cstr("container"), json],
            true,
        ))
        .0;
    f.extend(block(id::EV_V2, &body));
    let (events, _) = run(f);
    let cs: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::Container(c) => Some((e.container, e.ts, c.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(cs.len(), 2);
    assert_eq!(
        (cs[0].0, &*cs[0].2.runtime, &*cs[0].2.image),
        (1, &b"containerd"[..], &b"busybox"[..])
    );
    // The record written at time 0 takes the time of the first timed event.
    assert_eq!(cs[0].1, 10);
    assert_eq!(
        (cs[1].0, &*cs[1].2.name, &*cs[1].2.runtime),
        (2, &b"new"[..], &b"containerd"[..])
    );
}

/// A clone exit (child side, event 223) of `tid` in process `pid` whose parent is `ptid`.
fn clone_child(
    ts: u64,
    tid: u64,
    pid: u64,
    ptid: u64,
    comm: &str,
    args: &[u8],
    thread: bool,
) -> Vec<u8> {
    let flags: u32 = if thread { (1 << 13) | (1 << 15) } else { 0 };
    ev(
        223,
        ts,
        tid,
        &[
            &i64b(0),
            &cstr(&format!("/usr/bin/{comm}")),
            args,
            &i64b(tid as i64),
            &i64b(pid as i64),
            &i64b(ptid as i64),
            &cstr("/srv"),
            &i64b(1024),
            &i64b(0),
            &i64b(0),
            &u32b(0),
            &u32b(0),
            &u32b(0),
            &cstr(comm),
            b"",
            &u32b(flags),
            &u32b(1000),
            &u32b(1000),
            &i64b(tid as i64),
            &i64b(pid as i64),
            &i64b(0),
        ],
    )
}

/// A successful `close(fd)` exit (event 5) of `tid`.
fn close_exit(ts: u64, tid: u64, fd: i64) -> Vec<u8> {
    ev(5, ts, tid, &[&i64b(0), &i64b(fd)])
}

// See: issue 15 ("What the capture says is true"): in a Sysdig Inspect sample every
// short-lived client, first seen through the child side of a clone whose parent is not in the
// process list, had no name.
#[test]
fn a_task_first_seen_in_a_clone_child_keeps_its_description() {
    use crate::filter::{Source, Val};
    use crate::replay::fields::Fields;
    use crate::replay::session::{Flow, Options, ReplayError, Session};

    let mut f = shb(b"");
    // A new thread 501 of process 500, then a new process 600 of parent 1; neither parent is
    // known.
    f.extend(clone_child(
        1_000,
        501,
        500,
        7,
        "curl",
        b"localhost/bar\0",
        true,
    ));
    f.extend(close_exit(2_000, 501, 3));
    f.extend(clone_child(3_000, 600, 600, 1, "wget", b"-q\0", false));
    f.extend(close_exit(4_000, 600, 4));
    let (events, _) = run(f.clone());
    let described: Vec<(u32, u32, String)> = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::Process(p) => Some((p.tid, p.pid, String::from_utf8_lossy(&p.comm).into())),
            _ => None,
        })
        .collect();
    assert_eq!(
        described,
        [
            (501, 500, "curl".to_string()),
            (600, 600, "wget".to_string())
        ]
    );

    // Replayed: every event has the name, exe, args and parent the clone exit gave.
    let path =
        std::env::temp_dir().join(format!("casefile-clone-child-{}.scap", std::process::id()));
    std::fs::write(&path, &f).expect("write");
    let cap = crate::cmd::import::in_memory(&path).expect("import");
    let _ = std::fs::remove_file(&path);
    let mut session = Session::new(cap, Options::default()).expect("session");
    let names = [
        "evt.type",
        "proc.pid",
        "proc.name",
        "proc.exe",
        "proc.args",
        "proc.ppid",
    ];
    let fields: Vec<_> = names
        .iter()
        .map(|n| {
            crate::filter::Registry::resolve(&Fields, n, None)
                .expect(n)
                .id
        })
        .collect();
    let mut rows = Vec::new();
    session
        .run(None, |ctx| -> Result<Flow, ReplayError> {
            let row: Vec<String> = fields
                .iter()
                .map(|f| match ctx.get(f) {
                    Some(Val::Str(s)) => String::from_utf8_lossy(&s).into_owned(),
                    Some(Val::Num(n)) => n.to_string(),
                    Some(_) => "?".into(),
                    None => "<NA>".into(),
                })
                .collect();
            rows.push(row.join(" "));
            Ok(Flow::Continue)
        })
        .expect("run");
    assert_eq!(
        rows,
        [
            "procfork 500 curl /usr/bin/curl localhost/bar 7",
            "clone 500 curl /usr/bin/curl localhost/bar 7",
            "close 500 curl /usr/bin/curl localhost/bar 7",
            // The parent of 600 is unknown: its own fork record has no name.
            "procfork 1 <NA> <NA> <NA> <NA>",
            "clone 600 wget /usr/bin/wget -q 1",
            "close 600 wget /usr/bin/wget -q 1",
        ]
    );
}

/// `casefile read X.scap` leaves out the events its filter surely rejects, but not what they
/// do to the tables: a process's fds come from its parent, opened before the fork under
/// another name, and the reads of the parent (left out) change nothing.
#[test]
fn left_out_events_still_open_the_fds_a_matching_child_inherits() {
    use crate::cmd::read::Judged;
    use crate::filter::{Source, Val};
    use crate::replay::fields::Fields;
    use crate::replay::render::BufMode;
    use crate::replay::session::Flow;
    use crate::replay::stream::{Shown, Stream};

    let read_exit =
        |ts: u64, tid: u64, fd: i64| ev(7, ts, tid, &[&i64b(1), b"x", &i64b(fd), &u32b(1)]);
    let open_exit = |ts: u64, tid: u64, fd: i64, name: &str| {
        ev(
            3,
            ts,
            tid,
            &[
                &i64b(fd),
                &cstr(name),
                &u32b(0),
                &u32b(0),
                &u32b(0),
                &i64b(0),
            ],
        )
    };
    let mut f = shb(b"");
    f.extend(clone_child(1_000, 600, 600, 1, "shell", b"\0", false));
    // The shell opens fd 3 and reads it.
    f.extend(open_exit(2_000, 600, 3, "/etc/secret"));
    f.extend(read_exit(2_500, 600, 3));
    // And fd 5, a socket it listens on (only replay keeps that: the converter does not).
    f.extend(ev(
        19,
        2_600,
        600,
        &[&i64b(5), &u32b(2), &u32b(1), &u32b(0), &u32b(0)],
    ));
    f.extend(ev(25, 2_700, 600, &[&i64b(0), &i64b(5), &u32b(16)]));
    // Its child (still `shell`) inherits fd 3, opens fd 4, then runs `target`, which reads
    // both.
    f.extend(clone_child(3_000, 700, 700, 600, "shell", b"\0", false));
    f.extend(open_exit(3_200, 700, 4, "/etc/child"));
    f.extend(read_exit(3_300, 700, 4));
    f.extend(ev(
        293,
        3_500,
        700,
        &[
            &i64b(0),
            &cstr("/usr/bin/target"),
            b"\0",
            &i64b(700),
            &i64b(700),
            &i64b(600),
            &cstr("/srv"),
            &i64b(1024),
            &i64b(0),
            &i64b(0),
            &u32b(0),
            &u32b(0),
            &u32b(0),
            &cstr("target"),
        ],
    ));
    f.extend(read_exit(4_000, 700, 3));
    f.extend(read_exit(4_100, 700, 4));
    f.extend(read_exit(4_200, 700, 5));
    f.extend(read_exit(5_000, 600, 3));
    let path = std::env::temp_dir().join(format!("casefile-judged-{}.scap", std::process::id()));
    std::fs::write(&path, &f).expect("write");
    let fields: Vec<_> = [
        "evt.num",
        "evt.type",
        "proc.name",
        "fd.name",
        "fd.is_server",
    ]
    .iter()
    .map(|n| {
        crate::filter::Registry::resolve(&Fields, n, None)
            .expect(n)
            .id
    })
    .collect();
    /// Counts the calls left out.
    struct Counting<'a>(Judged<'a>, usize);
    impl crate::import::scap::convert::Judge for Counting<'_> {
        fn skip(&mut self, p: &crate::import::scap::convert::Probe) -> bool {
            let skip = self.0.skip(p);
            self.1 += usize::from(skip);
            skip
        }
    }
    // Every event, each judged first (`judged`), or converted and evaluated.
    let stream_all = |filter: &crate::filter::Filter<_>, judged: bool| {
        let mut src = crate::import::scap::open(&path).expect("open");
        let mut stream = Stream::new(&src.header_info(), BufMode::Dotted);
        let mut rows = Vec::new();
        let mut left_out = 0;
        loop {
            let next = if judged {
                let mut j = Counting(
                    Judged {
                        stream: &mut stream,
                        filter,
                        shown: Shown::default(),
                    },
                    0,
                );
                let next = src.next_judged(&mut j);
                left_out += j.1;
                next
            } else {
                src.next()
            };
            let Some(ev) = next else { break };
            let ev = ev.expect("event");
            stream
                .push(ev, Some(filter), &mut |ctx| -> Result<Flow, ()> {
                    let row: Vec<String> = fields
                        .iter()
                        .map(|f| match ctx.get(f) {
                            Some(Val::Str(s)) => String::from_utf8_lossy(&s).into_owned(),
                            Some(Val::Num(n)) => n.to_string(),
                            Some(Val::Bool(b)) => b.to_string(),
                            Some(_) => "?".into(),
                            None => "<NA>".into(),
                        })
                        .collect();
                    rows.push(row.join(" "));
                    Ok(Flow::Continue)
                })
                .expect("push");
        }
        (
            rows,
            stream.events(),
            stream.evaluated(),
            stream.matched(),
            left_out,
        )
    };
    let reads = [
        "14 read target /etc/secret <NA>",
        "15 read target /etc/child <NA>",
        "16 read target <NA> true",
    ];
    let exec = ["12 procexec target <NA> <NA>", "13 execve target <NA> <NA>"];
    for (text, want) in [
        ("proc.name = target", [&exec[..], &reads[..]].concat()),
        ("proc.name = target and fd.num >= 3", reads.to_vec()),
    ] {
        let filter = crate::filter::compile(text, &Fields).expect("filter");
        let (direct, judged) = (stream_all(&filter, false), stream_all(&filter, true));
        assert_eq!(judged.0, want, "{text}: {judged:?} {direct:?}");
        // The same counts, and the shell's reads were left out (not its opens).
        assert_eq!(direct.1..=direct.3, judged.1..=judged.3, "{text}");
        assert_eq!((direct.4, judged.4), (0, 3), "{text}");
    }
    let _ = std::fs::remove_file(&path);
}
