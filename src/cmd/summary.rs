//! `casefile summary`: the overview, Sysdig Inspect's tiles as totals and time series.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;

use super::args::{progress_printer, resolve};
use crate::cli::SummaryArgs;
use crate::views::eval::{Cell, Control, Progress, display};
use crate::views::overview::{Category, run_overview, sparkline};

/// Runs `casefile summary`.
pub fn run(args: &SummaryArgs) -> anyhow::Result<ExitCode> {
    let r = resolve(&args.reading)?;
    let mut s = r.session(crate::replay::session::Options::default())?;
    // The index's sections decode on every core.
    s.set_threads(super::args::threads(None));
    let mut pp = progress_printer(r.progress);
    let mut ctl = Control {
        progress: pp.as_mut().map(|p| p as &mut dyn FnMut(Progress)),
        cancel: None,
    };
    let sum = run_overview(
        &mut s,
        r.filter_text.as_deref(),
        usize::from(args.buckets),
        &mut ctl,
    )
    .with_context(|| format!("summarising {}", r.describe()))?;
    let stdout = io::stdout();
    let tty = stdout.is_terminal();
    let mut out = BufWriter::new(stdout.lock());
    if r.json {
        serde_json::to_writer(&mut out, &sum)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(super::args::report_damage(s.damage(), ExitCode::SUCCESS));
    }
    let t0 = crate::timefmt::datetime_zoned(sum.from);
    let t1 = crate::timefmt::datetime_zoned(sum.to);
    writeln!(
        out,
        "{} events from {t0} to {t1}, {} buckets of {}",
        sum.events,
        sum.buckets,
        crate::views::eval::human_ns(sum.bucket_ns as i64)
    )?;
    let name_w = sum.tiles.iter().map(|t| t.name.len()).max().unwrap_or(0);
    for cat in Category::ALL {
        let tiles: Vec<_> = sum.tiles.iter().filter(|t| t.category == cat).collect();
        if tiles.is_empty() {
            continue;
        }
        writeln!(out, "\n{}", cat.title())?;
        for t in tiles {
            let total = display(&Cell::Num(t.total), t.unit);
            let drill = match t.target_filter {
                Some(f) => format!("{} -f '{f}'", t.target),
                None => t.target.to_owned(),
            };
            if tty {
                writeln!(
                    out,
                    "  {:name_w$}  {total:>8}  {}  → {drill}",
                    t.name,
                    sparkline(&t.series)
                )?;
            } else {
                let series: Vec<String> = t.series.iter().map(i64::to_string).collect();
                writeln!(
                    out,
                    "  {:name_w$}  {total:>8}  [{}]  → {drill}",
                    t.name,
                    series.join(" ")
                )?;
            }
        }
    }
    out.flush()?;
    Ok(super::args::report_damage(s.damage(), ExitCode::SUCCESS))
}
