//! `casefile import`: convert a sysdig/Falco `.scap` capture into a casefile capture.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use capture_format::schema::Event;
use capture_format::{HeaderInfo, Writer, WriterOptions};

use crate::cli::ImportArgs;
use crate::import::scap::{self, ScapSource};

/// Runs `casefile import`.
pub fn run(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut src = scap::open(&args.file)?;
    let mut writer: Option<Writer<std::fs::File>> = None;
    let mut state: Vec<Event<'static>> = Vec::new();
    let mut failure = None;
    let mut first_ts = 0;
    let mut events = 0u64;
    loop {
        let ev = match src.next() {
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                failure = Some(e);
                break;
            }
            None => break,
        };
        let is_state = ev
            .body
            .kind()
            .is_some_and(capture_format::schema::Kind::is_state);
        if is_state {
            state.push(ev);
            continue;
        }
        if first_ts == 0 {
            first_ts = ev.ts;
        }
        let w = match &mut writer {
            Some(w) => w,
            None => writer.insert(create(args, &src, first_ts)?),
        };
        if !state.is_empty() {
            w.write_state(&state)
                .with_context(|| format!("{}: writing state", args.output.display()))?;
            state.clear();
        }
        w.append(&ev)
            .with_context(|| format!("{}: writing events", args.output.display()))?;
        events += 1;
    }
    let mut w = match writer {
        Some(w) => w,
        None => create(args, &src, first_ts)?,
    };
    if !state.is_empty() {
        w.write_state(&state)
            .with_context(|| format!("{}: writing state", args.output.display()))?;
    }
    w.finish()
        .with_context(|| format!("{}: finishing", args.output.display()))?;
    let elapsed = started.elapsed();
    let in_bytes = std::fs::metadata(&args.file).map_or(0, |m| m.len());
    let out_bytes = std::fs::metadata(&args.output).map_or(0, |m| m.len());
    let summary = if args.json {
        json_summary(&src, in_bytes, out_bytes, events, elapsed)
    } else {
        text_summary(&src, in_bytes, out_bytes, events, elapsed)
    };
    io::stdout().write_all(summary.as_bytes())?;
    if let Some(t) = src.truncation() {
        writeln!(
            io::stderr(),
            "casefile: warning: {t}; every complete block before it was imported"
        )?;
    }
    let (corrupt, first) = src.corrupt();
    if let Some(e) = first {
        writeln!(
            io::stderr(),
            "casefile: warning: {corrupt} invalid block(s) skipped, first: {e}"
        )?;
    }
    match failure {
        Some(e) => Err(anyhow::Error::new(e).context(format!(
            "import stopped; the events before the error were written to {}",
            args.output.display()
        ))),
        None => Ok(ExitCode::SUCCESS),
    }
}

fn create(
    args: &ImportArgs,
    src: &ScapSource,
    first_ts: u64,
) -> anyhow::Result<Writer<std::fs::File>> {
    let info = HeaderInfo {
        created_ns: first_ts,
        recorder: format!(
            "sysdig/libscap (imported by casefile {})",
            env!("CARGO_PKG_VERSION")
        ),
        ..src.header_info()
    };
    let opts = WriterOptions {
        // Blocks are cut by size only: the wall clock of the import says nothing about the data.
        max_age: Duration::from_secs(u64::from(u32::MAX)),
        ..WriterOptions::default()
    };
    Writer::create(&args.output, &info, opts)
        .with_context(|| format!("{}: cannot create", args.output.display()))
}

fn text_summary(
    src: &ScapSource,
    in_bytes: u64,
    out_bytes: u64,
    events: u64,
    t: Duration,
) -> String {
    let st = src.stats();
    let mut s = String::new();
    let blocks: u64 = st.blocks.values().sum();
    let ev_blocks: u64 = st.events.values().sum();
    let _ = writeln!(
        s,
        "{}: {} blocks ({} event blocks) read in {:.3}s",
        src.path().display(),
        blocks,
        ev_blocks,
        t.as_secs_f64()
    );
    let _ = writeln!(s, "records written: {events} events");
    for (kind, n) in &st.records {
        let _ = writeln!(s, "  {kind:<16} {n}");
    }
    let skipped: u64 = st.skipped.values().sum();
    let _ = writeln!(s, "events without a schema mapping (skipped): {skipped}");
    for (name, n) in &st.skipped {
        let _ = writeln!(s, "  {name:<24} {n}");
    }
    if st.unknown_blocks + st.unknown_events > 0 {
        let _ = writeln!(
            s,
            "unknown block types skipped: {}, unknown event types skipped: {}",
            st.unknown_blocks, st.unknown_events
        );
    }
    if st.enter_without_exit > 0 {
        let _ = writeln!(s, "enter events without an exit: {}", st.enter_without_exit);
    }
    let _ = writeln!(
        s,
        "bytes: {in_bytes} in ({}), {out_bytes} out",
        if src.is_compressed() { "gzip" } else { "plain" }
    );
    s
}

fn json_summary(
    src: &ScapSource,
    in_bytes: u64,
    out_bytes: u64,
    events: u64,
    t: Duration,
) -> String {
    let st = src.stats();
    let v = serde_json::json!({
        "file": src.path().display().to_string(),
        "compressed": src.is_compressed(),
        "blocks": st.blocks.values().sum::<u64>(),
        "event_blocks": st.events.values().sum::<u64>(),
        "events_written": events,
        "records": st.records,
        "skipped": st.skipped,
        "unknown_blocks": st.unknown_blocks,
        "unknown_events": st.unknown_events,
        "enter_without_exit": st.enter_without_exit,
        "truncated": src.truncation().map(ToString::to_string),
        "bytes_in": in_bytes,
        "bytes_out": out_bytes,
        "seconds": t.as_secs_f64(),
    });
    format!("{v}\n")
}
