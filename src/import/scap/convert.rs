//! Conversion of scap blocks into the shared record schema.
//!
//! - Metadata blocks become state records: process list → `Process`, fd lists → `Fd`,
//!   interface list → `Interface`, user list → `User`/`Group`.
//! - Every system call becomes one `Syscall` record at its exit. When the capture has enter
//!   events (captures written before libs 0.22), the enter event is kept per thread and merged
//!   into its exit: parameters are looked up in the exit first, then in the enter, and the
//!   latency is the difference of their times. Calls that never return (`exit`,
//!   `exit_group`, `rt_sigreturn`) are recorded from their enter event.
//! - Successful `execve`/`execveat` also yield an `Exec` record; `clone`/`fork`/`vfork`/`clone3`
//!   a `Fork` record (from the parent's exit, or from the child's when the parent's is not in
//!   the capture); `procexit` an `Exit`; `signaldeliver` a `Signal`. The child's side of a
//!   clone describes the task (comm, exe, args, cwd, ids, cgroups): when its creator is
//!   unknown, a timed `Process` record carries that description, as sysdig builds the thread
//!   from it.
//! - Container JSON events (and the oldest `container` event, and `asyncevent`s named
//!   `container` from the container plugin) become `Container` records. Each container gets a
//!   1-based index in order of first sighting; events carry the index of their thread's
//!   container, found from the thread's cgroups.
//! - `useradded`/`groupadded` events become `User`/`Group` state records.
//! - Everything else (context switches, page faults, procinfo, plugin events, calls without an
//!   x86_64 number) is counted per type in [`Stats::skipped`].

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use capture_format::schema::{
    self, Body, Container, Event, Exit, FdInfo, FdType, Fork, Group, Interface, Process, Signal,
    Sock, Syscall, User, Value, af, exe, l4,
    syscalls::{self, ParamType},
};

use super::block::{self, Block, FdDetail, FdEntry, IfaceEntry, MachineInfo, ThreadEntry};
use super::event::{self, Param, RawEvent, SockAddr, SockTuple, ec};
use super::names::{kernel_name, libs_names};
use crate::replay::state::join_path;

/// Dump flag of EVF blocks: the event only updates state and is hidden when reading.
const SCAP_DF_STATE_ONLY: u32 = 1;

/// Counts of what was read and what was converted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Blocks read, by block type id.
    pub blocks: BTreeMap<u32, u64>,
    /// Event blocks read, by event type id.
    pub events: BTreeMap<u16, u64>,
    /// Records produced, by kind name (`syscall`, `procexec`, `state.process`, ...).
    pub records: BTreeMap<&'static str, u64>,
    /// Events with no schema mapping, by sysdig event name (with `>`/`<` for enter/exit of
    /// system calls whose x86_64 number is unknown).
    pub skipped: BTreeMap<String, u64>,
    /// Blocks of unknown types (skipped).
    pub unknown_blocks: u64,
    /// Events of unknown types (skipped).
    pub unknown_events: u64,
    /// Enter events whose exit never came (overwritten by the thread's next enter, or the
    /// capture ended).
    pub enter_without_exit: u64,
    /// Whether the capture holds enter events at all.
    pub has_enter_events: bool,
    /// Section headers seen (more than one: concatenated files).
    pub sections: u64,
}

#[derive(Clone, Debug, Default)]
struct Thread {
    pid: u64,
    ptid: u64,
    vtid: i64,
    vpid: i64,
    uid: u32,
    gid: u32,
    loginuid: u32,
    tty: u32,
    cap_effective: u64,
    cap_permitted: u64,
    cap_inheritable: u64,
    vpgid: i64,
    /// `schema::exe` bits (`KNOWN` when the file gave them).
    exe_flags: u32,
    comm: Vec<u8>,
    exe: Vec<u8>,
    exepath: Vec<u8>,
    args: Vec<u8>,
    env: Vec<u8>,
    cwd: Vec<u8>,
    cgroup: Vec<u8>,
    container: u32,
}

struct Enter {
    etype: u16,
    ts: u64,
    params: Vec<Vec<u8>>,
}

/// The converter: feed it blocks in file order, take events out.
#[derive(Default)]
pub struct Converter {
    threads: HashMap<u64, Thread>,
    enters: HashMap<u64, Enter>,
    /// Short (12-digit) container id → index.
    containers: HashMap<Vec<u8>, u32>,
    /// Open fds per process, from the fd lists and the calls that open, connect, duplicate and
    /// close them: for socket protocols, and for the state written into keyframes.
    fds: HashMap<u64, HashMap<i64, FdInfo<'static>>>,
    /// Users, groups and interfaces written so far (repeated in keyframes).
    fixed_state: Vec<Body<'static>>,
    /// The latest record of each container, by index.
    container_records: BTreeMap<u32, Container<'static>>,
    /// Local ports of listening sockets in the fd lists.
    listen_ports: HashSet<u16>,
    /// Whether fd-list socket tuples were put in client → server order.
    oriented: bool,
    /// Users and groups already written (the user list block and `useradded` events repeat
    /// each other in files written through libsinsp).
    accounts: HashSet<(bool, u32, Vec<u8>, u32)>,
    /// Children for which a `Fork` was written.
    forked: HashSet<u64>,
    out: VecDeque<Event<'static>>,
    /// Records at time 0 (written before the first timed event), waiting for a time.
    pending: Vec<Event<'static>>,
    first_ts: u64,
    /// Counts.
    pub stats: Stats,
    /// Machine info, once seen.
    pub machine: Option<MachineInfo>,
    /// The (first) section header.
    pub section: Option<block::SectionHeader>,
}

fn own(b: &[u8]) -> Cow<'static, [u8]> {
    Cow::Owned(b.to_vec())
}

/// Arguments as the schema stores them: each followed by a NUL.
fn nul_terminated(b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    if !v.is_empty() && v.last() != Some(&0) {
        v.push(0);
    }
    v
}

/// The first cgroup path of a `subsystem=path\0...` list.
fn first_cgroup(cgroups: &[u8]) -> Vec<u8> {
    cgroups
        .split(|&b| b == 0)
        .find(|e| !e.is_empty())
        .map(|e| match e.iter().position(|&b| b == b'=') {
            Some(i) => e[i + 1..].to_vec(),
            None => e.to_vec(),
        })
        .unwrap_or_default()
}

/// The short (12 hex digit) container id in a cgroup list, if any path names a container: a run
/// of 64 hex digits (docker, containerd, cri-o, podman, systemd scopes).
pub fn container_id_of_cgroups(cgroups: &[u8]) -> Option<Vec<u8>> {
    for entry in cgroups.split(|&b| b == 0) {
        let mut run = 0;
        for (i, &b) in entry.iter().enumerate() {
            if b.is_ascii_hexdigit() && !b.is_ascii_uppercase() {
                run += 1;
                let ends = entry.get(i + 1).is_none_or(|n| !n.is_ascii_hexdigit());
                if run == 64 && ends {
                    let start = i + 1 - 64;
                    return Some(entry[start..start + 12].to_vec());
                }
            } else {
                run = 0;
            }
        }
    }
    None
}

/// scap l4 protocol numbers → IANA.
fn l4_of_scap(p: u8) -> u8 {
    match p {
        2 => l4::TCP,
        3 => l4::UDP,
        4 => l4::ICMP,
        5 => l4::RAW,
        _ => l4::UNKNOWN,
    }
}

fn ipv4_text(ip: &[u8]) -> String {
    format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
}

