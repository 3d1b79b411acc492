//! The field registry: sysdig/Falco field names, their types and one-line docs.
//!
//! [`FIELDS`] is the single table; the filter type-checks against it through
//! [`crate::filter::Registry`], `-p` formats resolve `%field` tokens through it, and
//! `casefile fields` prints it.

use std::fmt::Write as _;

use crate::filter::{FieldSpec, FieldType, Registry, ResolveError};

/// Which field (without its argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fid {
    EvtNum,
    EvtTime,
    EvtTimeS,
    EvtDatetime,
    EvtTimeIso8601,
    EvtRawtime,
    EvtRawtimeS,
    EvtRawtimeNs,
    EvtReltime,
    EvtOutputtime,
    EvtLatency,
    EvtType,
    EvtCategory,
    EvtCpu,
    EvtArgs,
    EvtArg,
    EvtRawarg,
    EvtInfo,
    EvtBuffer,
    EvtBuflen,
    EvtRes,
    EvtRawres,
    EvtFailed,
    EvtIsIo,
    EvtIsIoRead,
    EvtIsIoWrite,
    EvtIsWait,
    EvtIsOpenRead,
    EvtIsOpenWrite,
    EvtIsOpenExec,
    EvtDir,
    ProcPid,
    ProcName,
    ProcExe,
    ProcExepath,
    ProcArgs,
    ProcCmdline,
    ProcExeline,
    ProcCwd,
    ProcPpid,
    ProcPname,
    ProcPcmdline,
    ProcPexe,
    ProcPexepath,
    ProcApid,
    ProcAname,
    ProcAexe,
    ProcAexepath,
    ProcEnv,
    ProcVpid,
    ProcTty,
    ProcDuration,
    ProcNthreads,
    ProcIsExeUpperLayer,
    ProcIsExeFromMemfd,
    ProcIsVpgidLeader,
    ThreadTid,
    ThreadVtid,
    ThreadIsmain,
    ThreadCapEffective,
    ThreadCapPermitted,
    ThreadCapInheritable,
    FdNum,
    FdType,
    FdTypechar,
    FdName,
    FdNameraw,
    FdDirectory,
    FdFilename,
    FdIp,
    FdCip,
    FdSip,
    FdLip,
    FdRip,
    FdNet,
    FdCnet,
    FdSnet,
    FdLnet,
    FdRnet,
    FdCipName,
    FdSipName,
    FdLipName,
    FdRipName,
    FdPort,
    FdCport,
    FdSport,
    FdLport,
    FdRport,
    FdL4proto,
    FdSockfamily,
    FdIsServer,
    FdConnected,
    FdNameChanged,
    ContainerId,
    ContainerName,
    ContainerImage,
    ContainerImageId,
    ContainerImageRepository,
    ContainerImageTag,
    ContainerType,
    ContainerPrivileged,
    ContainerLabel,
    ContainerMountDest,
    ContainerMountSource,
    ContainerMount,
    ContainerMounts,
    ContainerMountMode,
    ContainerMountRdwr,
    ContainerMountPropagation,
    ProcVpgid,
    ProcIsExeLowerLayer,
    UserLoginname,
    ContainerStartTs,
    K8sPodName,
    K8sNsName,
    K8sPodUid,
    HostName,
    HostIndex,
    UserUid,
    UserName,
    UserHomedir,
    UserShell,
    UserLoginuid,
    GroupGid,
    GroupName,
    FsPathName,
    FsPathSource,
    FsPathTarget,
    ThreadCpu,
    ThreadCpuUser,
    ThreadCpuSystem,
    ProcCpu,
    ThreadExectime,
    ThreadTotexectime,
    ThreadVmsize,
    ThreadVmrss,
    ThreadVmswap,
    ThreadPfmajor,
    ThreadPfminor,
    EvtDeltatime,
}

/// The family a field belongs to: which part of an event's context gives its value (the
/// evaluator has one method per family).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// The event itself: time, type, arguments, result (`evt.*`).
    Evt,
    /// The process and thread, from the state (`proc.*`, `thread.*` but resource use).
    Proc,
    /// The fd the event is about (`fd.*`).
    Fd,
    /// The event's container, from its metadata alone (`container.*`, `k8s.*`).
    Container,
    /// The host (`host.*`).
    Host,
    /// The process's user and group (`user.*`, `group.*`).
    User,
    /// The paths a file call acts on (`fs.path.*`).
    FsPath,
    /// Resource use from samples (`thread.cpu`, `thread.vmsize`, `proc.cpu`, ...).
    Usage,
}

