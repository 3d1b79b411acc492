//! Builders for test captures written in code, and the committed fixtures made from them.
//!
//! Each fixture under `fixtures/replay/` is written by [`fixture`] only when missing, with a
//! `.txt` sidecar saying what it holds; tests then read the committed file, so a change in the
//! builders or the writer cannot silently change what the golden outputs were taken from.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use capture_format::schema::syscalls::by_name;
use capture_format::schema::{
    Body, Container, Event, Exit, FdInfo, FdType, Fork, Params, Process, Sock, Syscall, User, Value,
};
use capture_format::synth::Synth;
use capture_format::{CaptureFile, HeaderInfo, Writer, WriterOptions};

use super::context::val_text;
use super::fields::Fields;
use super::session::{Flow, Options, ReplayError, Session};
use super::state::State;
use crate::filter::{Source, compile};
use crate::output::{DEFAULT_FORMAT, Format, Sink, TextSink};

/// 2026-01-01T00:00:00Z.
pub const T0: u64 = 1_767_225_600_000_000_000;

/// A capture being built: a state snapshot, then events one microsecond apart.
pub struct Cap {
    /// State records.
    pub state: Vec<Event<'static>>,
    /// Events.
    pub events: Vec<Event<'static>>,
    ts: u64,
}

fn b(s: &str) -> Cow<'static, [u8]> {
    Cow::Owned(s.as_bytes().to_vec())
}

/// A string or path parameter.
pub fn text(s: &str) -> Value<'static> {
    Value::Bytes(b(s))
}

/// An integer parameter.
pub fn int(v: i64) -> Value<'static> {
    Value::Int(v)
}

/// Process state record data.
pub struct P<'a> {
    /// Pid (and tid of the main thread).
    pub pid: u32,
    /// Parent.
    pub ppid: u32,
    /// comm.
    pub comm: &'a str,
    /// Executable.
    pub exe: &'a str,
    /// Arguments, NUL-terminated each.
    pub args: &'a str,
    /// Working directory.
    pub cwd: &'a str,
    /// Uid.
    pub uid: u32,
    /// Container index.
    pub container: u32,
}

impl Cap {
    /// An empty capture.
    pub fn new() -> Cap {
        Cap {
            state: Vec::new(),
            events: Vec::new(),
            ts: T0,
        }
    }

