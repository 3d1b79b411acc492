//! One event seen with its context: the values of every field, for filters and printers.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::OnceLock;

use capture_format::schema::syscalls::{self, Category, ParamType, SyscallSpec, io};
use capture_format::schema::{
    Body, Container, Event, FdType, Kind, Syscall, Value, af, exe, host_of, l4, local_container,
};

use super::calls;
use super::fields::{Family, Fid, Field, FieldArg};
use super::render::{self, BufMode};
use super::state::{Fd, Proc, State};
use crate::filter::{Source, Val};
use crate::import::scap::event::EventInfo;
use crate::import::scap::names;

/// An event, its number, and the state it happened in.
pub struct EventCtx<'a, 'e> {
    /// The event.
    pub ev: &'a Event<'e>,
    /// The state (already updated for this event's own effects).
    pub state: &'a State,
    /// Event number, from 1.
    pub num: u64,
    /// Time of the first event of the capture (for `evt.reltime`).
    pub first_ts: u64,
    /// Time of the previous event that matched (for `evt.deltatime`); 0 for the first.
    pub prev_ts: u64,
    /// How buffers render.
    pub buf_mode: BufMode,
    /// Which side of a call that moves data between two fds the event is seen as.
    pub side: Side,
}

/// How an event of a call that reads one fd and writes another (sendfile, splice, tee,
/// copy_file_range) is seen: as a whole (its first fd, reading and writing), or as the read of
/// its source fd or the write of its destination fd. A filter matches the event when it
/// matches any of the three; a view keyed by fd counts each side on its own fd.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Side {
    /// The whole call.
    #[default]
    Both,
    /// The read of the source fd.
    Read,
    /// The write of the destination fd.
    Write,
}

fn s(b: &[u8]) -> Val<'_> {
    Val::Str(Cow::Borrowed(b))
}

fn owned<'x>(t: String) -> Val<'x> {
    Val::Str(Cow::Owned(t.into_bytes()))
}

/// One parameter; the fd pair of pipe/socketpair (`fds`) shows as `6,7`.
fn render_one(
    state: &State,
    pid: u32,
    name: &str,
    ty: ParamType,
    v: &Value<'_>,
    mode: BufMode,
    out: &mut String,
) {
    if name == "fds"
        && let Some((a, b)) = super::state::fd_pair(v)
    {
        let _ = write!(out, "{a},{b}");
        return;
    }
    render::render_param(state, pid, ty, v, mode, out);
}

/// The `%`-free text form of a value, as printers show it.
pub fn val_text(v: &Val<'_>, out: &mut String) {
    match v {
        Val::Num(n) => out.push_str(itoa::Buffer::new().format(*n)),
        Val::Str(b) => match std::str::from_utf8(b) {
            Ok(t) => out.push_str(t),
            Err(_) => out.push_str(&String::from_utf8_lossy(b)),
        },
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Ip(ip) => {
            let _ = write!(out, "{ip}");
        }
        Val::List(items) => {
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                val_text(it, out);
            }
        }
    }
}

/// Space-separated NUL-terminated entries (`proc.args`).
fn nul_list(b: &[u8]) -> String {
    let mut out = String::new();
    for (i, part) in b.split(|&c| c == 0).filter(|p| !p.is_empty()).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&String::from_utf8_lossy(part));
    }
    out
}

fn label<'c>(c: &'c Container<'_>, key: &str) -> Option<&'c [u8]> {
    c.label_pairs()
        .find(|(k, _)| *k == key.as_bytes())
        .map(|(_, v)| v)
}

fn cmdline(p: &Proc) -> String {
    super::state::cmdline(&p.comm, &p.args)
}

/// The container index of the host itself, in the event's host (0 in a capture of one host).
fn host_base(container: u32) -> u32 {
    container - local_container(container)
}

fn ip_of(family: u8, b: &[u8; 16]) -> IpAddr {
    if family == af::INET6 {
        IpAddr::from(*b)
    } else {
        IpAddr::from([b[0], b[1], b[2], b[3]])
    }
}

