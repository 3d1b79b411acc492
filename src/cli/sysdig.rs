//! sysdig habits on casefile's command line: `casefile -r cap.scap -c topprocs_cpu` (no
//! subcommand, as sysdig is called) is `casefile read ...`, and a flag sysdig has that means
//! something else here, or nothing, gets a hint naming what does.

use std::ffi::OsString;
use std::fmt::Write as _;

/// The flags that, first on the line, make it a sysdig-style `read`.
const READ_FIRST: &[&str] = &[
    "-r", "-c", "-l", "-L", "-p", "-j", "-n", "-A", "-X", "-M", "-t", "-s", "-f",
];

/// `casefile -r FILE ...` → `casefile read -r FILE ...`: when the first argument is one of
/// sysdig's reading flags (or one glued to its value, `-rcap.scap`, `-pc`), `read` is meant.
pub fn rewrite(mut argv: Vec<OsString>) -> Vec<OsString> {
    let Some(first) = argv.get(1).and_then(|a| a.to_str()) else {
        return argv;
    };
    let glued = first.len() > 2 && READ_FIRST.contains(&&first[..2]);
    if READ_FIRST.contains(&first) || glued {
        argv.insert(1, "read".into());
    }
    argv
}

/// sysdig flags casefile takes as sysdig does, for the manual and the note.
pub const ACCEPTED: &[(&str, &str)] = &[
    (
        "-r FILE",
        "read a capture (any reading command; also first on the line)",
    ),
    (
        "-c CHISEL",
        "run the view that answers the chisel's question (`-c list`)",
    ),
    ("-p FORMAT", "output format, with -pc and -pk"),
    ("-j", "JSON"),
    ("-n N", "stop after N events"),
    ("-A, -X", "buffers as ASCII, hex and ASCII"),
    (
        "-M SECS",
        "stop SECS after the first event (record: record for SECS)",
    ),
    ("-t h|a|r|d|D", "timestamp mode of the default line"),
    ("-l", "list fields"),
    ("-L", "list event types"),
    ("-s SNAPLEN", "bytes of each buffer to keep (record)"),
    ("-w FILE", "write a capture (record)"),
    (
        "FILTER words",
        "the filter after the files, on every reading command",
    ),
];

/// The accepted flags as a help section.
pub fn accepted_help() -> String {
    let mut s = String::from(
        "sysdig's flags, as sysdig takes them (and `casefile -r FILE ...` without a command \
         is `casefile read -r FILE ...`):\n",
    );
    for (f, what) in ACCEPTED {
        let _ = writeln!(s, "  {f:<14} {what}");
    }
    s
}

/// sysdig flags that mean something else here (or nothing), and what to use.
const HINTS: &[(&str, &str)] = &[
    (
        "-w",
        "sysdig -w writes a capture: `casefile record -w FILE [FILTER]` records one, `casefile export -o FILE` writes part of one",
    ),
    (
        "-z",
        "captures are always compressed (zstd); nothing to ask for",
    ),
    (
        "-S",
        "sysdig -S prints a summary of system calls: `casefile top syscalls FILE` (or `casefile summary FILE`)",
    ),
    (
        "-v",
        "casefile prints whole buffers up to the snaplen already; -A or -X choose how",
    ),
    (
        "-C",
        "sysdig -C cuts files by size: `casefile record --rotate-size SIZE`",
    ),
    (
        "-W",
        "sysdig -W keeps N rotated files: `casefile record --rotate-count N`",
    ),
    (
        "-G",
        "sysdig -G rotates by time: `casefile record --rotate-size SIZE` rotates by size",
    ),
    ("-e", "sysdig -e stops after N events: -n N"),
    (
        "-k",
        "casefile reads Kubernetes names from the container runtime; no API server needed",
    ),
    ("-N", "casefile prints port numbers, never service names"),
    ("-P", "progress shows by itself on a terminal (-q hides it)"),
    (
        "-R",
        "casefile resolves users and groups from the capture itself",
    ),
    ("-E", "casefile reads sysdig's .scap files as they are"),
    ("-b", "-X prints buffers as hex and ASCII; -A as text"),
    ("-x", "-X prints buffers as hex and ASCII"),
    (
        "-d",
        "casefile reads one file at a time; give captures as files (several are merged)",
    ),
    (
        "-i",
        "`casefile read -c list` lists the chisels casefile answers",
    ),
    (
        "-T",
        "sysdig -T marks tracers; casefile has none (on `rules`, -T disables a tag)",
    ),
    (
        "-F",
        "casefile captures no file descriptor events to skip; use a filter",
    ),
    ("-q", "-q hides progress on reading commands"),
    (
        "-u",
        "casefile records every event the probe sees; filter with a FILTER",
    ),
    ("-U", "casefile has no separate output flush"),
    ("--list-markdown", "`casefile fields` lists every field"),
    (
        "-cl",
        "`casefile read -c list` lists the chisels casefile answers",
    ),
];

/// A hint for a sysdig habit in a line clap refused.
pub fn hint(e: &clap::Error, argv: &[OsString]) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let bad = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    let flag = bad.split(['=', ' ']).next().unwrap_or_default();
    if let Some((_, h)) = HINTS.iter().find(|(f, _)| *f == flag) {
        return Some((*h).to_owned());
    }
    let words: Vec<&str> = argv.iter().skip(1).filter_map(|a| a.to_str()).collect();
    if e.kind() == ErrorKind::UnknownArgument && flag.starts_with("--") {
        return None;
    }
    // `casefile cap.scap ...`: sysdig takes the file first; casefile a command.
    if e.kind() == ErrorKind::InvalidSubcommand
        && let Some(w) = words.first()
        && std::path::Path::new(w).is_file()
    {
        return Some(format!(
            "casefile takes a command first: `casefile read {w} ...` (or `casefile -r {w} ...`, \
             as sysdig)"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn sysdig_lines_become_reads() {
        assert_eq!(
            rewrite(v(&["casefile", "-r", "x.scap", "-c", "topconns"])),
            v(&["casefile", "read", "-r", "x.scap", "-c", "topconns"])
        );
        assert_eq!(rewrite(v(&["casefile", "-pc", "-r", "x"]))[1], "read");
        assert_eq!(rewrite(v(&["casefile", "top", "procs"]))[1], "top");
        assert_eq!(rewrite(v(&["casefile", "--version"]))[1], "--version");
        assert_eq!(rewrite(v(&["casefile", "-h"]))[1], "-h");
    }
}
