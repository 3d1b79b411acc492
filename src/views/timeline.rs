//! What each container did, from the capture alone: the engine behind `casefile timeline`.
//!
//! For every container: its start, every program it executed (with parent and arguments), the
//! files it wrote, deleted, renamed or created, the connections it made and accepted (tuples and
//! bytes each way), privilege changes (set*id, setns, unshare, capset, ptrace, mount, modules,
//! bpf), its errors, and its exit. Everything comes from the capture's events and the container
//! metadata recorded with it, so the timeline outlives the container.
//!
//! [`containers`] reads the metadata from the capture's tables, [`find`] picks one container,
//! [`fill`] replays the events into each container's [`Timeline`]; printing is the caller's.

use std::collections::BTreeMap;

use capture_format::schema::syscalls::Category;
use capture_format::schema::{Body, FdType};

use super::eval::{ViewError, resolve_field};
use crate::filter::Filter;
use crate::replay::context::EventCtx;
use crate::replay::fields::Field;
use crate::replay::render;
use crate::replay::session::{Flow, ReplayError, Session};

/// Open flags that mean "this file will be modified".
const O_WRONLY: i64 = 0o1;
const O_RDWR: i64 = 0o2;
const O_CREAT: i64 = 0o100;
const O_TRUNC: i64 = 0o1000;

/// One container's story.
#[derive(Default)]
pub struct Timeline {
    /// The container's index in the capture (0: the host).
    pub index: u32,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its image.
    pub image: String,
    /// Its runtime.
    pub runtime: String,
    /// Why metadata is missing (the latest record's word), empty when nothing is.
    pub note: String,
    /// Its labels.
    pub labels: Vec<(String, String)>,
    /// Start time from the metadata (0: unknown).
    pub start_ts: u64,
    /// Exit time from the metadata (0: unknown).
    pub exit_ts: u64,
    /// Its first event's time (0: none).
    pub first_seen: u64,
    /// Its last event's time.
    pub last_seen: u64,
    /// What it did, in the order met.
    pub entries: Vec<Entry>,
    /// Open entry per written file, to add later writes to it.
    files: BTreeMap<String, usize>,
    /// Open entry per connection (pid, fd).
    conns: BTreeMap<(u32, i64), usize>,
    /// Entry per sensitive file read.
    reads: BTreeMap<String, usize>,
    /// Failed calls by (system call, errno).
    pub errors: BTreeMap<(String, String), ErrorAgg>,
    /// Programs executed.
    pub processes: u64,
}

/// One line of a timeline.
pub struct Entry {
    /// When.
    pub ts: u64,
    /// What (`exec`, `write`, `connect`...).
    pub kind: &'static str,
    /// By which process.
    pub pid: u32,
    /// Its `proc.name`.
    pub proc_name: String,
    /// The rest of the line.
    pub detail: String,
    /// Calls folded into the entry.
    pub count: u64,
    /// Bytes written or sent.
    pub bytes_out: u64,
    /// Bytes received.
    pub bytes_in: u64,
}

/// Failed calls of one kind.
#[derive(Default)]
pub struct ErrorAgg {
    /// How many.
    pub count: u64,
    /// Whether every failure was a container runtime's (folded with its setup).
    pub runtime: bool,
    /// The first one's time.
    pub first_ts: u64,
    /// The first one, described.
    pub example: String,
}

struct Fieldset {
    fd_name: Field,
    fs_name: Field,
    fs_source: Field,
    fs_target: Field,
    proc_name: Field,
    pname: Field,
    user: Field,
}

fn field(name: &str) -> Result<Field, ViewError> {
    resolve_field(name).map_err(|e| ViewError::BadField {
        view: "timeline".into(),
        column: String::new(),
        field: name.to_owned(),
        message: format!("{e:?}"),
    })
}

impl Fieldset {
    fn new() -> Result<Fieldset, ViewError> {
        Ok(Fieldset {
            fd_name: field("fd.name")?,
            fs_name: field("fs.path.name")?,
            fs_source: field("fs.path.source")?,
            fs_target: field("fs.path.target")?,
            proc_name: field("proc.name")?,
            pname: field("proc.pname")?,
            user: field("user.name")?,
        })
    }
}

