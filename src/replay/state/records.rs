//! The state as records: keyframes for a writer, and what one event changed for a capture
//! filter that leaves the event out.

use std::borrow::Cow;

use super::{Caps, Proc, State, fd_pair};
use capture_format::schema::{Body, Event, Exit, FdInfo, Process, Value, exe};

impl State {
    /// The state records that carry what `ev` (already applied) changed: the image of its
    /// thread (or a forked child), and the fds it named, created or moved. A recorder that
    /// leaves an event out (a capture filter) writes these instead, so a replay still names the
    /// processes and files of the events it kept.
    pub fn records_after(&self, ev: &Event<'_>) -> Vec<Event<'static>> {
        let mut tids = vec![ev.tid];
        let mut fds: Vec<i32> = Vec::new();
        match &ev.body {
            Body::Fork(f) => tids.push(f.child_tid),
            Body::Syscall(sc) => {
                if sc.ret >= 0 {
                    fds.push(sc.ret as i32);
                }
                for v in &sc.params {
                    if let Some((a, b)) = fd_pair(v) {
                        fds.extend([a, b]);
                    }
                }
                if let Some(fd) = sc.params.first().and_then(Value::as_int) {
                    fds.push(fd as i32);
                }
            }
            _ => {}
        }
        self.to_records_of(&tids, ev.pid, &fds, ev.ts)
    }

    /// The whole state as state records (for a keyframe): containers, users, groups, then each
    /// thread and each process's fds, ordered by id so the output is stable.
    pub fn to_records(&self, ts: u64) -> Vec<Event<'static>> {
        self.records_filtered(None, ts)
    }

    /// The records of threads `tids` and the fds `fds` of process `pid`.
    pub(super) fn to_records_of(
        &self,
        tids: &[u32],
        pid: u32,
        fds: &[i32],
        ts: u64,
    ) -> Vec<Event<'static>> {
        self.records_filtered(Some((tids, pid, fds)), ts)
    }

    /// [`State::to_records`], or only the threads and fds `only` names (no exited ancestors).
    pub(super) fn records_filtered(
        &self,
        only: Option<(&[u32], u32, &[i32])>,
        ts: u64,
    ) -> Vec<Event<'static>> {
        let ev = |tid: u32, pid: u32, container: u32, body: Body<'static>| Event {
            ts,
            tid,
            pid,
            cpu: 0,
            container,
            body,
        };
        let own = |b: &[u8]| Cow::Owned(b.to_vec());
        let mut out = Vec::new();
        // Only the tasks and fds asked for: no tables.
        let tables = only.is_none();
        let mut cs: Vec<_> = self.containers.iter().filter(|_| tables).collect();
        cs.sort_by_key(|(k, _)| **k);
        for (&i, c) in cs {
            out.push(ev(0, 0, i, Body::Container(c.clone())));
        }
        let mut us: Vec<_> = self.users.values().filter(|_| tables).collect();
        us.sort_by_key(|u| (u.container, u.uid));
        for u in us {
            out.push(ev(0, 0, u.container, Body::User(u.clone())));
        }
        let mut gs: Vec<_> = self.groups.values().filter(|_| tables).collect();
        gs.sort_by_key(|g| (g.container, g.gid));
        for g in gs {
            out.push(ev(0, 0, g.container, Body::Group(g.clone())));
        }
        let mut threads: Vec<_> = self
            .threads
            .iter()
            .filter(|(tid, _)| only.is_none_or(|(tids, _, _)| tids.contains(tid)))
            .map(|(&tid, t)| (tid, t))
            .collect();
        threads.sort_by_key(|&(tid, t)| (t.pid, tid != t.pid, tid));
        for (tid, t) in threads {
            // A task only seen in events has no image to record; its events recreate it.
            let Some(p) = self.procs.get(&t.pid).filter(|p| p.known) else {
                continue;
            };
            out.push(ev(
                tid,
                t.pid,
                p.container,
                Body::Process(image(
                    p,
                    (tid, t.pid, t.vtid),
                    t.comm.as_deref().unwrap_or(&p.comm),
                    t.caps,
                )),
            ));
        }
        let mut pids: Vec<_> = self
            .procs
            .keys()
            .copied()
            .filter(|pid| only.is_none_or(|(_, p, _)| p == *pid))
            .collect();
        pids.sort_unstable();
        for pid in pids {
            let p = &self.procs[&pid];
            let mut fds: Vec<_> = p
                .fds
                .iter()
                .filter(|(n, _)| only.is_none_or(|(_, _, fds)| fds.contains(n)))
                .collect();
            fds.sort_by_key(|(n, _)| **n);
            for (&n, f) in fds {
                out.push(ev(
                    pid,
                    pid,
                    p.container,
                    Body::Fd(FdInfo {
                        pid,
                        fd: n,
                        fd_type: f.ty,
                        flags: f.flags,
                        name: own(&f.name),
                        sock: f.sock,
                        ino: 0,
                    }),
                ));
            }
        }
        if !tables {
            return out;
        }
        // Exited ancestors of live processes: each one's image, then its exit, so that a
        // replay starting at this keyframe resolves the same ancestry.
        let mut gone: Vec<_> = (self.exited.iter())
            .filter(|(k, p)| p.known && !self.procs.contains_key(k))
            .collect();
        gone.sort_by_key(|(k, _)| **k);
        for (&pid, p) in gone {
            // The last image of a process that is gone, without its environment.
            let last = Process {
                env: Cow::default(),
                ..image(p, (pid, pid, p.vpid), &p.comm, None)
            };
            out.push(ev(pid, pid, p.container, Body::Process(last)));
            let exit = Exit {
                code: 0,
                group_dead: true,
            };
            out.push(ev(pid, pid, p.container, Body::Exit(exit)));
        }
        out
    }
}

/// The process record of `p` as its thread `tid` (`(tid, pid, vtid)`), named `comm`.
fn image(
    p: &Proc,
    (tid, pid, vtid): (u32, u32, u32),
    comm: &[u8],
    caps: Option<Caps>,
) -> Process<'static> {
    let own = |b: &[u8]| Cow::Owned(b.to_vec());
    Process {
        tid,
        pid,
        ppid: p.ppid,
        vtid,
        vpid: p.vpid,
        uid: p.uid,
        gid: p.gid,
        euid: p.uid,
        egid: p.gid,
        loginuid: p.loginuid,
        start_ts: p.start_ts,
        comm: own(comm),
        exe: own(&p.exe),
        exe_path: own(&p.exe_path),
        args: own(&p.args),
        env: own(&p.env),
        cwd: own(&p.cwd),
        tty: p.tty,
        ..with_origin(p, caps)
    }
}

/// A process record holding what replay knows of `p`'s origin and `caps`: all of it marked
/// known only when both are (a record has one mark for the four fields).
pub(super) fn with_origin(p: &Proc, caps: Option<Caps>) -> Process<'static> {
    match caps {
        Some(c) if p.exe_flags & exe::KNOWN != 0 => Process {
            cap_effective: c.effective,
            cap_permitted: c.permitted,
            cap_inheritable: c.inheritable,
            vpgid: p.vpgid.unwrap_or(0),
            exe_flags: p.exe_flags,
            ..Process::default()
        },
        _ => Process::default(),
    }
}
