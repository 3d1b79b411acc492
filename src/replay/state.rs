//! Thread, process, fd, container and user tables, rebuilt from state records and events.
//!
//! Rules (sysdig's, adapted to exit-time records):
//! - threads of a process share its fd table (`Proc::fds`);
//! - a fork of a new process copies the parent's image and fd table; a new thread joins it;
//! - exec replaces the image (name, exe, args, env, cwd, ids) and keeps the fds, except those
//!   opened with `O_CLOEXEC`;
//! - open/creat/socket/accept/pipe/socketpair/dup*/fcntl(F_DUPFD*)/eventfd/... add fds when
//!   they succeed, before the event is evaluated (the event shows its new fd);
//! - connect names the fd after its tuple (or a unix socket's path) whatever the result (a
//!   non-blocking connect returns EINPROGRESS); sendto/recvfrom name an unconnected socket;
//! - close and exits change the tables after the event was evaluated (the event still shows
//!   the fd, the thread), which [`State::apply_after`] does;
//! - a process that exits moves to [`State::exited`] (without fds or environment) and is
//!   kept while it is an ancestor of a live process, so ancestry fields still resolve; state
//!   blocks reset it, and [`State::to_records`] writes it as a process record and its exit;
//! - a thread may have its own name (state records of non-main threads), shown by
//!   `proc.name` for its events; forks inherit the forking thread's name, exec resets it;
//! - state blocks (snapshot, keyframes) reset the task tables; [`State::to_records`] writes
//!   the tables back as such records.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::calls::{self, Action};
use capture_format::schema::syscalls;
use capture_format::schema::{
    Body, Container, Event, Exit, FdInfo, FdType, Group, Process, Sock, User, Value, af, exe, l4,
};

/// A fast hasher for small integer keys (pids, tids, fds).
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_i32(&mut self, n: i32) {
        self.write_u32(n as u32);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A hash map keyed by small integers.
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// `O_CLOEXEC`.
const O_CLOEXEC: u32 = 0o2_000_000;
/// `O_DIRECTORY`.
const O_DIRECTORY: u32 = 0o200_000;
/// `AT_FDCWD`.
const AT_FDCWD: i64 = -100;

/// An open file descriptor.
#[derive(Clone, Debug, PartialEq)]
pub struct Fd {
    /// What it refers to.
    pub ty: FdType,
    /// Path, tuple or description.
    pub name: Arc<[u8]>,
    /// Connection tuple (client → server) for inet sockets.
    pub sock: Option<Sock>,
    /// `open` flags.
    pub flags: u32,
    /// Whether this end is the server (accepted or bound).
    pub is_server: bool,
    /// Whether the socket is connected: a connect that succeeded or is in progress, an
    /// accepted socket, or a state record with both ends (libs' default, without tracking
    /// connection status).
    pub connected: bool,
    /// The path as the open call gave it, when it differs from `name` (a relative path).
    pub nameraw: Option<Arc<[u8]>>,
}

impl Fd {
    /// The name: the stored one, or the connection tuple for sockets.
    pub fn display_name(&self) -> std::borrow::Cow<'_, [u8]> {
        match self.sock {
            Some(s)
                if self.name.is_empty()
                    && (s.sport != 0 || s.dport != 0 || s.src != [0; 16] || s.dst != [0; 16]) =>
            {
                let mut t = String::with_capacity(48);
                super::render::render_sock(&s, &mut t);
                std::borrow::Cow::Owned(t.into_bytes())
            }
            _ => std::borrow::Cow::Borrowed(&self.name),
        }
    }

    fn new(ty: FdType, name: &[u8]) -> Fd {
        Fd {
            ty,
            name: Arc::from(name),
            sock: None,
            flags: 0,
            is_server: false,
            connected: false,
            nameraw: None,
        }
    }
}

/// A process: its image and its fd table (shared by its threads).
#[derive(Clone, Debug, Default)]
pub struct Proc {
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// Pid in its namespace.
    pub vpid: u32,
    /// Real user id.
    pub uid: u32,
    /// Real group id.
    pub gid: u32,
    /// Login uid.
    pub loginuid: u32,
    /// Start time (ns since the epoch).
    pub start_ts: u64,
    /// `comm`.
    pub comm: Vec<u8>,
    /// `argv[0]`.
    pub exe: Vec<u8>,
    /// Resolved executable path.
    pub exe_path: Vec<u8>,
    /// Arguments after `argv[0]`, NUL-terminated each.
    pub args: Vec<u8>,
    /// Environment, NUL-terminated entries.
    pub env: Vec<u8>,
    /// Working directory.
    pub cwd: Vec<u8>,
    /// Controlling tty.
    pub tty: u32,
    /// Container index (0 = host).
    pub container: u32,
    /// Number of live threads known.
    pub nthreads: u32,
    /// Open fds.
    pub fds: IdMap<i32, Fd>,
    /// Whether an exec or a state record described it (false: first seen in an event, so its
    /// image, parent and ids are unknown).
    pub known: bool,
    /// Whether some thread of it has its own name (saves a lookup per event otherwise).
    pub named_threads: bool,
    /// Process group id in its pid namespace, when recorded.
    pub vpgid: Option<u32>,
    /// Where the executable came from ([`exe`] bits; without [`exe::KNOWN`]: not recorded).
    pub exe_flags: u32,
}

impl Proc {
    fn set_image(&mut self, p: &Process<'_>) {
        self.known = true;
        self.ppid = p.ppid;
        self.vpid = p.vpid;
        self.uid = p.uid;
        self.gid = p.gid;
        self.loginuid = p.loginuid;
        if p.start_ts != 0 {
            self.start_ts = p.start_ts;
        }
        self.comm = applet_name(p).unwrap_or(&p.comm).to_vec();
        self.exe = p.exe.to_vec();
        self.exe_path = p.exe_path.to_vec();
        self.args = p.args.to_vec();
        self.env = p.env.to_vec();
        if !p.cwd.is_empty() {
            self.cwd = p.cwd.to_vec();
        }
        self.tty = p.tty;
        let known = p.exe_flags & exe::KNOWN != 0;
        self.exe_flags = p.exe_flags;
        self.vpgid = known.then_some(p.vpgid);
    }
}

