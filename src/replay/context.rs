//! One event seen with its context: the values of every field, for filters and printers.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::IpAddr;

use capture_format::schema::syscalls::{Category, ParamType, SyscallSpec, io};
use capture_format::schema::{Body, Container, Event, Syscall, Value, af, local_container};

use super::calls;
use super::fields::{Family, Fid, Field, FieldArg};
use super::render::{self, BufMode};
use super::state::{Fd, Proc, State};
use crate::filter::{Source, Val};

mod container;
mod evt;
mod fd;
mod task;

pub use container::{container_value, is_container_field};
use fd::fs_path_table;

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
}

impl Source<Field> for EventCtx<'_, '_> {
    fn get(&mut self, field: &Field) -> Option<Val<'_>> {
        self.value(field)
    }
}

/// Where `fs.path.name`, `.source` or `.target` of a call comes from.
#[derive(Clone, Copy)]
enum FsSrc {
    /// The parameter at this index.
    Param(u8),
    /// The name of the fd the call acts on (fchmod, fchown).
    Fd,
}

/// Per call number: whether success is a non-negative result (the opens; else zero), and the
/// source of each `fs.path` field; `None` for calls that have none.
type FsPaths = Option<(bool, [Option<FsSrc>; 3])>;
