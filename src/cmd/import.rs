//! `casefile import`: convert a sysdig/Falco `.scap` capture into a casefile capture.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use capture_format::schema::{Event, Kind};
use capture_format::{CaptureFile, HeaderInfo, Writer, WriterOptions};

use crate::cli::ImportArgs;
use crate::import::scap::{self, ScapSource};
use crate::outfile::NewFile;

/// What [`write_capture`] did.
struct Outcome {
    events: u64,
    keyframes: u64,
    /// The error that stopped reading, after which the capture was finished with what it had.
    failure: Option<scap::Error>,
}

/// Runs `casefile import`.
pub fn run(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    crate::output::progress::set_quiet(args.quiet);
    crate::outfile::check_free(&args.output, args.force)?;
    let mut src = scap::open(&args.file)?;
    let opts = super::by_size();
    let Outcome {
        events,
        keyframes,
        failure,
    } = write_capture(&mut src, &args.output, args.force, opts)?;
    let elapsed = started.elapsed();
    let in_bytes = std::fs::metadata(&args.file).map_or(0, |m| m.len());
    let out_bytes = std::fs::metadata(&args.output).map_or(0, |m| m.len());
    let report = if args.json {
        json_report(&mut src, in_bytes, out_bytes, (events, keyframes), elapsed)
    } else {
        text_report(&mut src, in_bytes, out_bytes, (events, keyframes), elapsed)
    };
    io::stdout().write_all(report.as_bytes())?;
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

/// Writes everything `src` yields into a new capture at `output`: the state records before the
/// first event as the snapshot, then the events, with a keyframe whenever the writer asks for one.
/// The capture is written under a temporary name and renamed onto `output` once finished, also
/// when reading stopped early (it then holds what was read before, sealed).
fn write_capture(
    src: &mut ScapSource,
    output: &Path,
    force: bool,
    opts: WriterOptions,
) -> anyhow::Result<Outcome> {
    let ctx = |what: &str| format!("{}: {what}", output.display());
    let target = NewFile::create(output, force)?;
    let (w, outcome) = convert(src, opts, |info, opts| {
        let mut w =
            Writer::new(target.file()?, &info, opts).with_context(|| ctx("cannot write"))?;
        crate::views::aggregate::attach(&mut w, &info)?;
        Ok(w)
    })?;
    w.finish().with_context(|| ctx("finishing"))?;
    target.commit()?;
    Ok(outcome)
}

/// Converts a .scap file into a capture held in memory, for the reading commands that take a
/// .scap directly. Problems that stop the conversion early are reported on stderr; what was
/// read before them is kept.
pub fn in_memory(path: &Path) -> anyhow::Result<CaptureFile> {
    let mut src = scap::open(path)?;
    let (w, outcome) = convert(&mut src, super::by_size(), |info, opts| {
        Ok(Writer::new(Vec::new(), &info, opts)?)
    })?;
    let bytes = w.finish()?;
    warn_read(path, &mut src, outcome.failure.as_ref());
    Ok(CaptureFile::from_bytes(bytes)?)
}

/// States on stderr what a reading command met in a .scap and read around: unknown block and
/// event types, a truncated end, the error that stopped reading (`failure`).
pub fn warn_read(path: &Path, src: &mut ScapSource, failure: Option<&scap::Error>) {
    let st = src.stats();
    if st.unknown_blocks + st.unknown_events > 0 {
        eprintln!(
            "casefile: warning: {}: skipped {} blocks and {} events of types this version does \
             not know (`casefile import` lists them)",
            path.display(),
            st.unknown_blocks,
            st.unknown_events
        );
    }
    if let Some(t) = src.truncation() {
        eprintln!("casefile: warning: {t}; every complete block before it is read");
    }
    if let Some(e) = failure {
        eprintln!(
            "casefile: warning: {}: reading stopped: {e}",
            path.display()
        );
    }
}

/// The conversion itself, into whatever writer `create` makes once the header is known.
fn convert<W: Write>(
    src: &mut ScapSource,
    opts: WriterOptions,
    create: impl Fn(HeaderInfo, WriterOptions) -> anyhow::Result<Writer<W>>,
) -> anyhow::Result<(Writer<W>, Outcome)> {
    let mut writer: Option<Writer<W>> = None;
    let mut state: Vec<Event<'static>> = Vec::new();
    let mut failure = None;
    let mut first_ts = 0;
    let mut events = 0u64;
    let mut keyframes = 0u64;
    let bar = crate::output::progress::spinner("events");
    let header = |src: &ScapSource, first_ts: u64| HeaderInfo {
        created_ns: first_ts,
        recorder: format!(
            "sysdig/libscap (imported by casefile {})",
            env!("CARGO_PKG_VERSION")
        ),
        ..src.header_info()
    };
    loop {
        let ev = match src.next() {
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                failure = Some(e);
                break;
            }
            None => break,
        };
        // State records from the file's metadata blocks carry no time and make a state block
        // (which replay takes as the whole truth). A `Process` record with a time describes a
        // task first seen in an event (the child side of a clone): it stays among the events,
        // applied in order without resetting the tables.
        if ev.ts == 0 && ev.body.kind().is_some_and(Kind::is_state) {
            state.push(ev);
            continue;
        }
        if first_ts == 0 {
            first_ts = ev.ts;
        }
        let w = match &mut writer {
            Some(w) => w,
            None => writer.insert(create(header(src, first_ts), opts.clone())?),
        };
        if !state.is_empty() {
            w.write_state(&state).context("writing state")?;
            state.clear();
        }
        w.append(&ev).context("writing events")?;
        if !ev.body.kind().is_some_and(Kind::is_state) {
            events += 1;
            if events.is_multiple_of(4096) {
                bar.set_position(events);
            }
        }
        if w.needs_keyframe()
            && let Some(keyframe) = src.snapshot(ev.ts)
        {
            w.write_state(&keyframe).context("writing a keyframe")?;
            keyframes += 1;
        }
    }
    bar.finish_and_clear();
    let mut w = match writer {
        Some(w) => w,
        None => create(header(src, first_ts), opts)?,
    };
    if !state.is_empty() {
        w.write_state(&state).context("writing state")?;
    }
    Ok((
        w,
        Outcome {
            events,
            keyframes,
            failure,
        },
    ))
}

