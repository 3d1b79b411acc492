//! The `evt.*` fields: the event itself, its arguments by name or by sysdig's numbering
//! (the libs event the call's exit would be), its result.

use std::sync::OnceLock;

use capture_format::schema::syscalls::{self, ParamType, io};
use capture_format::schema::{Body, Kind, Value};

use crate::filter::Val;
use crate::import::scap::event::EventInfo;
use crate::import::scap::names;
use crate::replay::calls;
use crate::replay::fields::{Fid, Field, FieldArg};
use crate::replay::render::{self};

use super::{EventCtx, owned, render_one, s};

impl EventCtx<'_, '_> {
    /// `evt.*`: the event's time, type, arguments and result.
    pub(super) fn evt_field(&self, field: &Field) -> Option<Val<'_>> {
        let ev = self.ev;
        Some(match field.fid {
            Fid::EvtNum => Val::Num(self.num as i64),
            Fid::EvtTime => {
                let mut t = String::new();
                render::time_of_day(ev.ts, &mut t);
                owned(t)
            }
            Fid::EvtOutputtime => {
                let mut t = String::new();
                self.output_time(&mut t);
                owned(t)
            }
            Fid::EvtDeltatime => Val::Num(self.deltatime() as i64),
            Fid::EvtTimeS => {
                let mut t = String::new();
                render::time_of_day_s(ev.ts, &mut t);
                owned(t)
            }
            Fid::EvtTimeIso8601 => {
                let mut t = String::new();
                render::datetime(ev.ts, &mut t);
                t.replace_range(10..11, "T");
                t.push('Z');
                owned(t)
            }
            Fid::EvtDatetime => {
                let mut t = String::new();
                render::datetime(ev.ts, &mut t);
                owned(t)
            }
            Fid::EvtRawtime => Val::Num(ev.ts as i64),
            Fid::EvtRawtimeS => Val::Num((ev.ts / 1_000_000_000) as i64),
            Fid::EvtRawtimeNs => Val::Num((ev.ts % 1_000_000_000) as i64),
            Fid::EvtReltime => Val::Num(ev.ts.saturating_sub(self.first_ts) as i64),
            Fid::EvtLatency => Val::Num(self.syscall().map_or(0, |(sc, _)| sc.latency as i64)),
            Fid::EvtType => match &ev.body {
                Body::Syscall(sc) => s(syscalls::name(sc.nr).unwrap_or("unknown").as_bytes()),
                b => s(b.kind().map_or("unknown", |k| k.name()).as_bytes()),
            },
            Fid::EvtCategory => s(match &ev.body {
                Body::Syscall(sc) => calls::info(sc.nr).spec.category.name(),
                Body::Fork(_) | Body::Exec(_) | Body::Exit(_) => "process",
                Body::Signal(_) => "signal",
                _ => "other",
            }
            .as_bytes()),
            Fid::EvtCpu => Val::Num(i64::from(ev.cpu)),
            Fid::EvtArgs | Fid::EvtInfo => {
                let mut t = String::new();
                self.render_args(field.fid == Fid::EvtInfo, &mut t);
                owned(t)
            }
            Fid::EvtArg | Fid::EvtRawarg => return self.arg_field(field),
            Fid::EvtBuffer => s(self.buffer()?),
            Fid::EvtBuflen => {
                let (sc, spec) = self.syscall()?;
                if spec.io & (io::READ | io::WRITE) == 0 {
                    return None;
                }
                Val::Num(sc.ret.max(0))
            }
            Fid::EvtRes => owned(render::res_name(self.syscall()?.0.ret)),
            Fid::EvtRawres => Val::Num(self.syscall()?.0.ret),
            Fid::EvtFailed => Val::Bool(
                self.syscall()
                    .is_some_and(|(sc, _)| sc.ret < 0 && sc.ret > -4096),
            ),
            Fid::EvtIsIo => Val::Bool(self.io_flag(io::READ | io::WRITE)),
            Fid::EvtIsIoRead => Val::Bool(self.io_flag(io::READ)),
            Fid::EvtIsIoWrite => Val::Bool(self.io_flag(io::WRITE)),
            Fid::EvtIsWait => Val::Bool(self.io_flag(io::WAIT)),
            Fid::EvtIsOpenRead | Fid::EvtIsOpenWrite | Fid::EvtIsOpenExec => {
                Val::Bool(self.open_kind(field.fid))
            }
            Fid::EvtDir => s(b"<"),
            _ => return None,
        })
    }

    /// `evt.arg` and `evt.rawarg`: one argument, by name, or by position as sysdig numbers it.
    pub(super) fn arg_field(&self, field: &Field) -> Option<Val<'_>> {
        if let FieldArg::Index(i) = field.arg
            && let Some((call, event)) = self.libs_event()
        {
            return self.libs_arg(field.fid, call, i, event);
        }
        self.arg_by(field.fid, &field.arg)
    }

    /// libs' event for this one (the exit of its call, or the event of the same meaning as a
    /// record), with the name casefile gives the call or record: sysdig numbers `evt.arg[N]`
    /// through that event's parameters. `None` for calls and records libs has no event for.
    pub(super) fn libs_event(&self) -> Option<(&'static str, &'static EventInfo)> {
        match &self.ev.body {
            Body::Syscall(sc) => {
                let call = calls::info(sc.nr);
                Some((call.spec.name, call.libs_exit?))
            }
            b => record_event(b.kind()?),
        }
    }

    /// Parameter `i` of libs' `event` for `call`: the result first for a call, else the
    /// argument of the same name (renamed as [`names::our_name`] says), else, for the events
    /// that describe the task (clone, fork, execve), what the state knows of it.
    pub(super) fn libs_arg(
        &self,
        fid: Fid,
        call: &str,
        i: usize,
        event: &'static EventInfo,
    ) -> Option<Val<'_>> {
        let libs = event.params.get(i)?.name;
        if i == 0 && matches!(self.ev.body, Body::Syscall(_)) {
            return self.result_arg(fid);
        }
        let ours = names::our_name(call, libs);
        if let Some(v) = self.arg_by(fid, &FieldArg::Name(ours.to_owned())) {
            return Some(v);
        }
        let describes_task = event.params.get(1).is_some_and(|p| p.name == "exe");
        if !describes_task {
            return None;
        }
        let fid = task_field(libs)?;
        self.value(&Field {
            fid,
            arg: FieldArg::None,
        })
    }

    /// The call's result (`evt.arg.res`, `evt.arg[0]` of a call) as sysdig shows an argument:
    /// what it resolves to when it does (an error's name, a new fd's `<f>/path`), else the
    /// number; `evt.rawarg.res` is the number.
    pub(super) fn result_arg(&self, fid: Fid) -> Option<Val<'_>> {
        let (sc, spec) = self.syscall()?;
        if fid == Fid::EvtRawarg {
            return Some(Val::Num(sc.ret));
        }
        let mut t = String::new();
        if spec.ret == ParamType::Fd && sc.ret >= 0 {
            render::render_fd(self.state, self.ev.pid, sc.ret, &mut t);
        } else {
            render::render_ret(sc.ret, spec.ret, &mut t);
        }
        Some(owned(resolved_part(t)))
    }

    /// `evt.arg` or `evt.rawarg` (`fid`) by casefile's own names and positions: the argument
    /// `arg` of the call or record.
    pub(super) fn arg_by(&self, fid: Fid, arg: &FieldArg) -> Option<Val<'_>> {
        let ev = self.ev;
        Some(match fid {
            Fid::EvtArg | Fid::EvtRawarg if !matches!(ev.body, Body::Syscall(_)) => {
                let args = self.other_args();
                let (_, v) = match arg {
                    FieldArg::Index(i) => args.into_iter().nth(*i)?,
                    FieldArg::Name(n) => args.into_iter().find(|(k, _)| k == n)?,
                    FieldArg::None => return None,
                };
                owned(v)
            }
            Fid::EvtArg | Fid::EvtRawarg if self.is_res(arg) => return self.result_arg(fid),
            Fid::EvtArg => {
                let (name, ty, v) = self.param(arg)?;
                let mut t = String::new();
                render_one(self.state, ev.pid, name, ty, v, self.buf_mode, &mut t);
                owned(t)
            }
            Fid::EvtRawarg => {
                let (_, _, v) = self.param(arg)?;
                match v {
                    Value::Int(n) => Val::Num(*n),
                    Value::Bytes(b) => s(b),
                    Value::Sock(so) => owned(so.to_string()),
                    Value::None => return None,
                }
            }
            _ => return None,
        })
    }
}