fn text(ctx: &mut EventCtx<'_, '_>, f: &Field) -> String {
    let mut s = String::new();
    if ctx.write_text(f, &mut s) {
        s
    } else {
        String::new()
    }
}

impl Timeline {
    fn push(
        &mut self,
        ts: u64,
        kind: &'static str,
        pid: u32,
        proc_name: String,
        detail: String,
    ) -> usize {
        self.entries.push(Entry {
            ts,
            kind,
            pid,
            proc_name,
            detail,
            count: 1,
            bytes_out: 0,
            bytes_in: 0,
        });
        self.entries.len() - 1
    }

    fn event(&mut self, ctx: &mut EventCtx<'_, '_>, f: &Fieldset) {
        let ev = ctx.ev;
        self.first_seen = if self.first_seen == 0 {
            ev.ts
        } else {
            self.first_seen.min(ev.ts)
        };
        self.last_seen = self.last_seen.max(ev.ts);
        match &ev.body {
            Body::Exec(p) => {
                self.processes += 1;
                let parent = text(ctx, &f.pname);
                let user = text(ctx, &f.user);
                let exe = String::from_utf8_lossy(if p.exe_path.is_empty() {
                    &p.exe
                } else {
                    &p.exe_path
                })
                .into_owned();
                let args: Vec<String> = p
                    .args
                    .split(|&b| b == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect();
                let detail = format!(
                    "{exe}{}{} (parent {} {}, user {})",
                    if args.is_empty() { "" } else { " " },
                    args.join(" "),
                    if parent.is_empty() { "?" } else { &parent },
                    p.ppid,
                    if user.is_empty() {
                        p.uid.to_string()
                    } else {
                        user
                    }
                );
                // Named as every view names processes (`proc.name`, after the exec).
                let name = text(ctx, &f.proc_name);
                self.push(ev.ts, "exec", ev.pid, name, detail);
            }
            Body::Exit(e) if e.group_dead => {
                let name = text(ctx, &f.proc_name);
                let code = e.code;
                let how = if code & 0x7f != 0 {
                    format!("killed by signal {}", code & 0x7f)
                } else {
                    format!("exit status {}", (code >> 8) & 0xff)
                };
                self.push(ev.ts, "procexit", ev.pid, name, how);
            }
            Body::Syscall(sc) => self.syscall(ctx, f, sc.nr, sc.ret),
            _ => {}
        }
    }

    fn syscall(&mut self, ctx: &mut EventCtx<'_, '_>, f: &Fieldset, nr: u16, ret: i64) {
        let ev = ctx.ev;
        let spec = capture_format::schema::syscalls::spec(nr);
        let name = spec.name;
        let failed = ret < 0 && !(name == "connect" && ret == -115);
        if failed {
            let errno = render::errno_name(-ret);
            let agg = self.errors.entry((name.to_string(), errno)).or_default();
            if agg.count == 0 {
                agg.first_ts = ev.ts;
                agg.runtime = true;
                let target = text(ctx, &f.fs_name);
                let target = if target.is_empty() {
                    text(ctx, &f.fd_name)
                } else {
                    target
                };
                agg.example = format!("{target} by {} ({})", text(ctx, &f.proc_name), ev.pid);
            }
            agg.runtime &= is_runtime(&text(ctx, &f.proc_name));
            agg.count += 1;
            return;
        }
        let fd = ctx.fd().map(|d| {
            (
                d.ty,
                String::from_utf8_lossy(&d.display_name()).into_owned(),
            )
        });
        let io = spec.io;
        let is_write = io & capture_format::schema::syscalls::io::WRITE != 0;
        let is_read = io & capture_format::schema::syscalls::io::READ != 0;
        match (name, &fd) {
            ("open" | "openat" | "openat2" | "creat", Some((FdType::File, path))) => {
                let flags = flag_param(ctx);
                if name == "creat" || flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC) != 0 {
                    self.file_write(ctx, f, path.clone(), 0);
                } else if is_sensitive(path) && !self.reads.contains_key(path) {
                    let i = self.push(ev.ts, "read", ev.pid, text(ctx, &f.proc_name), path.clone());
                    self.reads.insert(path.clone(), i);
                }
            }
            (_, Some((FdType::File, path))) if is_write && ret > 0 => {
                self.file_write(ctx, f, path.clone(), ret as u64);
            }
            (_, Some((FdType::Ipv4 | FdType::Ipv6, tuple))) if (is_write || is_read) && ret > 0 => {
                let key = (ev.pid, ctx.fd_num().unwrap_or(-1));
                let idx = match self.conns.get(&key) {
                    Some(&i) if self.entries[i].detail == *tuple => i,
                    _ => {
                        let i = self.push(
                            ev.ts,
                            "traffic",
                            ev.pid,
                            text(ctx, &f.proc_name),
                            tuple.clone(),
                        );
                        self.conns.insert(key, i);
                        i
                    }
                };
                let e = &mut self.entries[idx];
                if is_write {
                    e.bytes_out += ret as u64;
                } else {
                    e.bytes_in += ret as u64;
                }
            }
            (
                "connect" | "accept" | "accept4",
                Some((FdType::Ipv4 | FdType::Ipv6 | FdType::Unix, tuple)),
            ) => {
                let kind = if name == "connect" {
                    "connect"
                } else {
                    "accept"
                };
                let key = (ev.pid, ctx.fd_num().unwrap_or(-1));
                let i = self.push(ev.ts, kind, ev.pid, text(ctx, &f.proc_name), tuple.clone());
                if fd.as_ref().is_some_and(|(t, _)| *t != FdType::Unix) {
                    self.conns.insert(key, i);
                }
            }
            ("unlink" | "unlinkat" | "rmdir", _) => {
                let p = text(ctx, &f.fs_name);
                self.push(ev.ts, "delete", ev.pid, text(ctx, &f.proc_name), p);
            }
            ("rename" | "renameat" | "renameat2", _) => {
                let d = format!("{} -> {}", text(ctx, &f.fs_source), text(ctx, &f.fs_target));
                self.push(ev.ts, "rename", ev.pid, text(ctx, &f.proc_name), d);
            }
            ("mkdir" | "mkdirat", _) => {
                let p = text(ctx, &f.fs_name);
                self.push(ev.ts, "mkdir", ev.pid, text(ctx, &f.proc_name), p);
            }
            ("symlink" | "symlinkat" | "link" | "linkat", _) => {
                let d = format!("{} -> {}", text(ctx, &f.fs_target), text(ctx, &f.fs_source));
                self.push(ev.ts, "link", ev.pid, text(ctx, &f.proc_name), d);
            }
            (
                "chmod" | "fchmod" | "fchmodat" | "fchmodat2" | "chown" | "fchown" | "lchown"
                | "fchownat",
                _,
            ) => {
                let mut d = String::new();
                ctx.render_args(false, &mut d);
                self.push(
                    ev.ts,
                    "chmod",
                    ev.pid,
                    text(ctx, &f.proc_name),
                    format!("{name} {d}"),
                );
            }
            _ if is_privilege(name, spec.category) => {
                let mut d = String::new();
                ctx.render_args(true, &mut d);
                self.push(
                    ev.ts,
                    "privilege",
                    ev.pid,
                    text(ctx, &f.proc_name),
                    format!("{name} {d}"),
                );
            }
            _ => {}
        }
    }

