//! `casefile timeline`: what each container did, from the capture alone.
//!
//! For every container: its start, every program it executed (with parent and arguments), the
//! files it wrote, deleted, renamed or created, the connections it made and accepted (tuples and
//! bytes each way), privilege changes (set*id, setns, unshare, capset, ptrace, mount, modules,
//! bpf), its errors, and its exit. Everything comes from the capture's events and the container
//! metadata recorded with it, so the timeline outlives the container.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::bail;
use capture_format::schema::syscalls::Category;
use capture_format::schema::{Body, FdType};
use serde_json::json;

use crate::cli::TimelineArgs;
use crate::filter::Registry;
use crate::replay::context::EventCtx;
use crate::replay::fields::{Field, Fields};
use crate::replay::render;
use crate::replay::session::{Flow, Options, ReplayError};

/// Open flags that mean "this file will be modified".
const O_WRONLY: i64 = 0o1;
const O_RDWR: i64 = 0o2;
const O_CREAT: i64 = 0o100;
const O_TRUNC: i64 = 0o1000;

#[derive(Default)]
struct Timeline {
    index: u32,
    id: String,
    name: String,
    image: String,
    runtime: String,
    /// Why metadata is missing (the latest record's word), empty when nothing is.
    note: String,
    labels: Vec<(String, String)>,
    start_ts: u64,
    exit_ts: u64,
    first_seen: u64,
    last_seen: u64,
    entries: Vec<Entry>,
    /// Open entry per written file, to add later writes to it.
    files: BTreeMap<String, usize>,
    /// Open entry per connection (pid, fd).
    conns: BTreeMap<(u32, i64), usize>,
    /// Entry per sensitive file read.
    reads: BTreeMap<String, usize>,
    errors: BTreeMap<(String, String), ErrorAgg>,
    processes: u64,
}

struct Entry {
    ts: u64,
    kind: &'static str,
    pid: u32,
    proc_name: String,
    detail: String,
    count: u64,
    bytes_out: u64,
    bytes_in: u64,
}

