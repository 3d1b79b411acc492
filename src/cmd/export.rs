//! `casefile export`: write a capture's events to another file, optionally redacted for sharing:
//! a new capture (`--format case`), Parquet files (`--format parquet`, see
//! docs/parquet-schema.md) or JSON lines (`--format jsonl`, the objects of `read --json` with
//! the Parquet export's `fs.path.*` and `evt.arg.*` columns added).
//!
//! `--redact` drops every payload snippet and every environment, and replaces the fields named
//! with `--hash` by salted BLAKE3 digests (the same value always gives the same digest within
//! one export, so activity still correlates). The result is a new, verifiable capture whose
//! header records what was removed.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use capture_format::schema::syscalls::{ParamType, spec};
use capture_format::schema::{Body, Event, Sock, Value, af};
use capture_format::{BlockType, CaptureFile, HeaderInfo, Writer, WriterOptions};

use crate::cli::{ExportArgs, ExportFormat};
use crate::outfile::{NewDir, NewFile};
use crate::output::parquet::{ParquetOptions, ParquetSink};
use crate::output::{DEFAULT_FORMAT, Format, JsonSink, Sink};
use crate::replay::session::{Damage, Options, Session};

/// Fields `--hash` accepts.
pub const HASHABLE: &[&str] = &[
    "proc.args",
    "proc.cwd",
    "proc.exe",
    "fd.name",
    "fd.ip",
    "user.name",
    "container.label",
];

/// What redaction does to each record.
struct Redactor {
    salt: [u8; 32],
    hash: BTreeSet<String>,
}

impl Redactor {
    fn digest(&self, b: &[u8]) -> Vec<u8> {
        let mut h = blake3::Hasher::new_keyed(&self.salt);
        h.update(b);
        format!(
            "h:{}",
            &capture_format::integrity::hex(h.finalize().as_bytes())[..16]
        )
        .into_bytes()
    }

    fn hashes(&self, field: &str) -> bool {
        self.hash.contains(field)
    }

    fn bytes(&self, field: &str, b: &mut Cow<'_, [u8]>) {
        if self.hashes(field) && !b.is_empty() {
            *b = Cow::Owned(self.digest(b));
        }
    }

    /// An address mapped to a stable private address of the same family.
    fn ip(&self, family: u8, a: &mut [u8; 16]) {
        if *a == [0; 16] {
            return;
        }
        let d = blake3::keyed_hash(&self.salt, a);
        let d = d.as_bytes();
        if family == af::INET6 {
            a[0] = 0xfd;
            a[1..].copy_from_slice(&d[..15]);
        } else {
            a[..4].copy_from_slice(&[10, d[0], d[1], d[2]]);
        }
    }

    fn sock(&self, s: &mut Sock) {
        if self.hashes("fd.ip") {
            self.ip(s.family, &mut s.src);
            self.ip(s.family, &mut s.dst);
        }
    }

    fn event(&self, ev: &mut Event<'_>) {
        match &mut ev.body {
            Body::Syscall(sc) => {
                let params = spec(sc.nr).params;
                for (i, v) in sc.params.iter_mut().enumerate() {
                    let ty = params.get(i).map(|p| p.ty);
                    match (ty, v) {
                        (Some(ParamType::Buffer), v) => *v = Value::None,
                        // Paths, and unix socket paths stored where a tuple would be.
                        (Some(ParamType::Path | ParamType::Sock), Value::Bytes(b)) => {
                            self.bytes("fd.name", b);
                        }
                        (_, Value::Sock(s)) => self.sock(s),
                        _ => {}
                    }
                }
            }
            Body::Exec(p) | Body::Process(p) => {
                p.env = Cow::Borrowed(&[]);
                self.bytes("proc.args", &mut p.args);
                self.bytes("proc.cwd", &mut p.cwd);
                self.bytes("proc.exe", &mut p.exe);
                self.bytes("proc.exe", &mut p.exe_path);
            }
            Body::Fd(f) => {
                self.bytes("fd.name", &mut f.name);
                if let Some(s) = &mut f.sock {
                    self.sock(s);
                }
            }
            Body::User(u) => {
                self.bytes("user.name", &mut u.name);
                self.bytes("user.name", &mut u.home);
            }
            Body::Container(c) if self.hashes("container.label") && !c.labels.is_empty() => {
                let mut out = Vec::new();
                for (k, v) in c.label_pairs() {
                    out.extend_from_slice(k);
                    out.push(b'=');
                    out.extend_from_slice(&self.digest(v));
                    out.push(0);
                }
                c.labels = Cow::Owned(out);
            }
            _ => {}
        }
    }