fn text_report(
    src: &mut ScapSource,
    in_bytes: u64,
    out_bytes: u64,
    (events, keyframes): (u64, u64),
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
    let _ = writeln!(
        s,
        "records written: {events} events, state snapshot and {keyframes} keyframes"
    );
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

fn json_report(
    src: &mut ScapSource,
    in_bytes: u64,
    out_bytes: u64,
    (events, keyframes): (u64, u64),
    t: Duration,
) -> String {
    let st = src.stats();
    let v = serde_json::json!({
        "file": src.path().display().to_string(),
        "compressed": src.is_compressed(),
        "blocks": st.blocks.values().sum::<u64>(),
        "event_blocks": st.events.values().sum::<u64>(),
        "events_written": events,
        "keyframes": keyframes,
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

#[cfg(test)]
mod tests {
    use capture_format::CaptureFile;
    use capture_format::schema::Body;

    use super::*;

    #[test]
    fn keyframes_carry_the_state_at_their_point() {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/scap/falco_run_as_user_0_container.scap");
        let dir = std::env::temp_dir().join(format!("casefile-import-kf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let out = dir.join("kf.case");
        let mut src = scap::open(&sample).expect("open");
        let opts = WriterOptions {
            block_bytes: 2 << 10,
            keyframe_every: 2,
            max_age: Duration::from_hours(1),
            ..WriterOptions::default()
        };
        let _ = std::fs::remove_file(&out);
        let outcome = write_capture(&mut src, &out, false, opts).expect("import");
        assert!(outcome.failure.is_none());
        assert!(outcome.keyframes >= 2, "{} keyframes", outcome.keyframes);
        let cap = CaptureFile::read(&out).expect("read back");
        let last = cap.blocks().len() - 1;
        let kf = cap
            .keyframe_for(last)
            .expect("a keyframe before the last block");
        assert!(kf > 0, "the keyframe is not the initial snapshot");
        let records: Vec<_> = cap
            .read_block(kf)
            .expect("keyframe block")
            .events()
            .expect("decoder")
            .map(|r| r.expect("record").into_owned())
            .collect();
        let container = records.iter().find_map(|r| match &r.body {
            Body::Container(c) => Some((r.container, c.name.to_vec())),
            _ => None,
        });
        assert_eq!(container, Some((1, b"hopeful_taussig".to_vec())));
        assert!(
            records
                .iter()
                .filter(|r| matches!(r.body, Body::Process(_)))
                .count()
                > 100
        );
        assert!(
            records
                .iter()
                .any(|r| matches!(&r.body, Body::Fd(f) if f.pid == 25754))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
