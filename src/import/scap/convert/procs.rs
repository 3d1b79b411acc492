//! Processes and threads: the process list, the clone/fork pair (from either side), exec,
//! exit, signals, context switches and CPU samples, and the state snapshot.

use capture_format::schema::{
    self, Body, Event, Exit, Fork, Process, Signal, Value, exe, l4, syscalls::ParamType,
};

use super::super::block::ThreadEntry;
use super::super::event::RawEvent;
use super::super::names::libs_names;
use super::containers::first_cgroup;
use super::values::{clone_flags_from_ppm, convert_value};
use super::{Converter, Thread, bytes_or, nul_terminated, own, param};

impl Converter {
    pub(super) fn thread_entry(&mut self, t: &ThreadEntry<'_>) {
        let container = self.container_of_cgroups(t.cgroups);
        let th = Thread {
            pid: t.pid,
            ptid: t.ptid,
            vtid: t.vtid,
            vpid: t.vpid,
            uid: t.uid,
            gid: t.gid,
            loginuid: t.loginuid,
            tty: t.tty,
            cap_effective: t.cap_effective,
            cap_permitted: t.cap_permitted,
            cap_inheritable: t.cap_inheritable,
            vpgid: t.vpgid,
            exe_flags: if t.has_caps {
                exe::KNOWN
                    | if t.exe_upper_layer {
                        exe::UPPER_LAYER
                    } else {
                        0
                    }
                    | if t.exe_lower_layer {
                        exe::LOWER_LAYER
                    } else {
                        0
                    }
                    | if t.exe_from_memfd { exe::FROM_MEMFD } else { 0 }
            } else {
                0
            },
            comm: t.comm.to_vec(),
            exe: t.exe.to_vec(),
            exepath: t.exepath.to_vec(),
            args: nul_terminated(t.args),
            env: nul_terminated(t.env),
            cwd: t.cwd.to_vec(),
            cgroup: first_cgroup(t.cgroups),
            container,
        };
        let p = process_of(t.tid, &th);
        self.threads.insert(t.tid, th);
        self.state(Body::Process(p));
    }

    pub(super) fn pid_of(&self, tid: u64) -> u64 {
        self.threads.get(&tid).map_or(tid, |t| t.pid)
    }