/// A thread's capability sets (`thread.cap_*`), when recorded: from an exec or state record
/// of a writer that recorded them, a capset, or the thread that created it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    /// Inheritable.
    pub inheritable: u64,
    /// Permitted.
    pub permitted: u64,
    /// Effective.
    pub effective: u64,
}

impl Caps {
    /// The sets a process record carries, if its writer recorded them.
    pub fn of(p: &Process<'_>) -> Option<Caps> {
        (p.exe_flags & exe::KNOWN != 0).then_some(Caps {
            inheritable: p.cap_inheritable,
            permitted: p.cap_permitted,
            effective: p.cap_effective,
        })
    }
}

/// The name of a program run through `/proc/self/exe` (a busybox applet a busybox shell
/// re-executes: the kernel names it `exe`, its `argv[0]` is `wget`): the base name of its
/// `argv[0]`. `None` for every other program (one really named `exe` included).
fn applet_name<'p>(p: &'p Process<'_>) -> Option<&'p [u8]> {
    if &*p.comm != b"exe" {
        return None;
    }
    let base = |b: &'p [u8]| b.rsplit(|&c| c == b'/').next().unwrap_or(b);
    let via_proc = p.exe_path.starts_with(b"/proc/") || base(&p.exe_path) != b"exe";
    let argv0 = base(&p.exe);
    (via_proc && !argv0.is_empty() && argv0 != b"exe").then_some(argv0)
}

/// The name a task goes by, sysdig's `proc.name`: the thread's own name when it renamed
/// itself, else its process's `comm` as the last exec (or state record) set it, except that a
/// program run through `/proc/self/exe` (a busybox applet re-executed) goes by its `argv[0]`
/// (`wget`, not the kernel's `exe`). Every command and view names processes with this one rule.
pub fn task_name<'a>(state: &'a State, p: &'a Proc, tid: u32) -> &'a [u8] {
    // `named_threads` saves the thread lookup for the processes that have no renamed thread.
    if p.named_threads
        && let Some(own) = state.threads.get(&tid).and_then(|t| t.comm.as_deref())
    {
        return own;
    }
    &p.comm
}

/// A command line as sysdig's `proc.cmdline` shows it: the name, then the arguments
/// (NUL-terminated each) separated by spaces.
pub fn cmdline(name: &[u8], args: &[u8]) -> String {
    let mut out = String::from_utf8_lossy(name).into_owned();
    for a in args.split(|&c| c == 0).filter(|a| !a.is_empty()) {
        out.push(' ');
        out.push_str(&String::from_utf8_lossy(a));
    }
    out
}

/// A thread.
#[derive(Clone, Debug, Default)]
pub struct Thread {
    /// Its process.
    pub pid: u32,
    /// Tid in its namespace.
    pub vtid: u32,
    /// The thread's own name when it differs from the process's (threads may rename
    /// themselves, like glib's `gmain`); sysdig's `proc.name` shows it.
    pub comm: Option<Arc<[u8]>>,
    /// Capability sets, when known.
    pub caps: Option<Caps>,
    /// CPU, memory and page faults, once a sample or switch event told them.
    pub usage: Option<Box<super::usage::ThreadUsage>>,
}

/// Everything replay knows about the system at one point of the capture.
#[derive(Debug, Default)]
pub struct State {
    /// Processes by pid.
    pub procs: IdMap<u32, Proc>,
    /// Threads by tid.
    pub threads: IdMap<u32, Thread>,
    /// Containers by capture index (1-based).
    pub containers: IdMap<u32, Container<'static>>,
    /// Users by (container index, uid).
    pub users: HashMap<(u32, u32), User<'static>>,
    /// Groups by (container index, gid).
    pub groups: HashMap<(u32, u32), Group<'static>>,
    /// Name of the host these tables describe (`host.name`).
    pub host_name: String,
    /// Whether the event last applied changed the name of the fd it uses (a connect, or a
    /// sendto that names an unconnected socket): `fd.name_changed`.
    pub fd_name_changed: bool,
    /// Processes that exited, kept while they may be ancestors of live ones so that
    /// `proc.pname`, `proc.aname[N]` and the like still resolve (their fds and environment
    /// are dropped). Pruned to the ancestors of live processes when it outgrows
    /// [`State::exited_limit`].
    pub exited: IdMap<u32, Proc>,
    /// Twice what the last prune kept: the next prune waits for that many, so that many
    /// exited ancestors (deep chains) do not make every exit a prune.
    exited_kept: usize,
    /// The thread last seen by `ensure_task` (most events come in runs from one thread).
    last_tid: u32,
    /// Names of addresses, from the DNS answers seen so far (`fd.*ip.name`).
    pub dns: super::dns::DnsNames,
}

/// A process record holding what replay knows of `p`'s origin and `caps`: all of it marked
/// known only when both are (a record has one mark for the four fields).
fn with_origin(p: &Proc, caps: Option<Caps>) -> Process<'static> {
    match caps {
        Some(c) if p.exe_flags & exe::KNOWN != 0 => Process {
            cap_effective: c.effective,
            cap_permitted: c.permitted,
            cap_inheritable: c.inheritable,
            vpgid: p.vpgid.unwrap_or(0),
            exe_flags: p.exe_flags,
            ..Process::default()
        },
        _ => Process::default(),
    }
}

/// x86_64 `capset`.
const NR_CAPSET: u16 = 126;

/// Exited processes kept before a prune, at least (see [`State::exited`]).
const MIN_EXITED_KEPT: usize = 256;

