//! `casefile merge`: several hosts' captures in one timeline. The work is in
//! [`crate::fleet::merge`]; this prints what it found and did.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use capture_format::{Writer, WriterOptions};

use crate::cli::MergeArgs;
use crate::fleet::clock::ms;
use crate::fleet::merge;
use crate::outfile::NewFile;

/// Runs `casefile merge`.
pub fn run(args: &MergeArgs) -> anyhow::Result<ExitCode> {
    crate::output::progress::set_quiet(args.quiet);
    crate::outfile::check_free(&args.output, args.force)?;
    let inputs = super::open_inputs(&args.files)?;
    let mut hosts = merge::plan(&inputs)?;
    if args.no_clock_correction {
        for h in &mut hosts {
            h.boot_ns = h.boot_ns.saturating_add_signed(-h.offset_ns);
            h.offset_ns = 0;
            h.offset_basis = "none: --no-clock-correction".into();
        }
    }
    let mut err = std::io::stderr().lock();
    for h in &hosts {
        writeln!(
            err,
            "host {} {} ({}): clock correction {}: {}",
            h.index,
            h.hostname,
            h.source,
            ms(h.offset_ns),
            h.offset_basis
        )?;
    }
    let info = merge::header(&inputs, &hosts, super::args::now_ns());
    // Written under a temporary name and renamed onto the output when complete.
    let target = NewFile::create(&args.output, args.force)?;
    let mut w = Writer::new(target.file()?, &info, WriterOptions::default())
        .with_context(|| format!("writing {}", args.output.display()))?;
    crate::views::aggregate::attach(&mut w, &info)?;
    let bar = crate::output::progress::busy(&format!("merging into {}", args.output.display()));
    let merged = merge::merge(&inputs, &hosts, &mut w);
    bar.finish_and_clear();
    let stats = merged?;
    w.finish()
        .with_context(|| format!("writing {}", args.output.display()))?;
    target.commit()?;
    let per_host: Vec<String> = hosts
        .iter()
        .zip(&stats.per_host)
        .map(|(h, n)| format!("{} {n}", h.hostname))
        .collect();
    writeln!(
        err,
        "merged {} events from {} hosts ({}) into {}; {} keyframes{}{}",
        stats.events,
        hosts.len(),
        per_host.join(", "),
        args.output.display(),
        stats.keyframes + 1,
        if stats.damaged_blocks > 0 {
            format!("; {} damaged blocks skipped", stats.damaged_blocks)
        } else {
            String::new()
        },
        if stats.out_of_order > 0 {
            format!(
                "; {} events were out of time order in their input",
                stats.out_of_order
            )
        } else {
            String::new()
        },
    )?;
    drop(err);
    Ok(super::args::report_damage(&stats.damage, ExitCode::SUCCESS))
}