impl<'e> EventCtx<'_, 'e> {
    fn syscall(&self) -> Option<(&Syscall<'e>, &'static SyscallSpec)> {
        match &self.ev.body {
            Body::Syscall(sc) => Some((sc, &calls::info(sc.nr).spec)),
            _ => None,
        }
    }

    /// The process the event belongs to, when its image is known.
    pub fn proc(&self) -> Option<&Proc> {
        self.state.procs.get(&self.ev.pid).filter(|p| p.known)
    }

    /// The fd number the event is about: the new fd for calls that return one, else the first
    /// fd argument.
    pub fn fd_num(&self) -> Option<i64> {
        let Body::Syscall(sc) = &self.ev.body else {
            return None;
        };
        let call = calls::info(sc.nr);
        if call.returns_fd && sc.ret >= 0 {
            return Some(sc.ret);
        }
        let param = match (self.side, call.sides) {
            (Side::Read, Some((r, _))) => r,
            (Side::Write, Some((_, w))) => w,
            _ => call.fd_param?,
        };
        sc.params.get(usize::from(param))?.as_int()
    }

    /// The event's `io` flags (`syscalls::io`) as seen from its [`Side`].
    pub fn io(&self) -> u8 {
        let Some((_, spec)) = self.syscall() else {
            return 0;
        };
        match self.side {
            Side::Both => spec.io,
            Side::Read => spec.io & !io::WRITE,
            Side::Write => spec.io & !io::READ,
        }
    }

    /// Whether the event is of a call that reads one fd and writes another.
    pub fn has_sides(&self) -> bool {
        self.syscall()
            .is_some_and(|(sc, _)| calls::info(sc.nr).sides.is_some())
    }

    /// The fd the event is about, from the state.
    pub fn fd(&self) -> Option<&Fd> {
        let n = i32::try_from(self.fd_num()?).ok()?;
        self.state.fd(self.ev.pid, n)
    }

    /// The path a failed open/openat/openat2/creat tried, made absolute.
    fn failed_open_path(&self) -> Option<Vec<u8>> {
        let Body::Syscall(sc) = &self.ev.body else {
            return None;
        };
        if sc.ret >= 0 || calls::info(sc.nr).action != calls::Action::Open {
            return None;
        }
        self.path_param(&["name"])
    }

    fn container(&self) -> Option<&Container<'static>> {
        self.state.containers.get(&self.ev.container)
    }

    fn param(&self, arg: &FieldArg) -> Option<(&'static str, ParamType, &Value<'e>)> {
        let (sc, spec) = self.syscall()?;
        let i = match arg {
            FieldArg::Index(i) => *i,
            FieldArg::Name(n) => spec.params.iter().position(|p| p.name == n)?,
            FieldArg::None => return None,
        };
        let (name, ty) = spec
            .params
            .get(i)
            .map_or(("arg", ParamType::Hex), |p| (p.name, p.ty));
        Some((name, ty, sc.params.get(i)?))
    }

    /// `name=value` pairs of every parameter; with `res`, the result too (before any data).
    pub fn render_args(&self, with_res: bool, out: &mut String) {
        let ev = self.ev;
        match &ev.body {
            Body::Syscall(sc) => {
                let spec = calls::info(sc.nr).spec;
                let mut data = None;
                let mut first = true;
                let mut sep = |out: &mut String| {
                    if !first {
                        out.push(' ');
                    }
                    first = false;
                };
                for (i, v) in sc.params.iter().enumerate() {
                    let (name, ty) = spec
                        .params
                        .get(i)
                        .map_or(("arg", ParamType::Hex), |p| (p.name, p.ty));
                    if ty == ParamType::Buffer {
                        data = Some((name, v));
                        continue;
                    }
                    // Raw arguments of an undecoded call that were not captured (imported
                    // captures) say nothing.
                    if !spec.decoded && matches!(v, Value::None) {
                        continue;
                    }
                    sep(out);
                    out.push_str(name);
                    out.push('=');
                    render_one(self.state, ev.pid, name, ty, v, self.buf_mode, out);
                }
                if with_res {
                    sep(out);
                    out.push_str("res=");
                    if spec.ret == ParamType::Fd && sc.ret >= 0 {
                        render::render_fd(self.state, ev.pid, sc.ret, out);
                    } else {
                        render::render_ret(sc.ret, spec.ret, out);
                    }
                }
                if let Some((name, v)) = data {
                    sep(out);
                    out.push_str(name);
                    out.push('=');
                    render::render_param(
                        self.state,
                        ev.pid,
                        ParamType::Buffer,
                        v,
                        self.buf_mode,
                        out,
                    );
                }
            }
            _ => {
                for (k, (name, value)) in self.other_args().into_iter().enumerate() {
                    if k > 0 {
                        out.push(' ');
                    }
                    out.push_str(name);
                    out.push('=');
                    out.push_str(&value);
                }
            }
        }
    }

    /// The arguments of a record that is not a system call, as `(name, rendered value)`.
    pub fn other_args(&self) -> Vec<(&'static str, String)> {
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match &self.ev.body {
            Body::Syscall(_) => Vec::new(),
            Body::Fork(f) => vec![
                ("child_tid", f.child_tid.to_string()),
                ("child_pid", f.child_pid.to_string()),
                ("flags", format!("{:#x}", f.flags)),
            ],
            Body::Exec(p) => vec![
                ("exe", lossy(&p.exe)),
                ("args", nul_list(&p.args)),
                ("cwd", lossy(&p.cwd)),
            ],
            Body::Exit(x) => vec![
                ("status", x.code.to_string()),
                ("group_dead", x.group_dead.to_string()),
            ],
            Body::Signal(sg) => {
                let mut v = String::new();
                render::render_param(
                    self.state,
                    self.ev.pid,
                    ParamType::Signal,
                    &Value::Int(i64::from(sg.sig)),
                    self.buf_mode,
                    &mut v,
                );
                vec![
                    ("sig", v),
                    ("sender", sg.sender.to_string()),
                    ("code", sg.code.to_string()),
                ]
            }
            Body::Container(c) => vec![
                ("id", lossy(&c.id)),
                ("name", lossy(&c.name)),
                ("image", lossy(&c.image)),
                ("type", lossy(&c.runtime)),
            ],
            Body::Loss(l) => vec![
                ("count", l.count.to_string()),
                (
                    "cpu",
                    if l.cpu == capture_format::schema::Loss::FILTERED {
                        "filter".to_owned()
                    } else {
                        l.cpu.to_string()
                    },
                ),
                ("from", l.from.to_string()),
                ("to", l.to.to_string()),
            ],
            Body::Process(p) => vec![
                ("tid", p.tid.to_string()),
                ("pid", p.pid.to_string()),
                ("comm", lossy(&p.comm)),
            ],
            Body::Fd(f) => vec![
                ("pid", f.pid.to_string()),
                ("fd", f.fd.to_string()),
                ("name", lossy(&f.name)),
            ],
            Body::User(u) => vec![("uid", u.uid.to_string()), ("name", lossy(&u.name))],
            Body::Group(g) => vec![("gid", g.gid.to_string()), ("name", lossy(&g.name))],
            Body::Interface(i) => vec![
                ("name", lossy(&i.name)),
                ("addr", format!("{}/{}", ip_of(i.family, &i.addr), i.prefix)),
            ],
            Body::Switch(s) => vec![
                ("next", s.next.to_string()),
                ("pgft_maj", s.pf_major.to_string()),
                ("pgft_min", s.pf_minor.to_string()),
                ("vm_size", s.vm_size.to_string()),
                ("vm_rss", s.vm_rss.to_string()),
                ("vm_swap", s.vm_swap.to_string()),
            ],
            Body::Usage(u) => vec![
                ("cpu_usr", u.user_ns.to_string()),
                ("cpu_sys", u.sys_ns.to_string()),
                ("vm_size", u.vm_size.to_string()),
                ("vm_rss", u.vm_rss.to_string()),
                ("vm_swap", u.vm_swap.to_string()),
                ("pgft_maj", u.pf_major.to_string()),
                ("pgft_min", u.pf_minor.to_string()),
            ],
            Body::Unknown { kind, values } => vec![
                ("kind", kind.to_string()),
                ("values", values.len().to_string()),
            ],
        }
    }

    /// Nanoseconds since the previous matching event (0 for the first).
    pub fn deltatime(&self) -> u64 {
        if self.prev_ts == 0 {
            0
        } else {
            self.ev.ts.saturating_sub(self.prev_ts)
        }
    }

    /// `evt.outputtime` as sysdig's `-t` mode asks.
    fn output_time(&self, out: &mut String) {
        use crate::timefmt::{OutputTime, output_time, seconds};
        match output_time() {
            OutputTime::Human => render::time_of_day(self.ev.ts, out),
            OutputTime::Absolute => seconds(self.ev.ts, out),
            OutputTime::Relative => seconds(self.ev.ts.saturating_sub(self.first_ts), out),
            OutputTime::Latency => seconds(self.syscall().map_or(0, |(sc, _)| sc.latency), out),
            OutputTime::Delta => seconds(self.deltatime(), out),
        }
    }

    /// Appends the text of `field` to `out` (as [`val_text`] of its value, without building
    /// the value first for the fields printed on every line); false when the event has none.
    pub fn write_text(&mut self, field: &Field, out: &mut String) -> bool {
        match field.fid {
            Fid::EvtTime => render::time_of_day(self.ev.ts, out),
            Fid::EvtOutputtime => self.output_time(out),
            Fid::EvtInfo | Fid::EvtArgs => self.render_args(field.fid == Fid::EvtInfo, out),
            _ => match self.get(field) {
                Some(v) => val_text(&v, out),
                None => return false,
            },
        }
        true
    }

    /// The event's payload buffer, if it has one.
    pub fn buffer(&self) -> Option<&[u8]> {
        let Body::Syscall(sc) = &self.ev.body else {
            return None;
        };
        sc.params
            .get(usize::from(calls::info(sc.nr).buf_param?))?
            .as_bytes()
    }

    fn path_param(&self, names: &[&str]) -> Option<Vec<u8>> {
        let (sc, spec) = self.syscall()?;
        if !matches!(spec.category, Category::File) && spec.name != "execve" {
            return None;
        }
        let idx = spec.params.iter().position(|p| {
            names.contains(&p.name) && matches!(p.ty, ParamType::Path | ParamType::Str)
        })?;
        let path = sc.params.get(idx)?.as_bytes()?;
        // The dirfd is the Fd parameter just before the path, when there is one.
        let dirfd = idx
            .checked_sub(1)
            .and_then(|d| {
                spec.params
                    .get(d)
                    .filter(|p| p.ty == ParamType::Fd)
                    .map(|_| d)
            })
            .and_then(|d| sc.params.get(d)?.as_int());
        Some(
            self.state
                .resolve_path(self.ev.pid, dirfd.or(Some(-100)), path),
        )
    }

    /// `fs.path.name`, `fs.path.source` or `fs.path.target` (`which`), as Falco's libs define
    /// them: set only for the calls of its table, and only when the call succeeded. `name`:
    /// the path of open/openat/openat2, mkdir/mkdirat, rmdir, unlink/unlinkat, chmod/fchmodat,
    /// chown/lchown/fchownat, umount2, and the fd's name for fchmod/fchown. `source` and
    /// `target`: rename* old and new path; link/linkat the new link and what it links to
    /// (newpath, oldpath); symlink/symlinkat the link and its target (linkpath, target); mount
    /// the device and the directory. Relative paths are made absolute (against the call's
    /// dirfd where it has one, else the working directory: libs always takes the cwd).
    fn fs_path(&self, which: Fid) -> Option<Vec<u8>> {
        let Body::Syscall(sc) = &self.ev.body else {
            return None;
        };
        let (opens, srcs) = fs_path_table().get(usize::from(sc.nr))?.as_ref()?;
        let src = srcs[match which {
            Fid::FsPathName => 0,
            Fid::FsPathSource => 1,
            _ => 2,
        }]?;
        if (*opens && sc.ret < 0) || (!*opens && sc.ret != 0) {
            return None;
        }
        let FsSrc::Param(idx) = src else {
            return Some(self.fd()?.name.to_vec());
        };
        let idx = usize::from(idx);
        let path = sc.params.get(idx)?.as_bytes()?;
        if path.is_empty() {
            return None;
        }
        // The dirfd is the Fd parameter just before the path, when there is one.
        let spec = &calls::info(sc.nr).spec;
        let dirfd = idx
            .checked_sub(1)
            .filter(|&d| spec.params.get(d).is_some_and(|p| p.ty == ParamType::Fd))
            .and_then(|d| sc.params.get(d)?.as_int());
        Some(
            self.state
                .resolve_path(self.ev.pid, dirfd.or(Some(-100)), path),
        )
    }

    /// Whether `arg` names the result (`evt.rawarg.res`), for a call with no parameter of that
    /// name.
    fn is_res(&self, arg: &FieldArg) -> bool {
        matches!(arg, FieldArg::Name(n) if n == "res")
            && self
                .syscall()
                .is_some_and(|(_, spec)| spec.params.iter().all(|p| p.name != "res"))
    }

    /// `evt.is_open_read`/`_write`/`_exec`, as libs computes them from the open flags and mode.
    fn open_kind(&self, fid: Fid) -> bool {
        const O_ACCMODE: i64 = 3;
        const O_WRONLY: i64 = 1;
        const O_RDWR: i64 = 2;
        const O_CREAT: i64 = 0o100;
        const O_TMPFILE: i64 = 0o20_000_000;
        const EXEC_BITS: i64 = 0o111;
        let Some((sc, spec)) = self.syscall() else {
            return false;
        };
        let named = |n: &str| {
            let i = spec.params.iter().position(|p| p.name == n)?;
            sc.params.get(i)?.as_int()
        };
        match spec.name {
            "open" | "openat" => {
                let Some(flags) = named("flags") else {
                    return false;
                };
                let acc = flags & O_ACCMODE;
                match fid {
                    Fid::EvtIsOpenRead => acc == 0 || acc == O_RDWR,
                    Fid::EvtIsOpenWrite => acc == O_WRONLY || acc == O_RDWR,
                    _ => {
                        flags & (O_CREAT | O_TMPFILE) != 0
                            && named("mode").is_some_and(|m| m & EXEC_BITS != 0)
                    }
                }
            }
            "creat" => {
                fid == Fid::EvtIsOpenExec && named("mode").is_some_and(|m| m & EXEC_BITS != 0)
            }
            _ => false,
        }
    }

    fn io_flag(&self, flag: u8) -> bool {
        self.io() & flag != 0
    }

    /// The resource use of the event's thread, when a sample told it.
    fn usage(&self) -> Option<&super::usage::ThreadUsage> {
        self.state.threads.get(&self.ev.tid)?.usage.as_deref()
    }

    /// The memory figures of the event's process: its main thread's latest, else the
    /// thread's own (memory is shared by the threads of a process).
    fn memory(&self) -> Option<&capture_format::schema::Usage> {
        let of = |tid: u32| {
            self.state
                .threads
                .get(&tid)?
                .usage
                .as_deref()
                .map(|u| &u.last)
                .filter(|u| u.vm_size > 0 || u.vm_rss > 0)
        };
        of(self.ev.pid).or_else(|| of(self.ev.tid))
    }

    /// The parent, grandparent, ... of the event's process, live or exited.
    fn ancestors(&self) -> Vec<&Proc> {
        let mut out = Vec::new();
        let mut cur = self.proc();
        while let Some(p) = cur {
            if out.len() > 64 {
                break;
            }
            cur = self.state.parent_of(p);
            if let Some(parent) = cur {
                out.push(parent);
            }
        }
        out
    }

    /// The parent of the event's process, live or exited.
    fn parent(&self) -> Option<&Proc> {
        self.state.parent_of(self.proc()?)
    }

    fn user_of(&self) -> Option<&capture_format::schema::User<'static>> {
        let uid = self.proc()?.uid;
        self.state
            .users
            .get(&(self.ev.container, uid))
            .or_else(|| self.state.users.get(&(host_base(self.ev.container), uid)))
    }

    fn group_of(&self) -> Option<&capture_format::schema::Group<'static>> {
        let gid = self.proc()?.gid;
        self.state
            .groups
            .get(&(self.ev.container, gid))
            .or_else(|| self.state.groups.get(&(host_base(self.ev.container), gid)))
    }
}

