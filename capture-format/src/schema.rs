//! The typed, versioned record schema shared by the recorder, the scap importer and replay.
//!
//! A capture is a sequence of [`Event`]s. Each has a fixed header (time, thread, process, CPU,
//! container) and a [`Body`] whose kind is one of the numbered [`Kind`]s. Every body is stored
//! as a list of tagged [`Value`]s, so a reader skips record kinds it does not know and fills
//! fields that an older writer did not write with their defaults (fields are only ever
//! appended, and detected by count).
//!
//! System calls are identified by their x86_64 number; [`syscalls`] gives each one its name,
//! category and the names and types of its decoded parameters.

pub mod syscall_names;
pub mod syscalls;

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use smallvec::SmallVec;

/// Version of the record schema described by this module. Stored in the file header.
pub const SCHEMA_VERSION: u16 = 2;

/// Borrowed or owned bytes: decoding borrows from the chunk buffer, producers own their data.
pub type Bytes<'a> = Cow<'a, [u8]>;

/// Record kinds. The numbers are stored in files and never reused.
///
/// ```text
/// 1 Syscall   2 Fork      3 Exec     4 Exit       5 Signal    6 Container
/// 7 Loss      8 Process   9 Fd       10 User      11 Group    12 Interface
/// 13 Switch   14 Usage
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Kind {
    /// One system call, recorded at its exit.
    Syscall = 1,
    /// A new thread or process (`sched_process_fork`).
    Fork = 2,
    /// A process replaced its image (`sched_process_exec`).
    Exec = 3,
    /// A thread exited (`sched_process_exit`).
    Exit = 4,
    /// A signal was delivered.
    Signal = 5,
    /// Container metadata: first sighting, update, or exit.
    Container = 6,
    /// Events the recorder could not capture.
    Loss = 7,
    /// State: one thread of a process that existed when the state was taken.
    Process = 8,
    /// State: one open file descriptor.
    Fd = 9,
    /// State: a user account.
    User = 10,
    /// State: a group.
    Group = 11,
    /// State: a network interface address.
    Interface = 12,
    /// A context switch: the event's thread left its CPU (sysdig's `switch`).
    Switch = 13,
    /// A thread's CPU time, memory and page faults, sampled (sysdig's `procinfo`).
    Usage = 14,
}

impl Kind {
    /// The kind for a stored number, if this version knows it.
    pub fn from_u8(v: u8) -> Option<Kind> {
        Some(match v {
            1 => Kind::Syscall,
            2 => Kind::Fork,
            3 => Kind::Exec,
            4 => Kind::Exit,
            5 => Kind::Signal,
            6 => Kind::Container,
            7 => Kind::Loss,
            8 => Kind::Process,
            9 => Kind::Fd,
            10 => Kind::User,
            11 => Kind::Group,
            12 => Kind::Interface,
            13 => Kind::Switch,
            14 => Kind::Usage,
            _ => return None,
        })
    }

    /// Lower-case name used in output and filters (`evt.type` for non-syscall records).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Syscall => "syscall",
            Kind::Fork => "procfork",
            Kind::Exec => "procexec",
            Kind::Exit => "procexit",
            Kind::Signal => "signaldeliver",
            Kind::Container => "container",
            Kind::Loss => "drop",
            Kind::Process => "state.process",
            Kind::Fd => "state.fd",
            Kind::User => "state.user",
            Kind::Group => "state.group",
            Kind::Interface => "state.interface",
            Kind::Switch => "switch",
            Kind::Usage => "procinfo",
        }
    }

    /// State kinds describe what exists; they appear in state blocks (snapshot and keyframes).
    pub fn is_state(self) -> bool {
        matches!(
            self,
            Kind::Process | Kind::Fd | Kind::User | Kind::Group | Kind::Interface
        )
    }
}

/// Bits of a container index that name the container within its host; the top 8 bits name the
/// host in a merged capture (0 in a capture of one host).
pub const CONTAINER_BITS: u32 = 24;

/// The host part of a container index.
pub fn host_of(container: u32) -> u32 {
    container >> CONTAINER_BITS
}

