//! The overview's tiles as data: Sysdig Inspect's categories, and per tile its filter, the
//! event types that can match it ([`Guard`]), its metric, unit and the view it drills to.

use super::spec::Unit;

/// Inspect's tile categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Processes, containers, system calls.
    General,
    /// File I/O.
    File,
    /// Network I/O and connections.
    Network,
    /// Commands, privilege, deletions.
    Security,
    /// Errors, signals, slow I/O.
    Performance,
    /// Application log writes.
    Logs,
}

impl Category {
    /// Every category, in display order.
    pub const ALL: [Category; 6] = [
        Category::General,
        Category::File,
        Category::Network,
        Category::Security,
        Category::Performance,
        Category::Logs,
    ];

    /// Title.
    pub fn title(self) -> &'static str {
        match self {
            Category::General => "General",
            Category::File => "File",
            Category::Network => "Network",
            Category::Security => "Security",
            Category::Performance => "Performance",
            Category::Logs => "Logs",
        }
    }
}

/// What a tile measures over its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Number of events.
    Count,
    /// Sum of a numeric field.
    Sum(&'static str),
    /// Distinct values of a field (per bucket in the series, over the range in the total).
    Distinct(&'static str),
}

/// Which event types a tile can match (a fast pre-check; the filter decides).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    /// Any event.
    Any,
    /// Any system call.
    Syscalls,
    /// System calls that read or write data.
    Io,
    /// These event types (system call names or record kinds such as `procexec`).
    Types(&'static [&'static str]),
}

/// One tile.
#[derive(Clone, Copy, Debug)]
pub struct Tile {
    /// Id.
    pub id: &'static str,
    /// Title, as Inspect shows it.
    pub name: &'static str,
    /// Category.
    pub category: Category,
    /// Which events count.
    pub filter: &'static str,
    /// Fast pre-check.
    pub guard: Guard,
    /// What is measured.
    pub metric: Metric,
    /// How its numbers read.
    pub unit: Unit,
    /// The view it drills down to (`dig`: the raw events; `echo`: the I/O streams).
    pub target: &'static str,
    /// Extra filter on drill-down; for `dig` and `echo` targets, `None` means the tile's own
    /// filter.
    pub target_filter: Option<&'static str>,
    /// Column the target view is sorted by.
    pub target_sort: Option<&'static str>,
}

impl Tile {
    /// The filter applied to the target view on drill-down.
    pub fn drill_filter(&self) -> Option<&'static str> {
        match (self.target_filter, self.target) {
            (None, "dig" | "echo") => Some(self.filter),
            (f, _) => f,
        }
    }
}

const FILE_IO: &str = "fd.type = file and evt.is_io = true";
const NET_IO: &str = "fd.sockfamily = ip and evt.is_io = true";
const OPENS: &[&str] = &["open", "openat", "openat2", "creat"];
const ACCEPTS: &[&str] = &["accept", "accept4"];
const EXEC: &[&str] = &["procexec"];
const LOG_WRITES: &str = "evt.is_io_write = true and fd.type = file and (fd.name contains .log \
                          or fd.name contains _log or fd.name startswith /var/log/) and not \
                          fd.name endswith .gz and not fd.name endswith .tgz";

#[expect(
    clippy::too_many_arguments,
    reason = "a table row; named fields would triple the table"
)]
const fn t(
    id: &'static str,
    name: &'static str,
    category: Category,
    filter: &'static str,
    guard: Guard,
    metric: Metric,
    unit: Unit,
    target: &'static str,
    target_filter: Option<&'static str>,
) -> Tile {
    Tile {
        id,
        name,
        category,
        filter,
        guard,
        metric,
        unit,
        target,
        target_filter,
        target_sort: None,
    }
}

const fn sorted(mut tile: Tile, col: &'static str) -> Tile {
    tile.target_sort = Some(col);
    tile
}

use Category as C;
use Guard as G;
use Metric as M;

