//! `casefile ps`: the processes of a capture (those in its first state and those started
//! during it), with parent, life span and exec history; `--tree` nests children under parents.
//! They are rebuilt by [`crate::views::ps`]; this prints them.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;

use super::args::resolve;
use crate::cli::PsArgs;
use crate::replay::render::time_of_day;
use crate::replay::session::Options;
use crate::views::ps::{Process as P, collect};

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
    let mut s = r.session(Options::default())?;
    let procs = collect(&mut s, r.filter.as_ref(), r.count)
        .with_context(|| format!("reading {}", r.describe()))?;
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
    Ok(super::args::report_damage(s.damage(), ExitCode::SUCCESS))
}