/// A change to make after the event was evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deferred {
    /// Nothing.
    None,
    /// Close fd `fd` of process `pid`.
    Close {
        /// Process.
        pid: u32,
        /// Descriptor.
        fd: i32,
    },
    /// Remove thread `tid` (and its process when `group_dead` or it was the last).
    Exit {
        /// Thread.
        tid: u32,
        /// Process.
        pid: u32,
        /// Whether the whole process is gone.
        group_dead: bool,
    },
}

impl State {
    /// Forgets everything except the container, user and group tables (used before a state
    /// block is applied to resynchronise).
    pub fn clear_tasks(&mut self) {
        self.last_tid = 0;
        self.procs.clear();
        self.threads.clear();
        self.exited.clear();
        self.exited_kept = 0;
    }

    /// Process `pid`, live or (as an ancestor of a live one) exited; a live one shadows an
    /// exited one of the same number.
    pub fn proc_or_exited(&self, pid: u32) -> Option<&Proc> {
        self.procs.get(&pid).or_else(|| self.exited.get(&pid))
    }

    /// The parent of `p`, live or exited, when its image is known.
    pub fn parent_of(&self, p: &Proc) -> Option<&Proc> {
        if p.ppid == p.pid || p.ppid == 0 {
            return None;
        }
        self.proc_or_exited(p.ppid).filter(|pp| pp.known)
    }

    /// How many exited processes may be kept before pruning those that are no live process's
    /// ancestor: twice the live ones, twice what the last prune kept, and at least
    /// [`MIN_EXITED_KEPT`].
    fn exited_limit(&self) -> usize {
        (self.procs.len() * 2)
            .max(MIN_EXITED_KEPT)
            .max(self.exited_kept)
    }

    /// Moves process `pid` from the live table to the exited one.
    fn retire(&mut self, pid: u32) {
        let Some(mut p) = self.procs.remove(&pid) else {
            return;
        };
        p.nthreads = 0;
        p.fds = IdMap::default();
        p.env = Vec::new();
        self.exited.insert(pid, p);
        if self.exited.len() > self.exited_limit() {
            self.prune_exited();
        }
    }

    /// Keeps only the exited processes that are ancestors of live ones.
    fn prune_exited(&mut self) {
        let mut keep: std::collections::HashSet<u32, BuildHasherDefault<IdHasher>> =
            std::collections::HashSet::default();
        for p in self.procs.values() {
            let mut ppid = p.ppid;
            let mut child = p.pid;
            // Up through exited parents only (a live parent has its own walk); bounded
            // against cycles made by pid reuse.
            for _ in 0..64 {
                if ppid == child || self.procs.contains_key(&ppid) {
                    break;
                }
                let Some(e) = self.exited.get(&ppid) else {
                    break;
                };
                if !keep.insert(ppid) {
                    break;
                }
                child = ppid;
                ppid = e.ppid;
            }
        }
        self.exited.retain(|pid, _| keep.contains(pid));
        self.exited_kept = self.exited.len() * 2;
    }

    /// The thread and process of an event, creating placeholders for tasks first seen here
    /// (their names stay empty until an exec or a state record names them).
    fn ensure_task(&mut self, tid: u32, pid: u32, container: u32) {
        if tid == 0 || tid == self.last_tid {
            return;
        }
        self.last_tid = tid;
        if let std::collections::hash_map::Entry::Vacant(e) = self.threads.entry(tid) {
            e.insert(Thread {
                pid,
                ..Thread::default()
            });
            let p = self.procs.entry(pid).or_insert_with(|| Proc {
                pid,
                container,
                ..Proc::default()
            });
            p.nthreads += 1;
        }
    }

    /// Applies an event's effect that must be visible when it is evaluated, and returns the
    /// effect to apply after.
    pub fn apply_before(&mut self, ev: &Event<'_>) -> Deferred {
        self.fd_name_changed = false;
        match &ev.body {
            Body::Syscall(sc) => {
                self.ensure_task(ev.tid, ev.pid, ev.container);
                if sc.nr == NR_CAPSET {
                    self.capset(ev.tid, sc.ret, &sc.params);
                }
                let d = self.apply_syscall(ev.pid, sc.nr, sc.ret, &sc.params);
                self.learn_dns(ev.pid, sc.nr, sc.ret, &sc.params);
                d
            }
            Body::Fork(fk) => {
                self.ensure_task(ev.tid, ev.pid, ev.container);
                self.fork(ev.tid, ev.pid, fk.child_tid, fk.child_pid, ev.container);
                Deferred::None
            }
            Body::Exec(p) => {
                self.ensure_task(ev.tid, ev.pid, ev.container);
                if let Some(pr) = self.procs.get_mut(&ev.pid) {
                    pr.set_image(p);
                    pr.container = ev.container;
                    pr.fds.retain(|_, fd| fd.flags & O_CLOEXEC == 0);
                }
                if let Some(t) = self.threads.get_mut(&ev.tid) {
                    t.vtid = p.vtid;
                    t.comm = None;
                    t.caps = Caps::of(p);
                }
                Deferred::None
            }
            Body::Exit(x) => Deferred::Exit {
                tid: ev.tid,
                pid: ev.pid,
                group_dead: x.group_dead,
            },
            Body::Container(c) => {
                self.containers.insert(ev.container, c.clone().into_owned());
                Deferred::None
            }
            Body::Process(p) => {
                self.add_process(p, ev.container);
                Deferred::None
            }
            Body::Fd(f) => {
                self.add_fd(f);
                Deferred::None
            }
            Body::User(u) => {
                self.users
                    .insert((u.container, u.uid), u.clone().into_owned());
                Deferred::None
            }
            Body::Group(g) => {
                self.groups
                    .insert((g.container, g.gid), g.clone().into_owned());
                Deferred::None
            }
            Body::Usage(u) => {
                self.ensure_task(ev.tid, ev.pid, ev.container);
                super::usage::sample(self, ev.tid, ev.ts, u);
                Deferred::None
            }
            Body::Switch(s) => {
                // Figures for a thread the tables know; a switch alone does not make one (its
                // process is not known from it).
                super::usage::switch(self, ev.tid, s);
                Deferred::None
            }
            Body::Signal(_) | Body::Loss(_) | Body::Interface(_) | Body::Unknown { .. } => {
                Deferred::None
            }
        }
    }

