//! The built-in views: csysdig's and Sysdig Inspect's, as data.
//!
//! Ids follow csysdig (`procs`, `files`, `sports`, ...). Byte columns sum `evt.buflen` (what
//! the call transferred, its result) under `evt.is_io_read`/`evt.is_io_write`; time columns sum
//! or rank `evt.latency`.

use super::spec::Agg::{
    Avg, Count, Distinct, First, FirstSeen, Image, Key, Last, LastSeen, Max, Min, P50, P95, P99,
    Sum, Value,
};
use super::spec::Unit::{Bytes, Ns, Num, Text, Time};
use super::spec::{Column, Drill, Order, ViewKind, ViewSpec, col};

const IN: Option<&str> = Some("evt.is_io_read = true");
const OUT: Option<&str> = Some("evt.is_io_write = true");
const IO: Option<&str> = Some("evt.is_io = true");
const FAILED: Option<&str> = Some("evt.failed = true");
const BUFLEN: Option<&str> = Some("evt.buflen");
const LAT: Option<&str> = Some("evt.latency");

/// Events that are system calls (not process, signal or container records).
pub const SYSCALLS_ONLY: &str =
    "not evt.type in (procfork, procexec, procexit, signaldeliver, container, drop)";

const fn k(name: &'static str, field: &'static str, unit: super::spec::Unit) -> Column {
    col(name, Key, Some(field), None, unit)
}

const fn v(name: &'static str, field: &'static str, unit: super::spec::Unit) -> Column {
    col(name, Value, Some(field), None, unit)
}

const BYTES_IN: Column = col("BYTES IN", Sum, BUFLEN, IN, Bytes);
const BYTES_OUT: Column = col("BYTES OUT", Sum, BUFLEN, OUT, Bytes);
const BYTES: Column = col("BYTES", Sum, BUFLEN, IO, Bytes);
const IOPS: Column = col("IOPS", Count, None, IO, Num);
const EVENTS: Column = col("EVENTS", Count, None, None, Num);
const ERRORS: Column = col("ERRORS", Count, None, FAILED, Num);
const TIME: Column = col("TIME", Sum, LAT, None, Ns);
const FIRST: Column = col("FIRST SEEN", FirstSeen, None, None, Time);
const LAST: Column = col("LAST SEEN", LastSeen, None, None, Time);
const AT: Column = v("TIME", "evt.rawtime", Time);

/// Processes.
pub static PROCS: ViewSpec = ViewSpec {
    id: "procs",
    name: "Processes",
    description: "Processes with their activity: events, system call time, I/O bytes and errors.",
    kind: ViewKind::Table,
    filter: Some("proc.pid > 0"),
    columns: &[
        k("PID", "proc.pid", Num),
        col("NAME", Image, Some("proc.name"), None, Text),
        col("USER", Image, Some("user.name"), None, Text),
        col("CONTAINER", Last, Some("container.name"), None, Text),
        col("CPU%", Last, Some("proc.cpu"), None, Num),
        col("VIRT KIB", Last, Some("thread.vmsize"), None, Num),
        col("RES KIB", Last, Some("thread.vmrss"), None, Num),
        EVENTS,
        col("SYSCALL TIME", Sum, LAT, None, Ns),
        BYTES_IN,
        BYTES_OUT,
        ERRORS,
        FIRST,
        LAST,
        col("CMDLINE", Image, Some("proc.cmdline"), None, Text),
    ],
    // As csysdig: the busiest processes by CPU first (by events in a capture without
    // resource samples).
    sort: ("CPU%", Order::Desc),
    drill: Some(Drill {
        view: "threads",
        key: "proc.pid",
    }),
};

/// Threads.
pub static THREADS: ViewSpec = ViewSpec {
    id: "threads",
    name: "Threads",
    description: "Threads with their process, events, system call time and I/O bytes.",
    kind: ViewKind::Table,
    filter: Some("thread.tid > 0"),
    columns: &[
        k("TID", "thread.tid", Num),
        col("PID", First, Some("proc.pid"), None, Num),
        col("NAME", Image, Some("proc.name"), None, Text),
        col("CPU%", Last, Some("thread.cpu"), None, Num),
        col("RES KIB", Last, Some("thread.vmrss"), None, Num),
        EVENTS,
        col("SYSCALL TIME", Sum, LAT, None, Ns),
        BYTES_IN,
        BYTES_OUT,
        ERRORS,
        FIRST,
        LAST,
    ],
    sort: ("EVENTS", Order::Desc),
    drill: Some(Drill {
        view: "syscalls",
        key: "thread.tid",
    }),
};