/// The container index within its host (0: the host itself).
pub fn local_container(container: u32) -> u32 {
    container & ((1 << CONTAINER_BITS) - 1)
}

/// A container index of `host` from one within the host.
pub fn with_host(host: u8, container: u32) -> u32 {
    (u32::from(host) << CONTAINER_BITS) | local_container(container)
}

/// One record: a fixed header and a body.
#[derive(Clone, Debug, PartialEq)]
pub struct Event<'a> {
    /// Wall-clock time in nanoseconds since the Unix epoch (for syscalls: at exit).
    pub ts: u64,
    /// Thread id (host namespace). 0 for records not tied to a thread.
    pub tid: u32,
    /// Process id (thread-group id, host namespace).
    pub pid: u32,
    /// CPU the event happened on.
    pub cpu: u16,
    /// Index into the capture's container table; 0 is the host. In a merged capture the top 8
    /// bits name the source host ([`host_of`]).
    pub container: u32,
    /// What happened.
    pub body: Body<'a>,
}

impl Event<'_> {
    /// Copies every borrowed byte so the event outlives the buffer it was decoded from.
    pub fn into_owned(self) -> Event<'static> {
        Event {
            ts: self.ts,
            tid: self.tid,
            pid: self.pid,
            cpu: self.cpu,
            container: self.container,
            body: self.body.into_owned(),
        }
    }
}