impl Fid {
    /// The field's [`Family`]. Every field is named here once.
    pub fn family(self) -> Family {
        match self {
            Fid::EvtNum
            | Fid::EvtTime
            | Fid::EvtTimeS
            | Fid::EvtDatetime
            | Fid::EvtTimeIso8601
            | Fid::EvtRawtime
            | Fid::EvtRawtimeS
            | Fid::EvtRawtimeNs
            | Fid::EvtReltime
            | Fid::EvtOutputtime
            | Fid::EvtLatency
            | Fid::EvtType
            | Fid::EvtCategory
            | Fid::EvtCpu
            | Fid::EvtArgs
            | Fid::EvtArg
            | Fid::EvtRawarg
            | Fid::EvtInfo
            | Fid::EvtBuffer
            | Fid::EvtBuflen
            | Fid::EvtRes
            | Fid::EvtRawres
            | Fid::EvtFailed
            | Fid::EvtIsIo
            | Fid::EvtIsIoRead
            | Fid::EvtIsIoWrite
            | Fid::EvtIsWait
            | Fid::EvtIsOpenRead
            | Fid::EvtIsOpenWrite
            | Fid::EvtIsOpenExec
            | Fid::EvtDir
            | Fid::EvtDeltatime => Family::Evt,
            Fid::ProcPid
            | Fid::ProcName
            | Fid::ProcExe
            | Fid::ProcExepath
            | Fid::ProcArgs
            | Fid::ProcCmdline
            | Fid::ProcExeline
            | Fid::ProcCwd
            | Fid::ProcPpid
            | Fid::ProcPname
            | Fid::ProcPcmdline
            | Fid::ProcPexe
            | Fid::ProcPexepath
            | Fid::ProcApid
            | Fid::ProcAname
            | Fid::ProcAexe
            | Fid::ProcAexepath
            | Fid::ProcEnv
            | Fid::ProcVpid
            | Fid::ProcTty
            | Fid::ProcDuration
            | Fid::ProcNthreads
            | Fid::ProcIsExeUpperLayer
            | Fid::ProcIsExeFromMemfd
            | Fid::ProcIsVpgidLeader
            | Fid::ProcVpgid
            | Fid::ProcIsExeLowerLayer
            | Fid::ThreadTid
            | Fid::ThreadVtid
            | Fid::ThreadIsmain
            | Fid::ThreadCapEffective
            | Fid::ThreadCapPermitted
            | Fid::ThreadCapInheritable => Family::Proc,
            Fid::FdNum
            | Fid::FdType
            | Fid::FdTypechar
            | Fid::FdName
            | Fid::FdNameraw
            | Fid::FdDirectory
            | Fid::FdFilename
            | Fid::FdIp
            | Fid::FdCip
            | Fid::FdSip
            | Fid::FdLip
            | Fid::FdRip
            | Fid::FdNet
            | Fid::FdCnet
            | Fid::FdSnet
            | Fid::FdLnet
            | Fid::FdRnet
            | Fid::FdCipName
            | Fid::FdSipName
            | Fid::FdLipName
            | Fid::FdRipName
            | Fid::FdPort
            | Fid::FdCport
            | Fid::FdSport
            | Fid::FdLport
            | Fid::FdRport
            | Fid::FdL4proto
            | Fid::FdSockfamily
            | Fid::FdIsServer
            | Fid::FdConnected
            | Fid::FdNameChanged => Family::Fd,
            Fid::ContainerId
            | Fid::ContainerName
            | Fid::ContainerImage
            | Fid::ContainerImageId
            | Fid::ContainerImageRepository
            | Fid::ContainerImageTag
            | Fid::ContainerType
            | Fid::ContainerPrivileged
            | Fid::ContainerLabel
            | Fid::ContainerMountDest
            | Fid::ContainerMountSource
            | Fid::ContainerMount
            | Fid::ContainerMounts
            | Fid::ContainerMountMode
            | Fid::ContainerMountRdwr
            | Fid::ContainerMountPropagation
            | Fid::ContainerStartTs
            | Fid::K8sPodName
            | Fid::K8sNsName
            | Fid::K8sPodUid => Family::Container,
            Fid::HostName | Fid::HostIndex => Family::Host,
            Fid::UserUid
            | Fid::UserName
            | Fid::UserHomedir
            | Fid::UserShell
            | Fid::UserLoginuid
            | Fid::UserLoginname
            | Fid::GroupGid
            | Fid::GroupName => Family::User,
            Fid::FsPathName | Fid::FsPathSource | Fid::FsPathTarget => Family::FsPath,
            Fid::ThreadCpu
            | Fid::ThreadCpuUser
            | Fid::ThreadCpuSystem
            | Fid::ProcCpu
            | Fid::ThreadExectime
            | Fid::ThreadTotexectime
            | Fid::ThreadVmsize
            | Fid::ThreadVmrss
            | Fid::ThreadVmswap
            | Fid::ThreadPfmajor
            | Fid::ThreadPfminor => Family::Usage,
        }
    }
}

/// What goes in brackets after a field name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// Nothing.
    None,
    /// A number, optional (`proc.aname` alone means all ancestors).
    OptIndex,
    /// A parameter name (`evt.arg.fd` or `evt.arg[fd]`) or position (`evt.arg[0]`).
    Param,
    /// A key (`container.label[app]`, `proc.env[HOME]`), optional where noted.
    Key,
    /// An optional key (`proc.env` alone is the whole environment).
    OptKey,
}

