//! The `proc.*`, `thread.*`, `user.*`, `group.*` and `host.*` fields: the task behind the
//! event, its ancestry, its account, its CPU and memory.

use capture_format::schema::{exe, host_of};

use crate::filter::Val;
use crate::replay::fields::{Fid, Field, FieldArg};
use crate::replay::state::Proc;

use super::{EventCtx, cmdline, host_base, nul_list, owned, s};

impl EventCtx<'_, '_> {
    /// `proc.*` and `thread.*` (but resource use): the process and thread, from the state.
    pub(super) fn proc_field(&self, field: &Field) -> Option<Val<'_>> {
        let ev = self.ev;
        Some(match field.fid {
            Fid::ProcPid => Val::Num(i64::from(ev.pid)),
            Fid::ProcName => {
                let p = self.proc().filter(|p| !p.comm.is_empty())?;
                s(crate::replay::state::task_name(self.state, p, ev.tid))
            }
            Fid::ProcCmdline => {
                let p = self.proc().filter(|p| !p.comm.is_empty())?;
                let name = crate::replay::state::task_name(self.state, p, ev.tid);
                owned(crate::replay::state::cmdline(name, &p.args))
            }
            Fid::ProcExe => s(&self.proc().filter(|p| !p.exe.is_empty())?.exe),
            Fid::ProcExepath => s(&self.proc().filter(|p| !p.exe_path.is_empty())?.exe_path),
            Fid::ProcArgs => owned(nul_list(&self.proc()?.args)),
            Fid::ProcExeline => {
                let p = self.proc()?;
                let mut t = String::from_utf8_lossy(&p.exe).into_owned();
                let a = nul_list(&p.args);
                if !a.is_empty() {
                    t.push(' ');
                    t.push_str(&a);
                }
                owned(t)
            }
            Fid::ProcCwd => s(&self.proc().filter(|p| !p.cwd.is_empty())?.cwd),
            Fid::ProcPpid => Val::Num(i64::from(self.proc()?.ppid)),
            Fid::ProcPname => s(&self.parent().filter(|p| !p.comm.is_empty())?.comm),
            Fid::ProcPcmdline => owned(cmdline(self.parent().filter(|p| !p.comm.is_empty())?)),
            Fid::ProcPexe | Fid::ProcPexepath => {
                let p = self.parent()?;
                let v = if field.fid == Fid::ProcPexe {
                    &p.exe
                } else {
                    &p.exe_path
                };
                if v.is_empty() {
                    return None;
                }
                s(v)
            }
            Fid::ProcApid | Fid::ProcAname | Fid::ProcAexe | Fid::ProcAexepath => {
                let which = field.fid;
                fn one(p: &Proc, which: Fid) -> Val<'_> {
                    match which {
                        Fid::ProcAname => s(&p.comm),
                        Fid::ProcAexe => s(&p.exe),
                        Fid::ProcAexepath => s(&p.exe_path),
                        _ => Val::Num(i64::from(p.pid)),
                    }
                }
                let name = which;
                match field.arg {
                    FieldArg::Index(0) => one(self.proc()?, name),
                    FieldArg::Index(i) => one(self.ancestors().get(i - 1).copied()?, name),
                    _ => Val::List(self.ancestors().into_iter().map(|p| one(p, name)).collect()),
                }
            }
            Fid::ProcEnv => {
                let env = &self.proc()?.env;
                match &field.arg {
                    FieldArg::Name(k) => {
                        let entry = env.split(|&c| c == 0).find(|e| {
                            e.len() > k.len() && e.starts_with(k.as_bytes()) && e[k.len()] == b'='
                        })?;
                        s(&entry[k.len() + 1..])
                    }
                    _ => owned(nul_list(env)),
                }
            }
            Fid::ProcVpid => Val::Num(i64::from(self.proc()?.vpid)),
            Fid::ProcTty => Val::Num(i64::from(self.proc()?.tty)),
            Fid::ProcDuration => {
                let st = self.proc()?.start_ts;
                if st == 0 {
                    return None;
                }
                Val::Num(ev.ts.saturating_sub(st) as i64)
            }
            Fid::ProcNthreads => Val::Num(i64::from(self.proc()?.nthreads)),
            Fid::ThreadTid => Val::Num(i64::from(ev.tid)),
            Fid::ThreadVtid => Val::Num(i64::from(self.state.threads.get(&ev.tid)?.vtid)),
            Fid::ThreadIsmain => Val::Bool(ev.tid == ev.pid),
            Fid::ProcIsExeUpperLayer | Fid::ProcIsExeLowerLayer | Fid::ProcIsExeFromMemfd => {
                let flags = self.proc()?.exe_flags;
                if flags & exe::KNOWN == 0 {
                    return None;
                }
                Val::Bool(
                    flags
                        & match field.fid {
                            Fid::ProcIsExeUpperLayer => exe::UPPER_LAYER,
                            Fid::ProcIsExeLowerLayer => exe::LOWER_LAYER,
                            _ => exe::FROM_MEMFD,
                        }
                        != 0,
                )
            }
            Fid::ProcVpgid => Val::Num(i64::from(self.proc()?.vpgid?)),
            Fid::ProcIsVpgidLeader => {
                let p = self.proc()?;
                Val::Bool(p.vpgid? == p.vpid)
            }
            Fid::ThreadCapEffective | Fid::ThreadCapPermitted | Fid::ThreadCapInheritable => {
                let c = self.state.threads.get(&ev.tid)?.caps?;
                owned(crate::replay::caps::to_text(match field.fid {
                    Fid::ThreadCapEffective => c.effective,
                    Fid::ThreadCapPermitted => c.permitted,
                    _ => c.inheritable,
                }))
            }
            _ => return None,
        })
    }

    /// `user.*` and `group.*`: the process's user and group.
    pub(super) fn user_field(&self, field: &Field) -> Option<Val<'_>> {
        Some(match field.fid {
            Fid::UserUid => Val::Num(i64::from(self.proc()?.uid)),
            Fid::UserName => s(&self.user_of()?.name),
            Fid::UserHomedir => s(&self.user_of()?.home),
            Fid::UserShell => s(&self.user_of()?.shell),
            Fid::UserLoginuid => {
                let l = self.proc()?.loginuid;
                Val::Num(if l == u32::MAX { -1 } else { i64::from(l) })
            }
            Fid::UserLoginname => {
                let l = self.proc()?.loginuid;
                let u = (self.state.users.get(&(self.ev.container, l)))
                    .or_else(|| self.state.users.get(&(host_base(self.ev.container), l)))?;
                s(&u.name)
            }
            Fid::GroupGid => Val::Num(i64::from(self.proc()?.gid)),
            Fid::GroupName => s(&self.group_of()?.name),
            _ => return None,
        })
    }

    /// `thread.cpu`, `thread.vmsize`, `proc.cpu`, ...: resource use from samples.
    pub(super) fn usage_field(&self, field: &Field) -> Option<Val<'_>> {
        Some(match field.fid {
            Fid::ThreadCpu => Val::Num(self.usage()?.cpu_pct()?.round() as i64),
            Fid::ThreadCpuUser => Val::Num(self.usage()?.user_pct()?.round() as i64),
            Fid::ThreadCpuSystem => Val::Num(self.usage()?.sys_pct()?.round() as i64),
            Fid::ProcCpu => Val::Num(
                crate::replay::usage::proc_cpu_pct(self.state, self.ev.pid)?.round() as i64,
            ),
            Fid::ThreadExectime => {
                let u = self.usage()?;
                if u.interval == 0 {
                    return None;
                }
                Val::Num((u.delta_user + u.delta_sys) as i64)
            }
            Fid::ThreadTotexectime => Val::Num(self.usage()?.total_ns() as i64),
            Fid::ThreadVmsize => Val::Num(self.memory()?.vm_size as i64),
            Fid::ThreadVmrss => Val::Num(self.memory()?.vm_rss as i64),
            Fid::ThreadVmswap => Val::Num(self.memory()?.vm_swap as i64),
            Fid::ThreadPfmajor => Val::Num(self.usage()?.last.pf_major as i64),
            Fid::ThreadPfminor => Val::Num(self.usage()?.last.pf_minor as i64),
            _ => return None,
        })
    }

    /// `host.*`.
    pub(super) fn host_field(&self, field: &Field) -> Option<Val<'_>> {
        Some(match field.fid {
            Fid::HostName => s(self.state.host_name.as_bytes()),
            Fid::HostIndex => Val::Num(i64::from(host_of(self.ev.container))),
            _ => return None,
        })
    }
}