    fn hdr(&self, tid: u32, pid: u32, container: u32, body: Body<'static>) -> Event<'static> {
        Event {
            ts: self.ts,
            tid,
            pid,
            cpu: (tid % 2) as u16,
            container,
            body,
        }
    }

    /// A process in the snapshot.
    pub fn process(&mut self, p: &P<'_>) -> &mut Cap {
        let ev = self.hdr(
            p.pid,
            p.pid,
            p.container,
            Body::Process(Process {
                tid: p.pid,
                pid: p.pid,
                ppid: p.ppid,
                vtid: p.pid,
                vpid: p.pid,
                uid: p.uid,
                gid: p.uid,
                euid: p.uid,
                egid: p.uid,
                loginuid: u32::MAX,
                start_ts: T0 - 1_000_000_000,
                comm: b(p.comm),
                exe: b(p.exe),
                exe_path: b(p.exe),
                args: b(p.args),
                cwd: b(p.cwd),
                ..Process::default()
            }),
        );
        self.state.push(ev);
        self
    }

    /// An open fd in the snapshot.
    pub fn fd(&mut self, pid: u32, fd: i32, ty: FdType, name: &str) -> &mut Cap {
        let ev = self.hdr(
            pid,
            pid,
            0,
            Body::Fd(FdInfo {
                pid,
                fd,
                fd_type: ty,
                name: b(name),
                ..FdInfo::default()
            }),
        );
        self.state.push(ev);
        self
    }

    /// A user account in the snapshot.
    pub fn user(&mut self, uid: u32, name: &str, home: &str, shell: &str) -> &mut Cap {
        let ev = self.hdr(
            0,
            0,
            0,
            Body::User(User {
                uid,
                gid: uid,
                container: 0,
                name: b(name),
                home: b(home),
                shell: b(shell),
            }),
        );
        self.state.push(ev);
        self
    }

    /// A container record (in the snapshot).
    pub fn container(&mut self, index: u32, id: &str, name: &str, image: &str, labels: &str) {
        let ev = self.hdr(
            0,
            0,
            index,
            Body::Container(Container {
                id: b(id),
                name: b(name),
                image: b(image),
                image_id: b("sha256:0123456789abcdef"),
                runtime: b("containerd"),
                labels: b(labels),
                ..Container::default()
            }),
        );
        self.state.push(ev);
    }

    fn push(&mut self, ev: Event<'static>) -> u64 {
        self.events.push(ev);
        self.ts += 1000;
        self.events.len() as u64
    }

    /// Any record by `tid` of `pid` in container `c`; returns its event number.
    pub fn event(&mut self, tid: u32, pid: u32, c: u32, body: Body<'static>) -> u64 {
        let ev = self.hdr(tid, pid, c, body);
        self.push(ev)
    }

    /// A system call by `tid` of `pid`; returns its event number.
    pub fn sys(
        &mut self,
        tid: u32,
        pid: u32,
        name: &str,
        ret: i64,
        params: Vec<Value<'static>>,
    ) -> u64 {
        self.sys_in(0, tid, pid, name, ret, params)
    }

    /// A system call in container `c`.
    pub fn sys_in(
        &mut self,
        c: u32,
        tid: u32,
        pid: u32,
        name: &str,
        ret: i64,
        params: Vec<Value<'static>>,
    ) -> u64 {
        let nr = by_name(name).unwrap_or_else(|| panic!("no syscall {name}"));
        let ev = self.hdr(
            tid,
            pid,
            c,
            Body::Syscall(Syscall {
                nr,
                ret,
                latency: 1500,
                params: Params::from_vec(params),
            }),
        );
        self.push(ev)
    }

    /// A fork (a thread when `child_pid == pid`).
    pub fn fork(&mut self, tid: u32, pid: u32, child_tid: u32, child_pid: u32) -> u64 {
        let ev = self.hdr(
            tid,
            pid,
            0,
            Body::Fork(Fork {
                child_tid,
                child_pid,
                flags: 0,
            }),
        );
        self.push(ev)
    }

    /// An exec by `pid` of `comm`/`exe` with `args`.
    pub fn exec(&mut self, pid: u32, ppid: u32, comm: &str, exe: &str, args: &str) -> u64 {
        let ev = self.hdr(
            pid,
            pid,
            0,
            Body::Exec(Process {
                tid: pid,
                pid,
                ppid,
                vtid: pid,
                vpid: pid,
                uid: 1000,
                gid: 1000,
                loginuid: 1000,
                start_ts: self.ts,
                comm: b(comm),
                exe: b(exe),
                exe_path: b(exe),
                args: b(args),
                cwd: b("/home/alice"),
                ..Process::default()
            }),
        );
        self.push(ev)
    }

    /// A thread exit.
    pub fn exit(&mut self, tid: u32, pid: u32, group_dead: bool) -> u64 {
        let ev = self.hdr(
            tid,
            pid,
            0,
            Body::Exit(Exit {
                code: 0,
                group_dead,
            }),
        );
        self.push(ev)
    }

    /// Writes the capture.
    pub fn write(&self, path: &Path) {
        let mut w = Writer::create(path, &header(), WriterOptions::default()).expect("create");
        w.write_state(&self.state).expect("state");
        for ev in &self.events {
            w.append(ev).expect("append");
        }
        w.finish().expect("finish");
    }
}

fn header() -> HeaderInfo {
    HeaderInfo {
        created_ns: T0,
        hostname: "fixture".into(),
        kernel: "6.1.0".into(),
        cpus: 2,
        recorder: "casefile tests".into(),
        snaplen: 80,
        ..HeaderInfo::default()
    }
}

/// A TCP tuple client → server.
pub fn tcp(c: [u8; 4], cport: u16, s: [u8; 4], sport: u16) -> Value<'static> {
    Value::Sock(Sock::v4(6, c, cport, s, sport))
}

/// The state-reconstruction scenario; the comments give each event's number.
pub fn state_scenario() -> Cap {
    let mut c = Cap::new();
    scenario_snapshot(&mut c);
    scenario_files_and_tasks(&mut c);
    scenario_network(&mut c);
    scenario_container(&mut c);
    c
}

