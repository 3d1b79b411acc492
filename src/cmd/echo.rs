//! `casefile echo`: the payloads of reads and writes, reassembled per stream (process and fd),
//! both directions in the order they happened, with a header per stream and per direction run.
//! The streams are gathered and rendered by [`crate::views::echo`]; this prints them.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;

use super::args::resolve;
use crate::cli::EchoArgs;
use crate::replay::render::BufMode;
use crate::replay::session::{Flow, Options};
use crate::views::echo::{Collector, Stream, filter, lines};

/// One stream as JSON: its process and fd, then its runs of one direction with the bytes moved,
/// the calls, and the captured data (as text, invalid UTF-8 replaced).
fn stream_json(st: &Stream) -> serde_json::Value {
    let runs: Vec<serde_json::Value> = st
        .runs()
        .map(|run| {
            let mut data = Vec::new();
            for c in run {
                data.extend_from_slice(&c.data);
            }
            serde_json::json!({
                "dir": run[0].dir.name(),
                "bytes": run.iter().map(|c| c.len).sum::<u64>(),
                "calls": run.len(),
                "captured": data.len(),
                "data": String::from_utf8_lossy(&data),
            })
        })
        .collect();
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
    let filter = filter(r.filter_text.as_deref())?;
    let mut s = r.session(Options::default())?;
    let mut streams = Collector::new(&s).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    s.run(filter.as_ref(), |ctx| -> anyhow::Result<Flow> {
        streams.event(ctx);
        Ok(Flow::Continue)
    })
    .with_context(|| format!("reading {}", r.describe()))?;
    let streams = streams.finish();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let limit = r
        .count
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    if r.json {
        for st in streams.iter().take(limit) {
            serde_json::to_writer(&mut out, &stream_json(st))?;
            writeln!(out)?;
        }
    } else {
        for st in streams.iter().take(limit) {
            for (_, line) in lines(st, mode) {
                writeln!(out, "{line}")?;
            }
        }
    }
    out.flush()?;
    Ok(super::args::report_damage(s.damage(), ExitCode::SUCCESS))
}
