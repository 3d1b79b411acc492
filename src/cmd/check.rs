//! `casefile check`: does a filter match anything in a capture? For CI pipelines.
//!
//! Exit status: 0 when nothing matches, 1 when something does (the first matches are printed),
//! 2 on any error (unreadable file, invalid filter).

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::bail;

use crate::cli::CheckArgs;
use crate::output::{DEFAULT_FORMAT, Format, Sink, TextSink};
use crate::replay::render::BufMode;
use crate::replay::session::{Flow, Options, Session};

/// Runs `casefile check`.
pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let (files, words) = super::read::files_and_words(&args.file, &args.words);
    let Some(filter) = super::read::filter_arg(args.filter.as_deref(), words)? else {
        bail!("check needs a filter (-f FILTER)");
    };
    let cap = super::open_all(&files)?;
    let mut session = Session::new(cap, Options::default())?;
    let stdout = io::stdout();
    let mut sink = TextSink::new(
        BufWriter::new(stdout.lock()),
        Format::parse(DEFAULT_FORMAT)?,
        BufMode::Dotted,
    );
    let mut shown = 0u64;
    session.run(Some(&filter), |ctx| -> anyhow::Result<Flow> {
        shown += 1;
        if shown > args.max_matches {
            return Ok(Flow::Stop);
        }
        sink.event(ctx)?;
        Ok(Flow::Continue)
    })?;
    sink.flush()?;
    if shown == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    let more = if shown > args.max_matches {
        format!(" (stopped after the first {})", args.max_matches)
    } else {
        String::new()
    };
    let _ = writeln!(
        io::stderr(),
        "casefile check: {} matching event{}{more} for: {}",
        shown.min(args.max_matches),
        if shown.min(args.max_matches) == 1 {
            ""
        } else {
            "s"
        },
        filter.text()
    );
    Ok(ExitCode::from(1))
}
