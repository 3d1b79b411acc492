//! `casefile read`: print the events of a capture, sysdig style.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::bail;

use super::args::resolve;
use crate::cli::ReadArgs;
use crate::output::{Format, JsonSink, Sink, TextSink, format_arg};
use crate::replay::render::BufMode;
use crate::replay::session::Options;

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
    let mut session = r.session(Options {
        skip_blocks: !args.no_skip,
        buf_mode,
        ..Options::default()
    })?;
    let stdout = io::stdout();
    let out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut sink: Box<dyn Sink> = if r.json {
        Box::new(JsonSink::new(out, &format))
    } else {
        Box::new(TextSink::new(out, format, buf_mode))
    };
    let started = Instant::now();
    // A bar only when the events go elsewhere than the terminal (a file, a pipe).
    let bar = !std::io::IsTerminal::is_terminal(&io::stdout());
    r.each_event(&mut session, bar, |ctx| Ok(sink.event(ctx)?))?;
    sink.flush()?;
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
