//! `casefile ps`: the processes of a capture (those in its first state and those started
//! during it), with parent, life span and exec history; `--tree` nests children under parents.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;
use capture_format::schema::Body;

use super::args::{Resolved, resolve};
use crate::cli::PsArgs;
use crate::filter::Filter;
use crate::replay::render::time_of_day;
use crate::replay::session::{Damage, Flow};
use crate::replay::state::{Proc, State, cmdline, task_name};

/// One exec of a process.
#[derive(Clone, Debug, serde::Serialize)]
struct Exec {
    ts: u64,
    exe: String,
    args: String,
    cwd: String,
    uid: u32,
}

/// A process as the capture shows it.
#[derive(Clone, Debug, Default, serde::Serialize)]
struct P {
    pid: u32,
    ppid: u32,
    name: String,
    cmdline: String,
    /// Existed when the capture started.
    initial: bool,
    /// Fork time when seen (ns since the epoch).
    start: Option<u64>,
    /// Exit time when seen.
    exit: Option<u64>,
    execs: Vec<Exec>,
    events: u64,
}

fn nul_args(b: &[u8]) -> String {
    b.split(|&c| c == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The name and command line of process `p` as `proc.name`/`proc.cmdline` give them for its
/// main thread (the rule every view shares: [`task_name`]).
fn names_of(state: &State, p: &Proc) -> (String, String) {
    let name = task_name(state, p, p.pid);
    (lossy(name), cmdline(name, &p.args))
}

/// Reads the capture and rebuilds its processes; returns them with the damaged blocks skipped.
/// With a filter, only the processes that have an event matching it are kept (their state is
/// still rebuilt from every event).
fn collect(r: &Resolved) -> anyhow::Result<(BTreeMap<u32, P>, Damage)> {
    let mut s = r.session(crate::replay::session::Options::default())?;
    let mut procs: BTreeMap<u32, P> = BTreeMap::new();
    let mut matched = std::collections::BTreeSet::new();
    let mut first = true;
    s.run(None, |ctx| -> anyhow::Result<Flow> {
        if first {
            first = false;
            for (&pid, p) in &ctx.state.procs {
                if p.known {
                    let (name, cmdline) = names_of(ctx.state, p);
                    procs.insert(
                        pid,
                        P {
                            pid,
                            ppid: p.ppid,
                            name,
                            cmdline,
                            initial: true,
                            ..P::default()
                        },
                    );
                }
            }
        }
        let ev = ctx.ev;
        if ev.pid == 0 {
            return Ok(Flow::Continue);
        }
        if r.filter
            .as_ref()
            .is_some_and(|f: &Filter<_>| f.matches(ctx))
        {
            matched.insert(ev.pid);
        }
        let entry = procs.entry(ev.pid).or_insert_with(|| {
            let known = ctx.state.procs.get(&ev.pid).filter(|p| p.known);
            let (name, cmdline) = known.map_or_else(
                || ("?".to_owned(), String::new()),
                |p| names_of(ctx.state, p),
            );
            P {
                pid: ev.pid,
                ppid: known.map_or(0, |p| p.ppid),
                name,
                cmdline,
                ..P::default()
            }
        });
        entry.events += 1;
        match &ev.body {
            Body::Exec(x) => {
                entry.ppid = x.ppid;
                // The exec is applied before the event is seen: the state names the new image.
                if let Some(p) = ctx.state.procs.get(&ev.pid) {
                    (entry.name, entry.cmdline) = names_of(ctx.state, p);
                }
                let args = nul_args(&x.args);
                entry.execs.push(Exec {
                    ts: ev.ts,
                    exe: lossy(if x.exe_path.is_empty() {
                        &x.exe
                    } else {
                        &x.exe_path
                    }),
                    args,
                    cwd: lossy(&x.cwd),
                    uid: x.uid,
                });
            }
            Body::Exit(x) if x.group_dead || ev.tid == ev.pid => entry.exit = Some(ev.ts),
            Body::Fork(f) if f.child_pid != ev.pid => {
                let parent = entry.clone();
                let child = procs.entry(f.child_pid).or_default();
                child.pid = f.child_pid;
                child.ppid = ev.pid;
                child.start = Some(ev.ts);
                child.name.clone_from(&parent.name);
                child.cmdline.clone_from(&parent.cmdline);
            }
            _ => {}
        }
        Ok(Flow::Continue)
    })
    .with_context(|| format!("reading {}", r.describe()))?;
    if r.filter.is_some() {
        procs.retain(|pid, _| matched.contains(pid));
    }
    if let Some(n) = r.count {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        let keep: Vec<u32> = procs.keys().take(n).copied().collect();
        procs.retain(|pid, _| keep.binary_search(pid).is_ok());
    }
    Ok((procs, s.damage().clone()))
}

fn t(ts: Option<u64>) -> String {
    let mut s = String::new();
    match ts {
        Some(ts) => time_of_day(ts, &mut s),
        None => s.push('-'),
    }
    s
}

fn line(p: &P) -> String {
    let life = match (p.initial, p.start, p.exit) {
        (true, _, None) => String::new(),
        (true, _, Some(e)) => format!("  [exited {}]", t(Some(e))),
        (false, s, e) => format!("  [{} → {}]", t(s), t(e)),
    };
    format!("{} {}{life}", p.pid, p.cmdline)
}

fn exec_lines(p: &P, indent: &str, out: &mut impl Write) -> io::Result<()> {
    for x in &p.execs {
        let args = if x.args.is_empty() {
            String::new()
        } else {
            format!(" {}", x.args)
        };
        writeln!(
            out,
            "{indent}  exec {} {}{args}  (cwd {}, uid {})",
            t(Some(x.ts)),
            x.exe,
            x.cwd,
            x.uid
        )?;
    }
    Ok(())
}

fn tree(
    procs: &BTreeMap<u32, P>,
    kids: &BTreeMap<u32, Vec<u32>>,
    pid: u32,
    depth: usize,
    out: &mut impl Write,
) -> io::Result<()> {
    let Some(p) = procs.get(&pid) else {
        return Ok(());
    };
    let indent = "  ".repeat(depth);
    writeln!(out, "{indent}{}", line(p))?;
    exec_lines(p, &indent, out)?;
    if depth < 256 {
        for &k in kids.get(&pid).map_or(&[][..], Vec::as_slice) {
            tree(procs, kids, k, depth + 1, out)?;
        }
    }
    Ok(())
}

/// Runs `casefile ps`.
pub fn run(args: &PsArgs) -> anyhow::Result<ExitCode> {
    let r = resolve(&args.reading)?;
    let (procs, damage) = collect(&r)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if r.json {
        let v: Vec<&P> = procs.values().collect();
        serde_json::to_writer(&mut out, &v)?;
        writeln!(out)?;
    } else if args.tree {
        let mut kids: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        let mut roots = Vec::new();
        for p in procs.values() {
            if p.ppid != p.pid && procs.contains_key(&p.ppid) {
                kids.entry(p.ppid).or_default().push(p.pid);
            } else {
                roots.push(p.pid);
            }
        }
        for r in roots {
            tree(&procs, &kids, r, 0, &mut out)?;
        }
    } else {
        writeln!(out, "{:>7} {:>7} {:>7}  COMMAND", "PID", "PPID", "EXECS")?;
        for p in procs.values() {
            writeln!(
                out,
                "{:>7} {:>7} {:>7}  {}",
                p.pid,
                p.ppid,
                p.execs.len(),
                line(p).split_once(' ').map_or("", |(_, r)| r)
            )?;
        }
    }
    out.flush()?;
    Ok(super::args::report_damage(&damage, ExitCode::SUCCESS))
}
