//! `casefile echo`: the payloads of reads and writes, reassembled per stream (process and fd),
//! both directions in the order they happened, with a header per stream and per direction run.
//!
//! Payloads are the snippets the recorder kept (the snaplen); where a call moved more bytes
//! than were captured, a marker says how many are missing.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;

use super::args::resolve;
use crate::cli::EchoArgs;
use crate::filter::{Source, Val};
use crate::replay::render::{BufMode, hex_dump};
use crate::replay::session::Flow;
use crate::views::eval::compile_filters;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Read,
    Write,
}

struct Chunk {
    dir: Dir,
    data: Vec<u8>,
    /// Bytes the call moved (may exceed the captured snippet).
    len: u64,
}

struct Stream {
    /// `host: ` in a merged capture, else empty.
    host: String,
    pid: u32,
    fd: i64,
    proc_name: String,
    fd_name: String,
    fd_type: String,
    chunks: Vec<Chunk>,
}

/// Text of a payload: printable ASCII and line ends kept; other bytes shown as `.` (dotted,
/// the default) or dropped (`-A`, csysdig's "Printable ASCII").
fn render(b: &[u8], mode: BufMode, out: &mut String) {
    for &c in b {
        if (0x20..0x7f).contains(&c) || c == b'\n' || c == b'\t' {
            out.push(c as char);
        } else if c == b'\r' {
            // CRLF line ends print as LF.
        } else if mode != BufMode::Ascii {
            out.push('.');
        }
    }
}

/// One stream as JSON: its process and fd, then its runs of one direction with the bytes moved,
/// the calls, and the captured data (as text, invalid UTF-8 replaced).
fn stream_json(st: &Stream) -> serde_json::Value {
    let mut runs = Vec::new();
    let mut k = 0;
    while k < st.chunks.len() {
        let dir = st.chunks[k].dir;
        let end = st.chunks[k..]
            .iter()
            .position(|c| c.dir != dir)
            .map_or(st.chunks.len(), |p| k + p);
        let run = &st.chunks[k..end];
        let mut data = Vec::new();
        for c in run {
            data.extend_from_slice(&c.data);
        }
        runs.push(serde_json::json!({
            "dir": if dir == Dir::Read { "read" } else { "write" },
            "bytes": run.iter().map(|c| c.len).sum::<u64>(),
            "calls": run.len(),
            "captured": data.len(),
            "data": String::from_utf8_lossy(&data),
        }));
        k = end;
    }
    serde_json::json!({
        "host": st.host.trim_end_matches(": "),
        "pid": st.pid,
        "fd": st.fd,
        "proc.name": st.proc_name,
        "fd.name": st.fd_name,
        "fd.type": st.fd_type,
        "runs": runs,
    })
}