    /// Applies what [`State::apply_before`] deferred.
    pub fn apply_after(&mut self, d: Deferred) {
        match d {
            Deferred::None => {}
            Deferred::Close { pid, fd } => {
                if let Some(p) = self.procs.get_mut(&pid) {
                    p.fds.remove(&fd);
                }
            }
            Deferred::Exit {
                tid,
                pid,
                group_dead,
            } => {
                self.last_tid = 0;
                if self.threads.remove(&tid).is_some()
                    && let Some(p) = self.procs.get_mut(&pid)
                {
                    p.nthreads = p.nthreads.saturating_sub(1);
                }
                let empty = self.procs.get(&pid).is_some_and(|p| p.nthreads == 0);
                if group_dead || empty {
                    self.retire(pid);
                    self.threads.retain(|_, t| t.pid != pid);
                }
            }
        }
    }

    /// The state records that carry what `ev` (already applied) changed: the image of its
    /// thread (or a forked child), and the fds it named, created or moved. A recorder that
    /// leaves an event out (a capture filter) writes these instead, so a replay still names the
    /// processes and files of the events it kept.
    pub fn records_after(&self, ev: &Event<'_>) -> Vec<Event<'static>> {
        let mut tids = vec![ev.tid];
        let mut fds: Vec<i32> = Vec::new();
        match &ev.body {
            Body::Fork(f) => tids.push(f.child_tid),
            Body::Syscall(sc) => {
                if sc.ret >= 0 {
                    fds.push(sc.ret as i32);
                }
                for v in &sc.params {
                    if let Some((a, b)) = fd_pair(v) {
                        fds.extend([a, b]);
                    }
                }
                if let Some(fd) = sc.params.first().and_then(Value::as_int) {
                    fds.push(fd as i32);
                }
            }
            _ => {}
        }
        self.to_records_of(&tids, ev.pid, &fds, ev.ts)
    }

    /// The whole state as state records (for a keyframe): containers, users, groups, then each
    /// thread and each process's fds, ordered by id so the output is stable.
    pub fn to_records(&self, ts: u64) -> Vec<Event<'static>> {
        self.records_filtered(None, ts)
    }

