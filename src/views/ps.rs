//! The processes of a capture (those in its first state and those started during it), with
//! parent, life span and exec history: what `casefile ps` prints.

use std::collections::BTreeMap;

use capture_format::schema::Body;

use crate::filter::Filter;
use crate::replay::fields::Field;
use crate::replay::session::{Flow, ReplayError, Session};
use crate::replay::state::{Proc, State, cmdline, task_name};

/// One exec of a process.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Exec {
    /// When.
    pub ts: u64,
    /// The program (its path when known).
    pub exe: String,
    /// Its arguments, space-separated.
    pub args: String,
    /// The working directory.
    pub cwd: String,
    /// The user id.
    pub uid: u32,
}

/// A process as the capture shows it.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Process {
    /// Its pid.
    pub pid: u32,
    /// Its parent's pid.
    pub ppid: u32,
    /// `proc.name`.
    pub name: String,
    /// `proc.cmdline`.
    pub cmdline: String,
    /// Existed when the capture started.
    pub initial: bool,
    /// Fork time when seen (ns since the epoch).
    pub start: Option<u64>,
    /// Exit time when seen.
    pub exit: Option<u64>,
    /// Its execs, in order.
    pub execs: Vec<Exec>,
    /// Its events.
    pub events: u64,
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

/// Replays the session and rebuilds the capture's processes, by pid. With a filter, only the
/// processes that have an event matching it are kept (their state is still rebuilt from every
/// event); with `count`, the first that many pids.
pub fn collect(
    s: &mut Session,
    filter: Option<&Filter<Field>>,
    count: Option<u64>,
) -> Result<BTreeMap<u32, Process>, ReplayError> {
    let mut procs: BTreeMap<u32, Process> = BTreeMap::new();
    let mut matched = std::collections::BTreeSet::new();
    let mut first = true;
    s.run(None, |ctx| -> Result<Flow, ReplayError> {
        if first {
            first = false;
            for (&pid, p) in &ctx.state.procs {
                if p.known {
                    let (name, cmdline) = names_of(ctx.state, p);
                    procs.insert(
                        pid,
                        Process {
                            pid,
                            ppid: p.ppid,
                            name,
                            cmdline,
                            initial: true,
                            ..Process::default()
                        },
                    );
                }
            }
        }
        let ev = ctx.ev;
        if ev.pid == 0 {
            return Ok(Flow::Continue);
        }
        if filter.is_some_and(|f: &Filter<_>| f.matches(ctx)) {
            matched.insert(ev.pid);
        }
        let entry = procs.entry(ev.pid).or_insert_with(|| {
            let known = ctx.state.procs.get(&ev.pid).filter(|p| p.known);
            let (name, cmdline) = known.map_or_else(
                || ("?".to_owned(), String::new()),
                |p| names_of(ctx.state, p),
            );
            Process {
                pid: ev.pid,
                ppid: known.map_or(0, |p| p.ppid),
                name,
                cmdline,
                ..Process::default()
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
    })?;
    if filter.is_some() {
        procs.retain(|pid, _| matched.contains(pid));
    }
    if let Some(n) = count {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        let keep: Vec<u32> = procs.keys().take(n).copied().collect();
        procs.retain(|pid, _| keep.binary_search(pid).is_ok());
    }
    Ok(procs)
}
