//! The layout half of the wire format: `probe/cf_record.h` repeated as constants and
//! `#[repr(C)]` structs whose sizes and offsets are asserted against the C `_Static_assert`s.
//! The decoder in the parent module reads fields at these structs' `offset_of!`.

use std::mem::{offset_of, size_of};

/// Record kinds (`CF_KIND_*`).
pub mod kind {
    /// A system call, at exit.
    pub const SYSCALL: u16 = 1;
    /// `sched_process_fork`.
    pub const FORK: u16 = 2;
    /// `sched_process_exec`.
    pub const EXEC: u16 = 3;
    /// `sched_process_exit`.
    pub const EXIT: u16 = 4;
    /// `signal_deliver`.
    pub const SIGNAL: u16 = 5;
    /// `cgroup_mkdir` of the cgroup v2 hierarchy: not an event, a name for a cgroup id.
    pub const CGROUP: u16 = 6;
    /// A context switch (`record --sched`).
    pub const SWITCH: u16 = 7;
    /// Records of one CPU staged together (see [`crate::record::wire::records`]).
    pub const BATCH: u16 = 8;
}

/// Nanoseconds a CPU's staged records may wait before the probe writes them to the ring
/// (`CF_FLUSH_NS`, after the first of them; twice that when the timer finds the stage in use).
pub const FLUSH_NS: u64 = 5_000_000;

/// `cf_hdr.flags`: the exit had no recorded enter.
pub const F_NO_ENTER: u16 = 1;
/// `cf_hdr.flags`: recorded without the enter hook (`record --no-latency`): the arguments were
/// read at exit, and there is no enter time.
pub const F_NO_LATENCY: u16 = 2;

/// Bytes of the header every record starts with (`struct cf_hdr`).
pub const HDR_SIZE: usize = size_of::<CfHdr>();

/// Blob kinds (`CF_BLOB_*`).
pub mod blob {
    /// A user string.
    pub const STR: u8 = 1;
    /// A payload snippet.
    pub const BUF: u8 = 2;
    /// Raw `struct sockaddr` bytes.
    pub const SOCKADDR: u8 = 3;
    /// A [`super::CfTuple`].
    pub const TUPLE: u8 = 4;
    /// One or two u64 values.
    pub const U64: u8 = 5;
}

/// Capture sources in a descriptor (`CF_SRC_*`).
pub mod src {
    /// User string.
    pub const STR: u8 = 1;
    /// User buffer.
    pub const BUF: u8 = 2;
    /// An iovec array, every segment in order up to the snaplen.
    pub const IOV: u8 = 3;
    /// The iovec array of a msghdr.
    pub const MSG: u8 = 4;
    /// sockaddr with the length in an argument.
    pub const SOCKADDR: u8 = 5;
    /// sockaddr with a pointer to the length in an argument.
    pub const SOCKADDR_LENPTR: u8 = 6;
    /// Socket tuple of an fd.
    pub const TUPLE: u8 = 7;
    /// `int[2]` written by the kernel.
    pub const FDPAIR: u8 = 8;
    /// `clone_args.flags`.
    pub const CLONE3: u8 = 9;
    /// Bytes the call wrote, as many as it returned.
    pub const RETSTR: u8 = 10;
    /// One capability set of the task's credentials at exit.
    pub const CREDS: u8 = 11;
}

/// `cf_desc.io`: buffers hold returned data.
pub const IO_READ: u8 = 1;
/// Captures per syscall the probe supports.
pub const MAX_CAPS: usize = 3;
/// Size of the probe's descriptor array.
pub const MAX_NR: u32 = 512;
/// Largest snaplen the probe honours.
pub const SNAPLEN_MAX: u32 = 4096;

/// Per-CPU counter slots.
pub mod counter {
    /// Records lost because the ring buffer was full.
    pub const DROPPED: u32 = 1;
    /// Boot-clock time of the latest loss.
    pub const LAST_DROP_TS: u32 = 2;
}

/// `struct cf_hdr`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CfHdr {
    /// Record kind.
    pub kind: u16,
    /// Record size, header included.
    pub size: u16,
    /// CPU.
    pub cpu: u16,
    /// `F_*` flags.
    pub flags: u16,
    /// Thread id.
    pub tid: u32,
    /// Process id.
    pub pid: u32,
    /// Boot-clock nanoseconds.
    pub ts: u64,
    /// cgroup v2 id.
    pub cgroup_id: u64,
}

/// `struct cf_syscall`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CfSyscall {
    /// Header (exit time).
    pub hdr: CfHdr,
    /// Enter time.
    pub enter_ts: u64,
    /// Return value.
    pub ret: i64,
    /// Raw arguments.
    pub args: [u64; 6],
    /// Syscall number.
    pub nr: u16,
    /// Blobs that follow.
    pub nblob: u16,
    /// Padding.
    pub pad: u32,
}

/// `struct cf_blob`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CfBlob {
    /// Parameter index.
    pub param: u8,
    /// Blob kind.
    pub kind: u8,
    /// Data length.
    pub len: u16,
    /// Negative errno if the memory could not be read.
    pub err: i32,
}

/// `struct cf_tuple`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CfTuple {
    /// Address family.
    pub family: u16,
    /// IP protocol.
    pub proto: u16,
    /// Local port.
    pub lport: u16,
    /// Remote port.
    pub rport: u16,
    /// Local address.
    pub laddr: [u8; 16],
    /// Remote address.
    pub raddr: [u8; 16],
}