fn ip_text(v6: bool, ip: &[u8; 16]) -> String {
    if v6 {
        std::net::Ipv6Addr::from(*ip).to_string()
    } else {
        ipv4_text(ip)
    }
}

/// Kernel `O_*` flags (x86_64) from libs `PPM_O_*` flags.
pub fn open_flags_from_ppm(f: u64) -> i64 {
    let mut o = match f & 3 {
        2 => 1, // PPM_O_WRONLY → O_WRONLY
        3 => 2, // PPM_O_RDWR → O_RDWR
        _ => 0,
    };
    for (ppm, k) in [
        (1 << 2, 0o100),         // CREAT
        (1 << 3, 0o2000),        // APPEND
        (1 << 4, 0o10000),       // DSYNC
        (1 << 5, 0o200),         // EXCL
        (1 << 6, 0o4000),        // NONBLOCK
        (1 << 7, 0o4_010_000),   // SYNC
        (1 << 8, 0o1000),        // TRUNC
        (1 << 9, 0o40000),       // DIRECT
        (1 << 10, 0o200_000),    // DIRECTORY
        (1 << 11, 0o100_000),    // LARGEFILE
        (1 << 12, 0o2_000_000),  // CLOEXEC
        (1 << 13, 0o20_200_000), // TMPFILE
    ] {
        if f & ppm != 0 {
            o |= k;
        }
    }
    o
}

/// Kernel `CLONE_*` flags from libs `PPM_CL_*` flags.
pub fn clone_flags_from_ppm(f: u64) -> i64 {
    let mut o: i64 = 0;
    for (bit, k) in [
        (0, 0x400),        // FILES
        (1, 0x200),        // FS
        (2, 0x8000_0000),  // IO
        (3, 0x0800_0000),  // NEWIPC
        (4, 0x4000_0000),  // NEWNET
        (5, 0x0002_0000),  // NEWNS
        (6, 0x2000_0000),  // NEWPID
        (7, 0x0400_0000),  // NEWUTS
        (8, 0x8000),       // PARENT
        (9, 0x0010_0000),  // PARENT_SETTID
        (10, 0x2000),      // PTRACE
        (11, 0x800),       // SIGHAND
        (12, 0x0004_0000), // SYSVSEM
        (13, 0x0001_0000), // THREAD
        (14, 0x0080_0000), // UNTRACED
        (15, 0x100),       // VM
        (20, 0x1000_0000), // NEWUSER
        (23, 0x0020_0000), // CHILD_CLEARTID
        (24, 0x0100_0000), // CHILD_SETTID
        (25, 0x0008_0000), // SETTLS
        (27, 0x4000),      // VFORK
        (28, 0x0200_0000), // NEWCGROUP
    ] {
        if f & (1 << bit) != 0 {
            o |= k;
        }
    }
    o
}

/// Kernel `PROT_*` from libs `PPM_PROT_*`.
fn prot_from_ppm(f: u64) -> i64 {
    let mut o = (f & 0xf) as i64; // READ, WRITE, EXEC, SEM keep their values
    if f & (1 << 4) != 0 {
        o |= 0x0100_0000;
    }
    if f & (1 << 5) != 0 {
        o |= 0x0200_0000;
    }
    o
}

/// Kernel `MAP_*` (x86_64) from libs `PPM_MAP_*`.
fn mmap_flags_from_ppm(f: u64) -> i64 {
    let mut o = 0;
    for (bit, k) in [
        (0, 0x1),     // SHARED
        (1, 0x2),     // PRIVATE
        (2, 0x10),    // FIXED
        (3, 0x20),    // ANONYMOUS
        (4, 0x40),    // 32BIT
        (6, 0x4000),  // NORESERVE
        (7, 0x8000),  // POPULATE
        (8, 0x10000), // NONBLOCK
        (9, 0x100),   // GROWSDOWN
        (10, 0x800),  // DENYWRITE
        (11, 0x1000), // EXECUTABLE
        (14, 0x2000), // LOCKED
    ] {
        if f & (1 << bit) != 0 {
            o |= k;
        }
    }
    o
}

impl Converter {
    /// A converter with empty tables.
    pub fn new() -> Converter {
        Converter::default()
    }

    /// Time of the first timed event, 0 before one was seen.
    pub fn first_ts(&self) -> u64 {
        self.first_ts
    }