/// The state before the first event: init, bash and nginx (in container 1), bash's terminal
/// fds, two users and the container.
fn scenario_snapshot(c: &mut Cap) {
    c.process(&P {
        pid: 1,
        ppid: 0,
        comm: "systemd",
        exe: "/sbin/init",
        args: "",
        cwd: "/",
        uid: 0,
        container: 0,
    });
    c.process(&P {
        pid: 100,
        ppid: 1,
        comm: "bash",
        exe: "/bin/bash",
        args: "-l\0",
        cwd: "/home/alice",
        uid: 1000,
        container: 0,
    });
    c.process(&P {
        pid: 300,
        ppid: 1,
        comm: "nginx",
        exe: "/usr/sbin/nginx",
        args: "-g\0daemon off;\0",
        cwd: "/",
        uid: 0,
        container: 1,
    });
    c.fd(100, 0, FdType::File, "/dev/pts/0");
    c.fd(100, 1, FdType::File, "/dev/pts/0");
    c.user(1000, "alice", "/home/alice", "/bin/bash");
    c.user(0, "root", "/root", "/bin/sh");
    c.container(
        1,
        "3f4c1a2b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a",
        "shop-web",
        "docker.io/library/nginx:1.25",
        "app=shop\0io.kubernetes.pod.name=shop-web-7d9f\0io.kubernetes.pod.namespace=shop\0io.kubernetes.pod.uid=8c1e0d2a\0",
    );
}

/// Events 1 to 17: opens, dup, reads across fork and exec, close, a thread, exit, a failed
/// open.
fn scenario_files_and_tasks(c: &mut Cap) {
    // 1: open /etc/passwd → fd 3.
    c.sys(
        100,
        100,
        "openat",
        3,
        vec![int(-100), text("/etc/passwd"), int(0), int(0)],
    );
    // 2: dup2(3, 10).
    c.sys(100, 100, "dup2", 10, vec![int(3), int(10)]);
    // 3: read fd 10 (named after the dup).
    c.sys(100, 100, "read", 5, vec![int(10), text("root:"), int(4096)]);
    // 4: a relative open against the cwd.
    c.sys(
        100,
        100,
        "openat",
        4,
        vec![int(-100), text("notes/todo.txt"), int(0o1101), int(0o644)],
    );
    // 5: fork → child 200.
    c.fork(100, 100, 200, 200);
    // 6: the child reads inherited fd 3.
    c.sys(200, 200, "read", 5, vec![int(3), text("root:"), int(4096)]);
    // 7: the child execs cat; 8: execve returns.
    c.exec(200, 100, "cat", "/bin/cat", "/etc/passwd\0");
    c.sys(200, 200, "execve", 0, vec![text("/bin/cat")]);
    // 9: cat reads fd 3, kept across exec.
    c.sys(200, 200, "read", 5, vec![int(3), text("root:"), int(4096)]);
    // 10: bash closes fd 3 (the close still shows it); 11: read fd 10 still named.
    c.sys(100, 100, "close", 0, vec![int(3)]);
    c.sys(100, 100, "read", 0, vec![int(10), text(""), int(4096)]);
    // 12: read fd 3 after close: unnamed.
    c.sys(100, 100, "read", -9, vec![int(3), Value::None, int(4096)]);
    // 13: a thread of bash; 14: it writes to fd 10 (shared table).
    c.fork(100, 100, 101, 100);
    c.sys(101, 100, "write", 3, vec![int(10), text("hi\n"), int(3)]);
    // 15: cat exits (still cat); 16: an event of pid 200 after the exit: unknown.
    c.exit(200, 200, true);
    c.sys(
        200,
        200,
        "getpid",
        200,
        vec![int(0), int(0), int(0), int(0), int(0), int(0)],
    );
    // 17: failed open.
    c.sys(
        100,
        100,
        "openat",
        -2,
        vec![int(-100), text("/etc/shadow"), int(0), int(0)],
    );
}