    /// The records of threads `tids` and the fds `fds` of process `pid`.
    fn to_records_of(&self, tids: &[u32], pid: u32, fds: &[i32], ts: u64) -> Vec<Event<'static>> {
        self.records_filtered(Some((tids, pid, fds)), ts)
    }

    /// [`State::to_records`], or only the threads and fds `only` names (no exited ancestors).
    fn records_filtered(
        &self,
        only: Option<(&[u32], u32, &[i32])>,
        ts: u64,
    ) -> Vec<Event<'static>> {
        let ev = |tid: u32, pid: u32, container: u32, body: Body<'static>| Event {
            ts,
            tid,
            pid,
            cpu: 0,
            container,
            body,
        };
        let own = |b: &[u8]| std::borrow::Cow::Owned(b.to_vec());
        let mut out = Vec::new();
        // Only the tasks and fds asked for: no tables.
        let tables = only.is_none();
        let mut cs: Vec<_> = self.containers.iter().filter(|_| tables).collect();
        cs.sort_by_key(|(k, _)| **k);
        for (&i, c) in cs {
            out.push(ev(0, 0, i, Body::Container(c.clone())));
        }
        let mut us: Vec<_> = self.users.values().filter(|_| tables).collect();
        us.sort_by_key(|u| (u.container, u.uid));
        for u in us {
            out.push(ev(0, 0, u.container, Body::User(u.clone())));
        }
        let mut gs: Vec<_> = self.groups.values().filter(|_| tables).collect();
        gs.sort_by_key(|g| (g.container, g.gid));
        for g in gs {
            out.push(ev(0, 0, g.container, Body::Group(g.clone())));
        }
        let mut threads: Vec<_> = self
            .threads
            .iter()
            .filter(|(tid, _)| only.is_none_or(|(tids, _, _)| tids.contains(tid)))
            .map(|(&tid, t)| (tid, t))
            .collect();
        threads.sort_by_key(|&(tid, t)| (t.pid, tid != t.pid, tid));
        for (tid, t) in threads {
            // A task only seen in events has no image to record; its events recreate it.
            let Some(p) = self.procs.get(&t.pid).filter(|p| p.known) else {
                continue;
            };
            out.push(ev(
                tid,
                t.pid,
                p.container,
                Body::Process(Process {
                    tid,
                    pid: t.pid,
                    ppid: p.ppid,
                    vtid: t.vtid,
                    vpid: p.vpid,
                    uid: p.uid,
                    gid: p.gid,
                    euid: p.uid,
                    egid: p.gid,
                    loginuid: p.loginuid,
                    start_ts: p.start_ts,
                    comm: own(t.comm.as_deref().unwrap_or(&p.comm)),
                    exe: own(&p.exe),
                    exe_path: own(&p.exe_path),
                    args: own(&p.args),
                    env: own(&p.env),
                    cwd: own(&p.cwd),
                    tty: p.tty,
                    ..with_origin(p, t.caps)
                }),
            ));
        }
        let mut pids: Vec<_> = self
            .procs
            .keys()
            .copied()
            .filter(|pid| only.is_none_or(|(_, p, _)| p == *pid))
            .collect();
        pids.sort_unstable();
        for pid in pids {
            let p = &self.procs[&pid];
            let mut fds: Vec<_> = p
                .fds
                .iter()
                .filter(|(n, _)| only.is_none_or(|(_, _, fds)| fds.contains(n)))
                .collect();
            fds.sort_by_key(|(n, _)| **n);
            for (&n, f) in fds {
                out.push(ev(
                    pid,
                    pid,
                    p.container,
                    Body::Fd(FdInfo {
                        pid,
                        fd: n,
                        fd_type: f.ty,
                        flags: f.flags,
                        name: own(&f.name),
                        sock: f.sock,
                        ino: 0,
                    }),
                ));
            }
        }
        if !tables {
            return out;
        }
        // Exited ancestors of live processes: each one's image, then its exit, so that a
        // replay starting at this keyframe resolves the same ancestry.
        let mut gone: Vec<_> = (self.exited.iter())
            .filter(|(k, p)| p.known && !self.procs.contains_key(k))
            .collect();
        gone.sort_by_key(|(k, _)| **k);
        for (&pid, p) in gone {
            let image = Process {
                tid: pid,
                pid,
                ppid: p.ppid,
                vtid: p.vpid,
                vpid: p.vpid,
                uid: p.uid,
                gid: p.gid,
                euid: p.uid,
                egid: p.gid,
                loginuid: p.loginuid,
                start_ts: p.start_ts,
                comm: own(&p.comm),
                exe: own(&p.exe),
                exe_path: own(&p.exe_path),
                args: own(&p.args),
                cwd: own(&p.cwd),
                tty: p.tty,
                ..with_origin(p, None)
            };
            out.push(ev(pid, pid, p.container, Body::Process(image)));
            let exit = Exit {
                code: 0,
                group_dead: true,
            };
            out.push(ev(pid, pid, p.container, Body::Exit(exit)));
        }
        out
    }

    /// A state record for one thread.
    pub fn add_process(&mut self, p: &Process<'_>, container: u32) {
        let fresh = !self.threads.contains_key(&p.tid);
        // A thread other than the main one keeps its own name (it may differ).
        let comm = (p.tid != p.pid && !p.comm.is_empty()).then(|| Arc::from(&p.comm[..]));
        self.threads.insert(
            p.tid,
            Thread {
                pid: p.pid,
                vtid: p.vtid,
                comm,
                caps: Caps::of(p),
                usage: None,
            },
        );
        let pr = self.procs.entry(p.pid).or_insert_with(|| Proc {
            pid: p.pid,
            ..Proc::default()
        });
        if fresh {
            pr.nthreads += 1;
        }
        pr.named_threads |= p.tid != p.pid && !p.comm.is_empty();
        // The main thread's record describes the process; others only add a thread.
        if p.tid == p.pid || pr.comm.is_empty() {
            pr.set_image(p);
            pr.container = container;
        }
    }

    /// A state record for one fd.
    pub fn add_fd(&mut self, f: &FdInfo<'_>) {
        let pr = self.procs.entry(f.pid).or_insert_with(|| Proc {
            pid: f.pid,
            ..Proc::default()
        });
        // Sockets with a tuple are named from it when shown (one format whoever wrote the
        // state record).
        let has_tuple = f.sock.is_some_and(|s| s.sport != 0 || s.dport != 0);
        let name = if has_tuple {
            Vec::new()
        } else {
            f.name.to_vec()
        };
        pr.fds.insert(
            f.fd,
            Fd {
                ty: f.fd_type,
                name: Arc::from(name.as_slice()),
                sock: f.sock,
                flags: f.flags,
                is_server: false,
                connected: f.sock.is_some_and(|s| s.sport != 0 && s.dport != 0),
                nameraw: None,
            },
        );
    }

    fn fork(
        &mut self,
        parent_tid: u32,
        parent_pid: u32,
        child_tid: u32,
        child_pid: u32,
        container: u32,
    ) {
        let creator_comm = self.threads.get(&parent_tid).and_then(|t| t.comm.clone());
        // A new task starts with its creator's credentials.
        let caps = self.threads.get(&parent_tid).and_then(|t| t.caps);
        if child_pid == parent_pid {
            // A new thread of the same process.
            let fresh = !self.threads.contains_key(&child_tid);
            if let Some(p) = self.procs.get_mut(&parent_pid) {
                if fresh {
                    p.nthreads += 1;
                }
                p.named_threads |= creator_comm.is_some();
            }
            self.threads.insert(
                child_tid,
                Thread {
                    pid: child_pid,
                    vtid: 0,
                    comm: creator_comm,
                    caps,
                    usage: None,
                },
            );
            return;
        }
        let mut child = self.procs.get(&parent_pid).cloned().unwrap_or_default();
        child.pid = child_pid;
        child.ppid = parent_pid;
        child.vpid = 0;
        child.nthreads = 1;
        child.container = container;
        child.named_threads = false;
        // The child is named after the thread that forked it.
        if let Some(c) = &creator_comm {
            child.comm = c.to_vec();
        }
        self.procs.insert(child_pid, child);
        self.threads.insert(
            child_tid,
            Thread {
                pid: child_pid,
                caps,
                ..Thread::default()
            },
        );
    }

    /// capset: the calling thread's sets as the call left them (recorded at its exit).
    fn capset(&mut self, tid: u32, ret: i64, params: &[Value<'_>]) {
        if ret < 0 {
            return;
        }
        let set = |i: usize| params.get(i).and_then(Value::as_int).map(|v| v as u64);
        if let (Some(inheritable), Some(permitted), Some(effective)) = (set(0), set(1), set(2))
            && let Some(t) = self.threads.get_mut(&tid)
        {
            t.caps = Some(Caps {
                inheritable,
                permitted,
                effective,
            });
        }
    }

    /// Reads and receives on a DNS client socket teach names of addresses (see
    /// [`super::dns`]).
    fn learn_dns(&mut self, pid: u32, nr: u16, ret: i64, params: &[Value<'_>]) {
        let call = calls::info(nr);
        if ret <= 0 || call.spec.io & syscalls::io::READ == 0 {
            return;
        }
        let (Some(fp), Some(bp)) = (call.fd_param, call.buf_param) else {
            return;
        };
        let Some(fd) = params.get(usize::from(fp)).and_then(Value::as_int) else {
            return;
        };
        let Some(so) = self.fd(pid, fd as i32).and_then(|f| f.sock) else {
            return;
        };
        if so.dport != super::dns::DNS_PORT || !matches!(so.proto, l4::UDP | l4::TCP) {
            return;
        }
        if let Some(data) = params.get(usize::from(bp)).and_then(Value::as_bytes) {
            self.dns.learn(data, so.proto == l4::TCP);
        }
    }

    /// Resolves a path argument against a dirfd (or the cwd) of process `pid`.
    pub fn resolve_path(&self, pid: u32, dirfd: Option<i64>, path: &[u8]) -> Vec<u8> {
        if path.first() == Some(&b'/') || path.is_empty() {
            return path.to_vec();
        }
        let p = self.procs.get(&pid);
        let base: &[u8] = match dirfd {
            Some(d) if d != AT_FDCWD => p
                .and_then(|p| p.fds.get(&(d as i32)))
                .map_or(&[][..], |f| &f.name[..]),
            _ => p.map_or(&[][..], |p| &p.cwd[..]),
        };
        if base.is_empty() {
            return path.to_vec();
        }
        super::path::join_path(base, path)
    }

    fn proc_mut(&mut self, pid: u32) -> Option<&mut Proc> {
        self.procs.get_mut(&pid)
    }

    fn apply_syscall(&mut self, pid: u32, nr: u16, ret: i64, params: &[Value<'_>]) -> Deferred {
        let call = calls::info(nr);
        let a = Args {
            spec: &call.spec,
            params,
        };
        match call.action {
            Action::None => return Deferred::None,
            // close: the event still shows the fd; it goes away after.
            Action::Close => {
                return match a.int(0) {
                    Some(fd) if ret >= 0 => Deferred::Close { pid, fd: fd as i32 },
                    _ => Deferred::None,
                };
            }
            // Whatever the result: see `connect`.
            Action::Connect => self.connect(pid, ret, &a),
            _ if ret < 0 => {}
            Action::SockIo => self.sock_io(pid, &a),
            Action::Open => self.open(pid, ret as i32, &a),
            Action::Memfd => {
                let mut name = b"memfd:".to_vec();
                name.extend_from_slice(a.bytes(0));
                self.insert_fd(pid, ret as i32, Fd::new(FdType::Memfd, &name));
            }
            Action::Socket => self.socket(pid, ret as i32, &a),
            Action::Accept => self.accept(pid, ret as i32, &a),
            Action::Bind => self.bind(pid, &a),
            Action::Listen => {
                if let Some(fd) = a.int(0).and_then(|f| self.fd_mut(pid, f as i32)) {
                    fd.is_server = true;
                }
            }
            Action::Pipe | Action::SocketPair => {
                let idx = a.named("fds").unwrap_or(0);
                if let Some((x, y)) = params.get(idx).and_then(fd_pair) {
                    let (ty, name): (FdType, &[u8]) = if call.action == Action::SocketPair {
                        (FdType::Unix, b"socketpair")
                    } else {
                        (FdType::Pipe, b"pipe")
                    };
                    self.insert_fd(pid, x, Fd::new(ty, name));
                    self.insert_fd(pid, y, Fd::new(ty, name));
                }
            }
            Action::Dup | Action::Dup3 => {
                let cloexec =
                    call.action == Action::Dup3 && a.int(2).unwrap_or(0) as u32 & O_CLOEXEC != 0;
                self.dup(pid, a.int(0), ret as i32, cloexec);
            }
            // F_DUPFD (0) and F_DUPFD_CLOEXEC (1030) return a copy.
            Action::Fcntl => {
                if let Some(cmd @ (0 | 1030)) = a.int(1) {
                    self.dup(pid, a.int(0), ret as i32, cmd == 1030);
                }
            }
            Action::NewFd(ty) => self.insert_fd(pid, ret as i32, Fd::new(ty, b"")),
            Action::Chdir => {
                let path = self.resolve_path(pid, None, a.bytes(0));
                if let Some(p) = self.proc_mut(pid) {
                    p.cwd = path;
                }
            }
            Action::Fchdir => {
                if let Some(name) = a
                    .int(0)
                    .and_then(|f| self.fd(pid, f as i32))
                    .map(|f| f.name.to_vec())
                    && let Some(p) = self.proc_mut(pid)
                {
                    p.cwd = name;
                }
            }
            Action::SetUid | Action::SetReUid => {
                // setreuid's -1 leaves the id as it is.
                let uid = a.int(0).filter(|&u| {
                    call.action == Action::SetUid || (u != -1 && u != i64::from(u32::MAX))
                });
                if let (Some(uid), Some(p)) = (uid, self.procs.get_mut(&pid)) {
                    p.uid = uid as u32;
                }
            }
            Action::SetGid | Action::SetReGid => {
                let gid = a.int(0).filter(|&g| {
                    call.action == Action::SetGid || (g != -1 && g != i64::from(u32::MAX))
                });
                if let (Some(gid), Some(p)) = (gid, self.procs.get_mut(&pid)) {
                    p.gid = gid as u32;
                }
            }
        }
        Deferred::None
    }

    /// connect: the tuple is known whatever the result (a non-blocking connect returns
    /// EINPROGRESS, and sysdig names the fd after a refused one too).
    fn connect(&mut self, pid: u32, ret: i64, a: &Args<'_, '_>) {
        let tuple = a.named("tuple").and_then(|i| a.params.get(i));
        let addr = a.named("addr").and_then(|i| a.params.get(i));
        let sock = [tuple, addr].into_iter().flatten().find_map(|v| match v {
            Value::Sock(s) => Some(*s),
            _ => None,
        });
        let path = [tuple, addr]
            .into_iter()
            .flatten()
            .find_map(|v| v.as_bytes().filter(|b| !b.is_empty()));
        if let Some(fd) = a.int(0).and_then(|f| self.fd_mut(pid, f as i32)) {
            let before = fd.display_name().into_owned();
            if sock.is_some() {
                update_sock(fd, sock, false);
            } else if let Some(p) = path {
                fd.name = Arc::from(p);
            }
            // libs: connected when the call succeeded or is in progress (EINPROGRESS).
            if ret >= 0 || ret == -115 {
                fd.connected = true;
            }
            self.fd_name_changed = *fd.display_name() != *before;
        }
    }

    /// sendto/recvfrom on an unconnected socket: the tuple names the fd.
    fn sock_io(&mut self, pid: u32, a: &Args<'_, '_>) {
        if let Some(t) = a.named("tuple").and_then(|i| sock_at(a.params, i))
            && let Some(fd) = a.int(0).and_then(|f| self.fd_mut(pid, f as i32))
            && fd.sock.is_none_or(|s| s.sport == 0 && s.dport == 0)
            && matches!(fd.ty, FdType::Ipv4 | FdType::Ipv6)
        {
            let before = fd.display_name().into_owned();
            let server = fd.is_server;
            update_sock(fd, Some(t), server);
            self.fd_name_changed = *fd.display_name() != *before;
        }
    }

    /// open and the `*at` opens: a file or directory fd, its path made absolute.
    fn open(&mut self, pid: u32, new: i32, a: &Args<'_, '_>) {
        let dirfd = a.named("dirfd").and_then(|i| a.int(i));
        let path = a.named("name").map_or(&[][..], |i| a.bytes(i));
        let flags = a.named("flags").and_then(|i| a.int(i)).unwrap_or(0) as u32;
        let full = self.resolve_path(pid, dirfd, path);
        let ty = if flags & O_DIRECTORY != 0 {
            FdType::Directory
        } else {
            FdType::File
        };
        let mut fd = Fd::new(ty, &full);
        fd.flags = flags;
        if full != path {
            fd.nameraw = Some(Arc::from(path));
        }
        self.insert_fd(pid, new, fd);
    }

    /// socket: its family and, for IP, its protocol from the type.
    fn socket(&mut self, pid: u32, new: i32, a: &Args<'_, '_>) {
        let domain = a.int(0).unwrap_or(0) as u8;
        let stype = a.int(1).unwrap_or(0) & 0xf;
        let ty = match domain {
            af::INET => FdType::Ipv4,
            af::INET6 => FdType::Ipv6,
            af::UNIX => FdType::Unix,
            af::NETLINK => FdType::Netlink,
            _ => FdType::Unknown,
        };
        let mut fd = Fd::new(ty, b"");
        if matches!(ty, FdType::Ipv4 | FdType::Ipv6) {
            let proto = match stype {
                1 => l4::TCP,
                2 => l4::UDP,
                3 => l4::RAW,
                _ => l4::UNKNOWN,
            };
            fd.sock = Some(Sock {
                family: domain,
                proto,
                ..Sock::default()
            });
        }
        self.insert_fd(pid, new, fd);
    }

    /// accept: a connected fd, the server end of the tuple, typed like the listening socket.
    fn accept(&mut self, pid: u32, new: i32, a: &Args<'_, '_>) {
        let tuple = a.named("tuple").and_then(|i| sock_at(a.params, i));
        let listen = a.int(0).and_then(|f| self.fd(pid, f as i32)).cloned();
        let ty = match (tuple, &listen) {
            (Some(s), _) if s.family == af::INET6 => FdType::Ipv6,
            (Some(s), _) if s.family == af::INET => FdType::Ipv4,
            (_, Some(l)) => l.ty,
            _ => FdType::Unknown,
        };
        let mut fd = Fd::new(ty, listen.as_ref().map_or(&[][..], |l| &l.name[..]));
        update_sock(&mut fd, tuple, true);
        fd.connected = true;
        self.insert_fd(pid, new, fd);
    }

    /// bind: the fd is a server; a bound address is its server end.
    fn bind(&mut self, pid: u32, a: &Args<'_, '_>) {
        let addr = a.named("addr").and_then(|i| sock_at(a.params, i));
        let Some(fd) = a.int(0).and_then(|f| self.fd_mut(pid, f as i32)) else {
            return;
        };
        fd.is_server = true;
        if let Some(b) = addr {
            let mut s = fd.sock.unwrap_or_default();
            s.family = b.family;
            s.dst = b.dst;
            s.dport = b.dport;
            if b.dport == 0 && b.sport != 0 {
                s.dst = b.src;
                s.dport = b.sport;
            }
            fd.sock = Some(s);
            // Named from the tuple when shown.
            fd.name = Arc::from(&[][..]);
        } else if let Some(Value::Bytes(b)) = a.params.get(1) {
            fd.name = Arc::from(&b[..]);
        }
    }

    /// dup, dup2, dup3 and fcntl's F_DUPFD: a copy of `old` at `new`, close-on-exec only if
    /// asked.
    fn dup(&mut self, pid: u32, old: Option<i64>, new: i32, cloexec: bool) {
        if let Some(mut copy) = old.and_then(|f| self.fd(pid, f as i32)).cloned() {
            copy.flags &= !O_CLOEXEC;
            if cloexec {
                copy.flags |= O_CLOEXEC;
            }
            self.insert_fd(pid, new, copy);
        }
    }

    fn insert_fd(&mut self, pid: u32, fd: i32, entry: Fd) {
        if let Some(p) = self.procs.get_mut(&pid) {
            p.fds.insert(fd, entry);
        }
    }

    /// The fd `fd` of process `pid`.
    pub fn fd(&self, pid: u32, fd: i32) -> Option<&Fd> {
        self.procs.get(&pid)?.fds.get(&fd)
    }

    fn fd_mut(&mut self, pid: u32, fd: i32) -> Option<&mut Fd> {
        self.procs.get_mut(&pid)?.fds.get_mut(&fd)
    }
}

/// A call's parameters, by position or by the name the syscall table gives them.
struct Args<'p, 'v> {
    spec: &'p syscalls::SyscallSpec,
    params: &'p [Value<'v>],
}

impl Args<'_, '_> {
    fn int(&self, i: usize) -> Option<i64> {
        self.params.get(i).and_then(Value::as_int)
    }

    fn bytes(&self, i: usize) -> &[u8] {
        self.params.get(i).and_then(Value::as_bytes).unwrap_or(&[])
    }

    fn named(&self, name: &str) -> Option<usize> {
        self.spec.params.iter().position(|p| p.name == name)
    }
}

/// Two fds stored for pipe/socketpair: an `Int` holding both (first in the low 32 bits), or
/// 8 bytes (two little-endian `i32`).
pub fn fd_pair(v: &Value<'_>) -> Option<(i32, i32)> {
    match v {
        Value::Int(i) => Some((*i as i32, (*i >> 32) as i32)),
        Value::Bytes(b) if b.len() >= 8 => Some((
            i32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        )),
        _ => None,
    }
}

fn sock_at(params: &[Value<'_>], i: usize) -> Option<Sock> {
    match params.get(i) {
        Some(Value::Sock(s)) => Some(*s),
        _ => None,
    }
}

fn update_sock(fd: &mut Fd, tuple: Option<Sock>, server: bool) {
    fd.is_server = server;
    if let Some(t) = tuple {
        let mut s = t;
        if let Some(old) = fd.sock
            && s.proto == l4::UNKNOWN
        {
            s.proto = old.proto;
        }
        fd.sock = Some(s);
        fd.ty = match t.family {
            af::INET6 => FdType::Ipv6,
            af::INET => FdType::Ipv4,
            _ => fd.ty,
        };
        // The name is rendered from the tuple when asked for (see `Fd::display_name`).
        fd.name = Arc::from(&[][..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::replay::testutil::{Cap, P, int, text};

    fn apply_all(c: &Cap) -> State {
        let mut st = State::default();
        for ev in c.state.iter().chain(&c.events) {
            let d = st.apply_before(ev);
            st.apply_after(d);
        }
        st
    }

    fn names(st: &State, pid: u32) -> Vec<(i32, String)> {
        let mut v: Vec<_> = st.procs[&pid]
            .fds
            .iter()
            .map(|(n, f)| (*n, String::from_utf8_lossy(&f.display_name()).into_owned()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn exec_closes_cloexec_fds_and_keeps_the_others() {
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
        // open O_CLOEXEC → 5; dup3 without flags → 6; fcntl F_DUPFD_CLOEXEC → 7; F_DUPFD → 8.
        c.sys(
            10,
            10,
            "openat",
            5,
            vec![int(-100), text("/etc/hosts"), int(0o2_000_000), int(0)],
        );
        c.sys(10, 10, "dup3", 6, vec![int(5), int(6), int(0)]);
        c.sys(10, 10, "fcntl", 7, vec![int(5), int(1030), int(0)]);
        c.sys(10, 10, "fcntl", 8, vec![int(5), int(0), int(0)]);
        c.sys(
            10,
            10,
            "socketpair",
            0,
            vec![int(1), int(1), int(0), int(0xb | (0xc << 32))],
        );
        let before = apply_all(&c);
        assert_eq!(
            names(&before, 10),
            [
                (5, "/etc/hosts".into()),
                (6, "/etc/hosts".into()),
                (7, "/etc/hosts".into()),
                (8, "/etc/hosts".into()),
                (11, "socketpair".into()),
                (12, "socketpair".into()),
            ]
        );
        c.exec(10, 1, "cat", "/bin/cat", "");
        let after = apply_all(&c);
        assert_eq!(
            names(&after, 10),
            [
                (6, "/etc/hosts".into()),
                (8, "/etc/hosts".into()),
                (11, "socketpair".into()),
                (12, "socketpair".into()),
            ]
        );
        assert_eq!(after.procs[&10].comm, b"cat");
    }

    #[test]
    fn thread_and_process_exits() {
        let mut c = Cap::new();
        c.process(&P {
            pid: 20,
            ppid: 1,
            comm: "app",
            exe: "/app",
            args: "",
            cwd: "/",
            uid: 0,
            container: 0,
        });
        c.fork(20, 20, 21, 20);
        c.fork(20, 20, 22, 20);
        c.fork(20, 20, 30, 30);
        // A thread exits: the process stays.
        c.exit(21, 20, false);
        let st = apply_all(&c);
        assert!(st.threads.contains_key(&22) && !st.threads.contains_key(&21));
        assert_eq!(st.procs[&20].nthreads, 2);
        assert_eq!(st.procs[&30].comm, b"app", "the child inherits the image");
        // The main thread exits first (not the group): the process lives on in thread 22.
        c.exit(20, 20, false);
        let st = apply_all(&c);
        assert!(st.procs.contains_key(&20));
        // The last thread exits with the group: everything of pid 20 goes.
        c.exit(22, 20, true);
        let st = apply_all(&c);
        assert!(!st.procs.contains_key(&20));
        assert!(st.threads.values().all(|t| t.pid != 20));
        assert!(st.procs.contains_key(&30));
    }

    #[test]
    fn keyframe_records_rebuild_the_same_tables() {
        let st = apply_all(&crate::replay::testutil::state_scenario());
        let mut again = State::default();
        for ev in st.to_records(0) {
            let d = again.apply_before(&ev);
            again.apply_after(d);
        }
        // Known processes come back; a placeholder (pid 200 after its exit) does not.
        let mut a: Vec<_> = st
            .procs
            .iter()
            .filter(|(_, p)| p.known)
            .map(|(k, _)| *k)
            .collect();
        let mut b: Vec<_> = again.procs.keys().copied().collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        for pid in a {
            assert_eq!(names(&st, pid), names(&again, pid), "fds of {pid}");
            assert_eq!(st.procs[&pid].comm, again.procs[&pid].comm);
            assert_eq!(st.procs[&pid].ppid, again.procs[&pid].ppid);
        }
        assert_eq!(st.containers.len(), again.containers.len());
        assert_eq!(st.users.len(), again.users.len());
    }
}