/// Containers.
pub static CONTAINERS: ViewSpec = ViewSpec {
    id: "containers",
    name: "Containers",
    description: "Containers (and the host) with their processes, events, file and network bytes.",
    kind: ViewKind::Table,
    filter: None,
    columns: &[
        k("ID", "container.id", Text),
        col("NAME", Last, Some("container.name"), None, Text),
        col("IMAGE", Last, Some("container.image"), None, Text),
        col("PROCS", Distinct, Some("proc.pid"), None, Num),
        EVENTS,
        col(
            "FILE BYTES",
            Sum,
            BUFLEN,
            Some("evt.is_io = true and fd.type = file"),
            Bytes,
        ),
        col(
            "NET BYTES",
            Sum,
            BUFLEN,
            Some("evt.is_io = true and fd.sockfamily = ip"),
            Bytes,
        ),
        ERRORS,
        FIRST,
        LAST,
    ],
    sort: ("EVENTS", Order::Desc),
    drill: Some(Drill {
        view: "procs",
        key: "container.id",
    }),
};

/// Network connections.
pub static CONNECTIONS: ViewSpec = ViewSpec {
    id: "connections",
    name: "Connections",
    description: "TCP/UDP connections active in the time range, by bytes exchanged.",
    kind: ViewKind::Table,
    filter: Some("fd.sockfamily = ip and fd.sport exists"),
    columns: &[
        k("CONNECTION", "fd.name", Text),
        col("PROTO", First, Some("fd.l4proto"), None, Text),
        col("CLIENT", First, Some("fd.cip"), None, Text),
        col("CPORT", First, Some("fd.cport"), None, Num),
        col("SERVER", First, Some("fd.sip"), None, Text),
        col("SPORT", First, Some("fd.sport"), None, Num),
        col("PROC", Last, Some("proc.name"), None, Text),
        col("PID", Last, Some("proc.pid"), None, Num),
        BYTES_IN,
        BYTES_OUT,
        BYTES,
        IOPS,
        FIRST,
        LAST,
    ],
    sort: ("BYTES", Order::Desc),
    drill: Some(Drill {
        view: "echo",
        key: "fd.name",
    }),
};

/// Server ports.
pub static SPORTS: ViewSpec = ViewSpec {
    id: "sports",
    name: "Server Ports",
    description: "Server ports by bytes exchanged on their connections.",
    kind: ViewKind::Table,
    filter: Some("fd.sockfamily = ip and fd.sport exists"),
    columns: &[
        k("PORT", "fd.sport", Num),
        col("PROTO", First, Some("fd.l4proto"), None, Text),
        col("CONNECTIONS", Distinct, Some("fd.name"), IO, Num),
        col("CLIENTS", Distinct, Some("fd.cip"), IO, Num),
        BYTES_IN,
        BYTES_OUT,
        BYTES,
        IOPS,
    ],
    sort: ("BYTES", Order::Desc),
    drill: Some(Drill {
        view: "connections",
        key: "fd.sport",
    }),
};

/// Port bindings.
pub static PORT_BINDINGS: ViewSpec = ViewSpec {
    id: "port_bindings",
    name: "Port bindings",
    description: "Every successful bind and listen on an IP socket: who opened which port.",
    kind: ViewKind::List,
    filter: Some(
        "evt.type in (bind, listen) and evt.failed = false and fd.sockfamily = ip \
         and fd.sport exists",
    ),
    columns: &[
        AT,
        v("TYPE", "evt.type", Text),
        v("PID", "proc.pid", Num),
        v("PROC", "proc.name", Text),
        v("ADDRESS", "fd.sip", Text),
        v("PORT", "fd.sport", Num),
        v("PROTO", "fd.l4proto", Text),
        v("CONTAINER", "container.name", Text),
    ],
    sort: ("TIME", Order::Asc),
    drill: Some(Drill {
        view: "connections",
        key: "fd.sport",
    }),
};