/// The field evaluator: one method per [`Family`] of fields, [`EventCtx::value`] choosing by
/// family.
impl EventCtx<'_, '_> {
    /// The value of `field` for this event.
    pub fn value(&self, field: &Field) -> Option<Val<'_>> {
        match field.fid.family() {
            Family::Evt => self.evt_field(field),
            Family::Proc => self.proc_field(field),
            Family::Fd => self.fd_field(field),
            Family::Container => container_value(field, self.ev.container, self.container()),
            Family::Host => self.host_field(field),
            Family::User => self.user_field(field),
            Family::FsPath => Some(owned(
                String::from_utf8_lossy(&self.fs_path(field.fid)?).into_owned(),
            )),
            Family::Usage => self.usage_field(field),
        }
    }

    /// `evt.*`: the event's time, type, arguments and result.
    fn evt_field(&self, field: &Field) -> Option<Val<'_>> {
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
    fn arg_field(&self, field: &Field) -> Option<Val<'_>> {
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
    fn libs_event(&self) -> Option<(&'static str, &'static EventInfo)> {
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
    fn libs_arg(
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
    fn result_arg(&self, fid: Fid) -> Option<Val<'_>> {
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
    fn arg_by(&self, fid: Fid, arg: &FieldArg) -> Option<Val<'_>> {
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

    /// `proc.*` and `thread.*` (but resource use): the process and thread, from the state.
    fn proc_field(&self, field: &Field) -> Option<Val<'_>> {
        let ev = self.ev;
        Some(match field.fid {
            Fid::ProcPid => Val::Num(i64::from(ev.pid)),
            Fid::ProcName => {
                let p = self.proc().filter(|p| !p.comm.is_empty())?;
                s(super::state::task_name(self.state, p, ev.tid))
            }
            Fid::ProcCmdline => {
                let p = self.proc().filter(|p| !p.comm.is_empty())?;
                let name = super::state::task_name(self.state, p, ev.tid);
                owned(super::state::cmdline(name, &p.args))
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
                owned(super::caps::to_text(match field.fid {
                    Fid::ThreadCapEffective => c.effective,
                    Fid::ThreadCapPermitted => c.permitted,
                    _ => c.inheritable,
                }))
            }
            _ => return None,
        })
    }

    /// `fd.*` but addresses and ports: the fd the event is about.
    fn fd_field(&self, field: &Field) -> Option<Val<'_>> {
        Some(match field.fid {
            Fid::FdNum => Val::Num(self.fd_num()?),
            Fid::FdType => s(self.fd()?.ty.name().as_bytes()),
            Fid::FdTypechar => {
                let c = self.fd()?.ty.typechar();
                owned(c.to_string())
            }
            Fid::FdName => match self.fd() {
                Some(fd) => {
                    let name = fd.display_name();
                    // sysdig names pipes, eventfds, inotify and signal fds with an empty
                    // string (`fd.name exists` holds); only a file whose path is unknown has
                    // no name.
                    if name.is_empty()
                        && !matches!(
                            fd.ty,
                            FdType::Pipe
                                | FdType::Event
                                | FdType::Inotify
                                | FdType::Signalfd
                                | FdType::Unix
                        )
                    {
                        return None;
                    }
                    Val::Str(name)
                }
                // A failed open is named after the path it tried, as sysdig does.
                None => owned(String::from_utf8_lossy(&self.failed_open_path()?).into_owned()),
            },
            Fid::FdDirectory | Fid::FdFilename => {
                let fd = self.fd()?;
                if !matches!(fd.ty, FdType::File | FdType::Directory) {
                    return None;
                }
                let n: &[u8] = &fd.name;
                if fd.ty == FdType::Directory {
                    return Some(if field.fid == Fid::FdDirectory {
                        s(n)
                    } else {
                        s(b"")
                    });
                }
                let cut = n.iter().rposition(|&c| c == b'/')?;
                if field.fid == Fid::FdDirectory {
                    s(if cut == 0 { b"/" } else { &n[..cut] })
                } else {
                    s(&n[cut + 1..])
                }
            }
            Fid::FdNameraw => {
                if let Some(fd) = self.fd() {
                    if let Some(raw) = &fd.nameraw {
                        return Some(s(raw));
                    }
                    let name = fd.display_name();
                    if name.is_empty() {
                        return None;
                    }
                    Val::Str(name)
                } else {
                    // A failed open is named after the path as it was given.
                    self.failed_open_path()?;
                    let (sc, spec) = self.syscall()?;
                    let i = spec.params.iter().position(|p| p.name == "name")?;
                    s(sc.params.get(i)?.as_bytes()?)
                }
            }
            Fid::FdNameChanged => {
                self.fd()?;
                Val::Bool(self.state.fd_name_changed)
            }
            _ => return self.fd_net_field(field),
        })
    }

    /// `fd.*` addresses, ports and socket kinds.
    fn fd_net_field(&self, field: &Field) -> Option<Val<'_>> {
        Some(match field.fid {
            Fid::FdCipName | Fid::FdSipName | Fid::FdLipName | Fid::FdRipName => {
                let fd = self.fd()?;
                let so = fd.sock.filter(|so| {
                    matches!(so.family, af::INET | af::INET6) && (so.sport != 0 || so.dport != 0)
                })?;
                let (cip, sip) = (ip_of(so.family, &so.src), ip_of(so.family, &so.dst));
                let ip = match (field.fid, fd.is_server) {
                    (Fid::FdCipName, _) | (Fid::FdLipName, false) | (Fid::FdRipName, true) => cip,
                    _ => sip,
                };
                s(self.state.dns.name(ip)?.as_bytes())
            }
            Fid::FdIp
            | Fid::FdCip
            | Fid::FdSip
            | Fid::FdLip
            | Fid::FdRip
            | Fid::FdNet
            | Fid::FdCnet
            | Fid::FdSnet
            | Fid::FdLnet
            | Fid::FdRnet => {
                let fd = self.fd()?;
                // A socket with no address yet (before connect/bind) has no ends.
                let so = fd.sock.filter(|so| {
                    matches!(so.family, af::INET | af::INET6) && (so.sport != 0 || so.dport != 0)
                })?;
                let cip = ip_of(so.family, &so.src);
                let sip = ip_of(so.family, &so.dst);
                match field.fid {
                    Fid::FdIp | Fid::FdNet => Val::List(vec![Val::Ip(cip), Val::Ip(sip)]),
                    Fid::FdCip | Fid::FdCnet => Val::Ip(cip),
                    Fid::FdSip | Fid::FdSnet => Val::Ip(sip),
                    Fid::FdLip | Fid::FdLnet => Val::Ip(if fd.is_server { sip } else { cip }),
                    _ => Val::Ip(if fd.is_server { cip } else { sip }),
                }
            }
            Fid::FdPort | Fid::FdCport | Fid::FdSport | Fid::FdLport | Fid::FdRport => {
                let fd = self.fd()?;
                // A socket with no address yet (before connect/bind) has no ends.
                let so = fd.sock.filter(|so| {
                    matches!(so.family, af::INET | af::INET6) && (so.sport != 0 || so.dport != 0)
                })?;
                let (c, sv) = (i64::from(so.sport), i64::from(so.dport));
                match field.fid {
                    Fid::FdPort => Val::List(vec![Val::Num(c), Val::Num(sv)]),
                    Fid::FdCport => Val::Num(c),
                    Fid::FdSport => Val::Num(sv),
                    Fid::FdLport => Val::Num(if fd.is_server { sv } else { c }),
                    _ => Val::Num(if fd.is_server { c } else { sv }),
                }
            }
            Fid::FdL4proto => {
                let so = self.fd()?.sock?;
                s(match so.proto {
                    l4::TCP => b"tcp",
                    l4::UDP => b"udp",
                    l4::ICMP => b"icmp",
                    l4::RAW => b"raw",
                    _ => return None,
                })
            }
            Fid::FdSockfamily => s(match self.fd()?.ty {
                FdType::Ipv4 | FdType::Ipv6 => b"ip",
                FdType::Unix => b"unix",
                _ => return None,
            }),
            Fid::FdIsServer => {
                let fd = self.fd()?;
                if !matches!(fd.ty, FdType::Ipv4 | FdType::Ipv6 | FdType::Unix) {
                    return None;
                }
                Val::Bool(fd.is_server)
            }
            Fid::FdConnected => {
                let fd = self.fd()?;
                if !matches!(fd.ty, FdType::Ipv4 | FdType::Ipv6) {
                    return None;
                }
                Val::Bool(fd.connected)
            }
            _ => return None,
        })
    }

    /// `host.*`.
    fn host_field(&self, field: &Field) -> Option<Val<'_>> {
        Some(match field.fid {
            Fid::HostName => s(self.state.host_name.as_bytes()),
            Fid::HostIndex => Val::Num(i64::from(host_of(self.ev.container))),
            _ => return None,
        })
    }

    /// `user.*` and `group.*`: the process's user and group.
    fn user_field(&self, field: &Field) -> Option<Val<'_>> {
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
    fn usage_field(&self, field: &Field) -> Option<Val<'_>> {
        Some(match field.fid {
            Fid::ThreadCpu => Val::Num(self.usage()?.cpu_pct()?.round() as i64),
            Fid::ThreadCpuUser => Val::Num(self.usage()?.user_pct()?.round() as i64),
            Fid::ThreadCpuSystem => Val::Num(self.usage()?.sys_pct()?.round() as i64),
            Fid::ProcCpu => {
                Val::Num(super::usage::proc_cpu_pct(self.state, self.ev.pid)?.round() as i64)
            }
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
}

impl Source<Field> for EventCtx<'_, '_> {
    fn get(&mut self, field: &Field) -> Option<Val<'_>> {
        self.value(field)
    }
}

