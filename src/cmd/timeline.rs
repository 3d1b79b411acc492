//! `casefile timeline`: what each container did, from the capture alone. The engine is
//! [`crate::views::timeline`]; this picks the container and prints.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::bail;
use serde_json::json;

use crate::cli::TimelineArgs;
use crate::replay::render;
use crate::replay::session::Options;
use crate::views::timeline::{Entry, Timeline, containers, fill, find, is_runtime};

/// Runs `casefile timeline`.
pub fn run(args: &TimelineArgs) -> anyhow::Result<ExitCode> {
    let r = super::args::resolve(&args.reading)?;
    let mut session = r.session(Options::default())?;
    // Metadata from the capture's tables: every container ever seen, even without events.
    let mut lines = containers(&session)?;
    if let Some(want) = &args.container {
        let Some(idx) = find(&lines, want) else {
            let known: Vec<String> = lines
                .values()
                .map(|t| format!("{} ({})", t.name, short(&t.id)))
                .collect();
            bail!(
                "no container {want:?} in {} (containers: {})",
                r.describe(),
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            );
        };
        lines.retain(|&i, _| i == idx);
    }
    fill(&mut session, r.filter.as_ref(), &mut lines)?;
    let out = std::io::stdout().lock();
    let mut out = BufWriter::new(out);
    if r.json {
        let v: Vec<_> = lines
            .values()
            .filter(|t| t.index != 0)
            .map(to_json)
            .collect();
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        for t in lines.values().filter(|t| t.index != 0) {
            write_text(&mut out, t, args.runtime_setup)?;
        }
    }
    out.flush()?;
    Ok(super::args::report_damage(
        session.damage(),
        ExitCode::SUCCESS,
    ))
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

fn when(ts: u64) -> String {
    let mut s = String::new();
    render::datetime(ts, &mut s);
    s
}

fn write_text(out: &mut impl Write, t: &Timeline, runtime_setup: bool) -> std::io::Result<()> {
    writeln!(
        out,
        "container {} ({}) image {} runtime {}",
        if t.name.is_empty() { "?" } else { &t.name },
        short(&t.id),
        if t.image.is_empty() { "?" } else { &t.image },
        if t.runtime.is_empty() {
            "?"
        } else {
            &t.runtime
        }
    )?;
    if !t.note.is_empty() {
        writeln!(out, "  metadata: {}", t.note)?;
    }
    for (k, v) in t
        .labels
        .iter()
        .filter(|(k, _)| k.starts_with("io.kubernetes.pod."))
    {
        writeln!(out, "  {k}={v}")?;
    }
    let start = if t.start_ts != 0 {
        t.start_ts
    } else {
        t.first_seen
    };
    let how = if t.start_ts != 0 {
        "start"
    } else {
        "first seen"
    };
    // The start line takes its place in time: the runtime's own setup (runc init in the
    // container's cgroup) comes before the moment the runtime calls the start.
    let mut start_due = start != 0;
    let mut entries: Vec<&Entry> = t.entries.iter().collect();
    entries.sort_by_key(|e| e.ts);
    // The runtime's setup (runc's mounts, mkdirs and chmods under the overlay directory) is
    // one line with a count, where its first action was, unless asked for line by line.
    let setup: Vec<&Entry> = entries
        .iter()
        .copied()
        .filter(|e| is_runtime(&e.proc_name))
        .collect();
    let mut setup_due = !runtime_setup && !setup.is_empty();
    let setup_errors: u64 = t
        .errors
        .values()
        .filter(|a| a.runtime && !runtime_setup)
        .map(|a| a.count)
        .sum();
    for e in entries {
        if start_due && e.ts >= start {
            writeln!(out, "  {}  {how}", when(start))?;
            start_due = false;
        }
        if !runtime_setup && is_runtime(&e.proc_name) {
            if setup_due {
                let mut names: Vec<&str> = setup.iter().map(|e| e.proc_name.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                let failed = if setup_errors > 0 {
                    format!(", {setup_errors} failed calls")
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "  {}  runtime   setup: {} actions by {}{failed} (--runtime-setup shows them)",
                    when(e.ts),
                    setup.len(),
                    names.join(", ")
                )?;
                setup_due = false;
            }
            continue;
        }
        let mut extra = String::new();
        if e.kind == "write" && e.count > 0 {
            extra = format!(" ({} bytes in {} writes)", e.bytes_out, e.count);
        }
        if matches!(e.kind, "connect" | "accept" | "traffic") && (e.bytes_in + e.bytes_out) > 0 {
            extra = format!(
                " (sent {} bytes, received {} bytes)",
                e.bytes_out, e.bytes_in
            );
        }
        writeln!(
            out,
            "  {}  {:<9} {}{} [{} {}]",
            when(e.ts),
            e.kind,
            e.detail,
            extra,
            e.proc_name,
            e.pid
        )?;
    }
    if start_due {
        writeln!(out, "  {}  {how}", when(start))?;
    }
    if t.errors.values().any(|a| runtime_setup || !a.runtime) {
        writeln!(out, "  errors:")?;
        for ((call, errno), a) in t.errors.iter().filter(|(_, a)| runtime_setup || !a.runtime) {
            writeln!(
                out,
                "    {call} {errno} x{} (first {}: {})",
                a.count,
                when(a.first_ts),
                a.example
            )?;
        }
    }
    match (t.exit_ts, t.last_seen) {
        (0, 0) => {}
        (0, last) => writeln!(out, "  {}  last seen (no exit recorded)", when(last))?,
        (exit, _) => writeln!(out, "  {}  exit", when(exit))?,
    }
    writeln!(out)
}

fn to_json(t: &Timeline) -> serde_json::Value {
    let mut entries: Vec<&Entry> = t.entries.iter().collect();
    entries.sort_by_key(|e| e.ts);
    json!({
        "index": t.index,
        "id": t.id,
        "name": t.name,
        "image": t.image,
        "runtime": t.runtime,
        "note": t.note,
        "labels": t.labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "start_ns": (t.start_ts != 0).then_some(t.start_ts),
        "first_seen_ns": (t.first_seen != 0).then_some(t.first_seen),
        "exit_ns": (t.exit_ts != 0).then_some(t.exit_ts),
        "last_seen_ns": (t.last_seen != 0).then_some(t.last_seen),
        "execs": t.processes,
        "entries": entries.iter().map(|e| json!({
            "ts": e.ts,
            "kind": e.kind,
            "pid": e.pid,
            "proc": e.proc_name,
            "detail": e.detail,
            "count": e.count,
            "bytes_out": e.bytes_out,
            "bytes_in": e.bytes_in,
        })).collect::<Vec<_>>(),
        "errors": t.errors.iter().map(|((call, errno), a)| json!({
            "syscall": call, "errno": errno, "count": a.count, "first_ns": a.first_ts,
            "example": a.example,
        })).collect::<Vec<_>>(),
    })
}
