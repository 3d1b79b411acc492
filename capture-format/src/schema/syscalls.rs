//! The system call table: name, category and decoded parameters of each x86_64 system call.
//!
//! This table is the single source of truth for what a [`Syscall`](super::Syscall) record's
//! parameters mean. The recorder uses [`Src`] to know which raw argument (and which user memory)
//! each parameter comes from; the scap importer fills the same positions from sysdig's
//! parameters; replay and the filter language read parameters by name through it.
//!
//! Calls not listed in [`DECODED`] are stored with six raw arguments named `arg0`..`arg5`.

use super::syscall_names::{SYSCALL_COUNT, SYSCALL_NAMES};

/// How a parameter's value is to be read and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    /// A file descriptor number.
    Fd,
    /// A signed integer.
    Int,
    /// An unsigned integer.
    Uint,
    /// An address or opaque 64-bit value, shown in hex.
    Hex,
    /// A byte count.
    Size,
    /// A file system path (relative ones resolve against a dirfd or the cwd).
    Path,
    /// A string that is not a path.
    Str,
    /// A payload snippet (I/O data), at most the snaplen.
    Buffer,
    /// A socket address or connection tuple.
    Sock,
    /// `open` flags (`O_*`).
    OpenFlags,
    /// A file mode (`0644`).
    Mode,
    /// A user id.
    Uid,
    /// A group id.
    Gid,
    /// A process or thread id.
    Pid,
    /// A signal number.
    Signal,
    /// `clone` / `unshare` / `setns` flags (`CLONE_*`).
    CloneFlags,
    /// `mmap`/`mprotect` protection (`PROT_*`).
    Prot,
    /// `mmap` flags (`MAP_*`).
    MmapFlags,
    /// Socket address family.
    Family,
    /// Socket type (`SOCK_*`).
    SockType,
    /// `fcntl` command.
    FcntlCmd,
    /// `*at` flags (`AT_*`).
    AtFlags,
    /// `mount` flags (`MS_*`).
    MountFlags,
    /// `ptrace` request.
    PtraceReq,
    /// `bpf` command.
    BpfCmd,
}

/// Where a parameter comes from in the raw system call. The recorder follows it; other
/// producers (the importer) fill the same positions from their own sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    /// The raw argument at this index, as an integer.
    Arg(u8),
    /// A NUL-terminated user string pointed to by this argument.
    Str(u8),
    /// A user buffer pointed to by `ptr`: for reads its valid length is the return value, for
    /// writes the argument `len`. Truncated to the snaplen.
    Buf {
        /// Argument holding the pointer.
        ptr: u8,
        /// Argument holding the length.
        len: u8,
    },
    /// The first bytes of an `iovec` array (`ptr`, `cnt`), as for `readv`/`writev`.
    Iov {
        /// Argument holding the iovec pointer.
        ptr: u8,
        /// Argument holding the iovec count.
        cnt: u8,
    },
    /// The first bytes of the data of a `msghdr` at this argument.
    Msg(u8),
    /// A `sockaddr` at `ptr` of length `len` (an argument, or a pointer to a length when
    /// `len_ptr`).
    SockAddr {
        /// Argument holding the pointer.
        ptr: u8,
        /// Argument holding the length or its address.
        len: u8,
        /// Whether `len` is a pointer to the length (accept, recvfrom).
        len_ptr: bool,
    },
    /// The connection tuple of the socket behind the fd in this argument, read from the kernel
    /// at exit; `255` means the returned fd (accept).
    Tuple(u8),
    /// Two ints written by the kernel at the pointer in this argument (pipe, socketpair).
    FdPair(u8),
    /// The `flags` field of a `clone_args` struct at this argument (clone3).
    Clone3Flags(u8),
    /// One capability set of the calling thread's credentials at exit (after the call took
    /// effect): 0 inheritable, 1 permitted, 2 effective (capset).
    Creds(u8),
}

/// Broad class of a call, as sysdig's `evt.category` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// File system.
    File,
    /// Network.
    Net,
    /// Processes and threads.
    Process,
    /// IPC and fd plumbing.
    Ipc,
    /// Memory.
    Memory,
    /// Signals.
    Signal,
    /// Time and sleeping.
    Time,
    /// Security-relevant system administration (modules, bpf, mounts).
    System,
    /// Everything else.
    Other,
}