/// Events 18 to 24: a connected socket, a pipe, chdir and a relative open after it.
fn scenario_network(c: &mut Cap) {
    // 18: socket; 19: connect; 20: send.
    c.sys(100, 100, "socket", 5, vec![int(2), int(1), int(0)]);
    c.sys(
        100,
        100,
        "connect",
        0,
        vec![
            int(5),
            Value::None,
            tcp([10, 0, 0, 2], 40000, [93, 184, 216, 34], 443),
        ],
    );
    c.sys(
        100,
        100,
        "sendto",
        18,
        vec![
            int(5),
            text("GET / HTTP/1.1\r\n\r\n"),
            int(18),
            tcp([10, 0, 0, 2], 40000, [93, 184, 216, 34], 443),
            Value::None,
        ],
    );
    // 21: pipe → 6, 7; 22: write to the pipe.
    c.sys(100, 100, "pipe", 0, vec![int(6 | (7 << 32))]);
    c.sys(100, 100, "write", 1, vec![int(7), text("x"), int(1)]);
    // 23: chdir; 24: relative open after it.
    c.sys(100, 100, "chdir", 0, vec![text("/tmp")]);
    c.sys(
        100,
        100,
        "openat",
        8,
        vec![
            int(-100),
            text("../var/log/app.log"),
            int(0o2101),
            int(0o600),
        ],
    );
}

/// Events 25 to 28: nginx in the container binds, accepts and reads.
fn scenario_container(c: &mut Cap) {
    // 25..28: nginx in the container accepts and reads.
    c.sys_in(1, 300, 300, "socket", 6, vec![int(2), int(1), int(0)]);
    c.sys_in(
        1,
        300,
        300,
        "bind",
        0,
        vec![
            int(6),
            Value::Sock(Sock::v4(6, [0; 4], 0, [0, 0, 0, 0], 80)),
        ],
    );
    c.sys_in(
        1,
        300,
        300,
        "accept4",
        12,
        vec![int(6), tcp([10, 0, 0, 7], 51000, [10, 0, 0, 5], 80), int(0)],
    );
    c.sys_in(
        1,
        300,
        300,
        "recvfrom",
        16,
        vec![
            int(12),
            text("GET /x HTTP/1.1\r\n"),
            int(1024),
            tcp([10, 0, 0, 7], 51000, [10, 0, 0, 5], 80),
            Value::None,
        ],
    );
}

/// Where committed fixtures live.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("replay")
}

/// The committed fixture `name`, written from `build` with its sidecar only when missing.
pub fn fixture(name: &str, what: &str, build: impl FnOnce(&Path)) -> PathBuf {
    let dir = fixtures_dir();
    std::fs::create_dir_all(&dir).expect("fixtures dir");
    let path = dir.join(format!("{name}.case"));
    // Tests run in parallel: one writes, the others wait; the file appears whole (rename).
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !path.exists() {
        let tmp = dir.join(format!("{name}.case.tmp"));
        // Left by a run that stopped half-way (captures are only ever created new).
        let _ = std::fs::remove_file(&tmp);
        build(&tmp);
        std::fs::rename(&tmp, &path).expect("rename fixture");
        let cap = CaptureFile::read(&path).expect("reopen fixture");
        let sidecar = format!(
            "{what}\n\nWritten by src/replay/testutil.rs ({name}); {} events in {} blocks. \
             Regenerate by deleting this pair and running `cargo test`.\n",
            cap.event_count(),
            cap.blocks().len()
        );
        std::fs::write(dir.join(format!("{name}.txt")), sidecar).expect("sidecar");
    }
    path
}

/// The state scenario fixture.
pub fn state_fixture() -> PathBuf {
    fixture(
        "state",
        "State reconstruction: bash opens /etc/passwd, dup2s it, forks a child that execs cat \
         and reads the inherited fd, closes, a second thread writes through the shared table, \
         a failed open, a TCP connect and send, a pipe, a chdir and a relative open, and nginx \
         in a Kubernetes container (index 1) accepting a connection.",
        |p| state_scenario().write(p),
    )
}

/// Synthetic activity in small blocks with keyframes written from replay's own state.
pub fn write_synth(path: &Path, events: usize, block_bytes: usize, keyframe_every: u32) {
    let synth = Synth::new(7);
    let opts = WriterOptions {
        block_bytes,
        keyframe_every,
        ..WriterOptions::default()
    };
    let mut w = Writer::create(path, &header(), opts).expect("create");
    let snapshot = synth.state();
    w.write_state(&snapshot).expect("state");
    let mut st = State::default();
    for ev in &snapshot {
        let d = st.apply_before(ev);
        st.apply_after(d);
    }
    for ev in synth.take(events) {
        if w.needs_keyframe() {
            w.write_state(&st.to_records(ev.ts)).expect("keyframe");
        }
        w.append(&ev).expect("append");
        let d = st.apply_before(&ev);
        st.apply_after(d);
    }
    w.finish().expect("finish");
}