    /// The next converted record, if one is ready.
    pub fn pop(&mut self) -> Option<Event<'static>> {
        self.out.pop_front()
    }

    /// Whether records are ready.
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Flushes what is held back at the end of the input (records waiting for a time, enter
    /// events of calls that never returned).
    pub fn finish(&mut self) {
        self.stats.enter_without_exit += self.enters.len() as u64;
        self.enters.clear();
        let pending = std::mem::take(&mut self.pending);
        self.out.extend(pending);
    }

    fn count(&mut self, kind: &'static str) {
        *self.stats.records.entry(kind).or_default() += 1;
    }

    fn skip(&mut self, what: String) {
        *self.stats.skipped.entry(what).or_default() += 1;
    }

    fn emit(&mut self, ev: Event<'static>) {
        let kind = ev.body.kind().map_or("unknown", schema::Kind::name);
        self.count(kind);
        if ev.ts == 0 && self.first_ts == 0 && !ev.body.kind().is_some_and(schema::Kind::is_state) {
            self.pending.push(ev);
            return;
        }
        if self.first_ts == 0 && ev.ts != 0 {
            self.first_ts = ev.ts;
            let ts = ev.ts;
            for mut p in std::mem::take(&mut self.pending) {
                p.ts = ts;
                self.out.push_back(p);
            }
        }
        self.out.push_back(ev);
    }

    fn state(&mut self, body: Body<'static>) {
        let account = match &body {
            Body::User(u) => Some((true, u.uid, u.name.to_vec(), u.container)),
            Body::Group(g) => Some((false, g.gid, g.name.to_vec(), g.container)),
            _ => None,
        };
        if let Some(a) = account
            && !self.accounts.insert(a)
        {
            return;
        }
        if matches!(body, Body::User(_) | Body::Group(_) | Body::Interface(_)) {
            self.fixed_state.push(body.clone());
        }
        self.emit(Event {
            ts: 0,
            tid: 0,
            pid: 0,
            cpu: 0,
            container: 0,
            body,
        });
    }

    /// Counts a block of `block_type` (also one that could not be parsed).
    pub fn count_block(&mut self, block_type: u32) {
        *self.stats.blocks.entry(block_type).or_default() += 1;
    }

    /// Converts one block.
    pub fn block(&mut self, b: &Block<'_>, block_type: u32) {
        self.count_block(block_type);
        match b {
            Block::Section(s) => {
                self.stats.sections += 1;
                if self.section.is_none() {
                    self.section = Some(*s);
                } else {
                    // An appended file: its metadata blocks describe the state anew (libsinsp
                    // resets its tables too). Container indices stay: they name the same
                    // containers across the whole capture.
                    self.threads.clear();
                    self.enters.clear();
                    self.fds.clear();
                    self.fixed_state.clear();
                    self.listen_ports.clear();
                    self.accounts.clear();
                    self.oriented = false;
                }
            }
            Block::Machine(m) => {
                if self.machine.is_none() {
                    self.machine = Some(m.clone());
                }
            }
            Block::Procs(list) => {
                for t in list {
                    self.thread_entry(t);
                }
            }
            Block::Fds { tid, fds } => {
                for f in fds {
                    self.fd_entry(*tid, f);
                }
            }
            Block::Ifaces(list) => {
                for i in list {
                    self.iface_entry(i);
                }
            }
            Block::Users(list) => {
                for u in list {
                    let body = match *u {
                        block::UserEntry::User {
                            uid,
                            gid,
                            name,
                            home,
                            shell,
                        } => Body::User(User {
                            uid,
                            gid,
                            container: 0,
                            name: own(name),
                            home: own(home),
                            shell: own(shell),
                        }),
                        block::UserEntry::Group { gid, name } => Body::Group(Group {
                            gid,
                            container: 0,
                            name: own(name),
                        }),
                    };
                    self.state(body);
                }
            }
            Block::Event(e) => {
                *self.stats.events.entry(e.etype).or_default() += 1;
                self.event(e);
            }
            Block::UnknownEvent { .. } => self.stats.unknown_events += 1,
            Block::Unknown { .. } => self.stats.unknown_blocks += 1,
        }
    }

    fn container_index(&mut self, short_id: &[u8]) -> u32 {
        if let Some(&i) = self.containers.get(short_id) {
            return i;
        }
        let i = self.containers.len() as u32 + 1;
        self.containers.insert(short_id.to_vec(), i);
        i
    }

    fn container_of_cgroups(&mut self, cgroups: &[u8]) -> u32 {
        match container_id_of_cgroups(cgroups) {
            Some(id) => self.container_index(&id),
            None => 0,
        }
    }

    fn thread_entry(&mut self, t: &ThreadEntry<'_>) {
        let container = self.container_of_cgroups(t.cgroups);
        let th = Thread {
            pid: t.pid,
            ptid: t.ptid,
            vtid: t.vtid,
            vpid: t.vpid,
            uid: t.uid,
            gid: t.gid,
            loginuid: t.loginuid,
            tty: t.tty,
            cap_effective: t.cap_effective,
            cap_permitted: t.cap_permitted,
            cap_inheritable: t.cap_inheritable,
            vpgid: t.vpgid,
            exe_flags: if t.has_caps {
                exe::KNOWN
                    | if t.exe_upper_layer {
                        exe::UPPER_LAYER
                    } else {
                        0
                    }
                    | if t.exe_lower_layer {
                        exe::LOWER_LAYER
                    } else {
                        0
                    }
                    | if t.exe_from_memfd { exe::FROM_MEMFD } else { 0 }
            } else {
                0
            },
            comm: t.comm.to_vec(),
            exe: t.exe.to_vec(),
            exepath: t.exepath.to_vec(),
            args: nul_terminated(t.args),
            env: nul_terminated(t.env),
            cwd: t.cwd.to_vec(),
            cgroup: first_cgroup(t.cgroups),
            container,
        };
        let p = process_of(t.tid, &th);
        self.threads.insert(t.tid, th);
        self.state(Body::Process(p));
    }

    fn pid_of(&self, tid: u64) -> u64 {
        self.threads.get(&tid).map_or(tid, |t| t.pid)
    }

    fn fd_entry(&mut self, tid: u64, f: &FdEntry<'_>) {
        use block::fd_type as t;
        let pid = self.pid_of(tid);
        let fd_type = match f.fd_type {
            t::FILE | t::FILE_V2 => FdType::File,
            t::DIRECTORY => FdType::Directory,
            t::IPV4_SOCK | t::IPV4_SERVSOCK => FdType::Ipv4,
            t::IPV6_SOCK | t::IPV6_SERVSOCK => FdType::Ipv6,
            t::FIFO => FdType::Pipe,
            t::UNIX_SOCK => FdType::Unix,
            t::EVENT => FdType::Event,
            t::SIGNALFD => FdType::Signalfd,
            t::EVENTPOLL => FdType::Eventpoll,
            t::INOTIFY => FdType::Inotify,
            t::TIMERFD => FdType::Timerfd,
            t::NETLINK => FdType::Netlink,
            t::BPF => FdType::Bpf,
            t::USERFAULTFD => FdType::Userfaultfd,
            t::IOURING => FdType::IoUring,
            t::MEMFD => FdType::Memfd,
            t::PIDFD => FdType::Pidfd,
            _ => FdType::Unknown,
        };
        let (name, sock, flags) = match f.detail {
            FdDetail::Ipv4 {
                sip,
                dip,
                sport,
                dport,
                l4,
            } => {
                let proto = l4_of_scap(l4);
                let s = Sock::v4(proto, sip, sport, dip, dport);
                (s.to_string().into_bytes(), Some(s), 0)
            }
            FdDetail::Ipv6 {
                sip,
                dip,
                sport,
                dport,
                l4,
            } => {
                let proto = l4_of_scap(l4);
                let s = Sock {
                    family: af::INET6,
                    proto,
                    src: sip,
                    sport,
                    dst: dip,
                    dport,
                };
                (s.to_string().into_bytes(), Some(s), 0)
            }
            FdDetail::Ipv4Server { ip, port, l4 } => {
                self.listen_ports.insert(port);
                let proto = l4_of_scap(l4);
                let mut s = Sock::v4(proto, [0; 4], 0, ip, port);
                s.family = af::INET;
                (
                    format!("{}:{port}", ipv4_text(&ip)).into_bytes(),
                    Some(s),
                    0,
                )
            }
            FdDetail::Ipv6Server { ip, port, l4 } => {
                self.listen_ports.insert(port);
                let proto = l4_of_scap(l4);
                let s = Sock {
                    family: af::INET6,
                    proto,
                    dst: ip,
                    dport: port,
                    ..Sock::default()
                };
                (
                    format!("[{}]:{port}", ip_text(true, &ip)).into_bytes(),
                    Some(s),
                    0,
                )
            }
            FdDetail::Unix { path, .. } => (path.to_vec(), None, 0),
            FdDetail::Named {
                name, open_flags, ..
            } => (
                name.to_vec(),
                None,
                open_flags_from_ppm(u64::from(open_flags)) as u32,
            ),
        };
        let info = FdInfo {
            pid: pid as u32,
            fd: f.fd as i32,
            fd_type,
            flags,
            name: Cow::Owned(name),
            sock,
            ino: f.ino,
        };
        self.fds.entry(pid).or_default().insert(f.fd, info.clone());
        self.state(Body::Fd(info));
    }

    fn iface_entry(&mut self, i: &IfaceEntry<'_>) {
        let n = if i.v6 { 16 } else { 4 };
        let prefix: u32 = i.netmask[..n].iter().map(|b| b.count_ones()).sum();
        self.state(Body::Interface(Interface {
            name: own(i.name),
            family: if i.v6 { af::INET6 } else { af::INET },
            addr: i.addr,
            prefix: prefix as u8,
        }));
    }

    fn header(&self, e: &RawEvent<'_>) -> (u32, u32, u32) {
        // Records not tied to a thread (container events at dump start) have tid -1 in scap.
        let tid = u32::try_from(e.tid).unwrap_or(0);
        match self.threads.get(&e.tid) {
            Some(t) => (tid, t.pid as u32, t.container),
            None => (tid, tid, 0),
        }
    }

    /// Fd lists give connections as local → remote. sysdig shows them client → server: a
    /// connection whose local port is a listening port of the host is turned around. Done once
    /// every fd list is read (they all precede the first event).
    fn orient_fd_sockets(&mut self) {
        self.oriented = true;
        if self.listen_ports.is_empty() {
            return;
        }
        for ev in &mut self.out {
            if let Body::Fd(f) = &mut ev.body
                && let Some(s) = &mut f.sock
                && s.has_src()
                && self.listen_ports.contains(&s.sport)
            {
                std::mem::swap(&mut s.src, &mut s.dst);
                std::mem::swap(&mut s.sport, &mut s.dport);
                f.name = Cow::Owned(s.to_string().into_bytes());
            }
        }
        for f in self.fds.values_mut().flat_map(HashMap::values_mut) {
            if let Some(s) = &mut f.sock
                && s.has_src()
                && self.listen_ports.contains(&s.sport)
            {
                std::mem::swap(&mut s.src, &mut s.dst);
                std::mem::swap(&mut s.sport, &mut s.dport);
                f.name = Cow::Owned(s.to_string().into_bytes());
            }
        }
    }

    fn event(&mut self, e: &RawEvent<'_>) {
        if !self.oriented {
            self.orient_fd_sockets();
        }
        let info = e.info();
        if info.category & ec::SYSCALL != 0 {
            if event::is_enter(e.etype) {
                self.stats.has_enter_events = true;
                self.enter(e);
            } else {
                self.exit(e);
            }
            return;
        }
        match info.name {
            "procexit" => self.procexit(e),
            "signaldeliver" => self.signal(e),
            "switch" => self.switch(e),
            "procinfo" => self.procinfo(e),
            "container" => self.container_event(e),
            "asyncevent" => {
                let name = e
                    .param_named("name")
                    .and_then(|p| p.as_bytes().map(<[u8]>::to_vec));
                if name.as_deref() == Some(b"container") {
                    self.container_event(e);
                } else {
                    self.skip(format!(
                        "asyncevent {}",
                        String::from_utf8_lossy(name.as_deref().unwrap_or_default())
                    ));
                }
            }
            "useradded" => {
                let u = User {
                    uid: e.param(0).as_i64().unwrap_or(0) as u32,
                    gid: e.param(1).as_i64().unwrap_or(0) as u32,
                    container: self.container_of_param(e, 5),
                    name: own(e.param(2).as_bytes().unwrap_or_default()),
                    home: own(e.param(3).as_bytes().unwrap_or_default()),
                    shell: own(e.param(4).as_bytes().unwrap_or_default()),
                };
                self.state(Body::User(u));
            }
            "groupadded" => {
                let g = Group {
                    gid: e.param(0).as_i64().unwrap_or(0) as u32,
                    container: self.container_of_param(e, 2),
                    name: own(e.param(1).as_bytes().unwrap_or_default()),
                };
                self.state(Body::Group(g));
            }
            name => self.skip(name.to_string()),
        }
    }

    fn container_of_param(&mut self, e: &RawEvent<'_>, i: usize) -> u32 {
        match e.param(i).as_bytes() {
            Some(id) if !id.is_empty() && id != b"host" => {
                let short = &id[..id.len().min(12)];
                self.container_index(short)
            }
            _ => 0,
        }
    }

    fn enter(&mut self, e: &RawEvent<'_>) {
        let name = e.info().name;
        // Calls that never return are recorded from their enter event.
        let full = e.name();
        let n: &str = if e.etype == 0 { &full } else { name };
        if matches!(n, "exit" | "exit_group" | "sigreturn" | "rt_sigreturn") {
            let stale = self.enters.remove(&e.tid);
            self.stats.enter_without_exit += u64::from(stale.is_some());
            self.syscall(n, Some(e), None, e.ts);
            return;
        }
        let prev = self.enters.insert(
            e.tid,
            Enter {
                etype: e.etype,
                ts: e.ts,
                params: e.params.iter().map(|p| p.to_vec()).collect(),
            },
        );
        self.stats.enter_without_exit += u64::from(prev.is_some());
    }

    fn exit(&mut self, x: &RawEvent<'_>) {
        let stored = match self.enters.remove(&x.tid) {
            Some(en) if en.etype + 1 == x.etype => Some(en),
            Some(other) => {
                // A different call's enter: that call never returned (or its exit was lost).
                self.stats.enter_without_exit += 1;
                drop(other);
                None
            }
            None => None,
        };
        let enter_ev = stored.as_ref().map(|en| RawEvent {
            ts: en.ts,
            tid: x.tid,
            etype: en.etype,
            cpu: x.cpu,
            dump_flags: 0,
            params: en.params.iter().map(Vec::as_slice).collect(),
        });
        let name = x.name();
        self.syscall(&name, enter_ev.as_ref(), Some(x), x.ts);
    }

    /// Converts one call from its enter and/or exit event.
    fn syscall(
        &mut self,
        name: &str,
        en: Option<&RawEvent<'_>>,
        x: Option<&RawEvent<'_>>,
        ts: u64,
    ) {
        let Some(any) = x.or(en) else { return };
        let kname = kernel_name(name);
        // By name only: a generic event's `nativeID` is the number on the recording machine's
        // architecture, which the file does not name.
        let Some(nr) = syscalls::by_name(kname) else {
            let dir = if x.is_some() { "<" } else { ">" };
            self.skip(format!("{name} {dir}"));
            return;
        };
        let spec = syscalls::spec(nr);
        let ret = match x {
            Some(x) if x.etype > 1 => x.param(0).as_i64().unwrap_or(0),
            _ => 0,
        };
        let latency = match (en, x) {
            (Some(en), Some(x)) => x.ts.saturating_sub(en.ts),
            _ => 0,
        };
        // Process changes first: the kernel reports fork and exec before the call returns, and
        // the call's own record then carries the new process.
        if let Some(x) = x {
            match kname {
                "clone" | "clone3" | "fork" | "vfork" => self.clone_exit(x, ret),
                "execve" | "execveat" if ret == 0 => self.exec_exit(en, x),
                _ => self.track_fds(kname, en, x, ret),
            }
        }
        let (tid, pid, container) = self.header(any);
        let mut params = schema::Params::new();
        for p in spec.params {
            let v = if spec.decoded {
                self.lookup(kname, p.name, p.ty, en, x, pid)
            } else {
                Value::None
            };
            params.push(v);
        }
        if any.dump_flags & SCAP_DF_STATE_ONLY != 0 {
            // Written only so readers keep their state (sysdig's `-F`/fatfile mode); hidden
            // from readers, so not recorded either.
            self.skip("state-only".into());
            return;
        }
        let ev = Event {
            ts,
            tid,
            pid,
            cpu: any.cpu,
            container,
            body: Body::Syscall(Syscall {
                nr,
                ret,
                latency,
                params,
            }),
        };
        self.emit(ev);
    }

    /// Keeps the fd table current after calls that open, connect, duplicate or close fds.
    fn track_fds(&mut self, call: &str, en: Option<&RawEvent<'_>>, x: &RawEvent<'_>, ret: i64) {
        let pid = self.pid_of(x.tid);
        let get = |name: &str| param(en, Some(x), name);
        let int = |name: &str| get(name).and_then(|p| p.as_i64());
        let new = |fd_type: FdType, name: Vec<u8>, sock: Option<Sock>| FdInfo {
            pid: pid as u32,
            fd: ret as i32,
            fd_type,
            flags: 0,
            name: Cow::Owned(name),
            sock,
            ino: 0,
        };
        let info = match call {
            _ if ret < 0 && call != "connect" => return,
            "open" | "openat" | "openat2" | "creat" => {
                let path = get("name").and_then(|p| p.as_bytes()).unwrap_or_default();
                let dirfd = int("dirfd").unwrap_or(-100);
                let path = self.absolute(x.tid, pid, dirfd, path);
                let mut f = new(FdType::File, path, None);
                f.flags = int("flags").map_or(0, |v| open_flags_from_ppm(v as u64) as u32);
                f.ino = int("ino").unwrap_or(0) as u64;
                f
            }
            "socket" => {
                // SOCK_STREAM = 1, SOCK_DGRAM = 2 (the low bits of `type`).
                let proto = match int("type") {
                    Some(t) if t & 0xf == 1 => l4::TCP,
                    Some(t) if t & 0xf == 2 => l4::UDP,
                    _ => l4::UNKNOWN,
                };
                let (fd_type, family) = match int("domain") {
                    Some(2) => (FdType::Ipv4, af::INET),
                    Some(10) => (FdType::Ipv6, af::INET6),
                    Some(1) => (FdType::Unix, af::UNIX),
                    Some(16) => (FdType::Netlink, af::NETLINK),
                    _ => (FdType::Unknown, 0),
                };
                let sock = matches!(family, af::INET | af::INET6).then_some(Sock {
                    family,
                    proto,
                    ..Sock::default()
                });
                new(fd_type, Vec::new(), sock)
            }
            "connect" | "accept" | "accept4" => {
                let fd = if call == "connect" {
                    match int("fd") {
                        Some(fd) if ret == 0 || ret == -115 => fd,
                        _ => return,
                    }
                } else {
                    ret
                };
                let old = self.fds.get(&pid).and_then(|t| t.get(&fd)).cloned();
                let proto = old
                    .as_ref()
                    .and_then(|f| f.sock)
                    .map_or(l4::TCP, |s| s.proto);
                let mut f = old.unwrap_or_else(|| new(FdType::Unknown, Vec::new(), None));
                f.fd = fd as i32;
                match get("tuple") {
                    Some(Param::SockTuple(t)) => match sock_of_tuple(&t, proto) {
                        Value::Sock(s) => {
                            f.fd_type = if s.family == af::INET6 {
                                FdType::Ipv6
                            } else {
                                FdType::Ipv4
                            };
                            f.name = Cow::Owned(s.to_string().into_bytes());
                            f.sock = Some(s);
                        }
                        Value::Bytes(path) => {
                            f.fd_type = FdType::Unix;
                            f.name = path;
                        }
                        _ => {}
                    },
                    _ => return,
                }
                f
            }
            "pipe" | "pipe2" => {
                for k in ["fd1", "fd2"] {
                    if let Some(fd) = int(k) {
                        let mut f = new(FdType::Pipe, Vec::new(), None);
                        f.fd = fd as i32;
                        f.ino = int("ino").unwrap_or(0) as u64;
                        self.fds.entry(pid).or_default().insert(fd, f);
                    }
                }
                return;
            }
            "dup" | "dup2" | "dup3" => {
                let Some(old) = int("oldfd").or_else(|| int("fd")) else {
                    return;
                };
                let Some(mut f) = self.fds.get(&pid).and_then(|t| t.get(&old)).cloned() else {
                    return;
                };
                f.fd = ret as i32;
                f
            }
            "eventfd" | "eventfd2" => new(FdType::Event, Vec::new(), None),
            "epoll_create" | "epoll_create1" => new(FdType::Eventpoll, Vec::new(), None),
            "inotify_init" | "inotify_init1" => new(FdType::Inotify, Vec::new(), None),
            "signalfd" | "signalfd4" => new(FdType::Signalfd, Vec::new(), None),
            "timerfd_create" => new(FdType::Timerfd, Vec::new(), None),
            "userfaultfd" => new(FdType::Userfaultfd, Vec::new(), None),
            "pidfd_open" => new(FdType::Pidfd, Vec::new(), None),
            "memfd_create" => {
                let name = get("name").and_then(|p| p.as_bytes()).unwrap_or_default();
                new(FdType::Memfd, name.to_vec(), None)
            }
            "close" => {
                if ret == 0
                    && let Some(fd) = int("fd")
                    && let Some(t) = self.fds.get_mut(&pid)
                {
                    t.remove(&fd);
                }
                return;
            }
            _ => return,
        };
        self.fds
            .entry(pid)
            .or_default()
            .insert(i64::from(info.fd), info);
    }

    /// A path as sysdig resolves it: relative paths against the dirfd's path or the thread's
    /// working directory, `.` and `..` removed.
    fn absolute(&self, tid: u64, pid: u64, dirfd: i64, path: &[u8]) -> Vec<u8> {
        if path.is_empty() {
            return Vec::new();
        }
        if path.first() == Some(&b'/') {
            return join_path(b"", path);
        }
        let base = if dirfd == -100 {
            self.threads.get(&tid).map(|t| t.cwd.clone())
        } else {
            self.fds
                .get(&pid)
                .and_then(|t| t.get(&dirfd))
                .map(|f| f.name.to_vec())
        };
        join_path(&base.unwrap_or_default(), path)
    }

    /// The state as of the last converted block, as state records (processes, fds, users,
    /// groups, interfaces, containers) stamped `ts`: a keyframe.
    pub fn snapshot(&self, ts: u64) -> Vec<Event<'static>> {
        let rec = |body: Body<'static>, container: u32| Event {
            ts,
            tid: 0,
            pid: 0,
            cpu: 0,
            container,
            body,
        };
        let mut out = Vec::new();
        for (i, c) in &self.container_records {
            out.push(rec(Body::Container(c.clone()), *i));
        }
        let mut tids: Vec<_> = self.threads.keys().copied().collect();
        tids.sort_unstable();
        for tid in tids {
            if let Some(t) = self.threads.get(&tid) {
                out.push(rec(Body::Process(process_of(tid, t)), t.container));
            }
        }
        let mut pids: Vec<_> = self.fds.keys().copied().collect();
        pids.sort_unstable();
        for pid in pids {
            if let Some(table) = self.fds.get(&pid) {
                let mut fds: Vec<_> = table.values().collect();
                fds.sort_by_key(|f| f.fd);
                out.extend(fds.into_iter().map(|f| rec(Body::Fd(f.clone()), 0)));
            }
        }
        out.extend(self.fixed_state.iter().map(|b| rec(b.clone(), 0)));
        out
    }

    fn lookup(
        &self,
        call: &str,
        schema_name: &str,
        ty: ParamType,
        en: Option<&RawEvent<'_>>,
        x: Option<&RawEvent<'_>>,
        pid: u32,
    ) -> Value<'static> {
        let alias = libs_names(call, schema_name);
        let found = if alias.is_empty() {
            if matches!((call, schema_name), ("accept" | "accept4", "fd")) {
                None
            } else {
                param(en, x, schema_name)
            }
        } else {
            alias.iter().find_map(|a| param(en, x, a))
        };
        let Some(found) = found else {
            return Value::None;
        };
        let fd = param(en, x, "fd").and_then(|p| p.as_i64()).unwrap_or(-1);
        let proto = self
            .fds
            .get(&u64::from(pid))
            .and_then(|t| t.get(&fd))
            .and_then(|f| f.sock)
            .map_or(l4::UNKNOWN, |s| s.proto);
        convert_value(ty, &found, proto)
    }

    fn clone_exit(&mut self, x: &RawEvent<'_>, ret: i64) {
        let flags = x
            .param_named("flags")
            .and_then(|p| p.as_i64())
            .map_or(0, |f| clone_flags_from_ppm(f as u64));
        let pid_p = x.param_named("pid").and_then(|p| p.as_i64());
        let ptid = x.param_named("ptid").and_then(|p| p.as_i64()).unwrap_or(0) as u64;
        // A task whose creator is unknown (not in the process list, not seen before) is
        // described by this event alone: it becomes a `Process` record after the `Fork`, as
        // sysdig builds the thread from the child's clone exit.
        let mut described = None;
        if ret == 0 {
            // The child's side carries its description: record the new thread.
            let cgroups = x
                .param_named("cgroups")
                .and_then(|p| p.as_bytes())
                .unwrap_or_default();
            let container = self.container_of_cgroups(cgroups);
            // A new thread copies its process (whose main thread has the pid's number); a new
            // process copies its parent, `ptid`.
            let creator = match pid_p {
                Some(p) if p as u64 != x.tid => p as u64,
                _ => ptid,
            };
            let creator_known = self.threads.contains_key(&creator);
            let parent = self.threads.get(&creator).cloned().unwrap_or_default();
            let th = Thread {
                pid: pid_p.unwrap_or(x.tid as i64) as u64,
                ptid,
                vtid: x.param_named("vtid").and_then(|p| p.as_i64()).unwrap_or(-1),
                vpid: x.param_named("vpid").and_then(|p| p.as_i64()).unwrap_or(-1),
                uid: x
                    .param_named("uid")
                    .and_then(|p| p.as_i64())
                    .map_or(parent.uid, |v| v as u32),
                gid: x
                    .param_named("gid")
                    .and_then(|p| p.as_i64())
                    .map_or(parent.gid, |v| v as u32),
                comm: bytes_or(x, "comm", &parent.comm),
                exe: bytes_or(x, "exe", &parent.exe),
                exepath: parent.exepath.clone(),
                args: nul_terminated(&bytes_or(x, "args", &parent.args)),
                env: parent.env.clone(),
                cwd: bytes_or(x, "cwd", &parent.cwd),
                cgroup: if cgroups.is_empty() {
                    parent.cgroup.clone()
                } else {
                    first_cgroup(cgroups)
                },
                container: if cgroups.is_empty() {
                    parent.container
                } else {
                    container
                },
                ..parent
            };
            let (child_pid, parent_pid) = (th.pid, parent.pid);
            if !creator_known && !th.comm.is_empty() {
                described = Some((process_of(x.tid, &th), th.container));
            }
            self.threads.insert(x.tid, th);
            if child_pid != parent_pid
                && !self.fds.contains_key(&child_pid)
                && let Some(table) = self.fds.get(&parent_pid)
            {
                // A new process starts with a copy of its parent's fds.
                let mut copy = table.clone();
                for f in copy.values_mut() {
                    f.pid = child_pid as u32;
                }
                self.fds.insert(child_pid, copy);
            }
        }
        // A new thread of an unknown process describes that process, which is the `Fork`'s
        // parent: its record comes first. A new process's record comes after its `Fork`, which
        // would otherwise make it a copy of its unknown parent.
        let thread = described.as_ref().is_some_and(|(p, _)| p.tid != p.pid);
        if thread {
            self.describe(x, described.take());
        }
        self.fork_record(x, ret, flags, pid_p, ptid);
        self.describe(x, described);
    }

    fn describe(&mut self, x: &RawEvent<'_>, described: Option<(Process<'static>, u32)>) {
        if let Some((p, container)) = described {
            self.emit(Event {
                ts: x.ts,
                tid: p.tid,
                pid: p.pid,
                cpu: x.cpu,
                container,
                body: Body::Process(p),
            });
        }
    }

    /// The `Fork` record of a clone exit, once per child (from whichever side comes first and
    /// can name the child with its host id).
    fn fork_record(
        &mut self,
        x: &RawEvent<'_>,
        ret: i64,
        flags: i64,
        pid_p: Option<i64>,
        ptid: u64,
    ) {
        let child_tid = if ret > 0 { ret as u64 } else { x.tid };
        if ret < 0 {
            return;
        }
        if ret > 0 {
            // In the parent, the return value is the child's id in the parent's pid namespace;
            // it is the host id only when the parent is in the host namespace. Otherwise the
            // child's own exit (with its host tid) makes the record.
            // (A vtid of 0 or less means the writer did not record it.)
            let in_host_ns = self
                .threads
                .get(&x.tid)
                .is_none_or(|t| t.vtid <= 0 || t.vtid as u64 == x.tid);
            if !in_host_ns {
                return;
            }
        }
        if !self.forked.insert(child_tid) {
            return;
        }
        // Fork: the event is the parent's.
        let parent_tid = match pid_p {
            _ if ret > 0 => x.tid,
            // The child's exit does not say which thread cloned it: for a new thread, its
            // process's main thread; for a new process, its parent.
            Some(p) if p as u64 != x.tid => p as u64,
            _ => ptid,
        };
        let (pid, container) = self
            .threads
            .get(&parent_tid)
            .map_or((parent_tid, 0), |t| (t.pid, t.container));
        let child_pid = if flags & 0x0001_0000 != 0 {
            pid
        } else {
            pid_p.filter(|_| ret == 0).map_or(child_tid, |p| p as u64)
        };
        self.emit(Event {
            ts: x.ts,
            tid: parent_tid as u32,
            pid: pid as u32,
            cpu: x.cpu,
            container,
            body: Body::Fork(Fork {
                child_tid: child_tid as u32,
                child_pid: child_pid as u32,
                flags: flags as u64,
            }),
        });
    }

    fn exec_exit(&mut self, en: Option<&RawEvent<'_>>, x: &RawEvent<'_>) {
        let mut th = self.threads.get(&x.tid).cloned().unwrap_or_default();
        if let Some(p) = x.param_named("pid").and_then(|p| p.as_i64()) {
            th.pid = p as u64;
        }
        if let Some(p) = x.param_named("ptid").and_then(|p| p.as_i64()) {
            th.ptid = p as u64;
        }
        th.comm = bytes_or(x, "comm", &th.comm);
        th.exe = bytes_or(x, "exe", &th.exe);
        // The resolved path when the driver gave one, else the path passed to exec.
        let filename = ["filename", "pathname"]
            .iter()
            .find_map(|n| param(en, Some(x), n).and_then(|p| p.as_bytes().map(<[u8]>::to_vec)))
            .unwrap_or_default();
        th.exepath = bytes_or(x, "trusted_exepath", &filename);
        th.args = nul_terminated(&bytes_or(x, "args", &[]));
        th.env = nul_terminated(&bytes_or(x, "env", &[]));
        th.cwd = bytes_or(x, "cwd", &th.cwd);
        if let Some(c) = x.param_named("cgroups").and_then(|p| p.as_bytes())
            && !c.is_empty()
        {
            th.cgroup = first_cgroup(c);
            th.container = self.container_of_cgroups(c);
        }
        if let Some(v) = x.param_named("uid").and_then(|p| p.as_i64()) {
            th.uid = v as u32;
        }
        if let Some(v) = x.param_named("gid").and_then(|p| p.as_i64()) {
            th.gid = v as u32;
        }
        if let Some(v) = x.param_named("loginuid").and_then(|p| p.as_i64()) {
            th.loginuid = v as u32;
        }
        if let Some(v) = x.param_named("tty").and_then(|p| p.as_i64()) {
            th.tty = v as u32;
        }
        if let Some(v) = x.param_named("cap_effective").and_then(|p| p.as_i64()) {
            th.cap_effective = v as u64;
        }
        // Newer drivers give the other sets, the process group and where the exe came from
        // (`PPM_EXE_*`, the same bits as schema::exe's low ones).
        let caps =
            ["cap_inheritable", "cap_permitted"].map(|n| x.param_named(n).and_then(|p| p.as_i64()));
        if let [Some(inh), Some(prm)] = caps {
            th.cap_inheritable = inh as u64;
            th.cap_permitted = prm as u64;
            th.exe_flags = exe::KNOWN
                | x.param_named("flags")
                    .and_then(|p| p.as_i64())
                    .map_or(0, |f| {
                        f as u32 & (exe::UPPER_LAYER | exe::LOWER_LAYER | exe::FROM_MEMFD)
                    });
        }
        if let Some(v) = x.param_named("vpgid").and_then(|p| p.as_i64()) {
            th.vpgid = v;
        }
        let p = process_of(x.tid, &th);
        let (pid, container) = (th.pid, th.container);
        self.threads.insert(x.tid, th);
        self.emit(Event {
            ts: x.ts,
            tid: x.tid as u32,
            pid: pid as u32,
            cpu: x.cpu,
            container,
            body: Body::Exec(p),
        });
    }

    fn procexit(&mut self, e: &RawEvent<'_>) {
        let (tid, pid, container) = self.header(e);
        let code = e.param(0).as_i64().unwrap_or(0) as i32;
        self.emit(Event {
            ts: e.ts,
            tid,
            pid,
            cpu: e.cpu,
            container,
            body: Body::Exit(Exit {
                code,
                group_dead: tid == pid,
            }),
        });
        self.threads.remove(&e.tid);
        self.enters.remove(&e.tid);
        if tid == pid {
            self.fds.remove(&u64::from(pid));
        }
    }

    fn signal(&mut self, e: &RawEvent<'_>) {
        let (tid, pid, container) = self.header(e);
        self.emit(Event {
            ts: e.ts,
            tid,
            pid,
            cpu: e.cpu,
            container,
            body: Body::Signal(Signal {
                sig: e.param_named("sig").and_then(|p| p.as_i64()).unwrap_or(0) as u32,
                sender: e.param_named("spid").and_then(|p| p.as_i64()).unwrap_or(0) as u32,
                code: 0,
            }),
        });
    }

    /// A context switch: the thread leaving the CPU, the one that runs next, and (in the newer
    /// form) the leaving thread's page faults and memory.
    fn switch(&mut self, e: &RawEvent<'_>) {
        let (tid, pid, container) = self.header(e);
        let u = |name: &str| {
            e.param_named(name)
                .and_then(|p| p.as_i64())
                .unwrap_or(0)
                .max(0) as u64
        };
        self.emit(Event {
            ts: e.ts,
            tid,
            pid,
            cpu: e.cpu,
            container,
            body: Body::Switch(schema::Switch {
                next: u("next") as u32,
                pf_major: u("pgft_maj"),
                pf_minor: u("pgft_min"),
                vm_size: u("vm_size"),
                vm_rss: u("vm_rss"),
                vm_swap: u("vm_swap"),
            }),
        });
    }

    /// sysdig's `procinfo`: the thread's CPU time so far, in clock ticks (USER_HZ, 100 a
    /// second, as /proc/PID/stat counts them).
    fn procinfo(&mut self, e: &RawEvent<'_>) {
        const NS_PER_TICK: u64 = 10_000_000;
        let (tid, pid, container) = self.header(e);
        let ticks = |name: &str| {
            e.param_named(name)
                .and_then(|p| p.as_i64())
                .unwrap_or(0)
                .max(0) as u64
        };
        self.emit(Event {
            ts: e.ts,
            tid,
            pid,
            cpu: e.cpu,
            container,
            body: Body::Usage(schema::Usage {
                user_ns: ticks("cpu_usr").saturating_mul(NS_PER_TICK),
                sys_ns: ticks("cpu_sys").saturating_mul(NS_PER_TICK),
                ..schema::Usage::default()
            }),
        });
    }

    fn container_event(&mut self, e: &RawEvent<'_>) {
        let c = match e.info().params.first().map(|p| p.name) {
            // The oldest form: id, type, name, image.
            Some("id") => Container {
                id: own(e.param(0).as_bytes().unwrap_or_default()),
                runtime: Cow::Owned(runtime_name(e.param(1).as_i64().unwrap_or(-1)).into()),
                name: own(e.param(2).as_bytes().unwrap_or_default()),
                image: own(e.param(3).as_bytes().unwrap_or_default()),
                ..Container::default()
            },
            Some("json") => match container_from_json(e.param(0).as_bytes().unwrap_or_default()) {
                Some(c) => c,
                None => return self.skip("container (bad json)".into()),
            },
            _ => {
                // asyncevent: plugin_id, name, data (the JSON, NUL-terminated).
                let data = e.param(2).as_bytes().unwrap_or_default();
                let data = &data[..data.iter().position(|&b| b == 0).unwrap_or(data.len())];
                match container_from_json(data) {
                    Some(c) => c,
                    None => return self.skip("asyncevent container (bad json)".into()),
                }
            }
        };
        if c.id.is_empty() || &*c.id == b"host" {
            return self.skip("container host".into());
        }
        let short = c.id[..c.id.len().min(12)].to_vec();
        let index = self.container_index(&short);
        let (tid, pid, _) = self.header(e);
        self.container_records.insert(index, c.clone());
        self.emit(Event {
            ts: e.ts,
            tid,
            pid,
            cpu: e.cpu,
            container: index,
            body: Body::Container(c),
        });
    }
}

