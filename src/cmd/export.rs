//! `casefile export`: write a capture's events to another file, optionally redacted for sharing.
//!
//! `--redact` drops every payload snippet and every environment, and replaces the fields named
//! with `--hash` by salted BLAKE3 digests (the same value always gives the same digest within
//! one export, so activity still correlates). The result is a new, verifiable capture whose
//! header records what was removed.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use capture_format::schema::syscalls::{ParamType, spec};
use capture_format::schema::{Body, Event, Sock, Value, af};
use capture_format::{BlockType, HeaderInfo, Writer, WriterOptions};

use crate::cli::{ExportArgs, ExportFormat};

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
        let mut s = "payload snippets and environments dropped".to_string();
        if !self.hash.is_empty() {
            s.push_str("; hashed: ");
            s.push_str(&self.hash.iter().cloned().collect::<Vec<_>>().join(", "));
        }
        s
    }
}

/// Runs `casefile export`.
pub fn run(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    match args.format {
        ExportFormat::Case => {}
    }
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
    let cap = super::open(&args.file)?;
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
    let src = &cap.header().info;
    let info = HeaderInfo {
        created_ns: now_ns(),
        recorder: format!("casefile {} export", env!("CARGO_PKG_VERSION")),
        source: format!("export of {} ({})", args.file.display(), src.source),
        redacted: match (&redactor, src.redacted.is_empty()) {
            (Some(r), true) => r.describe(),
            (Some(r), false) => format!("{}; earlier: {}", r.describe(), src.redacted),
            (None, _) => src.redacted.clone(),
        },
        snaplen: if redactor.is_some() { 0 } else { src.snaplen },
        ..src.clone()
    };
    let mut w = Writer::create(&args.out, &info, WriterOptions::default())
        .with_context(|| format!("creating {}", args.out.display()))?;
    let (mut events, mut skipped) = (0u64, 0usize);
    for i in 0..cap.blocks().len() {
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
            if let Some(r) = &redactor {
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
    match &args.sign_key {
        Some(k) => w.finish_signed(&super::keygen::read_signing_key(k)?)?,
        None => w.finish()?,
    };
    let mut out = std::io::stderr().lock();
    writeln!(
        out,
        "exported {events} events to {}{}{}",
        args.out.display(),
        redactor
            .as_ref()
            .map_or(String::new(), |r| format!(" ({})", r.describe())),
        if skipped > 0 {
            format!("; {skipped} damaged blocks skipped")
        } else {
            String::new()
        }
    )?;
    Ok(ExitCode::SUCCESS)
}

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}
