//! `casefile read`: print the events of a capture, sysdig style.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};

use super::args::{Resolved, resolve};
use crate::cli::ReadArgs;
use crate::filter::Filter;
use crate::import::scap;
use crate::output::{Format, JsonSink, Sink, TextSink, format_arg};
use crate::replay::context::EventCtx;
use crate::replay::dns;
use crate::replay::fields::Fid;
use crate::replay::fields::Field;
use crate::replay::parallel::{SegmentSink, Take};
use crate::replay::render::BufMode;
use crate::replay::session::{Flow, Options, Session};
use crate::replay::stream::Stream;

/// Runs `casefile read`.
pub fn run(args: &ReadArgs) -> anyhow::Result<ExitCode> {
    if let Some(s) = &args.snaplen {
        bail!(
            "-s {s} sets how many bytes of each buffer a recording keeps: give it to `casefile \
             record -s {s}`; a capture holds what it was recorded with (see `casefile info`)"
        );
    }
    if args.list_events {
        let mut out = BufWriter::new(io::stdout().lock());
        for s in capture_format::schema::syscalls::DECODED {
            let params: Vec<&str> = s.params.iter().map(|p| p.name).collect();
            writeln!(
                out,
                "{:<8} {}({})",
                s.category.name(),
                s.name,
                params.join(", ")
            )?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let r = resolve(&args.reading)?;
    let format = Format::parse(format_arg(args.format.as_deref()))?;
    let buf_mode = if args.hex {
        BufMode::Hex
    } else if args.ascii {
        BufMode::Ascii
    } else {
        BufMode::Dotted
    };
    // Streaming knows the first event's time only as it goes, and a .scap's earliest event
    // need not be its first: times relative to the capture's start go through a capture.
    let relative = |f: &crate::replay::fields::Field| f.fid == Fid::EvtReltime;
    let uses_start = crate::timefmt::output_time() == crate::timefmt::OutputTime::Relative
        || format.uses_field(relative)
        || r.filter.as_ref().is_some_and(|f| f.uses_field(&relative));
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let printer = || {
        if r.json {
            Printer::Json(JsonSink::new(Vec::new(), &format))
        } else {
            Printer::Text(TextSink::new(Vec::new(), format.clone(), buf_mode))
        }
    };
    if let [file] = &r.files[..]
        && !r.has_range()
        && !uses_start
        && super::regular(file).is_ok()
        && scap::is_scap(file).unwrap_or(false)
    {
        let mut sink = sink(out, &r, &format, buf_mode);
        return read_scap(args, &r, file, buf_mode, sink.as_mut());
    }
    let mut session = r.session(Options {
        skip_blocks: !args.no_skip,
        buf_mode,
        ..Options::default()
    })?;
    let started = Instant::now();
    // A bar only when the events go elsewhere than the terminal (a file, a pipe).
    let bar = !std::io::IsTerminal::is_terminal(&io::stdout());
    let threads = super::args::threads(args.threads);
    if threads > 1
        && !r.done(0)
        && session.can_split(r.filter.as_ref())
        && !in_order(&format, r.filter.as_ref())
    {
        read_parallel(&r, &mut session, threads, bar, &printer, &mut out)?;
        out.flush()?;
    } else {
        let mut sink = sink(out, &r, &format, buf_mode);
        r.each_event(&mut session, bar, |ctx| Ok(sink.event(ctx)?))?;
        sink.flush()?;
    }
    if args.stats {
        let s = session.stats();
        let secs = started.elapsed().as_secs_f64();
        let total = session.capture().event_count();
        let _ = writeln!(
            io::stderr(),
            "blocks: {} evaluated, {} skipped, {} caught up, {} damaged; events: {} evaluated, \
             {} matched of {total}; {secs:.3} s, {:.2} M events/s",
            s.blocks_evaluated,
            s.blocks_skipped,
            s.blocks_caught_up,
            s.blocks_damaged,
            s.events_evaluated,
            s.events_matched,
            total as f64 / secs / 1e6,
        );
    }
    Ok(super::args::report_damage(
        session.damage(),
        ExitCode::SUCCESS,
    ))
}

/// The printer of the run on one thread.
fn sink<'a>(
    out: impl Write + 'a,
    r: &Resolved,
    format: &Format,
    buf_mode: BufMode,
) -> Box<dyn Sink + 'a> {
    if r.json {
        Box::new(JsonSink::new(out, format))
    } else {
        Box::new(TextSink::new(out, format.clone(), buf_mode))
    }
}

/// Whether the output needs every earlier match of the run, which a segment replayed on its
/// own does not see: the time since the previous match (`evt.deltatime`, `-t D`) and names
/// learned from DNS answers (they live past keyframes). Such runs read on one thread.
fn in_order(format: &Format, filter: Option<&Filter<Field>>) -> bool {
    let delta = crate::timefmt::output_time() == crate::timefmt::OutputTime::Delta;
    let prints = |f: &Field| {
        f.fid == Fid::EvtDeltatime
            || dns::is_name_field(f.fid)
            || (delta && f.fid == Fid::EvtOutputtime)
    };
    format.uses_field(prints)
        || filter.is_some_and(|f| f.uses_field(&|f: &Field| f.fid == Fid::EvtDeltatime))
}