/// A sysdig parameter by name: in the exit (after its return value), then in the enter.
fn param<'e>(en: Option<&RawEvent<'e>>, x: Option<&RawEvent<'e>>, name: &str) -> Option<Param<'e>> {
    if let Some(x) = x {
        let found = x
            .info()
            .params
            .iter()
            .enumerate()
            .skip(1)
            .find(|(i, p)| p.name == name && *i < x.params.len());
        if let Some((i, _)) = found {
            return Some(x.param(i));
        }
    }
    let en = en?;
    let i = en.info().params.iter().position(|p| p.name == name)?;
    (i < en.params.len()).then(|| en.param(i))
}

fn bytes_or(x: &RawEvent<'_>, name: &str, default: &[u8]) -> Vec<u8> {
    match x.param_named(name).and_then(|p| p.as_bytes()) {
        Some(b) if !b.is_empty() => b.to_vec(),
        _ => default.to_vec(),
    }
}

fn process_of(tid: u64, t: &Thread) -> Process<'static> {
    Process {
        tid: tid as u32,
        pid: t.pid as u32,
        ppid: t.ptid as u32,
        vtid: if t.vtid < 0 {
            tid as u32
        } else {
            t.vtid as u32
        },
        vpid: if t.vpid < 0 {
            t.pid as u32
        } else {
            t.vpid as u32
        },
        uid: t.uid,
        gid: t.gid,
        euid: t.uid,
        egid: t.gid,
        loginuid: t.loginuid,
        start_ts: 0,
        cap_effective: t.cap_effective,
        ns: [0; 7],
        comm: own(&t.comm),
        exe: own(&t.exe),
        exe_path: own(&t.exepath),
        args: own(&t.args),
        env: own(&t.env),
        cwd: own(&t.cwd),
        cgroup: own(&t.cgroup),
        tty: t.tty,
        cap_permitted: t.cap_permitted,
        cap_inheritable: t.cap_inheritable,
        vpgid: if t.vpgid < 0 { 0 } else { t.vpgid as u32 },
        exe_flags: t.exe_flags,
    }
}