/// The body of a record.
#[derive(Clone, Debug, PartialEq)]
pub enum Body<'a> {
    /// A system call, recorded at exit.
    Syscall(Syscall<'a>),
    /// A new thread or process.
    Fork(Fork),
    /// A new program image; carries the process's full description after the exec.
    Exec(Process<'a>),
    /// A thread exited.
    Exit(Exit),
    /// A signal was delivered to the event's thread.
    Signal(Signal),
    /// Container metadata.
    Container(Container<'a>),
    /// Lost events.
    Loss(Loss),
    /// State: a thread that exists.
    Process(Process<'a>),
    /// State: an open file descriptor.
    Fd(FdInfo<'a>),
    /// State: a user account.
    User(User<'a>),
    /// State: a group.
    Group(Group<'a>),
    /// State: an interface address.
    Interface(Interface<'a>),
    /// A context switch.
    Switch(Switch),
    /// A resource sample of the event's thread.
    Usage(Usage),
    /// A record of a kind this version does not know, kept as its values.
    Unknown {
        /// The stored kind number.
        kind: u8,
        /// The record's values.
        values: Vec<Value<'a>>,
    },
}

impl Body<'_> {
    /// The stored kind number.
    pub fn kind_u8(&self) -> u8 {
        match self {
            Body::Syscall(_) => Kind::Syscall as u8,
            Body::Fork(_) => Kind::Fork as u8,
            Body::Exec(_) => Kind::Exec as u8,
            Body::Exit(_) => Kind::Exit as u8,
            Body::Signal(_) => Kind::Signal as u8,
            Body::Container(_) => Kind::Container as u8,
            Body::Loss(_) => Kind::Loss as u8,
            Body::Process(_) => Kind::Process as u8,
            Body::Fd(_) => Kind::Fd as u8,
            Body::User(_) => Kind::User as u8,
            Body::Group(_) => Kind::Group as u8,
            Body::Interface(_) => Kind::Interface as u8,
            Body::Switch(_) => Kind::Switch as u8,
            Body::Usage(_) => Kind::Usage as u8,
            Body::Unknown { kind, .. } => *kind,
        }
    }

    /// The kind, or `None` for a kind this version does not know.
    pub fn kind(&self) -> Option<Kind> {
        Kind::from_u8(self.kind_u8())
    }

    /// Copies every borrowed byte.
    pub fn into_owned(self) -> Body<'static> {
        match self {
            Body::Syscall(s) => Body::Syscall(Syscall {
                nr: s.nr,
                ret: s.ret,
                latency: s.latency,
                params: s.params.into_iter().map(Value::into_owned).collect(),
            }),
            Body::Fork(f) => Body::Fork(f),
            Body::Exec(p) => Body::Exec(p.into_owned()),
            Body::Exit(e) => Body::Exit(e),
            Body::Signal(s) => Body::Signal(s),
            Body::Container(c) => Body::Container(c.into_owned()),
            Body::Loss(l) => Body::Loss(l),
            Body::Switch(s) => Body::Switch(s),
            Body::Usage(u) => Body::Usage(u),
            Body::Process(p) => Body::Process(p.into_owned()),
            Body::Fd(f) => Body::Fd(f.into_owned()),
            Body::User(u) => Body::User(u.into_owned()),
            Body::Group(g) => Body::Group(g.into_owned()),
            Body::Interface(i) => Body::Interface(i.into_owned()),
            Body::Unknown { kind, values } => Body::Unknown {
                kind,
                values: values.into_iter().map(Value::into_owned).collect(),
            },
        }
    }
}

/// A stored value. Records are lists of these; the schema gives each position its meaning.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// Not captured (e.g. user memory that could not be read).
    None,
    /// An integer. Unsigned 64-bit quantities are stored bit-for-bit.
    Int(i64),
    /// Bytes: a path, a string or a payload snippet.
    Bytes(Bytes<'a>),
    /// A socket address or a connection tuple.
    Sock(Sock),
}

impl Value<'_> {
    /// Copies borrowed bytes.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::None => Value::None,
            Value::Int(i) => Value::Int(i),
            Value::Bytes(b) => Value::Bytes(Cow::Owned(b.into_owned())),
            Value::Sock(s) => Value::Sock(s),
        }
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The bytes, if this holds bytes.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// Address families, as the kernel numbers them.
pub mod af {
    /// `AF_UNIX`.
    pub const UNIX: u8 = 1;
    /// `AF_INET`.
    pub const INET: u8 = 2;
    /// `AF_INET6`.
    pub const INET6: u8 = 10;
    /// `AF_NETLINK`.
    pub const NETLINK: u8 = 16;
}

/// Layer-4 protocols, as IANA numbers them.
pub mod l4 {
    /// Unknown.
    pub const UNKNOWN: u8 = 0;
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// Raw.
    pub const RAW: u8 = 255;
}

/// An IPv4/IPv6 socket address or connection tuple. For a tuple, `src` is the local end as the
/// kernel sees it for connect/send and the remote end for accept is `src` too: the tuple is
/// always client → server when known (`src` = client), as sysdig renders it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Sock {
    /// [`af`] family.
    pub family: u8,
    /// [`l4`] protocol.
    pub proto: u8,
    /// Source (client) address; IPv4 in the first 4 bytes.
    pub src: [u8; 16],
    /// Source port.
    pub sport: u16,
    /// Destination (server) address.
    pub dst: [u8; 16],
    /// Destination port.
    pub dport: u16,
}

impl Sock {
    /// An IPv4 tuple.
    pub fn v4(proto: u8, src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Sock {
        let mut s = Sock {
            family: af::INET,
            proto,
            sport,
            dport,
            ..Sock::default()
        };
        s.src[..4].copy_from_slice(&src);
        s.dst[..4].copy_from_slice(&dst);
        s
    }

    /// The source address.
    pub fn src_ip(&self) -> IpAddr {
        ip(self.family, &self.src)
    }

    /// The destination address.
    pub fn dst_ip(&self) -> IpAddr {
        ip(self.family, &self.dst)
    }

    /// Whether the source end is set.
    pub fn has_src(&self) -> bool {
        self.sport != 0 || self.src != [0; 16]
    }
}

fn ip(family: u8, b: &[u8; 16]) -> IpAddr {
    if family == af::INET6 {
        IpAddr::V6(Ipv6Addr::from(*b))
    } else {
        IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
    }
}

impl fmt::Display for Sock {
    /// `src:sport->dst:dport`, or `dst:dport` when only one end is known.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = |f: &mut fmt::Formatter<'_>, a: IpAddr, p: u16| match a {
            IpAddr::V6(v6) => write!(f, "[{v6}]:{p}"),
            IpAddr::V4(v4) => write!(f, "{v4}:{p}"),
        };
        if self.has_src() {
            end(f, self.src_ip(), self.sport)?;
            f.write_str("->")?;
        }
        end(f, self.dst_ip(), self.dport)
    }
}

/// The decoded parameters of a system call; six fit without allocating.
pub type Params<'a> = SmallVec<[Value<'a>; 6]>;

/// A system call, recorded once at exit.
#[derive(Clone, Debug, PartialEq)]
pub struct Syscall<'a> {
    /// x86_64 system call number.
    pub nr: u16,
    /// Return value (negative errno on failure).
    pub ret: i64,
    /// Time from enter to exit, in nanoseconds; enter time is `ts - latency`.
    pub latency: u64,
    /// Decoded parameters in the order [`syscalls::spec`] gives, or six raw arguments for calls
    /// without a decoder.
    pub params: Params<'a>,
}