    fn describe(&self) -> String {
        let mut s =
            "payload snippets, environments and the recorded command line dropped".to_string();
        if !self.hash.is_empty() {
            s.push_str("; hashed: ");
            s.push_str(&self.hash.iter().cloned().collect::<Vec<_>>().join(", "));
        }
        s
    }
}

/// The recorder's options with the command it ran left out: its arguments are as secret as
/// any process's (`snaplen=80 env=false command=[...] ring=N` keeps `snaplen`, `env`, `ring`).
fn without_command(options: &str) -> String {
    let Some(start) = options.find("command=") else {
        return options.to_owned();
    };
    let rest = options[start..]
        .rfind(" ring=")
        .map_or("", |i| &options[start + i..]);
    format!("{}command=<redacted>{rest}", &options[..start])
}

/// Runs `casefile export`.
pub fn run(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    for f in &args.hash {
        if !HASHABLE.contains(&f.as_str()) {
            bail!(
                "--hash {f}: not a field redaction can hash (one of {})",
                HASHABLE.join(", ")
            );
        }
    }
    if !args.hash.is_empty() && !args.redact {
        bail!("--hash needs --redact");
    }
    // Refused before any work; the output is written under a temporary name and renamed onto
    // OUT when complete.
    if args.out != Path::new("-") {
        crate::outfile::check_free(&args.out, args.force)?;
    }
    let r = super::args::resolve(&args.reading)?;
    let format = match (r.json, args.format) {
        (true, ExportFormat::Case | ExportFormat::Jsonl) => ExportFormat::Jsonl,
        (true, ExportFormat::Parquet) => {
            bail!("-j exports JSON lines: give it or --format parquet, not both")
        }
        (false, f) => f,
    };
    let super::Opened { cap, mut damage } = r.open()?;
    let selected = r.filter.is_some() || r.count.is_some() || r.has_range();
    let redactor = args.redact.then(|| {
        let mut salt = [0u8; 32];
        if let Some(s) = &args.salt {
            salt = *blake3::hash(s.as_bytes()).as_bytes();
        } else if let Ok(k) = capture_format::sign::generate_key() {
            salt = k.to_bytes();
        }
        Redactor {
            salt,
            hash: args.hash.iter().cloned().collect(),
        }
    });
    let src_info = &cap.header().info;
    let redacted = match (&redactor, src_info.redacted.is_empty()) {
        (Some(r), true) => r.describe(),
        (Some(r), false) => format!("{}; earlier: {}", r.describe(), src_info.redacted),
        (None, _) => src_info.redacted.clone(),
    };
    let info = HeaderInfo {
        created_ns: super::args::now_ns(),
        recorder: format!("casefile {} export", env!("CARGO_PKG_VERSION")),
        source: format!("export of {} ({})", r.describe(), src_info.source),
        redacted,
        snaplen: if redactor.is_some() {
            0
        } else {
            src_info.snaplen
        },
        options: if redactor.is_some() {
            without_command(&src_info.options)
        } else {
            src_info.options.clone()
        },
        ..src_info.clone()
    };
    let note = redactor
        .as_ref()
        .map_or(String::new(), |r| format!(" ({})", r.describe()));
    let mut out = std::io::stderr().lock();
    match format {
        ExportFormat::Case => {
            let target = NewFile::create(&args.out, args.force)?;
            let mut w = Writer::new(target.file()?, &info, WriterOptions::default())
                .with_context(|| format!("writing {}", args.out.display()))?;
            crate::views::aggregate::attach(&mut w, &info)?;
            let (events, skipped) = if selected {
                let opened = super::Opened {
                    cap,
                    damage: damage.clone(),
                };
                let (events, d) = copy_selected(&r, opened, redactor.as_ref(), &mut w)?;
                damage = d;
                (events, 0)
            } else {
                copy(&cap, redactor.as_ref(), &mut w)?
            };
            match &args.sign_key {
                Some(k) => w.finish_signed(&crate::keys::read_signing_key(k)?)?,
                None => w.finish()?,
            };
            target.commit()?;
            writeln!(
                out,
                "exported {events} events to {}{note}{}",
                args.out.display(),
                damaged(skipped)
            )?;
        }
        ExportFormat::Parquet | ExportFormat::Jsonl => {
            if args.sign_key.is_some() {
                bail!("--sign-key applies to --format case only");
            }
            // Redaction works on records, so the redacted capture is built first (in memory)
            // and replayed: every format sees exactly what a redacted capture holds.
            let cap = match &redactor {
                None => cap,
                Some(r) => {
                    let mut w = Writer::new(Vec::new(), &info, WriterOptions::default())?;
                    let (_, skipped) = copy(&cap, Some(r), &mut w)?;
                    if skipped > 0 {
                        writeln!(
                            out,
                            "casefile: {}",
                            damaged(skipped).trim_start_matches("; ")
                        )?;
                    }
                    CaptureFile::from_bytes(w.finish()?)?
                }
            };
            let started = std::time::Instant::now();
            let opened = super::Opened {
                cap,
                damage: damage.clone(),
            };
            let mut session = r.session_of(opened, Options::default())?;
            let events = if matches!(format, ExportFormat::Parquet) {
                to_parquet(&mut session, &r, &args.out, args.force)?
            } else {
                to_jsonl(&mut session, &r, &args.out, args.force)?
            };
            damage = session.damage().clone();
            let secs = started.elapsed().as_secs_f64();
            writeln!(
                out,
                "exported {events} events to {}{note} in {secs:.2} s ({:.0} events/s)",
                args.out.display(),
                events as f64 / secs.max(1e-9)
            )?;
        }
    }
    drop(out);
    Ok(super::args::report_damage(&damage, ExitCode::SUCCESS))
}

