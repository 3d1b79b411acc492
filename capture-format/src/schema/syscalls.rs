//! The system call table: name, category and decoded parameters of each x86_64 system call.
//!
//! This table is the single source of truth for what a [`Syscall`](super::Syscall) record's
//! parameters mean. The recorder uses [`Src`] to know which raw argument (and which user memory)
//! each parameter comes from; the scap importer fills the same positions from sysdig's
//! parameters; replay and the filter language read parameters by name through it.
//!
//! [`DECODED`] lists the calls with hand-written decoders; [`SIGNATURES`] every other x86_64
//! call, its parameters in argument order as the kernel declares them. Numbers no known call has
//! are stored with six raw arguments named `arg0`..`arg5`.

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
    /// A string of the return value's length that the kernel wrote at the pointer in this
    /// argument (readlink's target, getcwd's path), at most 256 bytes.
    RetStr(u8),
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

/// Every call without a hand-written decoder, its parameters in the kernel's argument order
/// (so parameter `i` is argument `i`; captured memory comes after), with
/// the kernel's parameter names (sysdig's where it names them).
#[rustfmt::skip]
pub static SIGNATURES: &[SyscallSpec] = &[
    d(7, "poll", C::Ipc, &[p("ufds", T::Hex, S::Arg(0)), p("nfds", T::Uint, S::Arg(1)), p("timeout_msecs", T::Int, S::Arg(2))], T::Int, io::WAIT),
    d(8, "lseek", C::File, &[p("fd", T::Fd, S::Arg(0)), p("offset", T::Int, S::Arg(1)), p("whence", T::Uint, S::Arg(2))], T::Int, 0),
    d(11, "munmap", C::Memory, &[p("addr", T::Hex, S::Arg(0)), p("len", T::Size, S::Arg(1))], T::Int, 0),
    d(12, "brk", C::Memory, &[p("addr", T::Hex, S::Arg(0))], T::Hex, 0),
    d(13, "rt_sigaction", C::Signal, &[p("sig", T::Signal, S::Arg(0)), p("act", T::Hex, S::Arg(1)), p("oact", T::Hex, S::Arg(2)), p("sigsetsize", T::Size, S::Arg(3))], T::Int, 0),
    d(14, "rt_sigprocmask", C::Signal, &[p("how", T::Int, S::Arg(0)), p("nset", T::Hex, S::Arg(1)), p("oset", T::Hex, S::Arg(2)), p("sigsetsize", T::Size, S::Arg(3))], T::Int, 0),
    d(15, "rt_sigreturn", C::Signal, &[], T::Int, 0),
    d(16, "ioctl", C::File, &[p("fd", T::Fd, S::Arg(0)), p("request", T::Hex, S::Arg(1)), p("argument", T::Hex, S::Arg(2))], T::Int, 0),
    d(23, "select", C::Ipc, &[p("n", T::Int, S::Arg(0)), p("inp", T::Hex, S::Arg(1)), p("outp", T::Hex, S::Arg(2)), p("exp", T::Hex, S::Arg(3)), p("tvp", T::Hex, S::Arg(4))], T::Int, io::WAIT),
    d(24, "sched_yield", C::Process, &[], T::Int, 0),
    d(25, "mremap", C::Memory, &[p("addr", T::Hex, S::Arg(0)), p("old_len", T::Uint, S::Arg(1)), p("new_len", T::Uint, S::Arg(2)), p("flags", T::Uint, S::Arg(3)), p("new_addr", T::Hex, S::Arg(4))], T::Hex, 0),
    d(26, "msync", C::Memory, &[p("start", T::Hex, S::Arg(0)), p("len", T::Size, S::Arg(1)), p("flags", T::Int, S::Arg(2))], T::Int, 0),
    d(27, "mincore", C::Memory, &[p("start", T::Hex, S::Arg(0)), p("len", T::Size, S::Arg(1)), p("vec", T::Hex, S::Arg(2))], T::Int, 0),
    d(28, "madvise", C::Memory, &[p("start", T::Hex, S::Arg(0)), p("len_in", T::Size, S::Arg(1)), p("behavior", T::Int, S::Arg(2))], T::Int, 0),
    d(29, "shmget", C::Ipc, &[p("key", T::Int, S::Arg(0)), p("size", T::Size, S::Arg(1)), p("shmflg", T::Int, S::Arg(2))], T::Int, 0),
    d(30, "shmat", C::Ipc, &[p("shmid", T::Int, S::Arg(0)), p("shmaddr", T::Hex, S::Arg(1)), p("shmflg", T::Int, S::Arg(2))], T::Hex, 0),
    d(31, "shmctl", C::Ipc, &[p("shmid", T::Int, S::Arg(0)), p("cmd", T::Int, S::Arg(1)), p("buf", T::Hex, S::Arg(2))], T::Int, 0),
    d(34, "pause", C::Signal, &[], T::Int, io::WAIT),
    d(35, "nanosleep", C::Time, &[p("rqtp", T::Hex, S::Arg(0)), p("rmtp", T::Hex, S::Arg(1))], T::Int, io::WAIT),
    d(36, "getitimer", C::Time, &[p("which", T::Int, S::Arg(0)), p("value", T::Hex, S::Arg(1))], T::Int, 0),
    d(37, "alarm", C::Time, &[p("seconds", T::Uint, S::Arg(0))], T::Int, 0),
    d(38, "setitimer", C::Time, &[p("which", T::Int, S::Arg(0)), p("value", T::Hex, S::Arg(1)), p("ovalue", T::Hex, S::Arg(2))], T::Int, 0),
    d(39, "getpid", C::Process, &[], T::Pid, 0),
    d(40, "sendfile", C::File, &[p("out_fd", T::Fd, S::Arg(0)), p("in_fd", T::Fd, S::Arg(1)), p("offset", T::Hex, S::Arg(2)), p("size", T::Size, S::Arg(3))], T::Size, io::READ|io::WRITE),
    d(51, "getsockname", C::Net, &[p("fd", T::Fd, S::Arg(0)), p("usockaddr", T::Hex, S::Arg(1)), p("usockaddr_len", T::Hex, S::Arg(2))], T::Int, 0),
    d(52, "getpeername", C::Net, &[p("fd", T::Fd, S::Arg(0)), p("usockaddr", T::Hex, S::Arg(1)), p("usockaddr_len", T::Hex, S::Arg(2))], T::Int, 0),
    d(54, "setsockopt", C::Net, &[p("fd", T::Fd, S::Arg(0)), p("level", T::Int, S::Arg(1)), p("optname", T::Int, S::Arg(2)), p("optval", T::Hex, S::Arg(3)), p("optlen", T::Int, S::Arg(4))], T::Int, 0),
    d(55, "getsockopt", C::Net, &[p("fd", T::Fd, S::Arg(0)), p("level", T::Int, S::Arg(1)), p("optname", T::Int, S::Arg(2)), p("optval", T::Hex, S::Arg(3)), p("optlen", T::Hex, S::Arg(4))], T::Int, 0),
    d(61, "wait4", C::Process, &[p("upid", T::Pid, S::Arg(0)), p("stat_addr", T::Hex, S::Arg(1)), p("options", T::Int, S::Arg(2)), p("ru", T::Hex, S::Arg(3))], T::Int, io::WAIT),
    d(63, "uname", C::Other, &[p("name", T::Hex, S::Arg(0))], T::Int, 0),
    d(64, "semget", C::Ipc, &[p("key", T::Int, S::Arg(0)), p("nsems", T::Int, S::Arg(1)), p("semflg", T::Int, S::Arg(2))], T::Int, 0),
    d(65, "semop", C::Ipc, &[p("semid", T::Int, S::Arg(0)), p("tsops", T::Hex, S::Arg(1)), p("nsops", T::Uint, S::Arg(2))], T::Int, 0),
    d(66, "semctl", C::Ipc, &[p("semid", T::Int, S::Arg(0)), p("semnum", T::Int, S::Arg(1)), p("cmd", T::Int, S::Arg(2)), p("arg", T::Hex, S::Arg(3))], T::Int, 0),
    d(67, "shmdt", C::Ipc, &[p("shmaddr", T::Hex, S::Arg(0))], T::Int, 0),
    d(68, "msgget", C::Ipc, &[p("key", T::Int, S::Arg(0)), p("msgflg", T::Int, S::Arg(1))], T::Int, 0),
    d(69, "msgsnd", C::Ipc, &[p("msqid", T::Int, S::Arg(0)), p("msgp", T::Hex, S::Arg(1)), p("msgsz", T::Size, S::Arg(2)), p("msgflg", T::Int, S::Arg(3))], T::Int, 0),
    d(70, "msgrcv", C::Ipc, &[p("msqid", T::Int, S::Arg(0)), p("msgp", T::Hex, S::Arg(1)), p("msgsz", T::Size, S::Arg(2)), p("msgtyp", T::Int, S::Arg(3)), p("msgflg", T::Int, S::Arg(4))], T::Int, 0),
    d(71, "msgctl", C::Ipc, &[p("msqid", T::Int, S::Arg(0)), p("cmd", T::Int, S::Arg(1)), p("buf", T::Hex, S::Arg(2))], T::Int, 0),
    d(73, "flock", C::File, &[p("fd", T::Fd, S::Arg(0)), p("cmd", T::Uint, S::Arg(1))], T::Int, 0),
    d(74, "fsync", C::File, &[p("fd", T::Fd, S::Arg(0))], T::Int, 0),
    d(75, "fdatasync", C::File, &[p("fd", T::Fd, S::Arg(0))], T::Int, 0),
    d(78, "getdents", C::File, &[p("fd", T::Fd, S::Arg(0)), p("dirent", T::Hex, S::Arg(1)), p("count", T::Uint, S::Arg(2))], T::Size, 0),
    d(79, "getcwd", C::File, &[p("buf", T::Path, S::RetStr(0)), p("size", T::Uint, S::Arg(1))], T::Size, 0),
    d(89, "readlink", C::File, &[p("path", T::Path, S::Str(0)), p("buf", T::Str, S::RetStr(1)), p("bufsiz", T::Int, S::Arg(2))], T::Size, 0),
    d(95, "umask", C::Other, &[p("mask", T::Int, S::Arg(0))], T::Int, 0),
    d(96, "gettimeofday", C::Time, &[p("tv", T::Hex, S::Arg(0)), p("tz", T::Hex, S::Arg(1))], T::Int, 0),
    d(97, "getrlimit", C::Process, &[p("resource", T::Uint, S::Arg(0)), p("rlim", T::Hex, S::Arg(1))], T::Int, 0),
    d(98, "getrusage", C::Process, &[p("who", T::Int, S::Arg(0)), p("ru", T::Hex, S::Arg(1))], T::Int, 0),
    d(99, "sysinfo", C::Other, &[p("info", T::Hex, S::Arg(0))], T::Int, 0),
    d(100, "times", C::Time, &[p("tbuf", T::Hex, S::Arg(0))], T::Int, 0),
    d(102, "getuid", C::Process, &[], T::Uid, 0),
    d(103, "syslog", C::System, &[p("type", T::Int, S::Arg(0)), p("buf", T::Hex, S::Arg(1)), p("len", T::Int, S::Arg(2))], T::Int, 0),
    d(104, "getgid", C::Process, &[], T::Gid, 0),
    d(107, "geteuid", C::Process, &[], T::Uid, 0),
    d(108, "getegid", C::Process, &[], T::Gid, 0),
    d(109, "setpgid", C::Process, &[p("pid", T::Pid, S::Arg(0)), p("pgid", T::Pid, S::Arg(1))], T::Int, 0),
    d(110, "getppid", C::Process, &[], T::Pid, 0),
    d(111, "getpgrp", C::Process, &[], T::Pid, 0),
    d(112, "setsid", C::Process, &[], T::Pid, 0),
    d(115, "getgroups", C::Process, &[p("gidsetsize", T::Int, S::Arg(0)), p("grouplist", T::Hex, S::Arg(1))], T::Int, 0),
    d(116, "setgroups", C::Process, &[p("gidsetsize", T::Int, S::Arg(0)), p("grouplist", T::Hex, S::Arg(1))], T::Int, 0),
    d(118, "getresuid", C::Process, &[p("ruidp", T::Hex, S::Arg(0)), p("euidp", T::Hex, S::Arg(1)), p("suidp", T::Hex, S::Arg(2))], T::Int, 0),
    d(120, "getresgid", C::Process, &[p("rgidp", T::Hex, S::Arg(0)), p("egidp", T::Hex, S::Arg(1)), p("sgidp", T::Hex, S::Arg(2))], T::Int, 0),
    d(121, "getpgid", C::Process, &[p("pid", T::Pid, S::Arg(0))], T::Pid, 0),
    d(124, "getsid", C::Process, &[p("pid", T::Pid, S::Arg(0))], T::Pid, 0),
    d(125, "capget", C::Process, &[p("header", T::Hex, S::Arg(0)), p("dataptr", T::Hex, S::Arg(1))], T::Int, 0),
    d(127, "rt_sigpending", C::Signal, &[p("uset", T::Hex, S::Arg(0)), p("sigsetsize", T::Size, S::Arg(1))], T::Int, 0),
    d(128, "rt_sigtimedwait", C::Signal, &[p("uthese", T::Hex, S::Arg(0)), p("uinfo", T::Hex, S::Arg(1)), p("uts", T::Hex, S::Arg(2)), p("sigsetsize", T::Size, S::Arg(3))], T::Int, 0),
    d(129, "rt_sigqueueinfo", C::Signal, &[p("pid", T::Pid, S::Arg(0)), p("sig", T::Signal, S::Arg(1)), p("uinfo", T::Hex, S::Arg(2))], T::Int, 0),
    d(130, "rt_sigsuspend", C::Signal, &[p("unewset", T::Hex, S::Arg(0)), p("sigsetsize", T::Size, S::Arg(1))], T::Int, 0),
    d(131, "sigaltstack", C::Signal, &[p("uss", T::Hex, S::Arg(0)), p("uoss", T::Hex, S::Arg(1))], T::Int, 0),
    d(132, "utime", C::File, &[p("filename", T::Hex, S::Arg(0)), p("times", T::Hex, S::Arg(1))], T::Int, 0),
    d(133, "mknod", C::File, &[p("filename", T::Path, S::Str(0)), p("mode", T::Mode, S::Arg(1)), p("dev", T::Uint, S::Arg(2))], T::Int, 0),
    d(134, "uselib", C::Other, &[p("library", T::Path, S::Str(0))], T::Int, 0),
    d(135, "personality", C::Process, &[p("personality", T::Uint, S::Arg(0))], T::Int, 0),
    d(136, "ustat", C::File, &[p("dev", T::Uint, S::Arg(0)), p("ubuf", T::Hex, S::Arg(1))], T::Int, 0),
    d(137, "statfs", C::File, &[p("pathname", T::Path, S::Str(0)), p("buf", T::Hex, S::Arg(1))], T::Int, 0),
    d(138, "fstatfs", C::File, &[p("fd", T::Fd, S::Arg(0)), p("buf", T::Hex, S::Arg(1))], T::Int, 0),
    d(139, "sysfs", C::Other, &[p("option", T::Int, S::Arg(0)), p("arg1", T::Hex, S::Arg(1)), p("arg2", T::Hex, S::Arg(2))], T::Int, 0),
    d(140, "getpriority", C::Process, &[p("which", T::Int, S::Arg(0)), p("who", T::Int, S::Arg(1))], T::Int, 0),
    d(141, "setpriority", C::Process, &[p("which", T::Int, S::Arg(0)), p("who", T::Int, S::Arg(1)), p("niceval", T::Int, S::Arg(2))], T::Int, 0),
    d(142, "sched_setparam", C::Process, &[p("pid", T::Pid, S::Arg(0)), p("param", T::Hex, S::Arg(1))], T::Int, 0),
    d(143, "sched_getparam", C::Process, &[p("pid", T::Pid, S::Arg(0)), p("param", T::Hex, S::Arg(1))], T::Int, 0),
    d(144, "sched_setscheduler", C::Process, &[p("pid", T::Pid, S::Arg(0)), p("policy", T::Int, S::Arg(1)), p("param", T::Hex, S::Arg(2))], T::Int, 0),
    d(145, "sched_getscheduler", C::Process, &[p("pid", T::Pid, S::Arg(0))], T::Int, 0),
    d(146, "sched_get_priority_max", C::Process, &[p("policy", T::Int, S::Arg(0))], T::Int, 0),
    d(147, "sched_get_priority_min", C::Process, &[p("policy", T::Int, S::Arg(0))], T::Int, 0),
    d(148, "sched_rr_get_interval", C::Process, &[p("pid", T::Pid, S::Arg(0)), p("interval", T::Hex, S::Arg(1))], T::Int, 0),
    d(149, "mlock", C::Memory, &[p("start", T::Hex, S::Arg(0)), p("len", T::Size, S::Arg(1))], T::Int, 0),
    d(150, "munlock", C::Memory, &[p("start", T::Hex, S::Arg(0)), p("len", T::Size, S::Arg(1))], T::Int, 0),
    d(151, "mlockall", C::Memory, &[p("flags", T::Int, S::Arg(0))], T::Int, 0),
    d(152, "munlockall", C::Memory, &[], T::Int, 0),
    d(153, "vhangup", C::Other, &[], T::Int, 0),
    d(154, "modify_ldt", C::Other, &[p("func", T::Int, S::Arg(0)), p("ptr", T::Hex, S::Arg(1)), p("bytecount", T::Uint, S::Arg(2))], T::Int, 0),
    d(155, "pivot_root", C::System, &[p("new_root", T::Path, S::Str(0)), p("put_old", T::Path, S::Str(1))], T::Int, 0),
    d(156, "_sysctl", C::Other, &[p("args", T::Hex, S::Arg(0))], T::Int, 0),
    d(157, "prctl", C::Process, &[p("option", T::Int, S::Arg(0)), p("arg2", T::Hex, S::Arg(1)), p("arg3", T::Hex, S::Arg(2)), p("arg4", T::Hex, S::Arg(3)), p("arg5", T::Hex, S::Arg(4))], T::Int, 0),
    d(158, "arch_prctl", C::Process, &[p("option", T::Int, S::Arg(0)), p("arg2", T::Hex, S::Arg(1))], T::Int, 0),
    d(159, "adjtimex", C::Time, &[p("txc_p", T::Hex, S::Arg(0))], T::Int, 0),
    d(160, "setrlimit", C::Process, &[p("resource", T::Uint, S::Arg(0)), p("rlim", T::Hex, S::Arg(1))], T::Int, 0),
    d(162, "sync", C::File, &[], T::Int, 0),
    d(163, "acct", C::System, &[p("name", T::Str, S::Str(0))], T::Int, 0),
    d(164, "settimeofday", C::Time, &[p("tv", T::Hex, S::Arg(0)), p("tz", T::Hex, S::Arg(1))], T::Int, 0),
    d(167, "swapon", C::System, &[p("specialfile", T::Path, S::Str(0)), p("swap_flags", T::Int, S::Arg(1))], T::Int, 0),
    d(168, "swapoff", C::System, &[p("specialfile", T::Path, S::Str(0))], T::Int, 0),
    d(169, "reboot", C::System, &[p("magic1", T::Int, S::Arg(0)), p("magic2", T::Int, S::Arg(1)), p("cmd", T::Uint, S::Arg(2)), p("arg", T::Hex, S::Arg(3))], T::Int, 0),
    d(170, "sethostname", C::System, &[p("name", T::Hex, S::Arg(0)), p("len", T::Int, S::Arg(1))], T::Int, 0),
    d(171, "setdomainname", C::System, &[p("name", T::Hex, S::Arg(0)), p("len", T::Int, S::Arg(1))], T::Int, 0),
    d(172, "iopl", C::System, &[p("level", T::Uint, S::Arg(0))], T::Int, 0),
    d(173, "ioperm", C::System, &[p("from", T::Uint, S::Arg(0)), p("num", T::Uint, S::Arg(1)), p("turn_on", T::Int, S::Arg(2))], T::Int, 0),
    d(174, "create_module", C::Other, &[], T::Int, 0),
    d(177, "get_kernel_syms", C::Process, &[], T::Int, 0),
    d(178, "query_module", C::Other, &[], T::Int, 0),
    d(179, "quotactl", C::System, &[p("cmd", T::Uint, S::Arg(0)), p("special", T::Path, S::Str(1)), p("id", T::Uint, S::Arg(2)), p("addr", T::Hex, S::Arg(3))], T::Int, 0),
    d(180, "nfsservctl", C::Other, &[], T::Int, 0),
    d(181, "getpmsg", C::Process, &[], T::Int, 0),
    d(182, "putpmsg", C::Other, &[], T::Int, 0),
    d(183, "afs_syscall", C::Other, &[], T::Int, 0),
    d(184, "tuxcall", C::Other, &[], T::Int, 0),
    d(185, "security", C::Other, &[], T::Int, 0),
    d(186, "gettid", C::Process, &[], T::Pid, 0),
    d(187, "readahead", C::File, &[p("fd", T::Fd, S::Arg(0)), p("offset", T::Int, S::Arg(1)), p("count", T::Size, S::Arg(2))], T::Int, 0),
    d(188, "setxattr", C::Process, &[p("pathname", T::Path, S::Str(0)), p("name", T::Str, S::Str(1)), p("value", T::Hex, S::Arg(2)), p("size", T::Size, S::Arg(3)), p("flags", T::Int, S::Arg(4))], T::Int, 0),
    d(189, "lsetxattr", C::File, &[p("pathname", T::Path, S::Str(0)), p("name", T::Str, S::Str(1)), p("value", T::Hex, S::Arg(2)), p("size", T::Size, S::Arg(3)), p("flags", T::Int, S::Arg(4))], T::Int, 0),
    d(190, "fsetxattr", C::File, &[p("fd", T::Fd, S::Arg(0)), p("name", T::Str, S::Str(1)), p("value", T::Hex, S::Arg(2)), p("size", T::Size, S::Arg(3)), p("flags", T::Int, S::Arg(4))], T::Int, 0),
    d(191, "getxattr", C::File, &[p("pathname", T::Path, S::Str(0)), p("name", T::Str, S::Str(1)), p("value", T::Hex, S::Arg(2)), p("size", T::Size, S::Arg(3))], T::Int, 0),
    d(192, "lgetxattr", C::File, &[p("pathname", T::Path, S::Str(0)), p("name", T::Str, S::Str(1)), p("value", T::Hex, S::Arg(2)), p("size", T::Size, S::Arg(3))], T::Int, 0),
    d(193, "fgetxattr", C::File, &[p("fd", T::Fd, S::Arg(0)), p("name", T::Str, S::Str(1)), p("value", T::Hex, S::Arg(2)), p("size", T::Size, S::Arg(3))], T::Int, 0),
    d(194, "listxattr", C::File, &[p("pathname", T::Path, S::Str(0)), p("list", T::Hex, S::Arg(1)), p("size", T::Size, S::Arg(2))], T::Int, 0),
    d(195, "llistxattr", C::File, &[p("pathname", T::Path, S::Str(0)), p("list", T::Hex, S::Arg(1)), p("size", T::Size, S::Arg(2))], T::Int, 0),
    d(196, "flistxattr", C::File, &[p("fd", T::Fd, S::Arg(0)), p("list", T::Hex, S::Arg(1)), p("size", T::Size, S::Arg(2))], T::Int, 0),
    d(197, "removexattr", C::File, &[p("pathname", T::Path, S::Str(0)), p("name", T::Str, S::Str(1))], T::Int, 0),
    d(198, "lremovexattr", C::File, &[p("pathname", T::Path, S::Str(0)), p("name", T::Str, S::Str(1))], T::Int, 0),
    d(199, "fremovexattr", C::File, &[p("fd", T::Fd, S::Arg(0)), p("name", T::Str, S::Str(1))], T::Int, 0),
    d(201, "time", C::Time, &[p("tloc", T::Hex, S::Arg(0))], T::Int, 0),
    d(202, "futex", C::Ipc, &[p("uaddr", T::Hex, S::Arg(0)), p("op", T::Int, S::Arg(1)), p("val", T::Uint, S::Arg(2)), p("utime", T::Hex, S::Arg(3)), p("uaddr2", T::Hex, S::Arg(4)), p("val3", T::Uint, S::Arg(5))], T::Int, 0),
    d(203, "sched_setaffinity", C::Process, &[p("pid", T::Pid, S::Arg(0)), p("len", T::Uint, S::Arg(1)), p("user_mask_ptr", T::Hex, S::Arg(2))], T::Int, 0),
    d(204, "sched_getaffinity", C::Process, &[p("pid", T::Pid, S::Arg(0)), p("len", T::Uint, S::Arg(1)), p("user_mask_ptr", T::Hex, S::Arg(2))], T::Int, 0),
    d(205, "set_thread_area", C::Process, &[p("u_info", T::Hex, S::Arg(0))], T::Int, 0),
    d(206, "io_setup", C::File, &[p("nr_events", T::Uint, S::Arg(0)), p("ctxp", T::Hex, S::Arg(1))], T::Int, 0),
    d(207, "io_destroy", C::File, &[p("ctx", T::Int, S::Arg(0))], T::Int, 0),
    d(208, "io_getevents", C::File, &[p("ctx_id", T::Int, S::Arg(0)), p("min_nr", T::Int, S::Arg(1)), p("nr", T::Int, S::Arg(2)), p("events", T::Hex, S::Arg(3)), p("timeout", T::Hex, S::Arg(4))], T::Int, 0),
    d(209, "io_submit", C::File, &[p("ctx_id", T::Int, S::Arg(0)), p("nr", T::Int, S::Arg(1)), p("iocbpp", T::Hex, S::Arg(2))], T::Int, 0),
    d(210, "io_cancel", C::File, &[p("ctx_id", T::Int, S::Arg(0)), p("iocb", T::Hex, S::Arg(1)), p("result", T::Hex, S::Arg(2))], T::Int, 0),
    d(211, "get_thread_area", C::Process, &[p("u_info", T::Hex, S::Arg(0))], T::Int, 0),
    d(212, "lookup_dcookie", C::Other, &[p("cookie64", T::Uint, S::Arg(0)), p("buf", T::Hex, S::Arg(1)), p("len", T::Size, S::Arg(2))], T::Int, 0),
    d(214, "epoll_ctl_old", C::Ipc, &[], T::Int, 0),
    d(215, "epoll_wait_old", C::Ipc, &[], T::Int, 0),
    d(216, "remap_file_pages", C::Memory, &[p("start", T::Hex, S::Arg(0)), p("size", T::Uint, S::Arg(1)), p("prot", T::Uint, S::Arg(2)), p("pgoff", T::Uint, S::Arg(3)), p("flags", T::Uint, S::Arg(4))], T::Int, 0),
    d(217, "getdents64", C::File, &[p("fd", T::Fd, S::Arg(0)), p("dirent", T::Hex, S::Arg(1)), p("count", T::Uint, S::Arg(2))], T::Size, 0),
    d(218, "set_tid_address", C::Process, &[p("tidptr", T::Hex, S::Arg(0))], T::Int, 0),
    d(219, "restart_syscall", C::Signal, &[], T::Int, 0),
    d(220, "semtimedop", C::Ipc, &[p("semid", T::Int, S::Arg(0)), p("tsops", T::Hex, S::Arg(1)), p("nsops", T::Uint, S::Arg(2)), p("timeout", T::Hex, S::Arg(3))], T::Int, 0),
    d(221, "fadvise64", C::File, &[p("fd", T::Fd, S::Arg(0)), p("offset", T::Int, S::Arg(1)), p("len", T::Size, S::Arg(2)), p("advice", T::Int, S::Arg(3))], T::Int, 0),
    d(222, "timer_create", C::Time, &[p("which_clock", T::Int, S::Arg(0)), p("timer_event_spec", T::Hex, S::Arg(1)), p("created_timer_id", T::Hex, S::Arg(2))], T::Int, 0),
    d(223, "timer_settime", C::Time, &[p("timer_id", T::Int, S::Arg(0)), p("flags", T::Int, S::Arg(1)), p("new_setting", T::Hex, S::Arg(2)), p("old_setting", T::Hex, S::Arg(3))], T::Int, 0),
    d(224, "timer_gettime", C::Time, &[p("timer_id", T::Int, S::Arg(0)), p("setting", T::Hex, S::Arg(1))], T::Int, 0),
    d(225, "timer_getoverrun", C::Time, &[p("timer_id", T::Int, S::Arg(0))], T::Int, 0),
    d(226, "timer_delete", C::Time, &[p("timer_id", T::Int, S::Arg(0))], T::Int, 0),
    d(227, "clock_settime", C::Time, &[p("which_clock", T::Int, S::Arg(0)), p("tp", T::Hex, S::Arg(1))], T::Int, 0),
    d(228, "clock_gettime", C::Time, &[p("which_clock", T::Int, S::Arg(0)), p("tp", T::Hex, S::Arg(1))], T::Int, 0),
    d(229, "clock_getres", C::Time, &[p("which_clock", T::Int, S::Arg(0)), p("tp", T::Hex, S::Arg(1))], T::Int, 0),
    d(230, "clock_nanosleep", C::Time, &[p("which_clock", T::Int, S::Arg(0)), p("flags", T::Int, S::Arg(1)), p("rqtp", T::Hex, S::Arg(2)), p("rmtp", T::Hex, S::Arg(3))], T::Int, io::WAIT),
    d(232, "epoll_wait", C::Ipc, &[p("epfd", T::Fd, S::Arg(0)), p("events", T::Hex, S::Arg(1)), p("maxevents", T::Int, S::Arg(2)), p("timeout", T::Int, S::Arg(3))], T::Int, io::WAIT),
    d(233, "epoll_ctl", C::Ipc, &[p("epfd", T::Fd, S::Arg(0)), p("op", T::Int, S::Arg(1)), p("fd", T::Fd, S::Arg(2)), p("event", T::Hex, S::Arg(3))], T::Int, 0),
    d(235, "utimes", C::File, &[p("filename", T::Hex, S::Arg(0)), p("utimes", T::Hex, S::Arg(1))], T::Int, 0),
    d(236, "vserver", C::Other, &[], T::Int, 0),
    d(237, "mbind", C::Memory, &[p("start", T::Hex, S::Arg(0)), p("len", T::Uint, S::Arg(1)), p("mode", T::Uint, S::Arg(2)), p("nmask", T::Hex, S::Arg(3)), p("maxnode", T::Uint, S::Arg(4)), p("flags", T::Uint, S::Arg(5))], T::Int, 0),
    d(238, "set_mempolicy", C::Memory, &[p("mode", T::Int, S::Arg(0)), p("nmask", T::Hex, S::Arg(1)), p("maxnode", T::Uint, S::Arg(2))], T::Int, 0),
    d(239, "get_mempolicy", C::Memory, &[p("policy", T::Hex, S::Arg(0)), p("nmask", T::Hex, S::Arg(1)), p("maxnode", T::Uint, S::Arg(2)), p("addr", T::Hex, S::Arg(3)), p("flags", T::Uint, S::Arg(4))], T::Int, 0),
    d(240, "mq_open", C::Ipc, &[p("u_name", T::Str, S::Str(0)), p("oflag", T::Int, S::Arg(1)), p("mode", T::Mode, S::Arg(2)), p("u_attr", T::Hex, S::Arg(3))], T::Fd, io::CREATES_FD),
    d(241, "mq_unlink", C::Ipc, &[p("u_name", T::Str, S::Str(0))], T::Int, 0),
    d(242, "mq_timedsend", C::Ipc, &[p("mqdes", T::Fd, S::Arg(0)), p("u_msg_ptr", T::Str, S::Str(1)), p("msg_len", T::Size, S::Arg(2)), p("msg_prio", T::Uint, S::Arg(3)), p("u_abs_timeout", T::Hex, S::Arg(4))], T::Int, 0),
    d(243, "mq_timedreceive", C::Ipc, &[p("mqdes", T::Fd, S::Arg(0)), p("u_msg_ptr", T::Hex, S::Arg(1)), p("msg_len", T::Size, S::Arg(2)), p("u_msg_prio", T::Hex, S::Arg(3)), p("u_abs_timeout", T::Hex, S::Arg(4))], T::Int, 0),
    d(244, "mq_notify", C::Ipc, &[p("mqdes", T::Fd, S::Arg(0)), p("u_notification", T::Hex, S::Arg(1))], T::Int, 0),
    d(245, "mq_getsetattr", C::Ipc, &[p("mqdes", T::Fd, S::Arg(0)), p("u_mqstat", T::Hex, S::Arg(1)), p("u_omqstat", T::Hex, S::Arg(2))], T::Int, 0),
    d(246, "kexec_load", C::System, &[p("entry", T::Hex, S::Arg(0)), p("nr_segments", T::Uint, S::Arg(1)), p("segments", T::Hex, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, 0),
    d(247, "waitid", C::Process, &[p("which", T::Int, S::Arg(0)), p("upid", T::Pid, S::Arg(1)), p("infop", T::Hex, S::Arg(2)), p("options", T::Int, S::Arg(3)), p("ru", T::Hex, S::Arg(4))], T::Int, io::WAIT),
    d(248, "add_key", C::System, &[p("_type", T::Str, S::Str(0)), p("_description", T::Str, S::Str(1)), p("_payload", T::Hex, S::Arg(2)), p("plen", T::Size, S::Arg(3)), p("ringid", T::Int, S::Arg(4))], T::Int, 0),
    d(249, "request_key", C::System, &[p("_type", T::Str, S::Str(0)), p("_description", T::Str, S::Str(1)), p("_callout_info", T::Str, S::Str(2)), p("destringid", T::Int, S::Arg(3))], T::Int, 0),
    d(250, "keyctl", C::System, &[p("option", T::Int, S::Arg(0)), p("arg2", T::Hex, S::Arg(1)), p("arg3", T::Hex, S::Arg(2)), p("arg4", T::Hex, S::Arg(3)), p("arg5", T::Hex, S::Arg(4))], T::Int, 0),
    d(251, "ioprio_set", C::Process, &[p("which", T::Int, S::Arg(0)), p("who", T::Int, S::Arg(1)), p("ioprio", T::Int, S::Arg(2))], T::Int, 0),
    d(252, "ioprio_get", C::Process, &[p("which", T::Int, S::Arg(0)), p("who", T::Int, S::Arg(1))], T::Int, 0),
    d(253, "inotify_init", C::Ipc, &[], T::Fd, io::CREATES_FD),
    d(254, "inotify_add_watch", C::File, &[p("fd", T::Fd, S::Arg(0)), p("pathname", T::Path, S::Str(1)), p("mask", T::Uint, S::Arg(2))], T::Int, 0),
    d(255, "inotify_rm_watch", C::File, &[p("fd", T::Fd, S::Arg(0)), p("wd", T::Int, S::Arg(1))], T::Int, 0),
    d(256, "migrate_pages", C::Memory, &[p("pid", T::Pid, S::Arg(0)), p("maxnode", T::Uint, S::Arg(1)), p("old_nodes", T::Hex, S::Arg(2)), p("new_nodes", T::Hex, S::Arg(3))], T::Int, 0),
    d(259, "mknodat", C::File, &[p("dirfd", T::Fd, S::Arg(0)), p("filename", T::Path, S::Str(1)), p("mode", T::Mode, S::Arg(2)), p("dev", T::Uint, S::Arg(3))], T::Int, 0),
    d(261, "futimesat", C::File, &[p("dirfd", T::Fd, S::Arg(0)), p("filename", T::Path, S::Str(1)), p("utimes", T::Hex, S::Arg(2))], T::Int, 0),
    d(267, "readlinkat", C::File, &[p("dirfd", T::Fd, S::Arg(0)), p("pathname", T::Path, S::Str(1)), p("buf", T::Str, S::RetStr(2)), p("bufsiz", T::Int, S::Arg(3))], T::Size, 0),
    d(270, "pselect6", C::Ipc, &[p("n", T::Int, S::Arg(0)), p("inp", T::Hex, S::Arg(1)), p("outp", T::Hex, S::Arg(2)), p("exp", T::Hex, S::Arg(3)), p("tsp", T::Hex, S::Arg(4)), p("sig", T::Hex, S::Arg(5))], T::Int, io::WAIT),
    d(271, "ppoll", C::Ipc, &[p("ufds", T::Hex, S::Arg(0)), p("nfds", T::Uint, S::Arg(1)), p("tsp", T::Hex, S::Arg(2)), p("sigmask", T::Hex, S::Arg(3)), p("sigsetsize", T::Size, S::Arg(4))], T::Int, io::WAIT),
    d(273, "set_robust_list", C::Process, &[p("head", T::Hex, S::Arg(0)), p("len", T::Size, S::Arg(1))], T::Int, 0),
    d(274, "get_robust_list", C::Process, &[p("pid", T::Pid, S::Arg(0)), p("head_ptr", T::Hex, S::Arg(1)), p("len_ptr", T::Hex, S::Arg(2))], T::Int, 0),
    d(275, "splice", C::File, &[p("fd_in", T::Fd, S::Arg(0)), p("off_in", T::Hex, S::Arg(1)), p("fd_out", T::Fd, S::Arg(2)), p("off_out", T::Hex, S::Arg(3)), p("size", T::Size, S::Arg(4)), p("flags", T::Uint, S::Arg(5))], T::Size, io::READ|io::WRITE),
    d(276, "tee", C::File, &[p("fdin", T::Fd, S::Arg(0)), p("fdout", T::Fd, S::Arg(1)), p("size", T::Size, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Size, io::READ|io::WRITE),
    d(277, "sync_file_range", C::File, &[p("fd", T::Fd, S::Arg(0)), p("offset", T::Int, S::Arg(1)), p("nbytes", T::Int, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, 0),
    d(278, "vmsplice", C::Other, &[p("fd", T::Fd, S::Arg(0)), p("uiov", T::Hex, S::Arg(1)), p("nr_segs", T::Uint, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, 0),
    d(279, "move_pages", C::Memory, &[p("pid", T::Pid, S::Arg(0)), p("nr_pages", T::Uint, S::Arg(1)), p("pages", T::Hex, S::Arg(2)), p("nodes", T::Hex, S::Arg(3)), p("status", T::Hex, S::Arg(4)), p("flags", T::Int, S::Arg(5))], T::Int, 0),
    d(280, "utimensat", C::File, &[p("dirfd", T::Fd, S::Arg(0)), p("filename", T::Path, S::Str(1)), p("utimes", T::Hex, S::Arg(2)), p("flags", T::Int, S::Arg(3))], T::Int, 0),
    d(281, "epoll_pwait", C::Ipc, &[p("epfd", T::Fd, S::Arg(0)), p("events", T::Hex, S::Arg(1)), p("maxevents", T::Int, S::Arg(2)), p("timeout", T::Int, S::Arg(3)), p("sigmask", T::Hex, S::Arg(4)), p("sigsetsize", T::Size, S::Arg(5))], T::Int, io::WAIT),
    d(282, "signalfd", C::Signal, &[p("ufd", T::Fd, S::Arg(0)), p("user_mask", T::Hex, S::Arg(1)), p("sizemask", T::Size, S::Arg(2))], T::Fd, io::CREATES_FD),
    d(285, "fallocate", C::File, &[p("fd", T::Fd, S::Arg(0)), p("mode", T::Int, S::Arg(1)), p("offset", T::Int, S::Arg(2)), p("len", T::Int, S::Arg(3))], T::Int, 0),
    d(286, "timerfd_settime", C::Time, &[p("ufd", T::Fd, S::Arg(0)), p("flags", T::Int, S::Arg(1)), p("utmr", T::Hex, S::Arg(2)), p("otmr", T::Hex, S::Arg(3))], T::Int, 0),
    d(287, "timerfd_gettime", C::Time, &[p("ufd", T::Fd, S::Arg(0)), p("otmr", T::Hex, S::Arg(1))], T::Int, 0),
    d(297, "rt_tgsigqueueinfo", C::Other, &[p("tgid", T::Pid, S::Arg(0)), p("pid", T::Pid, S::Arg(1)), p("sig", T::Signal, S::Arg(2)), p("uinfo", T::Hex, S::Arg(3))], T::Int, 0),
    d(298, "perf_event_open", C::System, &[p("attr_uptr", T::Hex, S::Arg(0)), p("pid", T::Pid, S::Arg(1)), p("cpu", T::Int, S::Arg(2)), p("group_fd", T::Fd, S::Arg(3)), p("flags", T::Uint, S::Arg(4))], T::Fd, io::CREATES_FD),
    d(299, "recvmmsg", C::Net, &[p("fd", T::Fd, S::Arg(0)), p("mmsg", T::Hex, S::Arg(1)), p("vlen", T::Uint, S::Arg(2)), p("flags", T::Uint, S::Arg(3)), p("timeout", T::Hex, S::Arg(4))], T::Int, io::READ),
    d(300, "fanotify_init", C::File, &[p("flags", T::Uint, S::Arg(0)), p("event_f_flags", T::Uint, S::Arg(1))], T::Fd, io::CREATES_FD),
    d(301, "fanotify_mark", C::File, &[p("fanotify_fd", T::Fd, S::Arg(0)), p("flags", T::Uint, S::Arg(1)), p("mask", T::Uint, S::Arg(2)), p("dirfd", T::Fd, S::Arg(3)), p("pathname", T::Path, S::Str(4))], T::Int, 0),
    d(302, "prlimit64", C::Process, &[p("pid", T::Pid, S::Arg(0)), p("resource", T::Uint, S::Arg(1)), p("new_rlim", T::Hex, S::Arg(2)), p("old_rlim", T::Hex, S::Arg(3))], T::Int, 0),
    d(303, "name_to_handle_at", C::File, &[p("dirfd", T::Fd, S::Arg(0)), p("name", T::Str, S::Str(1)), p("handle", T::Hex, S::Arg(2)), p("mnt_id", T::Hex, S::Arg(3)), p("flag", T::Int, S::Arg(4))], T::Int, 0),
    d(304, "open_by_handle_at", C::File, &[p("mountdirfd", T::Fd, S::Arg(0)), p("handle", T::Hex, S::Arg(1)), p("flags", T::Int, S::Arg(2))], T::Fd, io::CREATES_FD),
    d(305, "clock_adjtime", C::Time, &[p("which_clock", T::Int, S::Arg(0)), p("utx", T::Hex, S::Arg(1))], T::Int, 0),
    d(306, "syncfs", C::File, &[p("fd", T::Fd, S::Arg(0))], T::Int, 0),
    d(307, "sendmmsg", C::Net, &[p("fd", T::Fd, S::Arg(0)), p("mmsg", T::Hex, S::Arg(1)), p("vlen", T::Uint, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, io::WRITE),
    d(309, "getcpu", C::Process, &[p("cpup", T::Hex, S::Arg(0)), p("nodep", T::Hex, S::Arg(1)), p("unused", T::Hex, S::Arg(2))], T::Int, 0),
    d(310, "process_vm_readv", C::Process, &[p("pid", T::Pid, S::Arg(0)), p("lvec", T::Hex, S::Arg(1)), p("liovcnt", T::Uint, S::Arg(2)), p("rvec", T::Hex, S::Arg(3)), p("riovcnt", T::Uint, S::Arg(4)), p("flags", T::Uint, S::Arg(5))], T::Int, 0),
    d(311, "process_vm_writev", C::Process, &[p("pid", T::Pid, S::Arg(0)), p("lvec", T::Hex, S::Arg(1)), p("liovcnt", T::Uint, S::Arg(2)), p("rvec", T::Hex, S::Arg(3)), p("riovcnt", T::Uint, S::Arg(4)), p("flags", T::Uint, S::Arg(5))], T::Int, 0),
    d(312, "kcmp", C::Process, &[p("pid1", T::Pid, S::Arg(0)), p("pid2", T::Pid, S::Arg(1)), p("type", T::Int, S::Arg(2)), p("idx1", T::Uint, S::Arg(3)), p("idx2", T::Uint, S::Arg(4))], T::Int, 0),
    d(314, "sched_setattr", C::Process, &[p("pid", T::Pid, S::Arg(0)), p("uattr", T::Hex, S::Arg(1)), p("flags", T::Uint, S::Arg(2))], T::Int, 0),
    d(315, "sched_getattr", C::Process, &[p("pid", T::Pid, S::Arg(0)), p("uattr", T::Hex, S::Arg(1)), p("usize", T::Uint, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, 0),
    d(317, "seccomp", C::System, &[p("op", T::Uint, S::Arg(0)), p("flags", T::Uint, S::Arg(1)), p("uargs", T::Hex, S::Arg(2))], T::Int, 0),
    d(318, "getrandom", C::Process, &[p("ubuf", T::Hex, S::Arg(0)), p("len", T::Size, S::Arg(1)), p("flags", T::Uint, S::Arg(2))], T::Int, 0),
    d(320, "kexec_file_load", C::System, &[p("kernel_fd", T::Fd, S::Arg(0)), p("initrd_fd", T::Fd, S::Arg(1)), p("cmdline_len", T::Uint, S::Arg(2)), p("cmdline", T::Str, S::Str(3)), p("flags", T::Uint, S::Arg(4))], T::Int, 0),
    d(323, "userfaultfd", C::Memory, &[p("flags", T::Int, S::Arg(0))], T::Fd, io::CREATES_FD),
    d(324, "membarrier", C::Memory, &[p("cmd", T::Int, S::Arg(0)), p("flags", T::Uint, S::Arg(1)), p("cpu_id", T::Int, S::Arg(2))], T::Int, 0),
    d(325, "mlock2", C::Memory, &[p("start", T::Hex, S::Arg(0)), p("len", T::Size, S::Arg(1)), p("flags", T::Int, S::Arg(2))], T::Int, 0),
    d(326, "copy_file_range", C::File, &[p("fd_in", T::Fd, S::Arg(0)), p("off_in", T::Hex, S::Arg(1)), p("fd_out", T::Fd, S::Arg(2)), p("off_out", T::Hex, S::Arg(3)), p("len", T::Size, S::Arg(4)), p("flags", T::Uint, S::Arg(5))], T::Size, io::READ|io::WRITE),
    d(327, "preadv2", C::File, &[p("fd", T::Fd, S::Arg(0)), p("vec", T::Hex, S::Arg(1)), p("vlen", T::Uint, S::Arg(2)), p("pos_l", T::Uint, S::Arg(3)), p("pos_h", T::Uint, S::Arg(4)), p("flags", T::Uint, S::Arg(5))], T::Size, io::READ),
    d(328, "pwritev2", C::File, &[p("fd", T::Fd, S::Arg(0)), p("vec", T::Hex, S::Arg(1)), p("vlen", T::Uint, S::Arg(2)), p("pos_l", T::Uint, S::Arg(3)), p("pos_h", T::Uint, S::Arg(4)), p("flags", T::Uint, S::Arg(5))], T::Size, io::WRITE),
    d(329, "pkey_mprotect", C::Memory, &[p("start", T::Hex, S::Arg(0)), p("len", T::Size, S::Arg(1)), p("prot", T::Uint, S::Arg(2)), p("pkey", T::Int, S::Arg(3))], T::Int, 0),
    d(330, "pkey_alloc", C::Memory, &[p("flags", T::Uint, S::Arg(0)), p("init_val", T::Uint, S::Arg(1))], T::Int, 0),
    d(331, "pkey_free", C::Memory, &[p("pkey", T::Int, S::Arg(0))], T::Int, 0),
    d(333, "io_pgetevents", C::File, &[p("ctx_id", T::Int, S::Arg(0)), p("min_nr", T::Int, S::Arg(1)), p("nr", T::Int, S::Arg(2)), p("events", T::Hex, S::Arg(3)), p("timeout", T::Hex, S::Arg(4)), p("usig", T::Hex, S::Arg(5))], T::Int, 0),
    d(334, "rseq", C::Process, &[p("rseq", T::Hex, S::Arg(0)), p("rseq_len", T::Uint, S::Arg(1)), p("flags", T::Int, S::Arg(2)), p("sig", T::Signal, S::Arg(3))], T::Int, 0),
    d(424, "pidfd_send_signal", C::Signal, &[p("pidfd", T::Fd, S::Arg(0)), p("sig", T::Signal, S::Arg(1)), p("info", T::Hex, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, 0),
    d(425, "io_uring_setup", C::File, &[p("entries", T::Uint, S::Arg(0)), p("params", T::Hex, S::Arg(1))], T::Fd, io::CREATES_FD),
    d(426, "io_uring_enter", C::File, &[p("fd", T::Fd, S::Arg(0)), p("to_submit", T::Uint, S::Arg(1)), p("min_complete", T::Uint, S::Arg(2)), p("flags", T::Uint, S::Arg(3)), p("argp", T::Hex, S::Arg(4)), p("argsz", T::Size, S::Arg(5))], T::Int, 0),
    d(427, "io_uring_register", C::File, &[p("fd", T::Fd, S::Arg(0)), p("opcode", T::Uint, S::Arg(1)), p("arg", T::Hex, S::Arg(2)), p("nr_args", T::Uint, S::Arg(3))], T::Int, 0),
    d(428, "open_tree", C::System, &[p("dirfd", T::Fd, S::Arg(0)), p("filename", T::Path, S::Str(1)), p("flags", T::Uint, S::Arg(2))], T::Fd, io::CREATES_FD),
    d(429, "move_mount", C::System, &[p("from_dirfd", T::Fd, S::Arg(0)), p("from_pathname", T::Path, S::Str(1)), p("to_dirfd", T::Fd, S::Arg(2)), p("to_pathname", T::Path, S::Str(3)), p("flags", T::Uint, S::Arg(4))], T::Int, 0),
    d(430, "fsopen", C::System, &[p("_fs_name", T::Str, S::Str(0)), p("flags", T::Uint, S::Arg(1))], T::Fd, io::CREATES_FD),
    d(431, "fsconfig", C::System, &[p("fd", T::Fd, S::Arg(0)), p("cmd", T::Uint, S::Arg(1)), p("_key", T::Str, S::Str(2)), p("_value", T::Hex, S::Arg(3)), p("aux", T::Int, S::Arg(4))], T::Int, 0),
    d(432, "fsmount", C::System, &[p("fs_fd", T::Fd, S::Arg(0)), p("flags", T::Uint, S::Arg(1)), p("attr_flags", T::Uint, S::Arg(2))], T::Fd, io::CREATES_FD),
    d(433, "fspick", C::System, &[p("dirfd", T::Fd, S::Arg(0)), p("path", T::Path, S::Str(1)), p("flags", T::Uint, S::Arg(2))], T::Fd, io::CREATES_FD),
    d(436, "close_range", C::Other, &[p("fd", T::Fd, S::Arg(0)), p("max_fd", T::Uint, S::Arg(1)), p("flags", T::Uint, S::Arg(2))], T::Int, 0),
    d(438, "pidfd_getfd", C::Process, &[p("pidfd", T::Fd, S::Arg(0)), p("fd", T::Fd, S::Arg(1)), p("flags", T::Uint, S::Arg(2))], T::Fd, io::CREATES_FD),
    d(440, "process_madvise", C::Memory, &[p("pidfd", T::Fd, S::Arg(0)), p("vec", T::Hex, S::Arg(1)), p("vlen", T::Size, S::Arg(2)), p("behavior", T::Int, S::Arg(3)), p("flags", T::Uint, S::Arg(4))], T::Int, 0),
    d(441, "epoll_pwait2", C::Ipc, &[p("epfd", T::Fd, S::Arg(0)), p("events", T::Hex, S::Arg(1)), p("maxevents", T::Int, S::Arg(2)), p("timeout", T::Hex, S::Arg(3)), p("sigmask", T::Hex, S::Arg(4)), p("sigsetsize", T::Size, S::Arg(5))], T::Int, io::WAIT),
    d(442, "mount_setattr", C::System, &[p("dirfd", T::Fd, S::Arg(0)), p("path", T::Path, S::Str(1)), p("flags", T::Uint, S::Arg(2)), p("uattr", T::Hex, S::Arg(3)), p("usize", T::Size, S::Arg(4))], T::Int, 0),
    d(443, "quotactl_fd", C::Other, &[p("fd", T::Fd, S::Arg(0)), p("cmd", T::Uint, S::Arg(1)), p("id", T::Uint, S::Arg(2)), p("addr", T::Hex, S::Arg(3))], T::Int, 0),
    d(444, "landlock_create_ruleset", C::System, &[p("attr", T::Hex, S::Arg(0)), p("size", T::Size, S::Arg(1)), p("flags", T::Uint, S::Arg(2))], T::Fd, io::CREATES_FD),
    d(445, "landlock_add_rule", C::System, &[p("ruleset_fd", T::Fd, S::Arg(0)), p("rule_type", T::Uint, S::Arg(1)), p("rule_attr", T::Hex, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, 0),
    d(446, "landlock_restrict_self", C::System, &[p("ruleset_fd", T::Fd, S::Arg(0)), p("flags", T::Uint, S::Arg(1))], T::Int, 0),
    d(447, "memfd_secret", C::Memory, &[p("flags", T::Uint, S::Arg(0))], T::Fd, io::CREATES_FD),
    d(448, "process_mrelease", C::Memory, &[p("pidfd", T::Fd, S::Arg(0)), p("flags", T::Uint, S::Arg(1))], T::Int, 0),
    d(449, "futex_waitv", C::Ipc, &[p("waiters", T::Hex, S::Arg(0)), p("nr_futexes", T::Uint, S::Arg(1)), p("flags", T::Uint, S::Arg(2)), p("timeout", T::Hex, S::Arg(3)), p("clockid", T::Int, S::Arg(4))], T::Int, 0),
    d(450, "set_mempolicy_home_node", C::Process, &[p("start", T::Hex, S::Arg(0)), p("len", T::Uint, S::Arg(1)), p("home_node", T::Uint, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, 0),
    d(451, "cachestat", C::File, &[p("fd", T::Fd, S::Arg(0)), p("cstat_range", T::Hex, S::Arg(1)), p("cstat", T::Hex, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, 0),
    d(453, "map_shadow_stack", C::Memory, &[p("addr", T::Hex, S::Arg(0)), p("size", T::Uint, S::Arg(1)), p("flags", T::Uint, S::Arg(2))], T::Int, 0),
    d(454, "futex_wake", C::Ipc, &[p("uaddr", T::Hex, S::Arg(0)), p("mask", T::Uint, S::Arg(1)), p("nr", T::Int, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, 0),
    d(455, "futex_wait", C::Ipc, &[p("uaddr", T::Hex, S::Arg(0)), p("val", T::Uint, S::Arg(1)), p("mask", T::Uint, S::Arg(2)), p("flags", T::Uint, S::Arg(3)), p("timeout", T::Hex, S::Arg(4)), p("clockid", T::Int, S::Arg(5))], T::Int, 0),
    d(456, "futex_requeue", C::Ipc, &[p("waiters", T::Hex, S::Arg(0)), p("flags", T::Uint, S::Arg(1)), p("nr_wake", T::Int, S::Arg(2)), p("nr_requeue", T::Int, S::Arg(3))], T::Int, 0),
    d(457, "statmount", C::System, &[p("req", T::Hex, S::Arg(0)), p("buf", T::Hex, S::Arg(1)), p("bufsize", T::Size, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, 0),
    d(458, "listmount", C::System, &[p("req", T::Hex, S::Arg(0)), p("mnt_ids", T::Hex, S::Arg(1)), p("nr_mnt_ids", T::Size, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, 0),
    d(459, "lsm_get_self_attr", C::Other, &[p("attr", T::Uint, S::Arg(0)), p("ctx", T::Hex, S::Arg(1)), p("size", T::Hex, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, 0),
    d(460, "lsm_set_self_attr", C::Other, &[p("attr", T::Uint, S::Arg(0)), p("ctx", T::Hex, S::Arg(1)), p("size", T::Uint, S::Arg(2)), p("flags", T::Uint, S::Arg(3))], T::Int, 0),
    d(461, "lsm_list_modules", C::Other, &[p("ids", T::Hex, S::Arg(0)), p("size", T::Hex, S::Arg(1)), p("flags", T::Uint, S::Arg(2))], T::Int, 0),
    d(462, "mseal", C::Memory, &[p("start", T::Hex, S::Arg(0)), p("len", T::Size, S::Arg(1)), p("flags", T::Uint, S::Arg(2))], T::Int, 0),
    d(463, "setxattrat", C::Process, &[p("dirfd", T::Fd, S::Arg(0)), p("pathname", T::Path, S::Str(1)), p("at_flags", T::AtFlags, S::Arg(2)), p("name", T::Str, S::Str(3)), p("uargs", T::Hex, S::Arg(4)), p("usize", T::Size, S::Arg(5))], T::Int, 0),
    d(464, "getxattrat", C::Process, &[p("dirfd", T::Fd, S::Arg(0)), p("pathname", T::Path, S::Str(1)), p("at_flags", T::AtFlags, S::Arg(2)), p("name", T::Str, S::Str(3)), p("uargs", T::Hex, S::Arg(4)), p("usize", T::Size, S::Arg(5))], T::Int, 0),
    d(465, "listxattrat", C::File, &[p("dirfd", T::Fd, S::Arg(0)), p("pathname", T::Path, S::Str(1)), p("at_flags", T::AtFlags, S::Arg(2)), p("list", T::Hex, S::Arg(3)), p("size", T::Size, S::Arg(4))], T::Int, 0),
    d(466, "removexattrat", C::File, &[p("dirfd", T::Fd, S::Arg(0)), p("pathname", T::Path, S::Str(1)), p("at_flags", T::AtFlags, S::Arg(2)), p("name", T::Str, S::Str(3))], T::Int, 0),
    d(467, "open_tree_attr", C::System, &[p("dirfd", T::Fd, S::Arg(0)), p("filename", T::Path, S::Str(1)), p("flags", T::Uint, S::Arg(2)), p("uattr", T::Hex, S::Arg(3)), p("usize", T::Size, S::Arg(4))], T::Fd, io::CREATES_FD),
];

/// Every decoded call: [`DECODED`] then [`SIGNATURES`].
pub fn all() -> impl Iterator<Item = &'static SyscallSpec> {
    DECODED.iter().chain(SIGNATURES)
}

/// Calls the record schema version 1 decoded; the others were written with six raw arguments
/// then (readers map them onto today's parameters with [`upgrade_v1`]).
const V1_DECODED: &[u16] = &[
    0, 1, 2, 3, 4, 5, 6, 9, 10, 17, 18, 19, 20, 21, 22, 32, 33, 41, 42, 43, 44, 45, 46, 47, 48, 49,
    50, 53, 56, 57, 58, 59, 60, 62, 72, 76, 77, 80, 81, 82, 83, 84, 85, 86, 87, 88, 90, 91, 92, 93,
    94, 101, 105, 106, 113, 114, 117, 119, 122, 123, 161, 165, 166, 175, 176, 200, 213, 231, 234,
    257, 258, 260, 262, 263, 264, 265, 266, 268, 269, 272, 283, 284, 288, 289, 290, 291, 292, 293,
    294, 295, 296, 308, 313, 316, 319, 321, 322, 332, 434, 435, 437, 439, 452,
];

/// Whether call `nr` was stored decoded under record schema version 1.
pub fn decoded_in_v1(nr: u16) -> bool {
    V1_DECODED.binary_search(&nr).is_ok()
}

/// The raw argument a parameter of today's table held under schema version 1, for calls that
/// version stored as six raw arguments: the argument itself where the parameter is one,
/// nothing where it is memory the recorder did not read then.
pub fn upgrade_v1(p: &ParamSpec) -> Option<usize> {
    match p.src {
        Src::Arg(a) => Some(usize::from(a)),
        _ => None,
    }
}

/// Call `nr`'s parameters today from the six raw arguments schema version 1 stored for a call
/// it did not decode (unchanged for calls it decoded, or that are still not decoded).
pub fn from_v1_raw(nr: u16, raw: super::Params<'_>) -> super::Params<'_> {
    let spec = spec(nr);
    if decoded_in_v1(nr) || !spec.decoded {
        return raw;
    }
    spec.params
        .iter()
        .map(|p| {
            upgrade_v1(p)
                .and_then(|a| raw.get(a).cloned())
                .unwrap_or(super::Value::None)
        })
        .collect()
}

/// The spec of a call by number. Calls without a decoder get six raw parameters; unknown
/// numbers are named `syscall_N`... by [`name`] only.
pub fn spec(nr: u16) -> SyscallSpec {
    TABLE
        .get(nr as usize)
        .copied()
        .flatten()
        .unwrap_or_else(|| SyscallSpec {
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
    // Sorted by name once (importers look a name up per event); the first number of a name
    // given twice wins, as a scan in number order would find it.
    static SORTED: std::sync::OnceLock<Vec<(&'static str, u16)>> = std::sync::OnceLock::new();
    let sorted = SORTED.get_or_init(|| {
        let mut v: Vec<(&'static str, u16)> = (SYSCALL_NAMES.iter().enumerate())
            .filter(|(_, n)| !n.is_empty())
            .map(|(i, n)| (*n, i as u16))
            .collect();
        v.sort_unstable();
        v.dedup_by_key(|e| e.0);
        v
    });
    let i = sorted.binary_search_by(|e| e.0.cmp(name)).ok()?;
    Some(sorted[i].1)
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
    let mut i = 0;
    while i < SIGNATURES.len() {
        t[SIGNATURES[i].nr as usize] = Some(SIGNATURES[i]);
        i += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_names_match_the_kernel_table() {
        for s in all() {
            assert_eq!(name(s.nr), Some(s.name), "nr {}", s.nr);
            assert!(s.params.len() <= 8, "{} has too many params", s.name);
        }
    }

    /// The sorted lookup finds, for every name, the lowest number a scan of the table finds,
    /// and nothing for names not in it.
    #[test]
    fn by_name_finds_what_a_scan_finds() {
        for (i, n) in SYSCALL_NAMES.iter().enumerate() {
            if n.is_empty() {
                continue;
            }
            let first = SYSCALL_NAMES.iter().position(|m| m == n).map(|j| j as u16);
            assert_eq!(by_name(n), first, "{n} (nr {i})");
        }
        assert_eq!(by_name("read"), Some(0));
        for missing in ["", "doesnotexist", "rea", "readx", "unknown"] {
            assert_eq!(by_name(missing), None, "{missing}");
        }
    }

    #[test]
    fn decoded_numbers_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for s in all() {
            assert!(seen.insert(s.nr), "{} listed twice", s.name);
        }
    }

    #[test]
    fn every_named_call_is_decoded() {
        for (nr, n) in SYSCALL_NAMES.iter().enumerate() {
            if !n.is_empty() {
                assert!(spec(nr as u16).decoded, "{n} has no decoder");
            }
        }
        let s = spec(by_name("getpid").expect("getpid"));
        assert!(s.params.is_empty(), "getpid takes no argument");
        assert_eq!(s.ret, T::Pid);
        let unknown = spec(9999);
        assert_eq!(unknown.name, "unknown");
        assert!(!unknown.decoded);
        assert_eq!(unknown.params.len(), 6);
    }

    #[test]
    fn signature_params_are_in_argument_order() {
        for s in SIGNATURES {
            for (i, p) in s.params.iter().enumerate() {
                match p.src {
                    Src::Arg(a) | Src::Str(a) | Src::RetStr(a) => {
                        assert_eq!(usize::from(a), i, "{}.{}", s.name, p.name);
                    }
                    _ => assert!(i >= 2, "{}.{}", s.name, p.name),
                }
            }
        }
    }

    #[test]
    fn v1_layouts() {
        assert!(decoded_in_v1(by_name("openat").expect("openat")));
        assert!(!decoded_in_v1(by_name("lseek").expect("lseek")));
        let rl = spec(by_name("readlink").expect("readlink"));
        let m: Vec<_> = rl.params.iter().map(upgrade_v1).collect();
        assert_eq!(m, [None, None, Some(2)]);
    }

    #[test]
    fn params_by_name() {
        assert_eq!(param_index(257, "name"), Some(1));
        assert_eq!(param_index(0, "data"), Some(1));
        assert_eq!(param_index(0, "nope"), None);
    }
}