/// A new task. The event's `tid`/`pid` are the parent's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Fork {
    /// The child's thread id.
    pub child_tid: u32,
    /// The child's process id (equal to the parent's pid for a new thread).
    pub child_pid: u32,
    /// Clone flags when known, 0 otherwise.
    pub flags: u64,
}

/// A thread exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Exit {
    /// Exit code as `wait` reports it (status << 8 | signal).
    pub code: i32,
    /// Whether the whole thread group is gone.
    pub group_dead: bool,
}

/// A delivered signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Signal {
    /// Signal number.
    pub sig: u32,
    /// Process that sent it, when known.
    pub sender: u32,
    /// `si_code`.
    pub code: i32,
}

/// Lost events: the recorder could not capture `count` events between `from` and the event's
/// time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Loss {
    /// CPU the loss happened on, `u16::MAX` when not per CPU, [`Loss::FILTERED`] for events a
    /// capture filter left out at record time.
    pub cpu: u16,
    /// Number of events lost.
    pub count: u64,
    /// Start of the interval, ns since the epoch.
    pub from: u64,
    /// End of the interval, ns since the epoch.
    pub to: u64,
}

/// A context switch: the event's thread leaves its CPU to `next`, with its own memory and page
/// fault counts at that moment (as sysdig's `switch` event carries them; 0 where unknown).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Switch {
    /// Thread that runs next (0: idle).
    pub next: u32,
    /// Major page faults of the thread leaving, so far.
    pub pf_major: u64,
    /// Minor page faults so far.
    pub pf_minor: u64,
    /// Virtual memory size, KiB.
    pub vm_size: u64,
    /// Resident set size, KiB.
    pub vm_rss: u64,
    /// Swapped-out memory, KiB.
    pub vm_swap: u64,
}

/// What the event's thread has used so far: CPU time in user and kernel mode, memory and page
/// faults. The recorder samples every live thread about once a second; sysdig's `procinfo`
/// carries the CPU times only. Memory fields are 0 where unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Usage {
    /// CPU time in user mode, ns.
    pub user_ns: u64,
    /// CPU time in kernel mode, ns.
    pub sys_ns: u64,
    /// Virtual memory size, KiB.
    pub vm_size: u64,
    /// Resident set size, KiB.
    pub vm_rss: u64,
    /// Swapped-out memory, KiB.
    pub vm_swap: u64,
    /// Major page faults so far.
    pub pf_major: u64,
    /// Minor page faults so far.
    pub pf_minor: u64,
}

impl Loss {
    /// The `cpu` of a loss record that counts events a capture filter left out at record time
    /// (`casefile record -w FILE FILTER`): deliberate, not a fault, but missing all the same.
    pub const FILTERED: u16 = u16::MAX - 1;
}