/// Files.
pub static FILES: ViewSpec = ViewSpec {
    id: "files",
    name: "Files",
    description: "Files accessed, by bytes read and written, I/O calls, opens and errors.",
    kind: ViewKind::Table,
    filter: Some("fd.type = file"),
    columns: &[
        k("FILE", "fd.name", Text),
        BYTES_IN,
        BYTES_OUT,
        BYTES,
        IOPS,
        col(
            "OPENS",
            Count,
            None,
            Some("evt.type in (open, openat, openat2, creat)"),
            Num,
        ),
        ERRORS,
        col("TIME", Sum, LAT, IO, Ns),
        col("PROCS", Distinct, Some("proc.pid"), None, Num),
        FIRST,
        LAST,
    ],
    sort: ("BYTES", Order::Desc),
    drill: Some(Drill {
        view: "procs",
        key: "fd.name",
    }),
};

/// Directories.
pub static DIRECTORIES: ViewSpec = ViewSpec {
    id: "directories",
    name: "Directories",
    description: "Directories whose files were accessed, by bytes, I/O calls and files.",
    kind: ViewKind::Table,
    filter: Some("fd.type in (file, directory)"),
    columns: &[
        k("DIRECTORY", "fd.directory", Text),
        BYTES_IN,
        BYTES_OUT,
        BYTES,
        IOPS,
        col("FILES", Distinct, Some("fd.name"), None, Num),
        col("TIME", Sum, LAT, IO, Ns),
    ],
    sort: ("BYTES", Order::Desc),
    drill: Some(Drill {
        view: "files",
        key: "fd.directory",
    }),
};

/// I/O by fd type.
pub static IO_BY_TYPE: ViewSpec = ViewSpec {
    id: "io_by_type",
    name: "I/O by Type",
    description: "I/O volume and time by kind of fd: file, ipv4, ipv6, unix, pipe, ...",
    kind: ViewKind::Table,
    filter: Some("evt.is_io = true"),
    columns: &[
        k("TYPE", "fd.type", Text),
        BYTES_IN,
        BYTES_OUT,
        BYTES,
        IOPS,
        col("TIME", Sum, LAT, None, Ns),
        col("P99 LATENCY", P99, LAT, None, Ns),
    ],
    sort: ("BYTES", Order::Desc),
    drill: Some(Drill {
        view: "procs",
        key: "fd.type",
    }),
};

/// Slow file I/O.
pub static SLOW_IO: ViewSpec = ViewSpec {
    id: "slow_io",
    name: "Slow File I/O",
    description: "File reads and writes that took 1 ms or more, by file and process.",
    kind: ViewKind::Table,
    filter: Some("fd.type = file and evt.is_io = true and evt.latency >= 1000000"),
    columns: &[
        k("FILE", "fd.name", Text),
        k("PROC", "proc.name", Text),
        col("CALLS", Count, None, None, Num),
        BYTES,
        col("MIN", Min, LAT, None, Ns),
        col("AVG", Avg, LAT, None, Ns),
        col("P99", P99, LAT, None, Ns),
        col("MAX", Max, LAT, None, Ns),
        col("TOTAL", Sum, LAT, None, Ns),
    ],
    sort: ("TOTAL", Order::Desc),
    drill: Some(Drill {
        view: "dig",
        key: "fd.name",
    }),
};

/// Errors by errno.
pub static ERRORS_VIEW: ViewSpec = ViewSpec {
    id: "errors",
    name: "Errors",
    description: "Failed system calls by error code.",
    kind: ViewKind::Table,
    filter: Some("evt.failed = true"),
    columns: &[
        k("ERROR", "evt.res", Text),
        col("COUNT", Count, None, None, Num),
        col("SYSCALLS", Distinct, Some("evt.type"), None, Num),
        col("PROCS", Distinct, Some("proc.pid"), None, Num),
        FIRST,
        LAST,
    ],
    sort: ("COUNT", Order::Desc),
    drill: Some(Drill {
        view: "procs_errors",
        key: "evt.res",
    }),
};