    fn file_write(&mut self, ctx: &mut EventCtx<'_, '_>, f: &Fieldset, path: String, bytes: u64) {
        let ev = ctx.ev;
        if let Some(&i) = self.files.get(&path) {
            let e = &mut self.entries[i];
            e.bytes_out += bytes;
            e.count += u64::from(bytes > 0);
        } else {
            let i = self.push(
                ev.ts,
                "write",
                ev.pid,
                text(ctx, &f.proc_name),
                path.clone(),
            );
            self.entries[i].bytes_out = bytes;
            self.entries[i].count = u64::from(bytes > 0);
            self.files.insert(path, i);
        }
    }
}

/// Files whose reading matters in a container's story: credentials, sudo and PAM
/// configuration, SSH keys (Falco's sensitive files, and keys).
fn is_sensitive(path: &str) -> bool {
    const FILES: &[&str] = &[
        "/etc/shadow",
        "/etc/gshadow",
        "/etc/sudoers",
        "/etc/pam.conf",
        "/etc/security/pwquality.conf",
    ];
    const DIRS: &[&str] = &["/etc/sudoers.d/", "/etc/pam.d/", "/etc/ssh/ssh_host_"];
    FILES.contains(&path)
        || DIRS.iter().any(|d| path.starts_with(d))
        || path.contains("/.ssh/")
        || path.ends_with("/.aws/credentials")
        || path.ends_with("/.kube/config")
}