/// A thread and its process, as a state record or after an exec.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Process<'a> {
    /// Thread id.
    pub tid: u32,
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// Thread id inside its pid namespace.
    pub vtid: u32,
    /// Process id inside its pid namespace.
    pub vpid: u32,
    /// Real user id.
    pub uid: u32,
    /// Real group id.
    pub gid: u32,
    /// Effective user id.
    pub euid: u32,
    /// Effective group id.
    pub egid: u32,
    /// Login user id (`u32::MAX` when unset).
    pub loginuid: u32,
    /// Start time, ns since the epoch.
    pub start_ts: u64,
    /// Effective capabilities.
    pub cap_effective: u64,
    /// Namespace inodes: pid, mnt, net, uts, ipc, user, cgroup.
    pub ns: [u64; 7],
    /// Command name (`comm`, at most 16 bytes).
    pub comm: Bytes<'a>,
    /// Executable as given to exec (`argv[0]` or the filename).
    pub exe: Bytes<'a>,
    /// Resolved path of the executable.
    pub exe_path: Bytes<'a>,
    /// Arguments after `argv[0]`, each followed by a NUL.
    pub args: Bytes<'a>,
    /// Environment, `K=V` entries each followed by a NUL; empty when not captured.
    pub env: Bytes<'a>,
    /// Working directory.
    pub cwd: Bytes<'a>,
    /// cgroup path (v2, or the first v1 hierarchy's).
    pub cgroup: Bytes<'a>,
    /// Controlling terminal device number, 0 for none.
    pub tty: u32,
    /// Permitted capabilities.
    pub cap_permitted: u64,
    /// Inheritable capabilities.
    pub cap_inheritable: u64,
    /// Process group id inside its pid namespace (sysdig's `vpgid`).
    pub vpgid: u32,
    /// Where the executable came from: [`exe`] bits. Records written before these fields
    /// existed have none set, [`exe::KNOWN`] included, so readers can tell "not recorded"
    /// from "no".
    pub exe_flags: u32,
}

/// Bits of [`Process::exe_flags`] (the low ones are libs' `PPM_EXE_*` values).
pub mod exe {
    /// The executable is writable by the user that ran it (not recorded by casefile's probe).
    pub const WRITABLE: u32 = 1 << 0;
    /// The executable lives in the upper (writable) layer of an overlay file system.
    pub const UPPER_LAYER: u32 = 1 << 1;
    /// The executable is a memfd (`memfd_create`, run through its fd).
    pub const FROM_MEMFD: u32 = 1 << 2;
    /// The executable lives in a lower layer of an overlay file system.
    pub const LOWER_LAYER: u32 = 1 << 3;
    /// The writer recorded `cap_permitted`, `cap_inheritable`, `vpgid` and the bits above.
    pub const KNOWN: u32 = 1 << 31;
}

impl Process<'_> {
    /// Copies borrowed bytes.
    pub fn into_owned(self) -> Process<'static> {
        Process {
            tid: self.tid,
            pid: self.pid,
            ppid: self.ppid,
            vtid: self.vtid,
            vpid: self.vpid,
            uid: self.uid,
            gid: self.gid,
            euid: self.euid,
            egid: self.egid,
            loginuid: self.loginuid,
            start_ts: self.start_ts,
            cap_effective: self.cap_effective,
            ns: self.ns,
            comm: own(self.comm),
            exe: own(self.exe),
            exe_path: own(self.exe_path),
            args: own(self.args),
            env: own(self.env),
            cwd: own(self.cwd),
            cgroup: own(self.cgroup),
            tty: self.tty,
            cap_permitted: self.cap_permitted,
            cap_inheritable: self.cap_inheritable,
            vpgid: self.vpgid,
            exe_flags: self.exe_flags,
        }
    }
}

fn own(b: Bytes<'_>) -> Bytes<'static> {
    Cow::Owned(b.into_owned())
}

/// Kinds of file descriptor, named as sysdig's `fd.type` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum FdType {
    /// Not known.
    #[default]
    Unknown = 0,
    /// A regular file or device.
    File = 1,
    /// A directory.
    Directory = 2,
    /// An IPv4 socket.
    Ipv4 = 3,
    /// An IPv6 socket.
    Ipv6 = 4,
    /// A unix socket.
    Unix = 5,
    /// A pipe or FIFO.
    Pipe = 6,
    /// An eventfd.
    Event = 7,
    /// A signalfd.
    Signalfd = 8,
    /// An epoll instance.
    Eventpoll = 9,
    /// An inotify instance.
    Inotify = 10,
    /// A timerfd.
    Timerfd = 11,
    /// A netlink socket.
    Netlink = 12,
    /// A BPF object.
    Bpf = 13,
    /// A userfaultfd.
    Userfaultfd = 14,
    /// An io_uring instance.
    IoUring = 15,
    /// A memfd.
    Memfd = 16,
    /// A pidfd.
    Pidfd = 17,
}