/// Errors by process.
pub static PROCS_ERRORS: ViewSpec = ViewSpec {
    id: "procs_errors",
    name: "Processes Errors",
    description: "Failed system calls by process, split into file, network and other errors.",
    kind: ViewKind::Table,
    filter: Some("evt.failed = true"),
    columns: &[
        k("PID", "proc.pid", Num),
        col("NAME", Image, Some("proc.name"), None, Text),
        col("ERRORS", Count, None, None, Num),
        col("FILE", Count, None, Some("evt.category = file"), Num),
        col("NET", Count, None, Some("evt.category = net"), Num),
        col(
            "OTHER",
            Count,
            None,
            Some("not evt.category in (file, net)"),
            Num,
        ),
        col("ERRNOS", Distinct, Some("evt.res"), None, Num),
    ],
    sort: ("ERRORS", Order::Desc),
    drill: Some(Drill {
        view: "errors",
        key: "proc.pid",
    }),
};

/// System calls.
pub static SYSCALLS: ViewSpec = ViewSpec {
    id: "syscalls",
    name: "System Calls",
    description: "System calls by count and time, with latency percentiles.",
    kind: ViewKind::Table,
    filter: Some(SYSCALLS_ONLY),
    columns: &[
        k("SYSCALL", "evt.type", Text),
        col("CALLS", Count, None, None, Num),
        ERRORS,
        TIME,
        col("AVG", Avg, LAT, None, Ns),
        col("P50", P50, LAT, None, Ns),
        col("P95", P95, LAT, None, Ns),
        col("P99", P99, LAT, None, Ns),
        col("MAX", Max, LAT, None, Ns),
    ],
    sort: ("CALLS", Order::Desc),
    drill: Some(Drill {
        view: "syscall_procs",
        key: "evt.type",
    }),
};

/// System call callers.
pub static SYSCALL_PROCS: ViewSpec = ViewSpec {
    id: "syscall_procs",
    name: "Syscall Callers",
    description: "Processes by number of system calls and time spent in them.",
    kind: ViewKind::Table,
    filter: Some(SYSCALLS_ONLY),
    columns: &[
        k("PID", "proc.pid", Num),
        col("NAME", Image, Some("proc.name"), None, Text),
        col("CALLS", Count, None, None, Num),
        ERRORS,
        TIME,
        col("SYSCALLS", Distinct, Some("evt.type"), None, Num),
        col("MAX", Max, LAT, None, Ns),
    ],
    sort: ("CALLS", Order::Desc),
    drill: Some(Drill {
        view: "syscalls",
        key: "proc.pid",
    }),
};

/// Commands run from shells.
pub static SPY_USERS: ViewSpec = ViewSpec {
    id: "spy_users",
    name: "Spy Users",
    description: "Interactive commands: programs executed by a shell, with user, cwd and arguments.",
    kind: ViewKind::List,
    filter: Some(
        "evt.type = procexec and proc.pname in (bash, sh, zsh, dash, fish, ksh, tcsh, csh, \
         ash, busybox)",
    ),
    columns: &[
        AT,
        v("USER", "user.name", Text),
        v("UID", "user.uid", Num),
        v("PID", "proc.pid", Num),
        v("SHELL", "proc.pname", Text),
        v("SHELL PID", "proc.ppid", Num),
        v("CWD", "proc.cwd", Text),
        v("COMMAND", "proc.cmdline", Text),
        v("CONTAINER", "container.name", Text),
    ],
    sort: ("TIME", Order::Asc),
    drill: Some(Drill {
        view: "dig",
        key: "proc.pid",
    }),
};

/// Every executed program.
pub static EXECS: ViewSpec = ViewSpec {
    id: "execs",
    name: "Executed Commands",
    description: "Every program executed, with its parent, user, cwd and arguments.",
    kind: ViewKind::List,
    filter: Some("evt.type = procexec"),
    columns: &[
        AT,
        v("USER", "user.name", Text),
        v("PID", "proc.pid", Num),
        v("PARENT", "proc.pname", Text),
        v("PPID", "proc.ppid", Num),
        v("CWD", "proc.cwd", Text),
        v("COMMAND", "proc.cmdline", Text),
        v("CONTAINER", "container.name", Text),
    ],
    sort: ("TIME", Order::Asc),
    drill: Some(Drill {
        view: "dig",
        key: "proc.pid",
    }),
};