/// One field of the registry.
#[derive(Clone, Copy, Debug)]
pub struct FieldDef {
    /// Name, as in filters and `-p` formats.
    pub name: &'static str,
    /// Id.
    pub fid: Fid,
    /// Value type.
    pub ty: FieldType,
    /// Argument.
    pub arg: ArgKind,
    /// One-line description.
    pub doc: &'static str,
    /// Whether captures hold its data. A field Falco's rules use whose data casefile does not
    /// record yet is known (so the error can say so) but refused: a filter using it could only
    /// ever say "no match", which would be a false promise.
    pub recorded: bool,
}

const fn f(name: &'static str, fid: Fid, ty: FieldType, doc: &'static str) -> FieldDef {
    FieldDef {
        name,
        fid,
        ty,
        arg: ArgKind::None,
        doc,
        recorded: true,
    }
}

const fn fa(
    name: &'static str,
    fid: Fid,
    ty: FieldType,
    arg: ArgKind,
    doc: &'static str,
) -> FieldDef {
    FieldDef {
        name,
        fid,
        ty,
        arg,
        doc,
        recorded: true,
    }
}

use FieldType::{Any, Bool, Bytes, Ip, Num, Str};

/// Every field, grouped by class.
pub static FIELDS: &[FieldDef] = &[
    f(
        "evt.num",
        Fid::EvtNum,
        Num,
        "Event number, from 1 at the start of the capture.",
    ),
    f(
        "evt.time",
        Fid::EvtTime,
        Str,
        "Event time as HH:MM:SS.nnnnnnnnn (in the --tz zone: local on a terminal, else UTC).",
    ),
    f(
        "evt.time.s",
        Fid::EvtTimeS,
        Str,
        "Event time as HH:MM:SS (in the --tz zone).",
    ),
    f(
        "evt.datetime",
        Fid::EvtDatetime,
        Str,
        "Event date and time as YYYY-MM-DD HH:MM:SS.nnnnnnnnn (in the --tz zone).",
    ),
    f(
        "evt.time.iso8601",
        Fid::EvtTimeIso8601,
        Str,
        "Event time as YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ.",
    ),
    f(
        "evt.rawtime",
        Fid::EvtRawtime,
        Num,
        "Event time in nanoseconds since the epoch.",
    ),
    f(
        "evt.rawtime.s",
        Fid::EvtRawtimeS,
        Num,
        "Seconds part of evt.rawtime.",
    ),
    f(
        "evt.rawtime.ns",
        Fid::EvtRawtimeNs,
        Num,
        "Nanoseconds part of evt.rawtime.",
    ),
    f(
        "evt.reltime",
        Fid::EvtReltime,
        Num,
        "Nanoseconds since the first event of the capture.",
    ),
    f(
        "evt.outputtime",
        Fid::EvtOutputtime,
        Str,
        "Event time as the default line prints it: evt.time, or as -t asks (a: epoch \
         seconds, r: seconds since the first event, d: latency, D: since the previous line).",
    ),
    f(
        "evt.latency",
        Fid::EvtLatency,
        Num,
        "Time the system call took, in nanoseconds (0 for other events).",
    ),
    f(
        "evt.deltatime",
        Fid::EvtDeltatime,
        Num,
        "Nanoseconds since the previous event that matched (the previous line printed; 0 \
         for the first).",
    ),
    f(
        "evt.type",
        Fid::EvtType,
        Str,
        "System call name (open, connect, ...) or event kind (procexec, procexit, ...).",
    ),
    f(
        "evt.category",
        Fid::EvtCategory,
        Str,
        "Event category: file, net, process, ipc, memory, signal, time, system, other.",
    ),
    f("evt.cpu", Fid::EvtCpu, Num, "CPU the event happened on."),
    f(
        "evt.args",
        Fid::EvtArgs,
        Str,
        "All arguments, rendered as name=value pairs.",
    ),
    fa(
        "evt.arg",
        Fid::EvtArg,
        Any,
        ArgKind::Param,
        "One argument, rendered: by name (evt.arg.fd, evt.arg[fd]: 3(<f>/etc/passwd)), or by \
         position as sysdig numbers it (evt.arg[0]): through the parameters of libs' exit event \
         of the call, the result first (read: res, data, fd, size; openat: fd, dirfd, name, ...; \
         execve: res, exe, args, tid, pid, ptid, cwd, ...), the others by name; an exec or fork \
         as execve's or clone's exit. evt.arg.res is the result as sysdig shows it: an error's \
         name (ENOENT), a new fd's <f>/path, else the number. Calls libs has no event for are \
         numbered by casefile's own parameters.",
    ),
    fa(
        "evt.rawarg",
        Fid::EvtRawarg,
        Any,
        ArgKind::Param,
        "One argument's raw value (evt.rawarg.flags, evt.rawarg[1], numbered as evt.arg).",
    ),
    f(
        "evt.info",
        Fid::EvtInfo,
        Str,
        "Arguments and result as the default output prints them.",
    ),
    f(
        "evt.buffer",
        Fid::EvtBuffer,
        Bytes,
        "The I/O payload snippet of a read/write/send/recv call.",
    ),
    f(
        "evt.buflen",
        Fid::EvtBuflen,
        Num,
        "Bytes transferred by an I/O call (its result when non-negative).",
    ),
    f(
        "evt.res",
        Fid::EvtRes,
        Str,
        "Result: SUCCESS, or the error name (ENOENT) on failure.",
    ),
    f(
        "evt.rawres",
        Fid::EvtRawres,
        Num,
        "Result as a number (negative errno on failure).",
    ),
    f(
        "evt.failed",
        Fid::EvtFailed,
        Bool,
        "Whether the system call failed.",
    ),
    f(
        "evt.is_io",
        Fid::EvtIsIo,
        Bool,
        "Whether the call reads or writes data.",
    ),
    f(
        "evt.is_io_read",
        Fid::EvtIsIoRead,
        Bool,
        "Whether the call reads data.",
    ),
    f(
        "evt.is_io_write",
        Fid::EvtIsIoWrite,
        Bool,
        "Whether the call writes data.",
    ),
    f(
        "evt.is_wait",
        Fid::EvtIsWait,
        Bool,
        "Whether the call waits (accept, ...).",
    ),
    f(
        "evt.is_open_read",
        Fid::EvtIsOpenRead,
        Bool,
        "Whether an open/openat asked for reading (O_RDONLY or O_RDWR); false for other calls and for openat2, whose flags are not recorded.",
    ),
    f(
        "evt.is_open_write",
        Fid::EvtIsOpenWrite,
        Bool,
        "Whether an open/openat asked for writing (O_WRONLY or O_RDWR); false for other calls and for openat2.",
    ),
    f(
        "evt.is_open_exec",
        Fid::EvtIsOpenExec,
        Bool,
        "Whether an open/openat with O_CREAT or O_TMPFILE, or a creat, gave a mode with an execute bit.",
    ),
    f(
        "evt.dir",
        Fid::EvtDir,
        Str,
        "Always '<': events are recorded at exit (enter events do not exist).",
    ),
    f("proc.pid", Fid::ProcPid, Num, "Process id."),
    f("proc.name", Fid::ProcName, Str, "Process name (comm)."),
    f(
        "proc.exe",
        Fid::ProcExe,
        Str,
        "Executable as given to exec (argv[0]).",
    ),
    f(
        "proc.exepath",
        Fid::ProcExepath,
        Str,
        "Full path of the executable.",
    ),
    f(
        "proc.args",
        Fid::ProcArgs,
        Str,
        "Arguments after argv[0], space separated.",
    ),
    f(
        "proc.cmdline",
        Fid::ProcCmdline,
        Str,
        "proc.name followed by proc.args.",
    ),
    f(
        "proc.exeline",
        Fid::ProcExeline,
        Str,
        "proc.exe followed by proc.args.",
    ),
    f("proc.cwd", Fid::ProcCwd, Str, "Working directory."),
    f("proc.ppid", Fid::ProcPpid, Num, "Parent process id."),
    f("proc.pname", Fid::ProcPname, Str, "Parent process name."),
    f(
        "proc.pcmdline",
        Fid::ProcPcmdline,
        Str,
        "Parent command line.",
    ),
    f(
        "proc.pexe",
        Fid::ProcPexe,
        Str,
        "Parent's executable as given to exec (its proc.exe).",
    ),
    f(
        "proc.pexepath",
        Fid::ProcPexepath,
        Str,
        "Parent's full executable path (its proc.exepath).",
    ),
    fa(
        "proc.apid",
        Fid::ProcApid,
        Num,
        ArgKind::OptIndex,
        "Ancestor pid: proc.apid[1] is the parent, [2] the grandparent; alone, any ancestor.",
    ),
    fa(
        "proc.aname",
        Fid::ProcAname,
        Str,
        ArgKind::OptIndex,
        "Ancestor name: proc.aname[1] is the parent's, [0] the process's; alone, any ancestor.",
    ),
    fa(
        "proc.aexe",
        Fid::ProcAexe,
        Str,
        ArgKind::OptIndex,
        "Ancestor executable (proc.exe): proc.aexe[1] is the parent's, [0] the process's; alone, any ancestor.",
    ),
    fa(
        "proc.aexepath",
        Fid::ProcAexepath,
        Str,
        ArgKind::OptIndex,
        "Ancestor executable path (proc.exepath), indexed like proc.aexe.",
    ),
    fa(
        "proc.env",
        Fid::ProcEnv,
        Str,
        ArgKind::OptKey,
        "Environment (when captured); proc.env[NAME] is one variable.",
    ),
    f(
        "proc.vpid",
        Fid::ProcVpid,
        Num,
        "Process id inside its pid namespace.",
    ),
    f(
        "proc.tty",
        Fid::ProcTty,
        Num,
        "Controlling terminal device number (0 for none).",
    ),
    f(
        "proc.duration",
        Fid::ProcDuration,
        Num,
        "Nanoseconds since the process started.",
    ),
    f(
        "proc.nthreads",
        Fid::ProcNthreads,
        Num,
        "Number of threads the process has.",
    ),
    f(
        "proc.is_exe_upper_layer",
        Fid::ProcIsExeUpperLayer,
        Bool,
        "Whether the executable lives in the upper (writable) layer of an overlay file system: a file written or changed in a container after it started, not one of its image. Recorded at exec (and for running processes at the start); empty in captures that predate it.",
    ),
    f(
        "proc.is_exe_lower_layer",
        Fid::ProcIsExeLowerLayer,
        Bool,
        "Whether the executable lives in a lower (read-only, image) layer of an overlay file system.",
    ),
    f(
        "proc.is_exe_from_memfd",
        Fid::ProcIsExeFromMemfd,
        Bool,
        "Whether the executable is a memfd (memfd_create, run through its fd): a program that exists only in memory.",
    ),
    f(
        "proc.vpgid",
        Fid::ProcVpgid,
        Num,
        "Process group id inside its pid namespace, as of the last exec (or the start for running processes).",
    ),
    f(
        "proc.is_vpgid_leader",
        Fid::ProcIsVpgidLeader,
        Bool,
        "Whether the process leads its process group (proc.vpgid = proc.vpid): run directly from a terminal rather than by a script.",
    ),
    f("thread.tid", Fid::ThreadTid, Num, "Thread id."),
    f(
        "thread.vtid",
        Fid::ThreadVtid,
        Num,
        "Thread id inside its pid namespace.",
    ),
    f(
        "thread.ismain",
        Fid::ThreadIsmain,
        Bool,
        "Whether the thread is the process's main thread.",
    ),
    f(
        "thread.cap_effective",
        Fid::ThreadCapEffective,
        Str,
        "Effective capabilities of the thread, as names (CAP_CHOWN CAP_SYS_ADMIN ...): from the last exec, capset or the start of the capture.",
    ),
    f(
        "thread.cap_permitted",
        Fid::ThreadCapPermitted,
        Str,
        "Permitted capabilities of the thread, as names (CAP_CHOWN CAP_SYS_ADMIN ...): from the last exec, capset or the start of the capture.",
    ),
    f(
        "thread.cap_inheritable",
        Fid::ThreadCapInheritable,
        Str,
        "Inheritable capabilities of the thread, as names (CAP_CHOWN CAP_SYS_ADMIN ...): from the last exec, capset or the start of the capture.",
    ),
    f(
        "fd.num",
        Fid::FdNum,
        Num,
        "File descriptor number the event uses.",
    ),
    f(
        "fd.type",
        Fid::FdType,
        Str,
        "fd type: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, memfd, ...",
    ),
    f(
        "fd.typechar",
        Fid::FdTypechar,
        Str,
        "fd type as one letter (f, d, 4, 6, u, p, e, s, l, i, t, n, ...).",
    ),
    f(
        "fd.name",
        Fid::FdName,
        Str,
        "fd name: the path, the connection tuple, or a description.",
    ),
    f(
        "fd.nameraw",
        Fid::FdNameraw,
        Str,
        "fd name with a file's path as the open call gave it (not made absolute).",
    ),
    f(
        "fd.directory",
        Fid::FdDirectory,
        Str,
        "Directory part of a file fd's path.",
    ),
    f(
        "fd.filename",
        Fid::FdFilename,
        Str,
        "File name part of a file fd's path.",
    ),
    f(
        "fd.ip",
        Fid::FdIp,
        Ip,
        "Either end's IP address (matches client or server).",
    ),
    f("fd.cip", Fid::FdCip, Ip, "Client IP address."),
    f("fd.sip", Fid::FdSip, Ip, "Server IP address."),
    f("fd.lip", Fid::FdLip, Ip, "Local IP address."),
    f("fd.rip", Fid::FdRip, Ip, "Remote IP address."),
    f(
        "fd.net",
        Fid::FdNet,
        Ip,
        "Either end's IP address, for network comparisons (fd.net = 10.0.0.0/8).",
    ),
    f(
        "fd.cnet",
        Fid::FdCnet,
        Ip,
        "Client IP address, for network comparisons.",
    ),
    f(
        "fd.snet",
        Fid::FdSnet,
        Ip,
        "Server IP address, for network comparisons.",
    ),
    f(
        "fd.lnet",
        Fid::FdLnet,
        Ip,
        "Local IP address, for network comparisons.",
    ),
    f(
        "fd.rnet",
        Fid::FdRnet,
        Ip,
        "Remote IP address, for network comparisons.",
    ),
    f(
        "fd.cip.name",
        Fid::FdCipName,
        Str,
        "Domain name of the client IP address: the name last looked up for it in a DNS answer the capture holds (only answers it saw; see casefile-filter(7)).",
    ),
    f(
        "fd.sip.name",
        Fid::FdSipName,
        Str,
        "Domain name of the server IP address: the name last looked up for it in a DNS answer the capture holds (only answers it saw; see casefile-filter(7)).",
    ),
    f(
        "fd.lip.name",
        Fid::FdLipName,
        Str,
        "Domain name of the local IP address: the name last looked up for it in a DNS answer the capture holds (only answers it saw; see casefile-filter(7)).",
    ),
    f(
        "fd.rip.name",
        Fid::FdRipName,
        Str,
        "Domain name of the remote IP address: the name last looked up for it in a DNS answer the capture holds (only answers it saw; see casefile-filter(7)).",
    ),
    f(
        "fd.port",
        Fid::FdPort,
        Num,
        "Either end's port (matches client or server).",
    ),
    f("fd.cport", Fid::FdCport, Num, "Client port."),
    f("fd.sport", Fid::FdSport, Num, "Server port."),
    f("fd.lport", Fid::FdLport, Num, "Local port."),
    f("fd.rport", Fid::FdRport, Num, "Remote port."),
    f(
        "fd.l4proto",
        Fid::FdL4proto,
        Str,
        "Layer-4 protocol: tcp, udp, icmp, raw.",
    ),
    f(
        "fd.sockfamily",
        Fid::FdSockfamily,
        Str,
        "Socket family: ip or unix.",
    ),
    f(
        "fd.is_server",
        Fid::FdIsServer,
        Bool,
        "Whether this end is the server (accepted, or listening).",
    ),
    f(
        "fd.connected",
        Fid::FdConnected,
        Bool,
        "Whether an IP socket is connected (connect succeeded or is in progress, or accepted).",
    ),
    f(
        "fd.name_changed",
        Fid::FdNameChanged,
        Bool,
        "Whether this event changed the name of its fd (a connect, or a sendto naming a socket).",
    ),
    f(
        "container.id",
        Fid::ContainerId,
        Str,
        "Container id (12 characters, as sysdig prints it), or 'host'.",
    ),
    f(
        "container.name",
        Fid::ContainerName,
        Str,
        "Container name, or 'host'.",
    ),
    f(
        "container.image",
        Fid::ContainerImage,
        Str,
        "Container image reference.",
    ),
    f(
        "container.image.id",
        Fid::ContainerImageId,
        Str,
        "Container image id.",
    ),
    f(
        "container.image.repository",
        Fid::ContainerImageRepository,
        Str,
        "Image reference without its tag or digest (docker.io/library/nginx).",
    ),
    f(
        "container.image.tag",
        Fid::ContainerImageTag,
        Str,
        "Tag of the image reference (1.25).",
    ),
    f(
        "container.type",
        Fid::ContainerType,
        Str,
        "Container runtime: docker, containerd, cri-o, podman, ... or 'host'.",
    ),
    f(
        "container.privileged",
        Fid::ContainerPrivileged,
        Bool,
        "Whether the container runs privileged.",
    ),
    f(
        "container.start_ts",
        Fid::ContainerStartTs,
        Num,
        "When the container started, ns since the epoch (from its runtime's state).",
    ),
    fa(
        "container.label",
        Fid::ContainerLabel,
        Str,
        ArgKind::Key,
        "One container label: container.label[app].",
    ),
    f(
        "container.mounts",
        Fid::ContainerMounts,
        Str,
        "The container's mounts (binds and volumes), comma-separated, each source:dest:mode:rdwr:propagation.",
    ),
    fa(
        "container.mount",
        Fid::ContainerMount,
        Str,
        ArgKind::OptKey,
        "One mount as source:dest:mode:rdwr:propagation, by number (container.mount[0]) or source glob (container.mount[/var/run/*]).",
    ),
    fa(
        "container.mount.dest",
        Fid::ContainerMountDest,
        Str,
        ArgKind::OptKey,
        "Destination of a container mount, by number or source glob (container.mount.dest[/proc*]).",
    ),
    fa(
        "container.mount.source",
        Fid::ContainerMountSource,
        Str,
        ArgKind::OptKey,
        "Source of a container mount, by number or destination glob (container.mount.source[/etc]).",
    ),
    fa(
        "container.mount.mode",
        Fid::ContainerMountMode,
        Str,
        ArgKind::OptKey,
        "Mode of a container mount (ro, z, Z or empty), by number or source glob.",
    ),
    fa(
        "container.mount.rdwr",
        Fid::ContainerMountRdwr,
        Str,
        ArgKind::OptKey,
        "Whether a container mount is writable (true/false), by number or source glob.",
    ),
    fa(
        "container.mount.propagation",
        Fid::ContainerMountPropagation,
        Str,
        ArgKind::OptKey,
        "Propagation of a container mount (rprivate, shared...), by number or source glob.",
    ),
    f(
        "k8s.pod.name",
        Fid::K8sPodName,
        Str,
        "Kubernetes pod name (label io.kubernetes.pod.name).",
    ),
    f(
        "k8s.ns.name",
        Fid::K8sNsName,
        Str,
        "Kubernetes namespace (label io.kubernetes.pod.namespace).",
    ),
    f(
        "k8s.pod.uid",
        Fid::K8sPodUid,
        Str,
        "Kubernetes pod uid (label io.kubernetes.pod.uid).",
    ),
    f(
        "host.name",
        Fid::HostName,
        Str,
        "Name of the host the event happened on (its source host in a merged capture).",
    ),
    f(
        "host.index",
        Fid::HostIndex,
        Num,
        "Index of the event's source host in a merged capture (0 in a capture of one host).",
    ),
    f("user.uid", Fid::UserUid, Num, "User id of the process."),
    f("user.name", Fid::UserName, Str, "User name."),
    f(
        "user.homedir",
        Fid::UserHomedir,
        Str,
        "User's home directory.",
    ),
    f("user.shell", Fid::UserShell, Str, "User's login shell."),
    f(
        "user.loginuid",
        Fid::UserLoginuid,
        Num,
        "Login (audit) user id; -1 when unset.",
    ),
    f(
        "user.loginname",
        Fid::UserLoginname,
        Str,
        "Name of the login (audit) user.",
    ),
    f("group.gid", Fid::GroupGid, Num, "Group id of the process."),
    f("group.name", Fid::GroupName, Str, "Group name."),
    f(
        "fs.path.name",
        Fid::FsPathName,
        Str,
        "Path a successful file system call (open, mkdir, rmdir, unlink, chmod, chown, umount) acted on, made absolute.",
    ),
    f(
        "fs.path.source",
        Fid::FsPathSource,
        Str,
        "Source of a successful rename (old path), link or symlink (the new link) or mount (the device), made absolute.",
    ),
    f(
        "fs.path.target",
        Fid::FsPathTarget,
        Str,
        "Target of a successful rename (new path), link or symlink (what it links to) or mount (the directory), made absolute.",
    ),
    f(
        "thread.cpu",
        Fid::ThreadCpu,
        Num,
        "CPU% of the thread (100 = one CPU, whole percent) between its two latest resource samples (the recorder samples about once a second; sysdig's procinfo events).",
    ),
    f(
        "thread.cpu.user",
        Fid::ThreadCpuUser,
        Num,
        "User-mode part of thread.cpu.",
    ),
    f(
        "thread.cpu.system",
        Fid::ThreadCpuSystem,
        Num,
        "Kernel-mode part of thread.cpu.",
    ),
    f(
        "proc.cpu",
        Fid::ProcCpu,
        Num,
        "CPU% of the process: thread.cpu summed over its threads (100 = one CPU).",
    ),
    f(
        "thread.exectime",
        Fid::ThreadExectime,
        Num,
        "CPU time the thread used between its two latest resource samples, ns.",
    ),
    f(
        "thread.totexectime",
        Fid::ThreadTotexectime,
        Num,
        "CPU time the thread used since it started, ns (as of its latest sample).",
    ),
    f(
        "thread.vmsize",
        Fid::ThreadVmsize,
        Num,
        "Virtual memory size of the thread's process, KiB (latest sample or switch event).",
    ),
    f(
        "thread.vmrss",
        Fid::ThreadVmrss,
        Num,
        "Resident memory of the thread's process, KiB.",
    ),
    f(
        "thread.vmswap",
        Fid::ThreadVmswap,
        Num,
        "Swapped-out memory of the thread's process, KiB.",
    ),
    f(
        "thread.pfmajor",
        Fid::ThreadPfmajor,
        Num,
        "Major page faults of the thread so far.",
    ),
    f(
        "thread.pfminor",
        Fid::ThreadPfminor,
        Num,
        "Minor page faults of the thread so far.",
    ),
];