impl FdType {
    /// The type for a stored number; unknown numbers read as [`FdType::Unknown`].
    pub fn from_u8(v: u8) -> FdType {
        use FdType as F;
        [
            F::Unknown,
            F::File,
            F::Directory,
            F::Ipv4,
            F::Ipv6,
            F::Unix,
            F::Pipe,
            F::Event,
            F::Signalfd,
            F::Eventpoll,
            F::Inotify,
            F::Timerfd,
            F::Netlink,
            F::Bpf,
            F::Userfaultfd,
            F::IoUring,
            F::Memfd,
            F::Pidfd,
        ]
        .get(v as usize)
        .copied()
        .unwrap_or(F::Unknown)
    }

    /// sysdig's `fd.type` name.
    pub fn name(self) -> &'static str {
        match self {
            FdType::Unknown => "unknown",
            FdType::File => "file",
            FdType::Directory => "directory",
            FdType::Ipv4 => "ipv4",
            FdType::Ipv6 => "ipv6",
            FdType::Unix => "unix",
            FdType::Pipe => "pipe",
            FdType::Event => "event",
            FdType::Signalfd => "signalfd",
            FdType::Eventpoll => "eventpoll",
            FdType::Inotify => "inotify",
            FdType::Timerfd => "timerfd",
            FdType::Netlink => "netlink",
            FdType::Bpf => "bpf",
            FdType::Userfaultfd => "userfaultfd",
            FdType::IoUring => "io_uring",
            FdType::Memfd => "memfd",
            FdType::Pidfd => "pidfd",
        }
    }

    /// sysdig's one-letter `fd.typechar`.
    pub fn typechar(self) -> char {
        match self {
            FdType::File | FdType::Memfd => 'f',
            FdType::Directory => 'd',
            FdType::Ipv4 => '4',
            FdType::Ipv6 => '6',
            FdType::Unix => 'u',
            FdType::Pipe => 'p',
            FdType::Event => 'e',
            FdType::Signalfd => 's',
            FdType::Eventpoll => 'l',
            FdType::Inotify => 'i',
            FdType::Timerfd => 't',
            FdType::Netlink => 'n',
            FdType::Bpf => 'b',
            FdType::Userfaultfd => 'U',
            FdType::IoUring => 'r',
            FdType::Pidfd => 'P',
            FdType::Unknown => 'o',
        }
    }
}

/// An open file descriptor in the state.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FdInfo<'a> {
    /// Owning process.
    pub pid: u32,
    /// Descriptor number.
    pub fd: i32,
    /// What it refers to.
    pub fd_type: FdType,
    /// `open` flags.
    pub flags: u32,
    /// Path for files, directories and unix sockets; a description otherwise.
    pub name: Bytes<'a>,
    /// Connection tuple for inet sockets.
    pub sock: Option<Sock>,
    /// Inode number, 0 when unknown.
    pub ino: u64,
}

impl FdInfo<'_> {
    /// Copies borrowed bytes.
    pub fn into_owned(self) -> FdInfo<'static> {
        FdInfo {
            pid: self.pid,
            fd: self.fd,
            fd_type: self.fd_type,
            flags: self.flags,
            name: own(self.name),
            sock: self.sock,
            ino: self.ino,
        }
    }
}

