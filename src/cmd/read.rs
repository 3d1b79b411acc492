//! `casefile read`: print the events of a capture, sysdig style.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use super::args::{files_and_words, filter_arg, time_args};
use crate::cli::ReadArgs;
use crate::output::{Format, JsonSink, Sink, TextSink, format_arg};
use crate::replay::render::BufMode;
use crate::replay::session::{Flow, Options, Session};

/// Runs `casefile read`.
pub fn run(args: &ReadArgs) -> anyhow::Result<ExitCode> {
    let (files, words) = files_and_words(&args.file, &args.words);
    let filter = filter_arg(args.filter.as_deref(), words)?;
    let format = Format::parse(format_arg(args.format.as_deref()))?;
    let cap = crate::cmd::open_all(&files)?;
    let range = cap.time_range().unwrap_or((0, 0));
    let buf_mode = if args.hex {
        BufMode::Hex
    } else if args.ascii {
        BufMode::Ascii
    } else {
        BufMode::Dotted
    };
    let (from, to) = time_args(args.from.as_deref(), args.to.as_deref(), range)?;
    let opts = Options {
        skip_blocks: !args.no_skip,
        from,
        to,
        buf_mode,
    };
    let mut session = Session::new(cap, opts)?;
    let stdout = io::stdout();
    let out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut sink: Box<dyn Sink> = if args.json {
        Box::new(JsonSink::new(out, &format))
    } else {
        Box::new(TextSink::new(out, format, buf_mode))
    };
    let started = Instant::now();
    let mut printed = 0u64;
    session.run(filter.as_ref(), |ctx| -> anyhow::Result<Flow> {
        sink.event(ctx)?;
        printed += 1;
        Ok(if args.count.is_some_and(|n| printed >= n) {
            Flow::Stop
        } else {
            Flow::Continue
        })
    })?;
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
    Ok(ExitCode::SUCCESS)
}