/// The argument folded into a resolved field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldArg {
    /// None.
    None,
    /// An index.
    Index(usize),
    /// A name or key.
    Name(String),
}

/// A resolved field: which one and its argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Which field.
    pub fid: Fid,
    /// Its argument.
    pub arg: FieldArg,
}

/// The registry of replay's fields.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fields;

impl Fields {
    /// Looks a field up by its exact name.
    pub fn def(name: &str) -> Option<&'static FieldDef> {
        FIELDS.iter().find(|d| d.name == name)
    }
}

impl Registry for Fields {
    type Field = Field;

    fn resolve(&self, name: &str, arg: Option<&str>) -> Result<FieldSpec<Field>, ResolveError> {
        // `evt.arg.fd` is `evt.arg[fd]`; `container.label.app` is not accepted (keys have dots).
        let (def, arg) = if let Some(d) = Fields::def(name) {
            (d, arg.map(str::to_owned))
        } else {
            let (prefix, rest) = name.rsplit_once('.').ok_or(ResolveError::Unknown)?;
            match Fields::def(prefix) {
                Some(d) if d.arg == ArgKind::Param && arg.is_none() => (d, Some(rest.to_owned())),
                _ => return Err(ResolveError::Unknown),
            }
        };
        if !def.recorded {
            return Err(ResolveError::Arg(format!(
                "{} is not recorded by casefile yet, so a filter using it could never match; it is refused rather than silently false",
                def.name
            )));
        }
        let (arg, multi) = match (def.arg, arg) {
            (ArgKind::None | ArgKind::OptKey, None) => (FieldArg::None, false),
            (ArgKind::None, Some(_)) => {
                return Err(ResolveError::Arg(format!("{} takes no argument", def.name)));
            }
            (ArgKind::OptIndex, None) => (FieldArg::None, true),
            (ArgKind::OptIndex, Some(a)) => (
                FieldArg::Index(a.parse().map_err(|_| {
                    ResolveError::Arg(format!("{}[{a}]: the argument must be a number", def.name))
                })?),
                false,
            ),
            (ArgKind::Param, Some(a)) if a.is_empty() => {
                return Err(ResolveError::Arg(format!(
                    "{}[]: the argument is empty",
                    def.name
                )));
            }
            (ArgKind::Param, Some(a)) => match a.parse::<usize>() {
                Ok(i) => (FieldArg::Index(i), false),
                Err(_) => (FieldArg::Name(a), false),
            },
            (ArgKind::Param | ArgKind::Key, None) => {
                return Err(ResolveError::Arg(format!(
                    "{} needs an argument, like {}[name]",
                    def.name, def.name
                )));
            }
            (ArgKind::Key | ArgKind::OptKey, Some(a)) => (FieldArg::Name(a), false),
        };
        Ok(FieldSpec {
            id: Field { fid: def.fid, arg },
            ty: def.ty,
            multi,
        })
    }