/// `struct cf_fork`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CfFork {
    /// Header (the parent's).
    pub hdr: CfHdr,
    /// Child thread id.
    pub child_tid: u32,
    /// Child process id.
    pub child_pid: u32,
    /// Clone flags, 0 when unknown.
    pub clone_flags: u64,
}

/// `struct cf_exec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CfExec {
    /// Header.
    pub hdr: CfHdr,
    /// Parent process id.
    pub ppid: u32,
    /// Thread id in its pid namespace.
    pub vtid: u32,
    /// Process id in its pid namespace.
    pub vpid: u32,
    /// Real uid.
    pub uid: u32,
    /// Real gid.
    pub gid: u32,
    /// Effective uid.
    pub euid: u32,
    /// Effective gid.
    pub egid: u32,
    /// Login uid.
    pub loginuid: u32,
    /// Task start (boot clock).
    pub start_ts: u64,
    /// Effective capabilities.
    pub cap_effective: u64,
    /// Namespace inodes.
    pub ns: [u64; 7],
    /// comm.
    pub comm: [u8; 16],
    /// Filename bytes that follow.
    pub filename_len: u16,
    /// argv bytes that follow the filename.
    pub args_len: u16,
    /// Environment bytes that follow argv (0 unless requested).
    pub env_len: u16,
    /// Working-directory bytes that follow the environment (components innermost first).
    pub cwd_len: u16,
    /// Controlling terminal (`tty_nr` encoding), 0 for none.
    pub tty: u32,
    /// `CF_EXE_*`: where the executable came from ([`capture_format::schema::exe`] bits).
    pub exe_flags: u32,
    /// Permitted capabilities.
    pub cap_permitted: u64,
    /// Inheritable capabilities.
    pub cap_inheritable: u64,
    /// Process group id in the task's pid namespace.
    pub vpgid: u32,
    /// Padding.
    pub pad: u32,
}

/// `struct cf_exit`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CfExit {
    /// Header.
    pub hdr: CfHdr,
    /// `task->exit_code`.
    pub code: i32,
    /// Whether the thread group is gone.
    pub group_dead: u32,
}

/// `struct cf_cgroup`, followed by the path.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CfCgroup {
    /// Header (the task that made the cgroup).
    pub hdr: CfHdr,
    /// The new cgroup's id.
    pub id: u64,
    /// Bytes of path after the fixed part.
    pub path_len: u32,
    /// Padding.
    pub pad: u32,
}

/// `struct cf_switch`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CfSwitch {
    /// Header (the thread leaving its CPU).
    pub hdr: CfHdr,
    /// The thread that runs next, 0 for idle.
    pub next_tid: u32,
    /// Padding.
    pub pad: u32,
    /// Major page faults of the leaving thread so far.
    pub pf_major: u64,
    /// Minor page faults so far.
    pub pf_minor: u64,
    /// Its process's virtual memory, KiB.
    pub vm_size: u64,
    /// Resident memory, KiB.
    pub vm_rss: u64,
    /// Swapped-out memory, KiB.
    pub vm_swap: u64,
}

/// `struct cf_signal`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CfSignal {
    /// Header (the receiving thread).
    pub hdr: CfHdr,
    /// Signal number.
    pub sig: u32,
    /// Sending pid, 0 when not sent by a process.
    pub sender: u32,
    /// `si_code`.
    pub code: i32,
    /// Padding.
    pub pad: u32,
}

/// `struct cf_cap`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CfCap {
    /// Parameter index in the syscall table.
    pub param: u8,
    /// `src::*`.
    pub src: u8,
    /// First argument index.
    pub a: u8,
    /// Second argument index.
    pub b: u8,
}

/// `struct cf_desc`: what the probe captures for one syscall.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CfDesc {
    /// Captures in use.
    pub ncap: u8,
    /// `IO_READ` or 0.
    pub io: u8,
    /// Padding.
    pub pad: [u8; 2],
    /// The captures.
    pub cap: [CfCap; MAX_CAPS],
}

// The same numbers as the `_Static_assert`s in probe/cf_record.h.
const _: () = assert!(size_of::<CfHdr>() == 32);
const _: () = assert!(size_of::<CfSyscall>() == 104);
const _: () = assert!(size_of::<CfBlob>() == 8);
const _: () = assert!(size_of::<CfTuple>() == 40);
const _: () = assert!(size_of::<CfFork>() == 48);
const _: () = assert!(size_of::<CfExec>() == 192);
const _: () = assert!(size_of::<CfExit>() == 40);
const _: () = assert!(size_of::<CfSignal>() == 48);
const _: () = assert!(size_of::<CfSwitch>() == 80);
const _: () = assert!(size_of::<CfCap>() == 4);
const _: () = assert!(size_of::<CfDesc>() == 16);
const _: () = assert!(offset_of!(CfSyscall, nr) == 96);
const _: () = assert!(offset_of!(CfExec, ns) == 80);
const _: () = assert!(offset_of!(CfExec, filename_len) == 152);
const _: () = assert!(offset_of!(CfExec, env_len) == 156);
const _: () = assert!(offset_of!(CfExec, cwd_len) == 158);
const _: () = assert!(offset_of!(CfExec, tty) == 160);
const _: () = assert!(offset_of!(CfExec, exe_flags) == 164);
const _: () = assert!(offset_of!(CfExec, cap_permitted) == 168);
const _: () = assert!(offset_of!(CfExec, vpgid) == 184);