/// Runs `casefile echo`.
pub fn run(args: &EchoArgs) -> anyhow::Result<ExitCode> {
    let r = resolve(&args.reading)?;
    let mode = if args.hex {
        BufMode::Hex
    } else if args.ascii {
        BufMode::Ascii
    } else {
        BufMode::Dotted
    };
    let filter = compile_filters(
        Some("evt.is_io = true and evt.buflen > 0"),
        r.filter_text.as_deref(),
    )?;
    let field =
        |n: &str| crate::views::eval::resolve_field(n).map_err(|_| anyhow::anyhow!(n.to_owned()));
    let (f_read, f_name, f_type, f_pname) = (
        field("evt.is_io_read")?,
        field("fd.name")?,
        field("fd.type")?,
        field("proc.name")?,
    );
    let f_host = field("host.name")?;
    let mut s = r.session(crate::replay::session::Options::default())?;
    // In a merged capture the same pid and fd on two hosts are two streams.
    let merged = !s.capture().header().info.hosts.is_empty();
    let mut streams: Vec<Stream> = Vec::new();
    let mut index: std::collections::HashMap<(u32, u32, i64, String), usize> =
        std::collections::HashMap::new();
    s.run(filter.as_ref(), |ctx| -> anyhow::Result<Flow> {
        let Some(mut buf) = ctx.buffer().map(<[u8]>::to_vec) else {
            return Ok(Flow::Continue);
        };
        let Some(fd) = ctx.fd_num() else {
            return Ok(Flow::Continue);
        };
        let text = |v: Option<Val<'_>>| match v {
            Some(Val::Str(b)) => String::from_utf8_lossy(&b).into_owned(),
            _ => String::new(),
        };
        let dir = if matches!(ctx.get(&f_read), Some(Val::Bool(true))) {
            Dir::Read
        } else {
            Dir::Write
        };
        let len = match &ctx.ev.body {
            capture_format::schema::Body::Syscall(sc) => sc.ret.max(0) as u64,
            _ => 0,
        };
        // Only the first `len` bytes of a buffer are data (a read fills what it returns).
        buf.truncate(len as usize);
        let fd_name = text(ctx.get(&f_name));
        let host = capture_format::schema::host_of(ctx.ev.container);
        let key = (host, ctx.ev.pid, fd, fd_name.clone());
        let i = if let Some(&i) = index.get(&key) {
            i
        } else {
            streams.push(Stream {
                host: if merged {
                    format!("{}: ", text(ctx.get(&f_host)))
                } else {
                    String::new()
                },
                pid: ctx.ev.pid,
                fd,
                proc_name: text(ctx.get(&f_pname)),
                fd_name,
                fd_type: text(ctx.get(&f_type)),
                chunks: Vec::new(),
            });
            index.insert(key, streams.len() - 1);
            streams.len() - 1
        };
        streams[i].chunks.push(Chunk {
            dir,
            data: buf,
            len,
        });
        Ok(Flow::Continue)
    })
    .with_context(|| format!("reading {}", r.describe()))?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut text = String::new();
    let limit = r
        .count
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    if r.json {
        for st in streams.iter().take(limit) {
            serde_json::to_writer(&mut out, &stream_json(st))?;
            writeln!(out)?;
        }
        out.flush()?;
        return Ok(super::args::report_damage(s.damage(), ExitCode::SUCCESS));
    }
    for st in streams.iter().take(limit) {
        let name = if st.fd_name.is_empty() {
            String::new()
        } else {
            format!(" {}", st.fd_name)
        };
        writeln!(
            out,
            "=== {}{} ({}) fd {} <{}>{name} ===",
            st.host,
            if st.proc_name.is_empty() {
                "?"
            } else {
                &st.proc_name
            },
            st.pid,
            st.fd,
            st.fd_type
        )?;
        let mut k = 0;
        while k < st.chunks.len() {
            let dir = st.chunks[k].dir;
            let run_end = st.chunks[k..]
                .iter()
                .position(|c| c.dir != dir)
                .map_or(st.chunks.len(), |p| k + p);
            let run = &st.chunks[k..run_end];
            let total: u64 = run.iter().map(|c| c.len).sum();
            let captured: usize = run.iter().map(|c| c.data.len()).sum();
            writeln!(
                out,
                "--- {} {total} bytes in {} call{} ({captured} captured) ---",
                if dir == Dir::Read { "read" } else { "write" },
                run.len(),
                if run.len() == 1 { "" } else { "s" }
            )?;
            let mut data = Vec::with_capacity(captured);
            for c in run {
                data.extend_from_slice(&c.data);
            }
            text.clear();
            if mode == BufMode::Hex {
                hex_dump(&data, &mut text);
            } else {
                render(&data, mode, &mut text);
                if !text.ends_with('\n') {
                    text.push('\n');
                }
            }
            out.write_all(text.as_bytes())?;
            let missing = total.saturating_sub(captured as u64);
            if missing > 0 {
                writeln!(out, "[{missing} more bytes not captured]")?;
            }
            k = run_end;
        }
    }
    out.flush()?;
    Ok(super::args::report_damage(s.damage(), ExitCode::SUCCESS))
}