/// A copy of `cap` written through `agg`, in blocks of about `block_bytes`.
pub fn rewrite(
    cap: &CaptureFile,
    block_bytes: usize,
    agg: Box<dyn capture_format::BlockAggregator>,
) -> CaptureFile {
    let info = cap.header().info.clone();
    let opts = WriterOptions {
        block_bytes,
        ..WriterOptions::default()
    };
    let mut w = Writer::new(Vec::new(), &info, opts).expect("writer");
    w.set_aggregator(agg);
    for i in 0..cap.blocks().len() {
        let e = cap.blocks()[i];
        if !e.block_type.holds_records() {
            continue;
        }
        let b = cap.read_block(i).expect("block");
        let recs: Vec<capture_format::schema::Event<'_>> = b
            .events()
            .expect("events")
            .map(|r| r.expect("ev"))
            .collect();
        if e.block_type == capture_format::BlockType::State {
            w.write_state(&recs).expect("state");
        } else {
            for ev in &recs {
                w.append(ev).expect("append");
            }
        }
    }
    CaptureFile::from_bytes(w.finish().expect("finish")).expect("reopen")
}

/// The synthetic fixture: many small blocks and keyframes.
pub fn synth_fixture() -> PathBuf {
    fixture(
        "synth",
        "Synthetic host activity (capture_format::synth, seed 7): 6000 events in ~4 KiB \
         blocks, a keyframe every 8 event blocks written from replay's state, for block \
         skipping and seeking tests.",
        |p| write_synth(p, 6000, 4096, 8),
    )
}

/// Replays `path` and returns the default-format lines of the events matching `filter`.
pub fn lines(
    path: &Path,
    filter: Option<&str>,
    opts: Options,
) -> (Vec<String>, super::session::Stats) {
    lines_of(CaptureFile::read(path).expect("open"), filter, opts)
}

/// [`lines`] of an opened capture.
pub fn lines_of(
    cap: CaptureFile,
    filter: Option<&str>,
    opts: Options,
) -> (Vec<String>, super::session::Stats) {
    let mut s = Session::new(cap, opts).expect("session");
    let f = filter.map(|t| compile(t, &Fields).unwrap_or_else(|e| panic!("{e}")));
    let mut out = Vec::new();
    {
        let mut sink = TextSink::new(
            &mut out,
            Format::parse(DEFAULT_FORMAT).expect("format"),
            super::render::BufMode::Dotted,
        );
        s.run(f.as_ref(), |ctx| -> Result<Flow, ReplayError> {
            sink.event(ctx).expect("write");
            Ok(Flow::Continue)
        })
        .expect("run");
    }
    let text = String::from_utf8(out).expect("utf8");
    (text.lines().map(str::to_owned).collect(), s.stats())
}

/// Replays `path` and returns, per event, `num` and the given fields' values.
pub fn fields_table(path: &Path, filter: Option<&str>, fields: &[&str]) -> String {
    let cap = CaptureFile::read(path).expect("open");
    let mut s = Session::new(cap, Options::default()).expect("session");
    let f = filter.map(|t| compile(t, &Fields).unwrap_or_else(|e| panic!("{e}")));
    let resolved: Vec<_> = fields
        .iter()
        .map(|n| {
            let (name, arg) = match n.split_once('[') {
                Some((a, b)) => (a, Some(b.trim_end_matches(']'))),
                None => (*n, None),
            };
            crate::filter::Registry::resolve(&Fields, name, arg)
                .expect("field")
                .id
        })
        .collect();
    let mut out = String::new();
    s.run(f.as_ref(), |ctx| -> Result<Flow, ReplayError> {
        let _ = write!(out, "{:>3}", ctx.num);
        for (name, field) in fields.iter().zip(&resolved) {
            let _ = write!(out, " {name}=");
            match ctx.get(field) {
                Some(v) => val_text(&v, &mut out),
                None => out.push_str("<NA>"),
            }
        }
        out.push('\n');
        Ok(Flow::Continue)
    })
    .expect("run");
    out
}