/// Container metadata, as resolved from the runtime at record time.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Container<'a> {
    /// Full container id (usually 64 hex digits).
    pub id: Bytes<'a>,
    /// Name given by the runtime.
    pub name: Bytes<'a>,
    /// Image reference.
    pub image: Bytes<'a>,
    /// Image id (digest).
    pub image_id: Bytes<'a>,
    /// Runtime: docker, containerd, cri-o, podman, libpod, systemd, ...
    pub runtime: Bytes<'a>,
    /// Labels, `key=value` entries each followed by a NUL.
    pub labels: Bytes<'a>,
    /// The cgroup path it was derived from.
    pub cgroup: Bytes<'a>,
    /// Why metadata is incomplete, empty when complete.
    pub note: Bytes<'a>,
    /// Start time, ns since the epoch, 0 when unknown.
    pub start_ts: u64,
    /// Exit time, ns since the epoch, 0 while running.
    pub exit_ts: u64,
    /// Pid of its init process, 0 when unknown.
    pub init_pid: u32,
    /// Whether it runs privileged.
    pub privileged: bool,
    /// Mounts the container was given (binds and volumes, not the runtime's own), five
    /// NUL-terminated strings each: source, destination, mode, `true`/`false` (read-write),
    /// propagation. Empty when none or when the writer predates this field.
    pub mounts: Bytes<'a>,
}

impl Container<'_> {
    /// Copies borrowed bytes.
    pub fn into_owned(self) -> Container<'static> {
        Container {
            id: own(self.id),
            name: own(self.name),
            image: own(self.image),
            image_id: own(self.image_id),
            runtime: own(self.runtime),
            labels: own(self.labels),
            cgroup: own(self.cgroup),
            note: own(self.note),
            start_ts: self.start_ts,
            exit_ts: self.exit_ts,
            init_pid: self.init_pid,
            privileged: self.privileged,
            mounts: own(self.mounts),
        }
    }

    /// Iterates the mounts as `[source, dest, mode, rw, propagation]`.
    pub fn mount_list(&self) -> impl Iterator<Item = [&[u8]; 5]> {
        let mut it = self.mounts.split(|&b| b == 0);
        std::iter::from_fn(move || {
            let m = [it.next()?, it.next()?, it.next()?, it.next()?, it.next()?];
            Some(m)
        })
    }

    /// Appends one mount to [`Container::mounts`].
    pub fn push_mount(&mut self, source: &[u8], dest: &[u8], mode: &[u8], rw: bool, prop: &[u8]) {
        let m = self.mounts.to_mut();
        for part in [
            source,
            dest,
            mode,
            if rw { b"true" } else { b"false" },
            prop,
        ] {
            m.extend(part.iter().filter(|&&b| b != 0));
            m.push(0);
        }
    }

    /// Iterates `(key, value)` label pairs.
    pub fn label_pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.labels
            .split(|&b| b == 0)
            .filter(|e| !e.is_empty())
            .map(|e| match e.iter().position(|&b| b == b'=') {
                Some(i) => (&e[..i], &e[i + 1..]),
                None => (e, &e[e.len()..]),
            })
    }
}

/// A user account.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct User<'a> {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Container the account belongs to (0 = host).
    pub container: u32,
    /// Login name.
    pub name: Bytes<'a>,
    /// Home directory.
    pub home: Bytes<'a>,
    /// Login shell.
    pub shell: Bytes<'a>,
}

impl User<'_> {
    /// Copies borrowed bytes.
    pub fn into_owned(self) -> User<'static> {
        User {
            uid: self.uid,
            gid: self.gid,
            container: self.container,
            name: own(self.name),
            home: own(self.home),
            shell: own(self.shell),
        }
    }
}

/// A group.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Group<'a> {
    /// Group id.
    pub gid: u32,
    /// Container the group belongs to (0 = host).
    pub container: u32,
    /// Group name.
    pub name: Bytes<'a>,
}

impl Group<'_> {
    /// Copies borrowed bytes.
    pub fn into_owned(self) -> Group<'static> {
        Group {
            gid: self.gid,
            container: self.container,
            name: own(self.name),
        }
    }
}

/// A network interface address.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Interface<'a> {
    /// Interface name.
    pub name: Bytes<'a>,
    /// [`af`] family.
    pub family: u8,
    /// Address (IPv4 in the first 4 bytes).
    pub addr: [u8; 16],
    /// Prefix length.
    pub prefix: u8,
}

impl Interface<'_> {
    /// Copies borrowed bytes.
    pub fn into_owned(self) -> Interface<'static> {
        Interface {
            name: own(self.name),
            family: self.family,
            addr: self.addr,
            prefix: self.prefix,
        }
    }
}