/// libs container types (`ppm_container_type` / `sinsp_container_type`) → runtime names.
fn runtime_name(t: i64) -> &'static str {
    match t {
        0 => "docker",
        1 => "lxc",
        2 => "libvirt-lxc",
        3 => "mesos",
        4 => "rkt",
        5 => "custom",
        6 => "cri",
        7 => "containerd",
        8 => "cri-o",
        9 => "bpm",
        10 => "static",
        11 => "podman",
        _ => "",
    }
}

/// A `Container` from sysdig's container JSON (`{"container": {...}}`).
pub fn container_from_json(json: &[u8]) -> Option<Container<'static>> {
    let v: serde_json::Value = serde_json::from_slice(json).ok()?;
    let c = v.get("container")?;
    let s = |k: &str| -> Cow<'static, [u8]> {
        Cow::Owned(
            c.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
        )
    };
    let runtime = match c.get("type") {
        Some(serde_json::Value::Number(n)) => runtime_name(n.as_i64().unwrap_or(-1)).to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let mut labels = Vec::new();
    if let Some(obj) = c.get("labels").and_then(|l| l.as_object()) {
        for (k, v) in obj {
            labels.extend_from_slice(k.as_bytes());
            labels.push(b'=');
            match v.as_str() {
                Some(s) => labels.extend_from_slice(s.as_bytes()),
                None => labels.extend_from_slice(v.to_string().as_bytes()),
            }
            labels.push(0);
        }
    }
    let id = {
        let full = s("full_id");
        if full.is_empty() { s("id") } else { full }
    };
    let mut out = Container {
        id,
        name: s("name"),
        image: s("image"),
        image_id: s("imageid"),
        runtime: Cow::Owned(runtime.into_bytes()),
        labels: Cow::Owned(labels),
        cgroup: Cow::Borrowed(b""),
        note: Cow::Borrowed(b""),
        start_ts: c
            .get("created_time")
            .and_then(serde_json::Value::as_i64)
            .map_or(0, |t| (t as u64).saturating_mul(1_000_000_000)),
        exit_ts: 0,
        init_pid: 0,
        privileged: c
            .get("privileged")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false),
        mounts: Cow::Borrowed(b""),
    };
    // sysdig's container JSON: "Mounts": [{"Source", "Destination", "Mode", "RW",
    // "Propagation"}].
    for m in c
        .get("Mounts")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
    {
        let s = |k: &str| {
            m.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .as_bytes()
        };
        let rw = m
            .get("RW")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        out.push_mount(
            s("Source"),
            s("Destination"),
            s("Mode"),
            rw,
            s("Propagation"),
        );
    }
    Some(out)
}