fn damaged(skipped: usize) -> String {
    if skipped > 0 {
        format!("; {skipped} damaged blocks skipped")
    } else {
        String::new()
    }
}

/// Copies every block of `cap` through `w`, redacting records when asked; returns the events
/// written and the damaged blocks skipped.
fn copy<W: Write>(
    cap: &CaptureFile,
    redactor: Option<&Redactor>,
    w: &mut Writer<W>,
) -> anyhow::Result<(u64, usize)> {
    let (mut events, mut skipped) = (0u64, 0usize);
    let bar = crate::output::progress::bar(cap.blocks().len() as u64, "blocks");
    for i in 0..cap.blocks().len() {
        if !cap.blocks()[i].block_type.holds_records() {
            // Checkpoints and aggregates: the writer makes its own.
            continue;
        }
        bar.set_position(i as u64);
        let block = match cap.read_block(i) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("casefile: skipping damaged block: {e}");
                skipped += 1;
                continue;
            }
        };
        let mut records = Vec::with_capacity(block.header.count as usize);
        for ev in block.events()? {
            let mut ev = ev?;
            if let Some(r) = redactor {
                r.event(&mut ev);
            }
            records.push(ev);
        }
        if block.header.block_type == BlockType::State {
            w.write_state(&records)?;
        } else {
            for ev in &records {
                w.append(ev)?;
            }
            events += records.len() as u64;
        }
    }
    bar.finish_and_clear();
    Ok((events, skipped))
}

