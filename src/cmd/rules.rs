//! `casefile rules`: run Falco rules files over captures and print the alerts as Falco does.
//!
//! Glue: read the rules files, compile them into a [`crate::rules::Ruleset`] (on a thread with
//! a large stack, since the filter parser descends recursively into long conditions), and
//! replay the captures once, on every core when the rules allow. The union of all rules decides
//! which blocks to skip from their summaries; each event read goes to the rules that can match
//! its type, in load order, and the first that matches fires (every one with `--all-matches`):
//! [`crate::rules::Matcher`], which `casefile inspect` uses too.
//!
//! Exit status: 1 when any rule fired, 0 when none did, 2 on errors.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use crate::cli::RulesArgs;
use crate::replay::parallel::{SegmentSink, Take};
use crate::replay::session::{Flow, Options};
use crate::rules::alert::{AlertChunk, SegmentAlerts};

/// Runs `casefile rules`.
pub fn run(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    let r = super::args::resolve(&args.reading)?;
    r.no_filter("rules")?;
    let set = super::args::load_rules(&args.load)?;
    let opened = r.open()?;
    let latency = super::args::has_latency(&opened.cap);
    for rule in &set.rules {
        super::args::answerable(latency, &format!("rule '{}'", rule.name), &rule.filter)?;
    }
    let total_events = opened.cap.event_count();
    let mut damage = opened.damage.clone();
    let mut counts: HashMap<usize, u64> = HashMap::new();
    let mut alerts = 0u64;
    let mut stats = None;
    if !set.rules.is_empty() {
        let opts = Options {
            skip_blocks: !args.no_skip,
            ..Options::default()
        };
        let mut session = r.session_of(opened, opts)?;
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
        let threads = super::args::threads(args.threads);
        let new = || SegmentAlerts::new(&set, args.load.all_matches, r.json);
        // The alert lines of a piece of the run, printed, and their rules counted.
        let mut take = |c: AlertChunk| -> anyhow::Result<()> {
            out.write_all(&c.bytes)?;
            for i in c.fired {
                *counts.entry(i).or_default() += 1;
                alerts += 1;
            }
            Ok(())
        };
        if threads > 1 && session.can_split(set.any.as_ref()) && !set.needs_order() {
            session.run_parallel_blocks(threads, set.any.as_ref(), &new, |_, c| {
                take(c)?;
                Ok(Take::All)
            })?;
        } else {
            let mut seg = new();
            session.run_blocks(set.any.as_ref(), |ctx| -> anyhow::Result<Flow> {
                seg.event(ctx)?;
                if seg.full()
                    && let Some(c) = seg.block_done()
                {
                    take(c)?;
                }
                Ok(Flow::Continue)
            })?;
            if let Some(c) = seg.segment_done() {
                take(c)?;
            }
        }
        out.flush()?;
        stats = Some(session.stats());
        damage = session.damage().clone();
    }
    let mut err = io::stderr().lock();
    let skipped_note = if set.skipped.is_empty() {
        String::new()
    } else {
        format!(", {} skipped as unsupported", set.skipped.len())
    };
    let blocks = stats.map_or(String::new(), |s| {
        format!(
            "; {} block{} read, {} skipped by their summaries",
            s.blocks_evaluated,
            if s.blocks_evaluated == 1 { "" } else { "s" },
            s.blocks_skipped
        )
    });
    writeln!(
        err,
        "casefile rules: {alerts} alert{} from {} rule{} of {} run ({} defined, {} not selected{skipped_note}); {total_events} events{blocks}",
        if alerts == 1 { "" } else { "s" },
        counts.len(),
        if counts.len() == 1 { "" } else { "s" },
        set.rules.len(),
        set.defined,
        set.not_selected,
    )?;
    let mut fired: Vec<(usize, u64)> = counts.into_iter().collect();
    fired.sort_by_key(|&(i, n)| (std::cmp::Reverse(n), i));
    for (i, n) in fired {
        let r = &set.rules[i];
        writeln!(err, "  {n:>8}  {:<13}  {}", r.priority.name(), r.name)?;
    }
    drop(err);
    let code = if alerts > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    Ok(super::args::report_damage(&damage, code))
}