#[derive(Default)]
struct ErrorAgg {
    count: u64,
    /// Whether every failure was a container runtime's (folded with its setup).
    runtime: bool,
    first_ts: u64,
    example: String,
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

fn field(name: &str) -> anyhow::Result<Field> {
    Ok(Fields
        .resolve(name, None)
        .map_err(|e| anyhow::anyhow!("field {name}: {e:?}"))?
        .id)
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
fn is_runtime(name: &str) -> bool {
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

/// Runs `casefile timeline`.
pub fn run(args: &TimelineArgs) -> anyhow::Result<ExitCode> {
    let r = super::args::resolve(&args.reading)?;
    let mut session = r.session(Options::default())?;
    let f = Fieldset {
        fd_name: field("fd.name")?,
        fs_name: field("fs.path.name")?,
        fs_source: field("fs.path.source")?,
        fs_target: field("fs.path.target")?,
        proc_name: field("proc.name")?,
        pname: field("proc.pname")?,
        user: field("user.name")?,
    };
    let mut lines: BTreeMap<u32, Timeline> = BTreeMap::new();
    // Metadata from the capture's tables: every container ever seen, even without events.
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
    if let Some(want) = &args.container {
        let found = lines.iter().find(|(_, t)| {
            !t.id.is_empty() && (t.id.starts_with(want.as_str()) || t.name == *want)
        });
        let Some((&idx, _)) = found else {
            let known: Vec<String> = lines
                .values()
                .map(|t| format!("{} ({})", t.name, short(&t.id)))
                .collect();
            bail!(
                "no container {want:?} in {} (containers: {})",
                r.describe(),
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            );
        };
        lines.retain(|&i, _| i == idx);
    }
    let wanted: Vec<u32> = lines.keys().copied().collect();
    session.run(
        r.filter.as_ref(),
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
    let out = std::io::stdout().lock();
    let mut out = BufWriter::new(out);
    if r.json {
        let v: Vec<_> = lines
            .values()
            .filter(|t| t.index != 0)
            .map(to_json)
            .collect();
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        for t in lines.values().filter(|t| t.index != 0) {
            write_text(&mut out, t, args.runtime_setup)?;
        }
    }
    out.flush()?;
    Ok(super::args::report_damage(
        session.damage(),
        ExitCode::SUCCESS,
    ))
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

fn when(ts: u64) -> String {
    let mut s = String::new();
    render::datetime(ts, &mut s);
    s
}

fn write_text(out: &mut impl Write, t: &Timeline, runtime_setup: bool) -> std::io::Result<()> {
    writeln!(
        out,
        "container {} ({}) image {} runtime {}",
        if t.name.is_empty() { "?" } else { &t.name },
        short(&t.id),
        if t.image.is_empty() { "?" } else { &t.image },
        if t.runtime.is_empty() {
            "?"
        } else {
            &t.runtime
        }
    )?;
    if !t.note.is_empty() {
        writeln!(out, "  metadata: {}", t.note)?;
    }
    for (k, v) in t
        .labels
        .iter()
        .filter(|(k, _)| k.starts_with("io.kubernetes.pod."))
    {
        writeln!(out, "  {k}={v}")?;
    }
    let start = if t.start_ts != 0 {
        t.start_ts
    } else {
        t.first_seen
    };
    let how = if t.start_ts != 0 {
        "start"
    } else {
        "first seen"
    };
    // The start line takes its place in time: the runtime's own setup (runc init in the
    // container's cgroup) comes before the moment the runtime calls the start.
    let mut start_due = start != 0;
    let mut entries: Vec<&Entry> = t.entries.iter().collect();
    entries.sort_by_key(|e| e.ts);
    // The runtime's setup (runc's mounts, mkdirs and chmods under the overlay directory) is
    // one line with a count, where its first action was, unless asked for line by line.
    let setup: Vec<&Entry> = entries
        .iter()
        .copied()
        .filter(|e| is_runtime(&e.proc_name))
        .collect();
    let mut setup_due = !runtime_setup && !setup.is_empty();
    let setup_errors: u64 = t
        .errors
        .values()
        .filter(|a| a.runtime && !runtime_setup)
        .map(|a| a.count)
        .sum();
    for e in entries {
        if start_due && e.ts >= start {
            writeln!(out, "  {}  {how}", when(start))?;
            start_due = false;
        }
        if !runtime_setup && is_runtime(&e.proc_name) {
            if setup_due {
                let mut names: Vec<&str> = setup.iter().map(|e| e.proc_name.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                let failed = if setup_errors > 0 {
                    format!(", {setup_errors} failed calls")
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "  {}  runtime   setup: {} actions by {}{failed} (--runtime-setup shows them)",
                    when(e.ts),
                    setup.len(),
                    names.join(", ")
                )?;
                setup_due = false;
            }
            continue;
        }
        let mut extra = String::new();
        if e.kind == "write" && e.count > 0 {
            extra = format!(" ({} bytes in {} writes)", e.bytes_out, e.count);
        }
        if matches!(e.kind, "connect" | "accept" | "traffic") && (e.bytes_in + e.bytes_out) > 0 {
            extra = format!(
                " (sent {} bytes, received {} bytes)",
                e.bytes_out, e.bytes_in
            );
        }
        writeln!(
            out,
            "  {}  {:<9} {}{} [{} {}]",
            when(e.ts),
            e.kind,
            e.detail,
            extra,
            e.proc_name,
            e.pid
        )?;
    }
    if start_due {
        writeln!(out, "  {}  {how}", when(start))?;
    }
    if t.errors.values().any(|a| runtime_setup || !a.runtime) {
        writeln!(out, "  errors:")?;
        for ((call, errno), a) in t.errors.iter().filter(|(_, a)| runtime_setup || !a.runtime) {
            writeln!(
                out,
                "    {call} {errno} x{} (first {}: {})",
                a.count,
                when(a.first_ts),
                a.example
            )?;
        }
    }
    match (t.exit_ts, t.last_seen) {
        (0, 0) => {}
        (0, last) => writeln!(out, "  {}  last seen (no exit recorded)", when(last))?,
        (exit, _) => writeln!(out, "  {}  exit", when(exit))?,
    }
    writeln!(out)
}

fn to_json(t: &Timeline) -> serde_json::Value {
    let mut entries: Vec<&Entry> = t.entries.iter().collect();
    entries.sort_by_key(|e| e.ts);
    json!({
        "index": t.index,
        "id": t.id,
        "name": t.name,
        "image": t.image,
        "runtime": t.runtime,
        "note": t.note,
        "labels": t.labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "start_ns": (t.start_ts != 0).then_some(t.start_ts),
        "first_seen_ns": (t.first_seen != 0).then_some(t.first_seen),
        "exit_ns": (t.exit_ts != 0).then_some(t.exit_ts),
        "last_seen_ns": (t.last_seen != 0).then_some(t.last_seen),
        "execs": t.processes,
        "entries": entries.iter().map(|e| json!({
            "ts": e.ts,
            "kind": e.kind,
            "pid": e.pid,
            "proc": e.proc_name,
            "detail": e.detail,
            "count": e.count,
            "bytes_out": e.bytes_out,
            "bytes_in": e.bytes_in,
        })).collect::<Vec<_>>(),
        "errors": t.errors.iter().map(|((call, errno), a)| json!({
            "syscall": call, "errno": errno, "count": a.count, "first_ns": a.first_ts,
            "example": a.example,
        })).collect::<Vec<_>>(),
    })
}
