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

mod sock;
pub mod syscall_names;
pub mod syscalls;
mod tables;

use std::borrow::Cow;

use smallvec::SmallVec;

pub use self::sock::{Sock, af, l4};
pub use self::tables::{Container, FdInfo, FdType, Group, Interface, Process, User, exe};

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