/// Replays the selection (filter, time range, `-n`) of a capture into `w`: the matching
/// events, and the state they happened in as keyframes, so the export still names processes,
/// files and containers. A keyframe precedes the first event and any event that follows
/// events left out (they may have changed the state), at most one per second of capture time.
/// Returns the events written and the damaged blocks skipped.
fn copy_selected<W: Write>(
    r: &super::args::Resolved,
    opened: super::Opened,
    redactor: Option<&Redactor>,
    w: &mut Writer<W>,
) -> anyhow::Result<(u64, Damage)> {
    let mut session = r.session_of(opened, Options::default())?;
    let mut last_num = 0u64;
    let mut keyframe_ts: Option<u64> = None;
    let events = r.each_event(&mut session, true, |ctx| {
        let gap = ctx.num != last_num + 1;
        if keyframe_ts.is_none()
            || gap && keyframe_ts.is_some_and(|k| ctx.ev.ts >= k.saturating_add(1_000_000_000))
        {
            let mut state = ctx.state.to_records(ctx.ev.ts);
            if let Some(red) = redactor {
                for ev in &mut state {
                    red.event(ev);
                }
            }
            w.write_state(&state)?;
            keyframe_ts = Some(ctx.ev.ts);
        }
        last_num = ctx.num;
        let mut ev = ctx.ev.clone();
        if let Some(red) = redactor {
            red.event(&mut ev);
        }
        w.append(&ev)?;
        Ok(())
    })?;
    Ok((events, session.damage().clone()))
}

/// Replays the session's selection into Parquet files in `dir`, a new directory; returns the
/// rows written.
fn to_parquet(
    session: &mut Session,
    r: &super::args::Resolved,
    dir: &Path,
    force: bool,
) -> anyhow::Result<u64> {
    // A partitioned layout (`exports/host=web/date=2026-03-01`) names directories that do not
    // exist yet: they are created (0700), as `mkdir -p` would.
    if let Some(parent) = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty() && !p.exists())
    {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let target = NewDir::create(dir, force, ("part-", ".parquet"))?;
    let mut sink = ParquetSink::new(target.temp(), ParquetOptions::default())?;
    r.each_event(session, true, |ctx| {
        // Context switches stay in the capture (and `read`); an export holds what tasks did,
        // as views count it.
        if !matches!(ctx.ev.body, Body::Switch(_)) {
            sink.event(ctx)?;
        }
        Ok(())
    })?;
    let sink = sink.finish()?;
    target.commit()?;
    Ok(sink.rows)
}

/// Replays the session's selection as JSON lines (the objects of `casefile read --json`) into
/// `path` (`-`: stdout, else a new file); returns the lines written.
fn to_jsonl(
    session: &mut Session,
    r: &super::args::Resolved,
    path: &Path,
    force: bool,
) -> anyhow::Result<u64> {
    let target = if path == Path::new("-") {
        None
    } else {
        Some(NewFile::create(path, force)?)
    };
    let out: Box<dyn Write> = match &target {
        None => Box::new(std::io::stdout().lock()),
        Some(t) => Box::new(t.file()?),
    };
    let format = Format::parse(DEFAULT_FORMAT)?;
    let mut sink = JsonSink::new(BufWriter::with_capacity(1 << 16, out), &format);
    let mut lines = 0u64;
    let mut extra = crate::output::args::JsonExtra::new();
    r.each_event(session, true, |ctx| {
        // Context switches stay in the capture (and `read`), as in to_parquet.
        if !matches!(ctx.ev.body, Body::Switch(_)) {
            sink.event_with(ctx, |ctx, out| extra.write(ctx, out))?;
            lines += 1;
        }
        Ok(())
    })?;
    sink.flush()?;
    drop(sink);
    if let Some(t) = target {
        t.commit()?;
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::without_command;

    #[test]
    fn redaction_drops_the_recorded_command_and_keeps_the_rest() {
        let o = r#"snaplen=80 env=false command=["sh", "-c", "true --password=hunter2 ring=9"] ring=67108864"#;
        assert_eq!(
            without_command(o),
            "snaplen=80 env=false command=<redacted> ring=67108864"
        );
        assert_eq!(without_command("snaplen=0"), "snaplen=0");
        assert_eq!(
            without_command("snaplen=80 env=false command=[\"a\"]"),
            "snaplen=80 env=false command=<redacted>"
        );
    }
}
