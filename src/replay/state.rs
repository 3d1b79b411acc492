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
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use super::calls;
use capture_format::schema::syscalls;
use capture_format::schema::{
    Body, Container, Event, FdInfo, FdType, Group, Process, Sock, User, Value, exe, l4,
};

mod fds;
mod records;

pub use fds::fd_pair;

pub use super::idmap::{IdHasher, IdMap};

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

/// x86_64 `capset`.
pub(crate) const NR_CAPSET: u16 = 126;

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
    pub(crate) fn ensure_task(&mut self, tid: u32, pid: u32, container: u32) {
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

    fn proc_mut(&mut self, pid: u32) -> Option<&mut Proc> {
        self.procs.get_mut(&pid)
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