/// The part in parentheses of a rendered `NUMBER(RESOLVED)` value (`-2(ENOENT)` gives
/// `ENOENT`, `3(<f>/etc/passwd)` gives `<f>/etc/passwd`); anything else whole.
fn resolved_part(t: String) -> String {
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
fn record_event(kind: Kind) -> Option<(&'static str, &'static EventInfo)> {
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
fn task_field(libs: &str) -> Option<Fid> {
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

/// Where `fs.path.name`, `.source` or `.target` of a call comes from.
#[derive(Clone, Copy)]
enum FsSrc {
    /// The parameter at this index.
    Param(u8),
    /// The name of the fd the call acts on (fchmod, fchown).
    Fd,
}

/// The parameter libs' `fs.path` check takes for `fs.path.name` (0), `.source` (1) or
/// `.target` (2) of a call.
fn fs_param(which: usize, call: &str) -> Option<&'static str> {
    Some(match (which, call) {
        (0, "open" | "openat" | "openat2" | "unlinkat" | "umount2") => "name",
        (0, "mkdir" | "mkdirat" | "rmdir" | "unlink" | "chown" | "lchown") => "path",
        (0, "chmod" | "fchmodat") => "filename",
        (0, "fchownat") => "pathname",
        (0, "fchmod" | "fchown") => "fd",
        // rename: from the old path to the new; link: the new name, linking to the old path.
        (1, "rename" | "renameat" | "renameat2") | (2, "link" | "linkat") => "oldpath",
        (2, "rename" | "renameat" | "renameat2") | (1, "link" | "linkat") => "newpath",
        (1, "symlink" | "symlinkat") => "linkpath",
        (2, "symlink" | "symlinkat") => "target",
        (1, "mount") => "dev",
        (2, "mount") => "dir",
        _ => return None,
    })
}

/// Per call number: whether success is a non-negative result (the opens; else zero), and the
/// source of each `fs.path` field; `None` for calls that have none.
type FsPaths = Option<(bool, [Option<FsSrc>; 3])>;

fn fs_path_table() -> &'static [FsPaths] {
    static T: std::sync::OnceLock<Vec<FsPaths>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        (0..capture_format::schema::syscall_names::SYSCALL_COUNT as u16)
            .map(|nr| {
                let spec = &calls::info(nr).spec;
                let srcs: [Option<FsSrc>; 3] = std::array::from_fn(|w| {
                    let p = fs_param(w, spec.name)?;
                    if p == "fd" {
                        return Some(FsSrc::Fd);
                    }
                    let i = spec.params.iter().position(|q| q.name == p)?;
                    Some(FsSrc::Param(i as u8))
                });
                srcs.iter()
                    .any(Option::is_some)
                    .then_some((matches!(spec.name, "open" | "openat" | "openat2"), srcs))
            })
            .collect()
    })
}