    fn names(&self) -> Vec<&str> {
        FIELDS.iter().map(|d| d.name).collect()
    }

    fn num_range(&self, field: &Field) -> (i64, i64) {
        let u32max = i64::from(u32::MAX);
        match field.fid {
            Fid::FdPort | Fid::FdCport | Fid::FdSport | Fid::FdLport | Fid::FdRport => (0, 65535),
            Fid::ProcPid
            | Fid::ProcPpid
            | Fid::ProcApid
            | Fid::ProcVpid
            | Fid::ProcVpgid
            | Fid::ProcTty
            | Fid::ProcNthreads
            | Fid::ThreadTid
            | Fid::ThreadVtid
            | Fid::UserUid
            | Fid::GroupGid
            | Fid::HostIndex => (0, u32max),
            Fid::UserLoginuid => (-1, u32max),
            Fid::EvtNum | Fid::EvtRawtime | Fid::EvtRawtimeS => (0, i64::MAX),
            Fid::EvtRawtimeNs => (0, 999_999_999),
            _ => (i64::MIN, i64::MAX),
        }
    }
}

/// The field list as `casefile fields` prints it: one line per field with its type and doc.
pub fn list_text() -> String {
    let mut out = String::new();
    let mut class = "";
    for d in FIELDS {
        let c = d.name.split('.').next().unwrap_or("");
        if c != class {
            if !class.is_empty() {
                out.push('\n');
            }
            let _ = writeln!(out, "{c} fields");
            class = c;
        }
        let name = match d.arg {
            ArgKind::None => d.name.to_owned(),
            ArgKind::OptIndex => format!("{}[N]", d.name),
            ArgKind::Param => format!("{}.NAME, {}[N]", d.name, d.name),
            ArgKind::Key | ArgKind::OptKey => format!("{}[KEY]", d.name),
        };
        let _ = writeln!(out, "  {name:<28} {:<5} {}", d.ty.short(), d.doc);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::compile;

    #[test]
    fn names_are_unique_and_every_id_is_listed() {
        let mut names = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        for d in FIELDS {
            assert!(names.insert(d.name), "{} twice", d.name);
            assert!(ids.insert(d.fid), "{:?} twice", d.fid);
        }
    }

    #[test]
    fn number_ranges_follow_the_field() {
        let e = compile("fd.port = 65536", &Fields).expect_err("range");
        assert_eq!(
            e.to_string(),
            "invalid filter: column 11: 65536 is out of range for fd.port (0 to 65535)\n  fd.port = 65536\n            ^^^^^"
        );
        assert!(compile("user.loginuid = -1", &Fields).is_ok());
        assert!(compile("user.uid = -1", &Fields).is_err());
        assert!(compile("fd.num > 4294967295 and evt.cpu > -500", &Fields).is_ok());
        assert!(compile("evt.arg[] = x", &Fields).is_err());
    }

    #[test]
    fn arguments_resolve() {
        let r = |n: &str, a: Option<&str>| Fields.resolve(n, a).map(|s| (s.id.arg, s.multi));
        assert_eq!(
            r("evt.arg.fd", None),
            Ok((FieldArg::Name("fd".into()), false))
        );
        assert_eq!(r("evt.arg", Some("2")), Ok((FieldArg::Index(2), false)));
        assert_eq!(r("proc.aname", None), Ok((FieldArg::None, true)));
        assert_eq!(r("proc.aname", Some("2")), Ok((FieldArg::Index(2), false)));
        assert!(matches!(
            r("proc.aname", Some("x")),
            Err(ResolveError::Arg(_))
        ));
        assert!(matches!(
            r("container.label", None),
            Err(ResolveError::Arg(_))
        ));
        assert_eq!(r("proc.nme", None), Err(ResolveError::Unknown));
        assert!(matches!(
            r("proc.name", Some("1")),
            Err(ResolveError::Arg(_))
        ));
    }

    #[test]
    fn unknown_field_message_suggests() {
        let e = compile("proc.nmae = bash", &Fields).expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "invalid filter: column 1: unknown field 'proc.nmae' (did you mean 'proc.name'?)\n  proc.nmae = bash\n  ^^^^^^^^^"
        );
        let e = compile("evt.type = open and fd.nam contains x", &Fields).expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "invalid filter: column 21: unknown field 'fd.nam' (did you mean 'fd.name'?)\n  evt.type = open and fd.nam contains x\n                      ^^^^^^"
        );
    }
}