/// Processes of a container runtime (runc, crun...) setting the container up.
pub fn is_runtime(name: &str) -> bool {
    matches!(name, "runc" | "crun" | "youki" | "conmon") || name.starts_with("runc:[")
}

fn flag_param(ctx: &EventCtx<'_, '_>) -> i64 {
    let Body::Syscall(sc) = &ctx.ev.body else {
        return 0;
    };
    capture_format::schema::syscalls::param_index(sc.nr, "flags")
        .and_then(|i| sc.params.get(i))
        .and_then(capture_format::schema::Value::as_int)
        .unwrap_or(0)
}

fn is_privilege(name: &str, category: Category) -> bool {
    matches!(
        name,
        "setuid"
            | "setgid"
            | "setreuid"
            | "setregid"
            | "setresuid"
            | "setresgid"
            | "setfsuid"
            | "setfsgid"
            | "setns"
            | "unshare"
            | "capset"
            | "ptrace"
            | "mount"
            | "umount2"
            | "chroot"
            | "init_module"
            | "finit_module"
            | "delete_module"
            | "bpf"
    ) || (category == Category::System && name != "bpf")
}

/// Every container the capture's tables name (even those without events), with their metadata,
/// by index; the host (0) is among them only if its events are asked for later.
pub fn containers(session: &Session) -> Result<BTreeMap<u32, Timeline>, ReplayError> {
    let mut lines: BTreeMap<u32, Timeline> = BTreeMap::new();
    for ev in session.capture().tables()? {
        if let Body::Container(c) = &ev.body {
            let t = lines.entry(ev.container).or_default();
            // A container may have several records (first sighting, a better lookup, exit):
            // each field comes from the latest record that knows it.
            let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            let known = |b: &[u8]| !b.is_empty() && b != b"incomplete";
            t.index = ev.container;
            for (dst, src) in [
                (&mut t.id, &c.id),
                (&mut t.name, &c.name),
                (&mut t.image, &c.image),
                (&mut t.runtime, &c.runtime),
            ] {
                if known(src) {
                    *dst = s(src);
                }
            }
            if !c.labels.is_empty() {
                t.labels = c.label_pairs().map(|(k, v)| (s(k), s(v))).collect();
            }
            if c.start_ts != 0 {
                t.start_ts = c.start_ts;
            }
            t.note = s(&c.note);
            t.exit_ts = c.exit_ts;
        }
    }
    Ok(lines)
}

/// The index of the container whose id starts with `want` or whose name is `want`.
pub fn find(lines: &BTreeMap<u32, Timeline>, want: &str) -> Option<u32> {
    lines
        .iter()
        .find(|(_, t)| !t.id.is_empty() && (t.id.starts_with(want) || t.name == want))
        .map(|(&i, _)| i)
}

/// Replays the session's events matching `filter` into the timelines of `lines` (the host's
/// events and other containers' are passed over).
pub fn fill(
    session: &mut Session,
    filter: Option<&Filter<Field>>,
    lines: &mut BTreeMap<u32, Timeline>,
) -> Result<(), ViewError> {
    let f = Fieldset::new()?;
    let wanted: Vec<u32> = lines.keys().copied().collect();
    session.run(
        filter,
        |ctx: &mut EventCtx<'_, '_>| -> Result<Flow, ReplayError> {
            let c = ctx.ev.container;
            if c != 0
                && wanted.binary_search(&c).is_ok()
                && let Some(t) = lines.get_mut(&c)
            {
                t.event(ctx, &f);
            }
            Ok(Flow::Continue)
        },
    )?;
    Ok(())
}