/// Splits an image reference into repository and tag: `host:5000/app:1.2@sha256:..` gives
/// `host:5000/app` and `1.2` (a `:` before the last `/` is a registry port, not a tag).
fn split_image(image: &[u8]) -> (&[u8], Option<&[u8]>) {
    let no_digest = match image.iter().position(|&c| c == b'@') {
        Some(i) => &image[..i],
        None => image,
    };
    let last_slash = no_digest
        .iter()
        .rposition(|&c| c == b'/')
        .map_or(0, |i| i + 1);
    match no_digest[last_slash..].iter().rposition(|&c| c == b':') {
        Some(i) => (
            &no_digest[..last_slash + i],
            Some(&no_digest[last_slash + i + 1..]),
        ),
        None => (no_digest, None),
    }
}

/// Whether a field's value depends only on the event's container (so a block's container list
/// decides it).
pub fn is_container_field(fid: Fid) -> bool {
    fid.family() == Family::Container
}

/// The value of a container field for container `index` (0 = host) with metadata `c`.
pub fn container_value<'c>(
    field: &Field,
    index: u32,
    c: Option<&'c Container<'static>>,
) -> Option<Val<'c>> {
    let host = local_container(index) == 0 && c.is_none();
    Some(match field.fid {
        Fid::ContainerId | Fid::ContainerName | Fid::ContainerType if host => s(b"host"),
        Fid::ContainerId => {
            let c = c?;
            s(&c.id[..c.id.len().min(12)])
        }
        Fid::ContainerName => s(&c?.name),
        Fid::ContainerType => s(&c?.runtime),
        Fid::ContainerImage => s(&c?.image),
        Fid::ContainerImageId => s(&c?.image_id),
        Fid::ContainerImageRepository | Fid::ContainerImageTag => {
            let (repo, tag) = split_image(&c?.image);
            if field.fid == Fid::ContainerImageRepository {
                s(repo)
            } else {
                s(tag?)
            }
        }
        Fid::ContainerPrivileged => Val::Bool(c?.privileged),
        Fid::ContainerLabel => match &field.arg {
            FieldArg::Name(k) => s(label(c?, k)?),
            _ => return None,
        },
        Fid::K8sPodName => s(label(c?, "io.kubernetes.pod.name")?),
        Fid::K8sNsName => s(label(c?, "io.kubernetes.pod.namespace")?),
        Fid::K8sPodUid => s(label(c?, "io.kubernetes.pod.uid")?),
        Fid::ContainerStartTs => match c?.start_ts {
            0 => return None,
            t => Val::Num(t as i64),
        },
        Fid::ContainerMounts => {
            let list: Vec<String> = c?.mount_list().map(|m| mount_text(&m)).collect();
            owned(list.join(","))
        }
        Fid::ContainerMount
        | Fid::ContainerMountDest
        | Fid::ContainerMountSource
        | Fid::ContainerMountMode
        | Fid::ContainerMountRdwr
        | Fid::ContainerMountPropagation => {
            let c = c?;
            // By number, or by a glob over the source (the destination for .source), the
            // first match winning, as libs does.
            let m = match &field.arg {
                FieldArg::Name(k) => {
                    if let Ok(i) = k.parse::<usize>() {
                        c.mount_list().nth(i)?
                    } else {
                        let by = usize::from(field.fid == Fid::ContainerMountSource);
                        let glob = crate::filter::Glob::new(k.as_bytes(), false);
                        c.mount_list().find(|m| glob.matches(m[by]))?
                    }
                }
                FieldArg::Index(i) => c.mount_list().nth(*i)?,
                FieldArg::None => {
                    let part = mount_part(field.fid);
                    return Some(Val::List(
                        c.mount_list()
                            .map(|m| match part {
                                Some(i) => Val::Str(std::borrow::Cow::Owned(m[i].to_vec())),
                                None => owned(mount_text(&m)),
                            })
                            .collect(),
                    ));
                }
            };
            match mount_part(field.fid) {
                Some(i) => Val::Str(std::borrow::Cow::Owned(m[i].to_vec())),
                None => owned(mount_text(&m)),
            }
        }
        _ => return None,
    })
}

