//! `casefile check`: does a filter match anything in a capture? For CI pipelines.
//!
//! Exit status: 0 when nothing matches and every capture is complete, sealed and intact (judged
//! as `verify` does, so "nothing matched" is a promise about the whole recording); 1 when
//! something matches (the first matches are printed); 2 on any error (unreadable file, invalid
//! filter), when a damaged block was skipped, or when nothing matched but a capture is not
//! proven whole (changed, cut or never sealed: its missing part might have matched).

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::bail;

use crate::cli::CheckArgs;
use crate::output::ordered::{Printer, print_parallel, splits};
use crate::output::{DEFAULT_FORMAT, Format, Sink, TextSink};
use crate::replay::render::BufMode;
use crate::replay::session::{Flow, Options};

/// Runs `casefile check`.
pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let r = super::args::resolve(&args.reading)?;
    let Some(filter) = r.filter.as_ref() else {
        bail!("check needs a filter (-f FILTER, or words after the files)");
    };
    let files = r.files.clone();
    let max_matches = r.count.unwrap_or(args.max_matches);
    let mut session = r.session(Options::default())?;
    let format = Format::parse(DEFAULT_FORMAT)?;
    let mut out = BufWriter::new(io::stdout().lock());
    // One past the events printed: whether there were more.
    let look = max_matches.saturating_add(1);
    let threads = super::args::threads(args.threads);
    let shown = if threads > 1 && splits(&session, &format, Some(filter)) {
        let printer = || Printer::Text(TextSink::new(Vec::new(), format.clone(), BufMode::Dotted));
        print_parallel(
            &mut session,
            (threads, Some(filter)),
            (Some(look), Some(max_matches)),
            &mut |_| Ok(()),
            &printer,
            &mut out,
        )?
    } else {
        let mut sink = TextSink::new(&mut out, format.clone(), BufMode::Dotted);
        let mut shown = 0u64;
        session.run(Some(filter), |ctx| -> anyhow::Result<Flow> {
            shown += 1;
            if shown > max_matches {
                return Ok(Flow::Stop);
            }
            sink.event(ctx)?;
            Ok(Flow::Continue)
        })?;
        sink.flush()?;
        shown
    };
    out.flush()?;
    if shown == 0 {
        return Ok(super::args::report_damage(session.damage(), whole(&files)));
    }
    let more = if shown > max_matches {
        format!(" (stopped after the first {max_matches})")
    } else {
        String::new()
    };
    let _ = writeln!(
        io::stderr(),
        "casefile check: {} matching event{}{more} for: {}",
        shown.min(max_matches),
        if shown.min(max_matches) == 1 { "" } else { "s" },
        filter.text()
    );
    Ok(super::args::report_damage(
        session.damage(),
        ExitCode::from(1),
    ))
}

/// 0 when every casefile capture among `files` is complete, sealed and intact; otherwise 2,
/// saying why on stderr. (A .scap has no seal to judge.)
fn whole(files: &[std::path::PathBuf]) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    for f in files {
        if crate::import::scap::is_scap(f).unwrap_or(false) {
            continue;
        }
        let why = match super::judge(f, &capture_format::verdict::Trust::default()) {
            Ok(v) if v.status == capture_format::verdict::Status::Intact => continue,
            Ok(v) => v
                .lines(&crate::timefmt::datetime_ms)
                .into_iter()
                .next()
                .unwrap_or_default(),
            Err(e) => format!("{e:#}"),
        };
        let _ = writeln!(
            io::stderr(),
            "casefile check: nothing matched, but {} is not proven whole, so what is missing \
             might have: {why}",
            f.display()
        );
        code = ExitCode::from(2);
    }
    code
}