fn sock_of_tuple(t: &SockTuple<'_>, proto: u8) -> Value<'static> {
    match *t {
        SockTuple::Inet {
            v6,
            sip,
            sport,
            dip,
            dport,
        } => Value::Sock(Sock {
            family: if v6 { af::INET6 } else { af::INET },
            proto,
            src: sip,
            sport,
            dst: dip,
            dport,
        }),
        SockTuple::Unix { path, .. } => Value::Bytes(own(path)),
        SockTuple::Other(_) => Value::None,
    }
}

fn sock_of_addr(a: &SockAddr<'_>, proto: u8) -> Value<'static> {
    match *a {
        SockAddr::Inet { v6, ip, port } => Value::Sock(Sock {
            family: if v6 { af::INET6 } else { af::INET },
            proto,
            dst: ip,
            dport: port,
            ..Sock::default()
        }),
        SockAddr::Unix(path) => Value::Bytes(own(path)),
        SockAddr::Other(_) => Value::None,
    }
}

/// A sysdig parameter as the schema stores the parameter of type `ty`.
fn convert_value(ty: ParamType, p: &Param<'_>, proto: u8) -> Value<'static> {
    use ParamType as T;
    match (ty, p) {
        // libs re-encodes these as its own enums; without a table they are left out.
        (_, Param::Empty | Param::Raw(_) | Param::FdList(_))
        | (T::FcntlCmd | T::PtraceReq | T::MountFlags | T::SockType | T::BpfCmd, _) => Value::None,
        (_, Param::SockTuple(t)) => sock_of_tuple(t, proto),
        (_, Param::SockAddr(a)) => sock_of_addr(a, proto),
        (_, Param::Str(b) | Param::Bytes(b)) => Value::Bytes(own(b)),
        (T::OpenFlags, Param::Uint(f)) => Value::Int(open_flags_from_ppm(*f)),
        (T::CloneFlags, Param::Uint(f)) => Value::Int(clone_flags_from_ppm(*f)),
        (T::Prot, Param::Uint(f)) => Value::Int(prot_from_ppm(*f)),
        (T::MmapFlags, Param::Uint(f)) => Value::Int(mmap_flags_from_ppm(*f)),
        (_, Param::Int(i)) => Value::Int(*i),
        (_, Param::Uint(u)) => Value::Int(*u as i64),
        (_, Param::Double(d)) => Value::Int(*d as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_ids_come_from_64_hex_digit_cgroup_names() {
        let cg = b"cpu=/docker/697956520d891b5cb0e215093970c733549a3f745f52263c05b37f8a488994f3\0";
        assert_eq!(
            container_id_of_cgroups(cg).as_deref(),
            Some(&b"697956520d89"[..])
        );
        let scope = b"0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope";
        assert_eq!(
            container_id_of_cgroups(scope).as_deref(),
            Some(&b"0123456789ab"[..])
        );
        assert_eq!(container_id_of_cgroups(b"cpu=/user.slice\0"), None);
    }

    #[test]
    fn ppm_flags_become_kernel_flags() {
        // PPM_O_RDWR | PPM_O_CREAT | PPM_O_TRUNC | PPM_O_CLOEXEC
        assert_eq!(
            open_flags_from_ppm(3 | 4 | 256 | 4096),
            0o2 | 0o100 | 0o1000 | 0o2_000_000
        );
        assert_eq!(open_flags_from_ppm(1), 0);
        // PPM_CL_CLONE_VM | PPM_CL_CLONE_THREAD
        assert_eq!(clone_flags_from_ppm((1 << 15) | (1 << 13)), 0x100 | 0x10000);
    }

    #[test]
    fn container_json_is_read() {
        let j = br#"{"container":{"id":"697956520d89","image":"nginx","imageid":"abc","name":"hopeful_taussig","type":0,"labels":{"maintainer":"NGINX"},"privileged":false}}"#;
        let c = container_from_json(j).expect("json");
        assert_eq!(&*c.id, b"697956520d89");
        assert_eq!(&*c.runtime, b"docker");
        assert_eq!(&*c.labels, b"maintainer=NGINX\0");
        assert!(container_from_json(b"{not json").is_none());
    }

    #[test]
    fn libs_names_map_to_x86_64_numbers() {
        for n in ["sigreturn", "pread", "umount", "prlimit", "read", "execve"] {
            assert!(syscalls::by_name(kernel_name(n)).is_some(), "{n}");
        }
        // Every system call event of the libs table has an x86_64 number.
        for e in &super::super::event_table::EVENTS {
            if e.category & ec::SYSCALL != 0 && e.name != "syscall" {
                assert!(
                    syscalls::by_name(kernel_name(e.name)).is_some(),
                    "{}",
                    e.name
                );
            }
        }
    }

    #[test]
    fn values_keep_their_meaning() {
        let t = SockTuple::Inet {
            v6: false,
            sip: [10, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            sport: 49289,
            dip: [10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            dport: 22,
        };
        let v = convert_value(ParamType::Sock, &Param::SockTuple(t), l4::TCP);
        match v {
            Value::Sock(s) => assert_eq!(s.to_string(), "10.0.2.2:49289->10.0.2.15:22"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            convert_value(ParamType::Fd, &Param::Int(-100), 0),
            Value::Int(-100)
        );
        assert_eq!(
            convert_value(ParamType::FcntlCmd, &Param::Uint(3), 0),
            Value::None
        );
    }
}
