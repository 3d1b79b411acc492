//! sysdig's chisels as casefile answers them: `-c topprocs_cpu` runs the view that answers the
//! same question, and a chisel without an equivalent names the command that comes closest.

/// What a chisel maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chisel {
    /// A `top` view, sorted by a column (its default order when `None`), over the events a
    /// filter selects (added to the one given).
    View(&'static str, Option<&'static str>, Option<&'static str>),
    /// `casefile spy` (`--all` when true).
    Spy(bool),
    /// `casefile echo`, with a filter added to the one given.
    Echo(Option<&'static str>),
    /// `casefile ps`.
    Ps,
    /// No equivalent: what to use instead.
    Hint(&'static str),
}

/// Every chisel casefile knows, with what answers it.
pub static CHISELS: &[(&str, Chisel, &str)] = &[
    (
        "topprocs_cpu",
        Chisel::View("procs", Some("SYSCALL TIME"), None),
        "processes by time spent in system calls (captures hold no CPU samples)",
    ),
    (
        "topprocs_net",
        Chisel::View("procs", Some("BYTES OUT"), Some("fd.type in (ipv4, ipv6)")),
        "processes by network bytes sent",
    ),
    (
        "topprocs_file",
        Chisel::View("procs", Some("BYTES OUT"), Some("fd.type = file")),
        "processes by file bytes written",
    ),
    (
        "topprocs_errors",
        Chisel::View("procs_errors", None, None),
        "processes by failed system calls",
    ),
    (
        "topfiles_bytes",
        Chisel::View("files", Some("BYTES"), None),
        "files by bytes read and written",
    ),
    (
        "topfiles_time",
        Chisel::View("files", Some("TIME"), None),
        "files by time spent in I/O",
    ),
    (
        "topfiles_errors",
        Chisel::View("errors", None, None),
        "failed calls by errno",
    ),
    (
        "topconns",
        Chisel::View("connections", None, None),
        "connections by bytes",
    ),
    (
        "topports_server",
        Chisel::View("sports", None, None),
        "server ports by bytes",
    ),
    (
        "topcontainers_cpu",
        Chisel::View("containers", None, None),
        "containers by events (captures hold no CPU samples)",
    ),
    (
        "topcontainers_net",
        Chisel::View("containers", Some("NET BYTES"), None),
        "containers by network bytes",
    ),
    (
        "topcontainers_file",
        Chisel::View("containers", Some("FILE BYTES"), None),
        "containers by file bytes",
    ),
    (
        "topcontainers_error",
        Chisel::View("procs_errors", None, None),
        "failed calls by process (with its container)",
    ),
    (
        "topscalls",
        Chisel::View("syscalls", None, None),
        "system calls by count",
    ),
    (
        "topscalls_time",
        Chisel::View("syscalls", Some("TIME"), None),
        "system calls by total time",
    ),
    (
        "netstat",
        Chisel::View("connections", None, None),
        "connections",
    ),
    ("lsof", Chisel::View("files", None, None), "files used"),
    ("spy_users", Chisel::Spy(false), "commands run from shells"),
    (
        "list_login_shells",
        Chisel::Spy(false),
        "commands run from shells",
    ),
    ("proc_exec_time", Chisel::Spy(true), "every program run"),
    ("echo_fds", Chisel::Echo(None), "the data read and written"),
    (
        "stdout",
        Chisel::Echo(Some("fd.num=1")),
        "what processes wrote to stdout",
    ),
    (
        "stderr",
        Chisel::Echo(Some("fd.num=2")),
        "what processes wrote to stderr",
    ),
    ("ps", Chisel::Ps, "processes"),
    (
        "spy_file",
        Chisel::Hint("casefile echo FILE fd.name contains NAME"),
        "",
    ),
    ("spy_ip", Chisel::Hint("casefile echo FILE fd.ip=ADDR"), ""),
    (
        "spy_port",
        Chisel::Hint("casefile echo FILE fd.port=PORT"),
        "",
    ),
    (
        "fdcount_by",
        Chisel::Hint("casefile top files FILE (or top procs)"),
        "",
    ),
    (
        "fdbytes_by",
        Chisel::Hint("casefile top io_by_type FILE (or top files, top procs)"),
        "",
    ),
    ("iobytes_file", Chisel::Hint("casefile top files FILE"), ""),
    (
        "iobytes_net",
        Chisel::Hint("casefile top connections FILE"),
        "",
    ),
    (
        "httplog",
        Chisel::Hint("casefile echo FILE fd.sport=80 (HTTP is not decoded)"),
        "",
    ),
    (
        "httptop",
        Chisel::Hint("casefile top connections FILE fd.sport=80 (HTTP is not decoded)"),
        "",
    ),
    ("subsecoffset", Chisel::Hint("casefile summary FILE"), ""),
    (
        "scallslower",
        Chisel::Hint("casefile top slow_io FILE, or read FILE evt.latency>1000000"),
        "",
    ),
    ("fileslower", Chisel::Hint("casefile top slow_io FILE"), ""),
];

/// What `name` maps to; `None` for a chisel casefile does not know.
pub fn chisel(name: &str) -> Option<Chisel> {
    CHISELS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, c, _)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_view_and_column_exists() {
        for (name, c, _) in CHISELS {
            if let Chisel::View(id, sort, _) = c {
                let spec = crate::views::catalog::view(id)
                    .unwrap_or_else(|| panic!("{name}: no view {id}"));
                if let Some(col) = sort {
                    assert!(
                        spec.column(col).is_some(),
                        "{name}: no column {col} in {id}"
                    );
                }
            }
        }
        assert_eq!(
            chisel("topprocs_cpu"),
            Some(Chisel::View("procs", Some("SYSCALL TIME"), None))
        );
        assert_eq!(chisel("nope"), None);
    }
}