/// New inbound connections.
pub static INCOMING: ViewSpec = ViewSpec {
    id: "incoming_connections",
    name: "Incoming Connections",
    description: "Every accepted connection: client, server port and the accepting process.",
    kind: ViewKind::List,
    filter: Some("evt.type in (accept, accept4) and evt.failed = false"),
    columns: &[
        AT,
        v("PID", "proc.pid", Num),
        v("PROC", "proc.name", Text),
        v("CLIENT", "fd.cip", Text),
        v("CPORT", "fd.cport", Num),
        v("SERVER", "fd.sip", Text),
        v("SPORT", "fd.sport", Num),
        v("CONTAINER", "container.name", Text),
    ],
    sort: ("TIME", Order::Asc),
    drill: Some(Drill {
        view: "echo",
        key: "fd.name",
    }),
};

/// New connections, both ways.
pub static NEW_CONNECTIONS: ViewSpec = ViewSpec {
    id: "new_connections",
    name: "New Connections",
    description: "Every connection established, accepted (inbound) or connected (outbound).",
    kind: ViewKind::List,
    filter: Some(
        "evt.type in (accept, accept4, connect) and (evt.failed = false or evt.res = EINPROGRESS) \
         and fd.sport exists",
    ),
    columns: &[
        AT,
        v("TYPE", "evt.type", Text),
        v("PID", "proc.pid", Num),
        v("PROC", "proc.name", Text),
        v("CONNECTION", "fd.name", Text),
        v("PROTO", "fd.l4proto", Text),
        v("RESULT", "evt.res", Text),
        v("CONTAINER", "container.name", Text),
    ],
    sort: ("TIME", Order::Asc),
    drill: Some(Drill {
        view: "echo",
        key: "fd.name",
    }),
};

/// Every file open.
pub static FILE_OPENS: ViewSpec = ViewSpec {
    id: "file_opens",
    name: "File Opens List",
    description: "Every open of a file, with the process, flags and result (failed ones too).",
    kind: ViewKind::List,
    filter: Some("evt.type in (open, openat, openat2, creat)"),
    columns: &[
        AT,
        v("PID", "proc.pid", Num),
        v("PROC", "proc.name", Text),
        v("FILE", "fd.name", Text),
        v("FLAGS", "evt.arg.flags", Text),
        v("RESULT", "evt.res", Text),
        v("CONTAINER", "container.name", Text),
    ],
    sort: ("TIME", Order::Asc),
    drill: Some(Drill {
        view: "dig",
        key: "proc.pid",
    }),
};

/// Page faults by thread, from the resource samples (and sysdig's switch events).
pub static PAGE_FAULTS: ViewSpec = ViewSpec {
    id: "page_faults",
    name: "Page Faults",
    description: "Threads by page faults so far (major, then minor), with their memory.",
    kind: ViewKind::Table,
    filter: Some("thread.pfminor exists"),
    columns: &[
        k("TID", "thread.tid", Num),
        col("PID", First, Some("proc.pid"), None, Num),
        col("NAME", Image, Some("proc.name"), None, Text),
        col("MAJOR", Max, Some("thread.pfmajor"), None, Num),
        col("MINOR", Max, Some("thread.pfminor"), None, Num),
        col("RES KIB", Last, Some("thread.vmrss"), None, Num),
        col("VIRT KIB", Last, Some("thread.vmsize"), None, Num),
        col("CONTAINER", Last, Some("container.name"), None, Text),
    ],
    sort: ("MINOR", Order::Desc),
    drill: Some(Drill {
        view: "dig",
        key: "thread.tid",
    }),
};

/// Every view, in the order `top --list` shows them.
pub static VIEWS: &[&ViewSpec] = &[
    &PROCS,
    &THREADS,
    &CONTAINERS,
    &CONNECTIONS,
    &SPORTS,
    &PORT_BINDINGS,
    &FILES,
    &DIRECTORIES,
    &IO_BY_TYPE,
    &SLOW_IO,
    &ERRORS_VIEW,
    &PROCS_ERRORS,
    &SYSCALLS,
    &SYSCALL_PROCS,
    &SPY_USERS,
    &EXECS,
    &INCOMING,
    &NEW_CONNECTIONS,
    &FILE_OPENS,
    &PAGE_FAULTS,
];

/// The view with this id.
pub fn view(id: &str) -> Option<&'static ViewSpec> {
    VIEWS.iter().copied().find(|v| v.id == id)
}

/// Pseudo-views a drill-down may lead to that are not tables: the raw event list (`casefile
/// read`) and the I/O streams (`casefile echo`).
pub const PSEUDO_VIEWS: &[&str] = &["dig", "echo"];