/// A printer into memory, one per segment of a parallel run.
enum Printer {
    Text(TextSink<Vec<u8>>),
    Json(JsonSink<Vec<u8>>),
}

impl Printer {
    fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> io::Result<()> {
        match self {
            Printer::Text(s) => s.event(ctx),
            Printer::Json(s) => s.event(ctx),
        }
    }

    fn buf(&mut self) -> &mut Vec<u8> {
        match self {
            Printer::Text(s) => s.writer(),
            Printer::Json(s) => s.writer(),
        }
    }
}

/// The output of one segment of a parallel run, handed back after each block; with `-n`, where
/// each event's output ends, so the main thread can stop part-way.
struct Segment {
    printer: Printer,
    ends: Option<Vec<usize>>,
    count: Option<u64>,
    n: u64,
}

/// What a segment printed for a block.
struct Chunk {
    bytes: Vec<u8>,
    /// Where the output of each event handed to the printer ends (with `-n` only).
    ends: Vec<usize>,
}

impl SegmentSink for Segment {
    type Out = Chunk;
    type Error = anyhow::Error;

    fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> anyhow::Result<Flow> {
        self.printer.event(ctx)?;
        self.n += 1;
        if let Some(e) = &mut self.ends {
            e.push(self.printer.buf().len());
        }
        // The whole run has printed at least as many by then.
        Ok(if self.count.is_some_and(|c| self.n >= c) {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }

    fn block_done(&mut self) -> Option<Chunk> {
        let ends = self.ends.as_mut().map(std::mem::take).unwrap_or_default();
        let buf = self.printer.buf();
        if buf.is_empty() && ends.is_empty() {
            return None;
        }
        Some(Chunk {
            bytes: std::mem::take(buf),
            ends,
        })
    }

    fn segment_done(&mut self) -> Option<Chunk> {
        None
    }

    fn weight(c: &Chunk) -> usize {
        c.bytes.capacity() + c.ends.capacity() * std::mem::size_of::<usize>()
    }
}

/// Replays `session` on `threads` threads, each segment's lines printed by its worker and
/// written to `out` in order, up to `-n` events.
fn read_parallel(
    r: &Resolved,
    session: &mut Session,
    threads: usize,
    bar: bool,
    printer: &(dyn Fn() -> Printer + Sync),
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let cap = session.capture();
    let bar = if bar {
        crate::output::progress::bar(cap.event_count(), "events")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let reached: Vec<u64> = (cap.blocks().iter())
        .map(|b| b.first_event + u64::from(b.count))
        .collect();
    let count = r.count;
    let new = || Segment {
        printer: printer(),
        ends: count.map(|_| Vec::new()),
        count,
        n: 0,
    };
    let mut n = 0u64;
    session.run_parallel(
        threads,
        r.filter.as_ref(),
        &new,
        count.is_some(),
        |block, c| {
            if let Some(i) = block {
                bar.set_position(reached[i]);
            }
            if let Some(limit) = count
                && n + c.ends.len() as u64 >= limit
            {
                // The limit falls in this block: n < limit, or the run would have stopped.
                let k = usize::try_from(limit - n).unwrap_or(usize::MAX).max(1);
                out.write_all(&c.bytes[..c.ends[k - 1]])?;
                return Ok(Take::First(k));
            }
            n += c.ends.len() as u64;
            out.write_all(&c.bytes)?;
            Ok(Take::All)
        },
    )?;
    bar.finish_and_clear();
    Ok(())
}

/// `casefile read X.scap` without a time range: the converted events go straight to replay, in
/// the order `casefile import` would write them, without a capture in memory in between.
fn read_scap(
    args: &ReadArgs,
    r: &Resolved,
    file: &std::path::Path,
    buf_mode: BufMode,
    sink: &mut dyn Sink,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut src = scap::open(file).with_context(|| format!("reading {}", file.display()))?;
    let mut stream = Stream::new(&src.header_info(), buf_mode);
    let mut n = 0u64;
    let mut failure = None;
    let mut each = |ctx: &mut crate::replay::context::EventCtx<'_, '_>| -> anyhow::Result<Flow> {
        sink.event(ctx)?;
        n += 1;
        Ok(if r.done(n) {
            Flow::Stop
        } else {
            Flow::Continue
        })
    };
    if !r.done(0) {
        for ev in src.by_ref() {
            match ev {
                Ok(ev) => {
                    if stream.push(ev, r.filter.as_ref(), &mut each)? == Flow::Stop {
                        break;
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
    }
    sink.flush()?;
    super::import::warn_read(file, &src, failure.as_ref());
    if args.stats {
        let secs = started.elapsed().as_secs_f64();
        let total = stream.events();
        let _ = writeln!(
            io::stderr(),
            "blocks: 0 evaluated, 0 skipped, 0 caught up, 0 damaged; events: {} evaluated, {} \
             matched of {total}; {secs:.3} s, {:.2} M events/s",
            stream.evaluated(),
            stream.matched(),
            total as f64 / secs / 1e6,
        );
    }
    Ok(ExitCode::SUCCESS)
}