impl Category {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Category::File => "file",
            Category::Net => "net",
            Category::Process => "process",
            Category::Ipc => "ipc",
            Category::Memory => "memory",
            Category::Signal => "signal",
            Category::Time => "time",
            Category::System => "system",
            Category::Other => "other",
        }
    }
}

/// Bit flags describing what a call does with its fd.
pub mod io {
    /// Reads data (`evt.is_io_read`).
    pub const READ: u8 = 1;
    /// Writes data (`evt.is_io_write`).
    pub const WRITE: u8 = 2;
    /// Returns a new fd.
    pub const CREATES_FD: u8 = 4;
    /// Closes the fd in parameter 0.
    pub const CLOSES_FD: u8 = 8;
    /// Waits (`evt.is_wait`).
    pub const WAIT: u8 = 16;
}

/// One parameter of a decoded call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    /// Name, as in `evt.arg.NAME`.
    pub name: &'static str,
    /// How to read and show it.
    pub ty: ParamType,
    /// Where it comes from.
    pub src: Src,
}

/// What casefile knows of one system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallSpec {
    /// x86_64 number.
    pub nr: u16,
    /// Name.
    pub name: &'static str,
    /// Category.
    pub category: Category,
    /// Decoded parameters, in stored order.
    pub params: &'static [ParamSpec],
    /// Type of the return value.
    pub ret: ParamType,
    /// [`io`] flags.
    pub io: u8,
    /// Whether the call is decoded (false: six raw arguments).
    pub decoded: bool,
}

const fn p(name: &'static str, ty: ParamType, src: Src) -> ParamSpec {
    ParamSpec { name, ty, src }
}

use ParamType as T;
use Src as S;

const RAW: &[ParamSpec] = &[
    p("arg0", T::Hex, S::Arg(0)),
    p("arg1", T::Hex, S::Arg(1)),
    p("arg2", T::Hex, S::Arg(2)),
    p("arg3", T::Hex, S::Arg(3)),
    p("arg4", T::Hex, S::Arg(4)),
    p("arg5", T::Hex, S::Arg(5)),
];

const fn d(
    nr: u16,
    name: &'static str,
    category: Category,
    params: &'static [ParamSpec],
    ret: ParamType,
    io: u8,
) -> SyscallSpec {
    SyscallSpec {
        nr,
        name,
        category,
        params,
        ret,
        io,
        decoded: true,
    }
}

use Category as C;

const FD0: ParamSpec = p("fd", T::Fd, S::Arg(0));
const RD_BUF: ParamSpec = p("data", T::Buffer, S::Buf { ptr: 1, len: 2 });
const SIZE2: ParamSpec = p("size", T::Size, S::Arg(2));
const POS3: ParamSpec = p("pos", T::Int, S::Arg(3));
const IOV: ParamSpec = p("data", T::Buffer, S::Iov { ptr: 1, cnt: 2 });
const TUPLE0: ParamSpec = p("tuple", T::Sock, S::Tuple(0));