    /// The state as of the last converted block, as state records (processes, fds, users,
    /// groups, interfaces, containers) stamped `ts`: a keyframe.
    pub fn snapshot(&self, ts: u64) -> Vec<Event<'static>> {
        let rec = |body: Body<'static>, container: u32| Event {
            ts,
            tid: 0,
            pid: 0,
            cpu: 0,
            container,
            body,
        };
        let mut out = Vec::new();
        for (i, c) in &self.container_records {
            out.push(rec(Body::Container(c.clone()), *i));
        }
        let mut tids: Vec<_> = self.threads.keys().copied().collect();
        tids.sort_unstable();
        for tid in tids {
            if let Some(t) = self.threads.get(&tid) {
                out.push(rec(Body::Process(process_of(tid, t)), t.container));
            }
        }
        let mut pids: Vec<_> = self.fds.keys().copied().collect();
        pids.sort_unstable();
        for pid in pids {
            if let Some(table) = self.fds.get(&pid) {
                let mut fds: Vec<_> = table.values().collect();
                fds.sort_by_key(|f| f.fd);
                out.extend(fds.into_iter().map(|f| rec(Body::Fd(f.clone()), 0)));
            }
        }
        out.extend(self.fixed_state.iter().map(|b| rec(b.clone(), 0)));
        out
    }

    pub(super) fn lookup(
        &self,
        call: &str,
        schema_name: &str,
        ty: ParamType,
        en: Option<&RawEvent<'_>>,
        x: Option<&RawEvent<'_>>,
        pid: u32,
    ) -> Value<'static> {
        let alias = libs_names(call, schema_name);
        let found = if alias.is_empty() {
            if matches!((call, schema_name), ("accept" | "accept4", "fd")) {
                None
            } else {
                param(en, x, schema_name)
            }
        } else {
            alias.iter().find_map(|a| param(en, x, a))
        };
        let Some(found) = found else {
            return Value::None;
        };
        let fd = param(en, x, "fd").and_then(|p| p.as_i64()).unwrap_or(-1);
        let proto = self
            .fds
            .get(&u64::from(pid))
            .and_then(|t| t.get(&fd))
            .and_then(|f| f.sock)
            .map_or(l4::UNKNOWN, |s| s.proto);
        convert_value(ty, &found, proto)
    }

    pub(super) fn clone_exit(&mut self, x: &RawEvent<'_>, ret: i64) {
        let flags = x
            .param_named("flags")
            .and_then(|p| p.as_i64())
            .map_or(0, |f| clone_flags_from_ppm(f as u64));
        let pid_p = x.param_named("pid").and_then(|p| p.as_i64());
        let ptid = x.param_named("ptid").and_then(|p| p.as_i64()).unwrap_or(0) as u64;
        // A task whose creator is unknown (not in the process list, not seen before) is
        // described by this event alone: it becomes a `Process` record after the `Fork`, as
        // sysdig builds the thread from the child's clone exit.
        let mut described = None;
        if ret == 0 {
            // The child's side carries its description: record the new thread.
            let cgroups = x
                .param_named("cgroups")
                .and_then(|p| p.as_bytes())
                .unwrap_or_default();
            let container = self.container_of_cgroups(cgroups);
            // A new thread copies its process (whose main thread has the pid's number); a new
            // process copies its parent, `ptid`.
            let creator = match pid_p {
                Some(p) if p as u64 != x.tid => p as u64,
                _ => ptid,
            };
            let creator_known = self.threads.contains_key(&creator);
            let parent = self.threads.get(&creator).cloned().unwrap_or_default();
            let th = Thread {
                pid: pid_p.unwrap_or(x.tid as i64) as u64,
                ptid,
                vtid: x.param_named("vtid").and_then(|p| p.as_i64()).unwrap_or(-1),
                vpid: x.param_named("vpid").and_then(|p| p.as_i64()).unwrap_or(-1),
                uid: x
                    .param_named("uid")
                    .and_then(|p| p.as_i64())
                    .map_or(parent.uid, |v| v as u32),
                gid: x
                    .param_named("gid")
                    .and_then(|p| p.as_i64())
                    .map_or(parent.gid, |v| v as u32),
                comm: bytes_or(x, "comm", &parent.comm),
                exe: bytes_or(x, "exe", &parent.exe),
                exepath: parent.exepath.clone(),
                args: nul_terminated(&bytes_or(x, "args", &parent.args)),
                env: parent.env.clone(),
                cwd: bytes_or(x, "cwd", &parent.cwd),
                cgroup: if cgroups.is_empty() {
                    parent.cgroup.clone()
                } else {
                    first_cgroup(cgroups)
                },
                container: if cgroups.is_empty() {
                    parent.container
                } else {
                    container
                },
                ..parent
            };
            let (child_pid, parent_pid) = (th.pid, parent.pid);
            if !creator_known && !th.comm.is_empty() {
                described = Some((process_of(x.tid, &th), th.container));
            }
            self.threads.insert(x.tid, th);
            if child_pid != parent_pid
                && !self.fds.contains_key(&child_pid)
                && let Some(table) = self.fds.get(&parent_pid)
            {
                // A new process starts with a copy of its parent's fds.
                let mut copy = table.clone();
                for f in copy.values_mut() {
                    f.pid = child_pid as u32;
                }
                self.fds.insert(child_pid, copy);
            }
        }
        // A new thread of an unknown process describes that process, which is the `Fork`'s
        // parent: its record comes first. A new process's record comes after its `Fork`, which
        // would otherwise make it a copy of its unknown parent.
        let thread = described.as_ref().is_some_and(|(p, _)| p.tid != p.pid);
        if thread {
            self.describe(x, described.take());
        }
        self.fork_record(x, ret, flags, pid_p, ptid);
        self.describe(x, described);
    }

    pub(super) fn describe(
        &mut self,
        x: &RawEvent<'_>,
        described: Option<(Process<'static>, u32)>,
    ) {
        if let Some((p, container)) = described {
            self.emit(Event {
                ts: x.ts,
                tid: p.tid,
                pid: p.pid,
                cpu: x.cpu,
                container,
                body: Body::Process(p),
            });
        }
    }

    /// The `Fork` record of a clone exit, once per child (from whichever side comes first and
    /// can name the child with its host id).
    pub(super) fn fork_record(
        &mut self,
        x: &RawEvent<'_>,
        ret: i64,
        flags: i64,
        pid_p: Option<i64>,
        ptid: u64,
    ) {
        let child_tid = if ret > 0 { ret as u64 } else { x.tid };
        if ret < 0 {
            return;
        }
        if ret > 0 {
            // In the parent, the return value is the child's id in the parent's pid namespace;
            // it is the host id only when the parent is in the host namespace. Otherwise the
            // child's own exit (with its host tid) makes the record.
            // (A vtid of 0 or less means the writer did not record it.)
            let in_host_ns = self
                .threads
                .get(&x.tid)
                .is_none_or(|t| t.vtid <= 0 || t.vtid as u64 == x.tid);
            if !in_host_ns {
                return;
            }
        }
        if !self.forked.insert(child_tid) {
            return;
        }
        // Fork: the event is the parent's.
        let parent_tid = match pid_p {
            _ if ret > 0 => x.tid,
            // The child's exit does not say which thread cloned it: for a new thread, its
            // process's main thread; for a new process, its parent.
            Some(p) if p as u64 != x.tid => p as u64,
            _ => ptid,
        };
        let (pid, container) = self
            .threads
            .get(&parent_tid)
            .map_or((parent_tid, 0), |t| (t.pid, t.container));
        let child_pid = if flags & 0x0001_0000 != 0 {
            pid
        } else {
            pid_p.filter(|_| ret == 0).map_or(child_tid, |p| p as u64)
        };
        self.emit(Event {
            ts: x.ts,
            tid: parent_tid as u32,
            pid: pid as u32,
            cpu: x.cpu,
            container,
            body: Body::Fork(Fork {
                child_tid: child_tid as u32,
                child_pid: child_pid as u32,
                flags: flags as u64,
            }),
        });
    }

    pub(super) fn exec_exit(&mut self, en: Option<&RawEvent<'_>>, x: &RawEvent<'_>) {
        let mut th = self.threads.get(&x.tid).cloned().unwrap_or_default();
        if let Some(p) = x.param_named("pid").and_then(|p| p.as_i64()) {
            th.pid = p as u64;
        }
        if let Some(p) = x.param_named("ptid").and_then(|p| p.as_i64()) {
            th.ptid = p as u64;
        }
        th.comm = bytes_or(x, "comm", &th.comm);
        th.exe = bytes_or(x, "exe", &th.exe);
        // The resolved path when the driver gave one, else the path passed to exec.
        let filename = ["filename", "pathname"]
            .iter()
            .find_map(|n| param(en, Some(x), n).and_then(|p| p.as_bytes().map(<[u8]>::to_vec)))
            .unwrap_or_default();
        th.exepath = bytes_or(x, "trusted_exepath", &filename);
        th.args = nul_terminated(&bytes_or(x, "args", &[]));
        th.env = nul_terminated(&bytes_or(x, "env", &[]));
        th.cwd = bytes_or(x, "cwd", &th.cwd);
        if let Some(c) = x.param_named("cgroups").and_then(|p| p.as_bytes())
            && !c.is_empty()
        {
            th.cgroup = first_cgroup(c);
            th.container = self.container_of_cgroups(c);
        }
        if let Some(v) = x.param_named("uid").and_then(|p| p.as_i64()) {
            th.uid = v as u32;
        }
        if let Some(v) = x.param_named("gid").and_then(|p| p.as_i64()) {
            th.gid = v as u32;
        }
        if let Some(v) = x.param_named("loginuid").and_then(|p| p.as_i64()) {
            th.loginuid = v as u32;
        }
        if let Some(v) = x.param_named("tty").and_then(|p| p.as_i64()) {
            th.tty = v as u32;
        }
        if let Some(v) = x.param_named("cap_effective").and_then(|p| p.as_i64()) {
            th.cap_effective = v as u64;
        }
        // Newer drivers give the other sets, the process group and where the exe came from
        // (`PPM_EXE_*`, the same bits as schema::exe's low ones).
        let caps =
            ["cap_inheritable", "cap_permitted"].map(|n| x.param_named(n).and_then(|p| p.as_i64()));
        if let [Some(inh), Some(prm)] = caps {
            th.cap_inheritable = inh as u64;
            th.cap_permitted = prm as u64;
            th.exe_flags = exe::KNOWN
                | x.param_named("flags")
                    .and_then(|p| p.as_i64())
                    .map_or(0, |f| {
                        f as u32 & (exe::UPPER_LAYER | exe::LOWER_LAYER | exe::FROM_MEMFD)
                    });
        }
        if let Some(v) = x.param_named("vpgid").and_then(|p| p.as_i64()) {
            th.vpgid = v;
        }
        let p = process_of(x.tid, &th);
        let (pid, container) = (th.pid, th.container);
        self.threads.insert(x.tid, th);
        self.emit(Event {
            ts: x.ts,
            tid: x.tid as u32,
            pid: pid as u32,
            cpu: x.cpu,
            container,
            body: Body::Exec(p),
        });
    }

    pub(super) fn procexit(&mut self, e: &RawEvent<'_>) {
        let (tid, pid, _) = self.header(e);
        let code = e.param(0).as_i64().unwrap_or(0) as i32;
        self.emit_for(
            e,
            Body::Exit(Exit {
                code,
                group_dead: tid == pid,
            }),
        );
        self.threads.remove(&e.tid);
        self.pairs.forget(e.tid);
        if tid == pid {
            self.fds.remove(&u64::from(pid));
        }
    }

    pub(super) fn signal(&mut self, e: &RawEvent<'_>) {
        self.emit_for(
            e,
            Body::Signal(Signal {
                sig: e.param_named("sig").and_then(|p| p.as_i64()).unwrap_or(0) as u32,
                sender: e.param_named("spid").and_then(|p| p.as_i64()).unwrap_or(0) as u32,
                code: 0,
            }),
        );
    }

    /// A context switch: the thread leaving the CPU, the one that runs next, and (in the newer
    /// form) the leaving thread's page faults and memory.
    pub(super) fn switch(&mut self, e: &RawEvent<'_>) {
        let u = |name: &str| e.count_named(name);
        self.emit_for(
            e,
            Body::Switch(schema::Switch {
                next: u("next") as u32,
                pf_major: u("pgft_maj"),
                pf_minor: u("pgft_min"),
                vm_size: u("vm_size"),
                vm_rss: u("vm_rss"),
                vm_swap: u("vm_swap"),
            }),
        );
    }

    /// sysdig's `procinfo`: the thread's CPU time so far, in clock ticks (USER_HZ, 100 a
    /// second, as /proc/PID/stat counts them).
    pub(super) fn procinfo(&mut self, e: &RawEvent<'_>) {
        const NS_PER_TICK: u64 = 10_000_000;
        let ticks = |name: &str| e.count_named(name);
        self.emit_for(
            e,
            Body::Usage(schema::Usage {
                user_ns: ticks("cpu_usr").saturating_mul(NS_PER_TICK),
                sys_ns: ticks("cpu_sys").saturating_mul(NS_PER_TICK),
                ..schema::Usage::default()
            }),
        );
    }
}

pub(super) fn process_of(tid: u64, t: &Thread) -> Process<'static> {
    Process {
        tid: tid as u32,
        pid: t.pid as u32,
        ppid: t.ptid as u32,
        vtid: if t.vtid < 0 {
            tid as u32
        } else {
            t.vtid as u32
        },
        vpid: if t.vpid < 0 {
            t.pid as u32
        } else {
            t.vpid as u32
        },
        uid: t.uid,
        gid: t.gid,
        euid: t.uid,
        egid: t.gid,
        loginuid: t.loginuid,
        start_ts: 0,
        cap_effective: t.cap_effective,
        ns: [0; 7],
        comm: own(&t.comm),
        exe: own(&t.exe),
        exe_path: own(&t.exepath),
        args: own(&t.args),
        env: own(&t.env),
        cwd: own(&t.cwd),
        cgroup: own(&t.cgroup),
        tty: t.tty,
        cap_permitted: t.cap_permitted,
        cap_inheritable: t.cap_inheritable,
        vpgid: if t.vpgid < 0 { 0 } else { t.vpgid as u32 },
        exe_flags: t.exe_flags,
    }
}