/// The part in parentheses of a rendered `NUMBER(RESOLVED)` value (`-2(ENOENT)` gives
/// `ENOENT`, `3(<f>/etc/passwd)` gives `<f>/etc/passwd`); anything else whole.
pub(super) fn resolved_part(t: String) -> String {
    let inner = t
        .split_once('(')
        .filter(|(n, rest)| n.parse::<i64>().is_ok() && rest.ends_with(')'))
        .map(|(_, rest)| rest[..rest.len() - 1].to_owned());
    inner.unwrap_or(t)
}

/// libs' event of the same meaning as a record that is not a system call, with the record's
/// kind name: an exec is the exit of execve, a fork the exit of clone; process exits, signal
/// deliveries, context switches, resource samples and container records have libs events of
/// their own name. Loss and state records have none.
pub(super) fn record_event(kind: Kind) -> Option<(&'static str, &'static EventInfo)> {
    type Row = (Kind, &'static EventInfo);
    static T: OnceLock<Vec<Row>> = OnceLock::new();
    let t = T.get_or_init(|| {
        [
            (Kind::Exec, "execve", true),
            (Kind::Fork, "clone", true),
            (Kind::Exit, "procexit", false),
            (Kind::Signal, "signaldeliver", false),
            (Kind::Switch, "switch", false),
            (Kind::Usage, "procinfo", false),
            (Kind::Container, "container", false),
        ]
        .into_iter()
        .filter_map(|(k, libs, exit)| Some((k, names::libs_event(libs, exit)?)))
        .collect()
    });
    t.iter()
        .find(|(k, _)| *k == kind)
        .map(|(k, e)| (k.name(), *e))
}

/// The field holding what libs' clone, fork and execve exits tell of the task under `libs`.
pub(super) fn task_field(libs: &str) -> Option<Fid> {
    Some(match libs {
        "exe" => Fid::ProcExe,
        "args" => Fid::ProcArgs,
        "tid" => Fid::ThreadTid,
        "pid" => Fid::ProcPid,
        "ptid" => Fid::ProcPpid,
        "cwd" => Fid::ProcCwd,
        "comm" => Fid::ProcName,
        "env" => Fid::ProcEnv,
        "tty" => Fid::ProcTty,
        "vtid" => Fid::ThreadVtid,
        "vpid" => Fid::ProcVpid,
        "vpgid" => Fid::ProcVpgid,
        "uid" => Fid::UserUid,
        "gid" => Fid::GroupGid,
        "loginuid" => Fid::UserLoginuid,
        "vm_size" => Fid::ThreadVmsize,
        "vm_rss" => Fid::ThreadVmrss,
        "vm_swap" => Fid::ThreadVmswap,
        "pgft_maj" => Fid::ThreadPfmajor,
        "pgft_min" => Fid::ThreadPfminor,
        _ => return None,
    })
}
