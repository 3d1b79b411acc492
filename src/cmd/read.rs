//! `casefile read`: print the events of a capture, sysdig style.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};

use super::args::{Resolved, resolve};
use crate::cli::ReadArgs;
use crate::import::scap;
use crate::output::ordered::{Printer, print_parallel, splits};
use crate::output::{Format, JsonSink, Sink, TextSink, format_arg};
use crate::replay::fields::{Fid, Field};
use crate::replay::render::BufMode;
use crate::replay::session::{Flow, Options};
use crate::replay::stream::{Shown, Stream, Would};

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
        return read_scap(args, (&r, &format), file, buf_mode, sink.as_mut());
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
    if threads > 1 && !r.done(0) && splits(&session, &format, r.filter.as_ref()) {
        let count = r.count;
        let bar = if bar {
            crate::output::progress::bar(session.capture().event_count(), "events")
        } else {
            indicatif::ProgressBar::hidden()
        };
        print_parallel(
            &mut session,
            (threads, r.filter.as_ref()),
            (count, count),
            &mut |reached| {
                bar.set_position(reached);
                Ok(())
            },
            &printer,
            &mut out,
        )?;
        bar.finish_and_clear();
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

/// `casefile read X.scap` without a time range: the converted events go straight to replay, in
/// the order `casefile import` would write them, without a capture in memory in between.
fn read_scap(
    args: &ReadArgs,
    (r, format): (&Resolved, &Format),
    file: &std::path::Path,
    buf_mode: BufMode,
    sink: &mut dyn Sink,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let threads = super::args::threads(args.threads);
    let mut src =
        scap::open_with(file, threads).with_context(|| format!("reading {}", file.display()))?;
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
    // Names from DNS answers and resource use show only through some fields: without them,
    // reads and switches change no state an event that cannot match needs converting for.
    let shown =
        Shown::by(|p| format.uses_field(p) || r.filter.as_ref().is_some_and(|f| f.uses_field(&p)));
    if !r.done(0) {
        while let Some(ev) = match r.filter.as_ref() {
            Some(filter) => src.next_judged(&mut Judged {
                stream: &mut stream,
                filter,
                shown,
            }),
            None => src.next(),
        } {
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
    super::import::warn_read(file, &mut src, failure.as_ref());
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

/// Leaves out the calls of a .scap that cannot match the filter and change no state (see
/// [`Stream::skip_call`]).
pub(crate) struct Judged<'a> {
    pub(crate) stream: &'a mut Stream,
    pub(crate) filter: &'a crate::filter::Filter<Field>,
    pub(crate) shown: Shown,
}

impl scap::convert::Judge for Judged<'_> {
    fn skip(&mut self, p: &scap::convert::Probe) -> bool {
        let would = match p.what {
            scap::convert::Probed::Syscall(nr) => Would::Syscall(nr),
            scap::convert::Probed::Switch => Would::Switch,
            scap::convert::Probed::Usage => Would::Usage,
        };
        let head = (p.ts, p.tid, p.pid, p.container);
        self.stream.skip_call(head, would, self.filter, self.shown)
    }
}