/// Which of a mount's five parts a field shows (`None`: all of it).
fn mount_part(fid: Fid) -> Option<usize> {
    match fid {
        Fid::ContainerMountSource => Some(0),
        Fid::ContainerMountDest => Some(1),
        Fid::ContainerMountMode => Some(2),
        Fid::ContainerMountRdwr => Some(3),
        Fid::ContainerMountPropagation => Some(4),
        _ => None,
    }
}

/// A mount as libs prints it: `source:dest:mode:rdwr:propagation`.
fn mount_text(m: &[&[u8]; 5]) -> String {
    let parts: Vec<_> = m.iter().map(|p| String::from_utf8_lossy(p)).collect();
    parts.join(":")
}

#[cfg(test)]
mod tests {
    use super::split_image;

    #[test]
    fn image_references_split() {
        let t = |i: &str| {
            let (r, t) = split_image(i.as_bytes());
            (
                String::from_utf8_lossy(r).into_owned(),
                t.map(|t| String::from_utf8_lossy(t).into_owned()),
            )
        };
        assert_eq!(
            t("docker.io/library/nginx:1.25"),
            ("docker.io/library/nginx".into(), Some("1.25".into()))
        );
        assert_eq!(t("host:5000/app"), ("host:5000/app".into(), None));
        assert_eq!(
            t("host:5000/app:2@sha256:ab"),
            ("host:5000/app".into(), Some("2".into()))
        );
        assert_eq!(t("busybox"), ("busybox".into(), None));
    }
}