/// Every tile, in display order.
pub static TILES: &[Tile] = &[
    t(
        "running_processes",
        "Running Processes",
        C::General,
        "proc.pid > 0",
        G::Any,
        M::Distinct("proc.pid"),
        Unit::Num,
        "procs",
        None,
    ),
    t(
        "running_containers",
        "Running Containers",
        C::General,
        "container.id != host",
        G::Any,
        M::Distinct("container.id"),
        Unit::Num,
        "containers",
        None,
    ),
    t(
        "system_calls",
        "System Calls",
        C::General,
        "evt.latency >= 0",
        G::Syscalls,
        M::Count,
        Unit::Num,
        "syscalls",
        None,
    ),
    t(
        "fork_count",
        "Fork Count",
        C::General,
        "evt.type = procfork",
        G::Types(&["procfork"]),
        M::Count,
        Unit::Num,
        "dig",
        None,
    ),
    sorted(
        t(
            "file_bytes",
            "File Bytes In+Out",
            C::File,
            FILE_IO,
            G::Io,
            M::Sum("evt.buflen"),
            Unit::Bytes,
            "files",
            None,
        ),
        "BYTES",
    ),
    sorted(
        t(
            "file_bytes_in",
            "File Bytes In",
            C::File,
            "fd.type = file and evt.is_io_read = true",
            G::Io,
            M::Sum("evt.buflen"),
            Unit::Bytes,
            "files",
            None,
        ),
        "BYTES IN",
    ),
    sorted(
        t(
            "file_bytes_out",
            "File Bytes Out",
            C::File,
            "fd.type = file and evt.is_io_write = true",
            G::Io,
            M::Sum("evt.buflen"),
            Unit::Bytes,
            "files",
            None,
        ),
        "BYTES OUT",
    ),
    t(
        "accessed_files",
        "Accessed Files",
        C::File,
        "fd.type = file and evt.is_io_read = true",
        G::Io,
        M::Distinct("fd.name"),
        Unit::Num,
        "files",
        Some("evt.is_io_read = true"),
    ),
    t(
        "modified_files",
        "Modified Files",
        C::File,
        "fd.type = file and evt.is_io_write = true",
        G::Io,
        M::Distinct("fd.name"),
        Unit::Num,
        "files",
        Some("evt.is_io_write = true"),
    ),
    t(
        "file_opens",
        "File Opens",
        C::File,
        "evt.type in (open, openat, openat2, creat) and evt.failed = false",
        G::Types(OPENS),
        M::Count,
        Unit::Num,
        "file_opens",
        Some("evt.failed = false"),
    ),
    sorted(
        t(
            "net_bytes",
            "Net Bytes In+Out",
            C::Network,
            NET_IO,
            G::Io,
            M::Sum("evt.buflen"),
            Unit::Bytes,
            "sports",
            None,
        ),
        "BYTES",
    ),
    sorted(
        t(
            "net_bytes_in",
            "Net Bytes In",
            C::Network,
            "fd.sockfamily = ip and evt.is_io_read = true",
            G::Io,
            M::Sum("evt.buflen"),
            Unit::Bytes,
            "sports",
            None,
        ),
        "BYTES IN",
    ),
    sorted(
        t(
            "net_bytes_out",
            "Net Bytes Out",
            C::Network,
            "fd.sockfamily = ip and evt.is_io_write = true",
            G::Io,
            M::Sum("evt.buflen"),
            Unit::Bytes,
            "sports",
            None,
        ),
        "BYTES OUT",
    ),
    t(
        "active_connections",
        "Active Network Connections",
        C::Network,
        "fd.sockfamily = ip and evt.is_io = true and fd.sport exists",
        G::Io,
        M::Distinct("fd.name"),
        Unit::Num,
        "connections",
        Some("evt.is_io = true"),
    ),
    t(
        "new_listening_ports",
        "New Listening Ports",
        C::Network,
        "evt.type in (bind, listen) and evt.failed = false and fd.sport exists",
        G::Types(&["bind", "listen"]),
        M::Distinct("fd.sport"),
        Unit::Num,
        "port_bindings",
        None,
    ),
    t(
        "new_outbound_connections",
        "New Outbound Connections",
        C::Network,
        "evt.type = connect and (evt.failed = false or evt.res = EINPROGRESS) and fd.sport exists",
        G::Types(&["connect"]),
        M::Count,
        Unit::Num,
        "new_connections",
        Some("evt.type = connect"),
    ),
    t(
        "new_inbound_connections",
        "New Inbound Connections",
        C::Network,
        "evt.type in (accept, accept4) and evt.failed = false",
        G::Types(ACCEPTS),
        M::Count,
        Unit::Num,
        "incoming_connections",
        None,
    ),
    t(
        "failed_connections",
        "Failed Connection Attempts",
        C::Network,
        "evt.type = connect and evt.failed = true and evt.res != EINPROGRESS",
        G::Types(&["connect"]),
        M::Count,
        Unit::Num,
        "dig",
        None,
    ),
    t(
        "executed_commands",
        "Executed Commands",
        C::Security,
        "evt.type = procexec",
        G::Types(EXEC),
        M::Count,
        Unit::Num,
        "execs",
        None,
    ),
    t(
        "interactive_commands",
        "Executed Interactive Commands",
        C::Security,
        "evt.type = procexec and proc.pname in (bash, sh, zsh, dash, fish, ksh, tcsh, csh, ash, \
         busybox)",
        G::Types(EXEC),
        M::Count,
        Unit::Num,
        "spy_users",
        None,
    ),
    t(
        "sudo_invocations",
        "Sudo Invocations",
        C::Security,
        "evt.type = procexec and proc.name = sudo",
        G::Types(EXEC),
        M::Count,
        Unit::Num,
        "dig",
        None,
    ),
    t(
        "setns_invocations",
        "Setns Invocations",
        C::Security,
        "evt.type = setns",
        G::Types(&["setns"]),
        M::Count,
        Unit::Num,
        "dig",
        None,
    ),
    t(
        "new_ssh_connections",
        "New SSH Connections",
        C::Security,
        "evt.type in (accept, accept4, connect) and fd.sport = 22",
        G::Types(&["accept", "accept4", "connect"]),
        M::Count,
        Unit::Num,
        "dig",
        None,
    ),
    t(
        "modified_system_files",
        "Modified System Files",
        C::Security,
        "fd.type = file and evt.is_io_write = true and fd.name pmatch (/etc, /bin, /sbin, \
         /usr/bin, /usr/sbin, /lib, /lib64, /usr/lib, /boot)",
        G::Io,
        M::Distinct("fd.name"),
        Unit::Num,
        "files",
        Some(
            "evt.is_io_write = true and fd.name pmatch (/etc, /bin, /sbin, /usr/bin, /usr/sbin, \
             /lib, /lib64, /usr/lib, /boot)",
        ),
    ),
    t(
        "deleted_files",
        "Deleted Files",
        C::Security,
        "evt.type in (unlink, unlinkat) and evt.failed = false",
        G::Types(&["unlink", "unlinkat"]),
        M::Count,
        Unit::Num,
        "dig",
        None,
    ),
    t(
        "new_symlinks",
        "New Symlinks",
        C::Security,
        "evt.type in (symlink, symlinkat) and evt.failed = false",
        G::Types(&["symlink", "symlinkat"]),
        M::Count,
        Unit::Num,
        "dig",
        None,
    ),
    t(
        "failed_syscalls",
        "Failed System Calls",
        C::Performance,
        "evt.failed = true",
        G::Syscalls,
        M::Count,
        Unit::Num,
        "errors",
        None,
    ),
    t(
        "file_open_errors",
        "File Open Errors",
        C::Performance,
        "evt.type in (open, openat, openat2, creat) and evt.failed = true",
        G::Types(OPENS),
        M::Count,
        Unit::Num,
        "file_opens",
        Some("evt.failed = true"),
    ),
    t(
        "received_signals",
        "Received Signals",
        C::Performance,
        "evt.type = signaldeliver",
        G::Types(&["signaldeliver"]),
        M::Count,
        Unit::Num,
        "dig",
        None,
    ),
    t(
        "segfaults",
        "Segmentation Faults",
        C::Performance,
        "evt.type = signaldeliver and evt.arg.sig contains SIGSEGV",
        G::Types(&["signaldeliver"]),
        M::Count,
        Unit::Num,
        "dig",
        None,
    ),
    t(
        "slow_io_1ms",
        "Slow File I/O calls (1ms+)",
        C::Performance,
        "fd.type = file and evt.is_io = true and evt.latency >= 1000000",
        G::Io,
        M::Count,
        Unit::Num,
        "slow_io",
        None,
    ),
    t(
        "slow_io_10ms",
        "Slow File I/O calls (10ms+)",
        C::Performance,
        "fd.type = file and evt.is_io = true and evt.latency >= 10000000",
        G::Io,
        M::Count,
        Unit::Num,
        "slow_io",
        Some("evt.latency >= 10000000"),
    ),
    t(
        "slow_io_100ms",
        "Slow File I/O calls (100ms+)",
        C::Performance,
        "fd.type = file and evt.is_io = true and evt.latency >= 100000000",
        G::Io,
        M::Count,
        Unit::Num,
        "slow_io",
        Some("evt.latency >= 100000000"),
    ),
    t(
        "app_log_messages",
        "App Log Messages",
        C::Logs,
        LOG_WRITES,
        G::Io,
        M::Count,
        Unit::Num,
        "echo",
        None,
    ),
    t(
        "app_log_warnings",
        "App Log Warning Messages",
        C::Logs,
        concat!(
            "evt.is_io_write = true and fd.type = file and (fd.name contains .log or fd.name \
             contains _log or fd.name startswith /var/log/) and not fd.name endswith .gz and \
             not fd.name endswith .tgz",
            " and evt.buffer icontains warn"
        ),
        G::Io,
        M::Count,
        Unit::Num,
        "echo",
        None,
    ),
    t(
        "app_log_errors",
        "App Log Error Messages",
        C::Logs,
        concat!(
            "evt.is_io_write = true and fd.type = file and (fd.name contains .log or fd.name \
             contains _log or fd.name startswith /var/log/) and not fd.name endswith .gz and \
             not fd.name endswith .tgz",
            " and (evt.buffer icontains error or evt.buffer icontains critic or evt.buffer \
             icontains emerg or evt.buffer icontains alert)"
        ),
        G::Io,
        M::Count,
        Unit::Num,
        "echo",
        None,
    ),
];