/// Every decoded call. Numbers are x86_64; names follow the kernel.
pub static DECODED: &[SyscallSpec] = &[
    // --- file
    d(0, "read", C::File, &[FD0, RD_BUF, SIZE2], T::Size, io::READ),
    d(
        1,
        "write",
        C::File,
        &[FD0, RD_BUF, SIZE2],
        T::Size,
        io::WRITE,
    ),
    d(
        2,
        "open",
        C::File,
        &[
            p("name", T::Path, S::Str(0)),
            p("flags", T::OpenFlags, S::Arg(1)),
            p("mode", T::Mode, S::Arg(2)),
        ],
        T::Fd,
        io::CREATES_FD,
    ),
    d(3, "close", C::File, &[FD0], T::Int, io::CLOSES_FD),
    d(
        4,
        "stat",
        C::File,
        &[p("path", T::Path, S::Str(0))],
        T::Int,
        0,
    ),
    d(5, "fstat", C::File, &[FD0], T::Int, 0),
    d(
        6,
        "lstat",
        C::File,
        &[p("path", T::Path, S::Str(0))],
        T::Int,
        0,
    ),
    d(
        17,
        "pread64",
        C::File,
        &[FD0, RD_BUF, SIZE2, POS3],
        T::Size,
        io::READ,
    ),
    d(
        18,
        "pwrite64",
        C::File,
        &[FD0, RD_BUF, SIZE2, POS3],
        T::Size,
        io::WRITE,
    ),
    d(19, "readv", C::File, &[FD0, IOV], T::Size, io::READ),
    d(20, "writev", C::File, &[FD0, IOV], T::Size, io::WRITE),
    d(
        21,
        "access",
        C::File,
        &[p("name", T::Path, S::Str(0)), p("mode", T::Int, S::Arg(1))],
        T::Int,
        0,
    ),
    d(
        76,
        "truncate",
        C::File,
        &[
            p("path", T::Path, S::Str(0)),
            p("length", T::Int, S::Arg(1)),
        ],
        T::Int,
        0,
    ),
    d(
        77,
        "ftruncate",
        C::File,
        &[FD0, p("length", T::Int, S::Arg(1))],
        T::Int,
        0,
    ),
    d(
        82,
        "rename",
        C::File,
        &[
            p("oldpath", T::Path, S::Str(0)),
            p("newpath", T::Path, S::Str(1)),
        ],
        T::Int,
        0,
    ),
    d(
        83,
        "mkdir",
        C::File,
        &[p("path", T::Path, S::Str(0)), p("mode", T::Mode, S::Arg(1))],
        T::Int,
        0,
    ),
    d(
        84,
        "rmdir",
        C::File,
        &[p("path", T::Path, S::Str(0))],
        T::Int,
        0,
    ),
    d(
        85,
        "creat",
        C::File,
        &[p("name", T::Path, S::Str(0)), p("mode", T::Mode, S::Arg(1))],
        T::Fd,
        io::CREATES_FD,
    ),
    d(
        86,
        "link",
        C::File,
        &[
            p("oldpath", T::Path, S::Str(0)),
            p("newpath", T::Path, S::Str(1)),
        ],
        T::Int,
        0,
    ),
    d(
        87,
        "unlink",
        C::File,
        &[p("path", T::Path, S::Str(0))],
        T::Int,
        0,
    ),
    d(
        88,
        "symlink",
        C::File,
        &[
            p("target", T::Str, S::Str(0)),
            p("linkpath", T::Path, S::Str(1)),
        ],
        T::Int,
        0,
    ),
    d(
        90,
        "chmod",
        C::File,
        &[
            p("filename", T::Path, S::Str(0)),
            p("mode", T::Mode, S::Arg(1)),
        ],
        T::Int,
        0,
    ),
    d(
        91,
        "fchmod",
        C::File,
        &[FD0, p("mode", T::Mode, S::Arg(1))],
        T::Int,
        0,
    ),
    d(
        92,
        "chown",
        C::File,
        &[
            p("path", T::Path, S::Str(0)),
            p("uid", T::Uid, S::Arg(1)),
            p("gid", T::Gid, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    d(
        93,
        "fchown",
        C::File,
        &[
            FD0,
            p("uid", T::Uid, S::Arg(1)),
            p("gid", T::Gid, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    d(
        94,
        "lchown",
        C::File,
        &[
            p("path", T::Path, S::Str(0)),
            p("uid", T::Uid, S::Arg(1)),
            p("gid", T::Gid, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    d(
        257,
        "openat",
        C::File,
        &[
            p("dirfd", T::Fd, S::Arg(0)),
            p("name", T::Path, S::Str(1)),
            p("flags", T::OpenFlags, S::Arg(2)),
            p("mode", T::Mode, S::Arg(3)),
        ],
        T::Fd,
        io::CREATES_FD,
    ),
    d(
        258,
        "mkdirat",
        C::File,
        &[
            p("dirfd", T::Fd, S::Arg(0)),
            p("path", T::Path, S::Str(1)),
            p("mode", T::Mode, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    d(
        260,
        "fchownat",
        C::File,
        &[
            p("dirfd", T::Fd, S::Arg(0)),
            p("pathname", T::Path, S::Str(1)),
            p("uid", T::Uid, S::Arg(2)),
            p("gid", T::Gid, S::Arg(3)),
            p("flags", T::AtFlags, S::Arg(4)),
        ],
        T::Int,
        0,
    ),
    d(
        262,
        "newfstatat",
        C::File,
        &[
            p("dirfd", T::Fd, S::Arg(0)),
            p("path", T::Path, S::Str(1)),
            p("flags", T::AtFlags, S::Arg(3)),
        ],
        T::Int,
        0,
    ),
    d(
        263,
        "unlinkat",
        C::File,
        &[
            p("dirfd", T::Fd, S::Arg(0)),
            p("name", T::Path, S::Str(1)),
            p("flags", T::AtFlags, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    d(
        264,
        "renameat",
        C::File,
        &[
            p("olddirfd", T::Fd, S::Arg(0)),
            p("oldpath", T::Path, S::Str(1)),
            p("newdirfd", T::Fd, S::Arg(2)),
            p("newpath", T::Path, S::Str(3)),
        ],
        T::Int,
        0,
    ),
    d(
        265,
        "linkat",
        C::File,
        &[
            p("olddir", T::Fd, S::Arg(0)),
            p("oldpath", T::Path, S::Str(1)),
            p("newdir", T::Fd, S::Arg(2)),
            p("newpath", T::Path, S::Str(3)),
            p("flags", T::AtFlags, S::Arg(4)),
        ],
        T::Int,
        0,
    ),
    d(
        266,
        "symlinkat",
        C::File,
        &[
            p("target", T::Str, S::Str(0)),
            p("linkdirfd", T::Fd, S::Arg(1)),
            p("linkpath", T::Path, S::Str(2)),
        ],
        T::Int,
        0,
    ),
    d(
        268,
        "fchmodat",
        C::File,
        &[
            p("dirfd", T::Fd, S::Arg(0)),
            p("filename", T::Path, S::Str(1)),
            p("mode", T::Mode, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    d(
        269,
        "faccessat",
        C::File,
        &[
            p("dirfd", T::Fd, S::Arg(0)),
            p("pathname", T::Path, S::Str(1)),
            p("mode", T::Int, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    d(
        295,
        "preadv",
        C::File,
        &[FD0, IOV, p("pos", T::Int, S::Arg(3))],
        T::Size,
        io::READ,
    ),
    d(
        296,
        "pwritev",
        C::File,
        &[FD0, IOV, p("pos", T::Int, S::Arg(3))],
        T::Size,
        io::WRITE,
    ),
    d(
        316,
        "renameat2",
        C::File,
        &[
            p("olddirfd", T::Fd, S::Arg(0)),
            p("oldpath", T::Path, S::Str(1)),
            p("newdirfd", T::Fd, S::Arg(2)),
            p("newpath", T::Path, S::Str(3)),
            p("flags", T::Uint, S::Arg(4)),
        ],
        T::Int,
        0,
    ),
    d(
        332,
        "statx",
        C::File,
        &[
            p("dirfd", T::Fd, S::Arg(0)),
            p("path", T::Path, S::Str(1)),
            p("flags", T::AtFlags, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    d(
        437,
        "openat2",
        C::File,
        &[p("dirfd", T::Fd, S::Arg(0)), p("name", T::Path, S::Str(1))],
        T::Fd,
        io::CREATES_FD,
    ),
    d(
        439,
        "faccessat2",
        C::File,
        &[
            p("dirfd", T::Fd, S::Arg(0)),
            p("pathname", T::Path, S::Str(1)),
            p("mode", T::Int, S::Arg(2)),
            p("flags", T::AtFlags, S::Arg(3)),
        ],
        T::Int,
        0,
    ),
    d(
        452,
        "fchmodat2",
        C::File,
        &[
            p("dirfd", T::Fd, S::Arg(0)),
            p("filename", T::Path, S::Str(1)),
            p("mode", T::Mode, S::Arg(2)),
            p("flags", T::AtFlags, S::Arg(3)),
        ],
        T::Int,
        0,
    ),
    d(
        319,
        "memfd_create",
        C::File,
        &[p("name", T::Str, S::Str(0)), p("flags", T::Uint, S::Arg(1))],
        T::Fd,
        io::CREATES_FD,
    ),
    // --- memory
    d(
        9,
        "mmap",
        C::Memory,
        &[
            p("addr", T::Hex, S::Arg(0)),
            p("length", T::Size, S::Arg(1)),
            p("prot", T::Prot, S::Arg(2)),
            p("flags", T::MmapFlags, S::Arg(3)),
            p("fd", T::Fd, S::Arg(4)),
            p("offset", T::Uint, S::Arg(5)),
        ],
        T::Hex,
        0,
    ),
    d(
        10,
        "mprotect",
        C::Memory,
        &[
            p("addr", T::Hex, S::Arg(0)),
            p("length", T::Size, S::Arg(1)),
            p("prot", T::Prot, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    // --- fd plumbing
    d(
        22,
        "pipe",
        C::Ipc,
        &[p("fds", T::Fd, S::FdPair(0))],
        T::Int,
        io::CREATES_FD,
    ),
    d(
        293,
        "pipe2",
        C::Ipc,
        &[
            p("fds", T::Fd, S::FdPair(0)),
            p("flags", T::OpenFlags, S::Arg(1)),
        ],
        T::Int,
        io::CREATES_FD,
    ),
    d(
        32,
        "dup",
        C::Ipc,
        &[p("oldfd", T::Fd, S::Arg(0))],
        T::Fd,
        io::CREATES_FD,
    ),
    d(
        33,
        "dup2",
        C::Ipc,
        &[p("oldfd", T::Fd, S::Arg(0)), p("newfd", T::Fd, S::Arg(1))],
        T::Fd,
        io::CREATES_FD,
    ),
    d(
        292,
        "dup3",
        C::Ipc,
        &[
            p("oldfd", T::Fd, S::Arg(0)),
            p("newfd", T::Fd, S::Arg(1)),
            p("flags", T::OpenFlags, S::Arg(2)),
        ],
        T::Fd,
        io::CREATES_FD,
    ),
    d(
        72,
        "fcntl",
        C::Ipc,
        &[
            FD0,
            p("cmd", T::FcntlCmd, S::Arg(1)),
            p("arg", T::Uint, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    d(
        284,
        "eventfd",
        C::Ipc,
        &[p("initval", T::Uint, S::Arg(0))],
        T::Fd,
        io::CREATES_FD,
    ),
    d(
        290,
        "eventfd2",
        C::Ipc,
        &[
            p("initval", T::Uint, S::Arg(0)),
            p("flags", T::Uint, S::Arg(1)),
        ],
        T::Fd,
        io::CREATES_FD,
    ),
    d(
        291,
        "epoll_create1",
        C::Ipc,
        &[p("flags", T::Uint, S::Arg(0))],
        T::Fd,
        io::CREATES_FD,
    ),
    d(
        213,
        "epoll_create",
        C::Ipc,
        &[p("size", T::Int, S::Arg(0))],
        T::Fd,
        io::CREATES_FD,
    ),
    d(
        283,
        "timerfd_create",
        C::Ipc,
        &[
            p("clockid", T::Int, S::Arg(0)),
            p("flags", T::Uint, S::Arg(1)),
        ],
        T::Fd,
        io::CREATES_FD,
    ),
    d(
        294,
        "inotify_init1",
        C::Ipc,
        &[p("flags", T::Uint, S::Arg(0))],
        T::Fd,
        io::CREATES_FD,
    ),
    d(289, "signalfd4", C::Ipc, &[FD0], T::Fd, io::CREATES_FD),
    d(
        434,
        "pidfd_open",
        C::Ipc,
        &[p("pid", T::Pid, S::Arg(0)), p("flags", T::Uint, S::Arg(1))],
        T::Fd,
        io::CREATES_FD,
    ),
    // --- network
    d(
        41,
        "socket",
        C::Net,
        &[
            p("domain", T::Family, S::Arg(0)),
            p("type", T::SockType, S::Arg(1)),
            p("proto", T::Int, S::Arg(2)),
        ],
        T::Fd,
        io::CREATES_FD,
    ),
    d(
        42,
        "connect",
        C::Net,
        &[
            FD0,
            p(
                "addr",
                T::Sock,
                S::SockAddr {
                    ptr: 1,
                    len: 2,
                    len_ptr: false,
                },
            ),
            TUPLE0,
        ],
        T::Int,
        0,
    ),
    d(
        43,
        "accept",
        C::Net,
        &[FD0, p("tuple", T::Sock, S::Tuple(255))],
        T::Fd,
        io::CREATES_FD | io::WAIT,
    ),
    d(
        44,
        "sendto",
        C::Net,
        &[
            FD0,
            RD_BUF,
            SIZE2,
            TUPLE0,
            p(
                "addr",
                T::Sock,
                S::SockAddr {
                    ptr: 4,
                    len: 5,
                    len_ptr: false,
                },
            ),
        ],
        T::Size,
        io::WRITE,
    ),
    d(
        45,
        "recvfrom",
        C::Net,
        &[
            FD0,
            RD_BUF,
            SIZE2,
            TUPLE0,
            p(
                "addr",
                T::Sock,
                S::SockAddr {
                    ptr: 4,
                    len: 5,
                    len_ptr: true,
                },
            ),
        ],
        T::Size,
        io::READ,
    ),
    d(
        46,
        "sendmsg",
        C::Net,
        &[FD0, p("data", T::Buffer, S::Msg(1)), TUPLE0],
        T::Size,
        io::WRITE,
    ),
    d(
        47,
        "recvmsg",
        C::Net,
        &[FD0, p("data", T::Buffer, S::Msg(1)), TUPLE0],
        T::Size,
        io::READ,
    ),
    d(
        48,
        "shutdown",
        C::Net,
        &[FD0, p("how", T::Int, S::Arg(1))],
        T::Int,
        0,
    ),
    d(
        49,
        "bind",
        C::Net,
        &[
            FD0,
            p(
                "addr",
                T::Sock,
                S::SockAddr {
                    ptr: 1,
                    len: 2,
                    len_ptr: false,
                },
            ),
        ],
        T::Int,
        0,
    ),
    d(
        50,
        "listen",
        C::Net,
        &[FD0, p("backlog", T::Int, S::Arg(1))],
        T::Int,
        0,
    ),
    d(
        53,
        "socketpair",
        C::Net,
        &[
            p("domain", T::Family, S::Arg(0)),
            p("type", T::SockType, S::Arg(1)),
            p("proto", T::Int, S::Arg(2)),
            p("fds", T::Fd, S::FdPair(3)),
        ],
        T::Int,
        io::CREATES_FD,
    ),
    d(
        288,
        "accept4",
        C::Net,
        &[
            FD0,
            p("tuple", T::Sock, S::Tuple(255)),
            p("flags", T::Uint, S::Arg(3)),
        ],
        T::Fd,
        io::CREATES_FD | io::WAIT,
    ),
    // --- process
    d(
        56,
        "clone",
        C::Process,
        &[p("flags", T::CloneFlags, S::Arg(0))],
        T::Pid,
        0,
    ),
    d(57, "fork", C::Process, &[], T::Pid, 0),
    d(58, "vfork", C::Process, &[], T::Pid, 0),
    d(
        435,
        "clone3",
        C::Process,
        &[p("flags", T::CloneFlags, S::Clone3Flags(0))],
        T::Pid,
        0,
    ),
    d(
        59,
        "execve",
        C::Process,
        &[p("filename", T::Path, S::Str(0))],
        T::Int,
        0,
    ),
    d(
        322,
        "execveat",
        C::Process,
        &[
            p("dirfd", T::Fd, S::Arg(0)),
            p("filename", T::Path, S::Str(1)),
            p("flags", T::AtFlags, S::Arg(4)),
        ],
        T::Int,
        0,
    ),
    d(
        60,
        "exit",
        C::Process,
        &[p("status", T::Int, S::Arg(0))],
        T::Int,
        0,
    ),
    d(
        231,
        "exit_group",
        C::Process,
        &[p("status", T::Int, S::Arg(0))],
        T::Int,
        0,
    ),
    d(
        62,
        "kill",
        C::Signal,
        &[p("pid", T::Pid, S::Arg(0)), p("sig", T::Signal, S::Arg(1))],
        T::Int,
        0,
    ),
    d(
        200,
        "tkill",
        C::Signal,
        &[p("tid", T::Pid, S::Arg(0)), p("sig", T::Signal, S::Arg(1))],
        T::Int,
        0,
    ),
    d(
        234,
        "tgkill",
        C::Signal,
        &[
            p("pid", T::Pid, S::Arg(0)),
            p("tid", T::Pid, S::Arg(1)),
            p("sig", T::Signal, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    d(
        105,
        "setuid",
        C::Process,
        &[p("uid", T::Uid, S::Arg(0))],
        T::Int,
        0,
    ),
    d(
        106,
        "setgid",
        C::Process,
        &[p("gid", T::Gid, S::Arg(0))],
        T::Int,
        0,
    ),
    d(
        113,
        "setreuid",
        C::Process,
        &[p("ruid", T::Uid, S::Arg(0)), p("euid", T::Uid, S::Arg(1))],
        T::Int,
        0,
    ),
    d(
        114,
        "setregid",
        C::Process,
        &[p("rgid", T::Gid, S::Arg(0)), p("egid", T::Gid, S::Arg(1))],
        T::Int,
        0,
    ),
    d(
        117,
        "setresuid",
        C::Process,
        &[
            p("ruid", T::Uid, S::Arg(0)),
            p("euid", T::Uid, S::Arg(1)),
            p("suid", T::Uid, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    d(
        119,
        "setresgid",
        C::Process,
        &[
            p("rgid", T::Gid, S::Arg(0)),
            p("egid", T::Gid, S::Arg(1)),
            p("sgid", T::Gid, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    d(
        122,
        "setfsuid",
        C::Process,
        &[p("uid", T::Uid, S::Arg(0))],
        T::Int,
        0,
    ),
    d(
        123,
        "setfsgid",
        C::Process,
        &[p("gid", T::Gid, S::Arg(0))],
        T::Int,
        0,
    ),
    d(
        308,
        "setns",
        C::Process,
        &[FD0, p("nstype", T::CloneFlags, S::Arg(1))],
        T::Int,
        0,
    ),
    d(
        272,
        "unshare",
        C::Process,
        &[p("flags", T::CloneFlags, S::Arg(0))],
        T::Int,
        0,
    ),
    d(
        126,
        "capset",
        C::Process,
        &[
            p("cap_inheritable", T::Hex, S::Creds(0)),
            p("cap_permitted", T::Hex, S::Creds(1)),
            p("cap_effective", T::Hex, S::Creds(2)),
        ],
        T::Int,
        0,
    ),
    d(
        101,
        "ptrace",
        C::Process,
        &[
            p("request", T::PtraceReq, S::Arg(0)),
            p("pid", T::Pid, S::Arg(1)),
        ],
        T::Int,
        0,
    ),
    d(
        80,
        "chdir",
        C::File,
        &[p("path", T::Path, S::Str(0))],
        T::Int,
        0,
    ),
    d(81, "fchdir", C::File, &[FD0], T::Int, 0),
    d(
        161,
        "chroot",
        C::File,
        &[p("path", T::Path, S::Str(0))],
        T::Int,
        0,
    ),
    d(
        165,
        "mount",
        C::System,
        &[
            p("dev", T::Path, S::Str(0)),
            p("dir", T::Path, S::Str(1)),
            p("type", T::Str, S::Str(2)),
            p("flags", T::MountFlags, S::Arg(3)),
        ],
        T::Int,
        0,
    ),
    d(
        166,
        "umount2",
        C::System,
        &[
            p("name", T::Path, S::Str(0)),
            p("flags", T::Uint, S::Arg(1)),
        ],
        T::Int,
        0,
    ),
    d(
        175,
        "init_module",
        C::System,
        &[p("len", T::Size, S::Arg(1)), p("uargs", T::Str, S::Str(2))],
        T::Int,
        0,
    ),
    d(
        313,
        "finit_module",
        C::System,
        &[
            FD0,
            p("uargs", T::Str, S::Str(1)),
            p("flags", T::Uint, S::Arg(2)),
        ],
        T::Int,
        0,
    ),
    d(
        176,
        "delete_module",
        C::System,
        &[p("name", T::Str, S::Str(0)), p("flags", T::Uint, S::Arg(1))],
        T::Int,
        0,
    ),
    d(
        321,
        "bpf",
        C::System,
        &[
            p("cmd", T::BpfCmd, S::Arg(0)),
            p("size", T::Size, S::Arg(2)),
        ],
        T::Int,
        io::CREATES_FD,
    ),
];

/// The spec of a call by number. Calls without a decoder get six raw parameters; unknown
/// numbers are named `syscall_N`... by [`name`] only.
pub fn spec(nr: u16) -> SyscallSpec {
    TABLE
        .get(nr as usize)
        .copied()
        .flatten()
        .unwrap_or(SyscallSpec {
            nr,
            name: name_static(nr),
            category: category_of_undecoded(nr),
            params: RAW,
            ret: T::Int,
            io: 0,
            decoded: false,
        })
}

/// The name of a call, `None` for numbers no known call has.
pub fn name(nr: u16) -> Option<&'static str> {
    SYSCALL_NAMES
        .get(nr as usize)
        .copied()
        .filter(|n| !n.is_empty())
}

fn name_static(nr: u16) -> &'static str {
    name(nr).unwrap_or("unknown")
}

fn category_of_undecoded(nr: u16) -> Category {
    match name_static(nr) {
        n if n.starts_with("rt_sig") || n.contains("signal") => C::Signal,
        n if n.contains("sleep") || n.contains("time") || n.contains("clock") => C::Time,
        n if n.starts_with("sched_") || n.starts_with("get") || n.starts_with("wait") => C::Process,
        n if n.contains("poll") || n.contains("select") || n.starts_with("futex") => C::Ipc,
        n if n.starts_with("mm") || n.starts_with("mun") || n.starts_with("madv") || n == "brk" => {
            C::Memory
        }
        n if n.contains("sock") || n.starts_with("send") || n.starts_with("recv") => C::Net,
        n if n.contains("stat") || n.contains("xattr") || n.contains("dents") => C::File,
        _ => C::Other,
    }
}

/// The number of a call by name.
pub fn by_name(name: &str) -> Option<u16> {
    SYSCALL_NAMES
        .iter()
        .position(|n| !n.is_empty() && *n == name)
        .map(|i| i as u16)
}

/// The index of a named parameter of call `nr`.
pub fn param_index(nr: u16, param: &str) -> Option<usize> {
    spec(nr).params.iter().position(|p| p.name == param)
}

static TABLE: [Option<SyscallSpec>; SYSCALL_COUNT] = build_table();

#[expect(
    clippy::large_stack_arrays,
    reason = "evaluated at compile time into a static"
)]
const fn build_table() -> [Option<SyscallSpec>; SYSCALL_COUNT] {
    let mut t = [None; SYSCALL_COUNT];
    let mut i = 0;
    while i < DECODED.len() {
        t[DECODED[i].nr as usize] = Some(DECODED[i]);
        i += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_names_match_the_kernel_table() {
        for s in DECODED {
            assert_eq!(name(s.nr), Some(s.name), "nr {}", s.nr);
            assert!(s.params.len() <= 8, "{} has too many params", s.name);
        }
    }

    #[test]
    fn decoded_numbers_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for s in DECODED {
            assert!(seen.insert(s.nr), "{} listed twice", s.name);
        }
    }

    #[test]
    fn undecoded_calls_have_raw_args() {
        let s = spec(by_name("getpid").expect("getpid"));
        assert!(!s.decoded);
        assert_eq!(s.params.len(), 6);
        assert_eq!(s.name, "getpid");
        assert_eq!(spec(9999).name, "unknown");
    }

    #[test]
    fn params_by_name() {
        assert_eq!(param_index(257, "name"), Some(1));
        assert_eq!(param_index(0, "data"), Some(1));
        assert_eq!(param_index(0, "nope"), None);
    }
}
