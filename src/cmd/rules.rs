//! `casefile rules`: run Falco rules files over captures and print the alerts as Falco does.
//!
//! Glue: read the rules files, compile them into a [`Ruleset`] (on a thread with a large
//! stack, since the filter parser descends recursively into long conditions), and replay the
//! captures once. The union of all rules decides which blocks to skip from their summaries;
//! each event read goes to the rules that can match its type, in load order, and the first
//! that matches fires (every one with `--all-matches`): [`Matcher`], which `casefile inspect`
//! uses too.
//!
//! Exit status: 1 when any rule fired, 0 when none did, 2 on errors.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};

use crate::cli::{RuleArgs, RulesArgs};
use crate::replay::session::{Flow, Options, Session};
use crate::rules::{self, Matcher, Priority, Ruleset, Selection, alert};

/// Stack for compiling rules: conditions of a few hundred KiB nest `and`s thousands deep.
const COMPILE_STACK: usize = 256 << 20;

/// The rules files to read: each path, or the `.yaml`/`.yml` files of a directory by name.
pub(crate) fn rules_files(paths: &[PathBuf]) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for p in paths {
        let mut files = Vec::new();
        if p.is_dir() {
            for e in std::fs::read_dir(p).with_context(|| format!("reading {}", p.display()))? {
                let path = e?.path();
                if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                    files.push(path);
                }
            }
            files.sort();
        } else {
            files.push(p.clone());
        }
        for f in files {
            let text = std::fs::read_to_string(&f)
                .with_context(|| format!("reading rules file {}", f.display()))?;
            out.push((f.display().to_string(), text));
        }
    }
    Ok(out)
}

/// The rules the flags select.
pub(crate) fn selection(args: &RuleArgs) -> anyhow::Result<Selection> {
    let min_priority = match &args.min_priority {
        None => None,
        Some(p) => Some(Priority::parse(p).ok_or_else(|| {
            anyhow!(
                "unknown priority '{p}' (emergency, alert, critical, error, warning, notice, \
                 informational, debug)"
            )
        })?),
    };
    Ok(Selection {
        tags: args.tags.clone(),
        disable_tags: args.disable_tags.clone(),
        disable_names: args.disable.clone(),
        min_priority,
        skip_unsupported: args.skip_unsupported,
    })
}

/// Compiles the rules on a thread with a stack large enough for any accepted condition.
pub(crate) fn compile(files: Vec<(String, String)>, sel: Selection) -> anyhow::Result<Ruleset> {
    let handle = std::thread::Builder::new()
        .name("rules-compile".into())
        .stack_size(COMPILE_STACK)
        .spawn(move || rules::compile(&files, &sel))
        .context("starting the rules compiler")?;
    match handle.join() {
        Ok(r) => Ok(r?),
        Err(_) => bail!("the rules compiler failed"),
    }
}

/// Reads, compiles and reports on the rules the flags name: loading warnings, skipped rules
/// and rules with unknown output fields go to stderr; a file that cannot be used is an error.
pub(crate) fn load(args: &RuleArgs) -> anyhow::Result<Ruleset> {
    let files = rules_files(&args.rules)?;
    let set = compile(files, selection(args)?)?;
    let mut err = io::stderr().lock();
    for w in &set.warnings {
        writeln!(err, "casefile: warning: {w}")?;
    }
    if !set.skipped.is_empty() {
        writeln!(
            err,
            "casefile: warning: {} rule{} skipped: {} what casefile cannot evaluate:",
            set.skipped.len(),
            if set.skipped.len() == 1 { "" } else { "s" },
            if set.skipped.len() == 1 {
                "it uses"
            } else {
                "they use"
            }
        )?;
        for s in &set.skipped {
            writeln!(err, "  {s}")?;
        }
    }
    for p in &set.partial {
        writeln!(err, "casefile: warning: {p}; shown as <NA>")?;
    }
    Ok(set)
}

/// Runs `casefile rules`.
pub fn run(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    let set = load(&args.load)?;
    let cap = super::open_all(&args.files)?;
    let total_events = cap.event_count();
    let mut counts: HashMap<usize, u64> = HashMap::new();
    let mut alerts = 0u64;
    let mut stats = None;
    if !set.rules.is_empty() {
        let opts = Options {
            skip_blocks: !args.no_skip,
            ..Options::default()
        };
        let mut session = Session::new(cap, opts)?;
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
        let mut line = String::with_capacity(512);
        let mut matcher = Matcher::new(&set, args.load.all_matches);
        session.run_blocks(set.any.as_ref(), |ctx| -> anyhow::Result<Flow> {
            matcher.event(&set, ctx, |i, ctx| -> anyhow::Result<()> {
                let rule = &set.rules[i];
                line.clear();
                if args.json {
                    alert::json_line(rule, ctx, &mut line);
                } else {
                    alert::text_line(rule, ctx, &mut line);
                }
                line.push('\n');
                out.write_all(line.as_bytes())?;
                *counts.entry(i).or_default() += 1;
                alerts += 1;
                Ok(())
            })?;
            Ok(Flow::Continue)
        })?;
        out.flush()?;
        stats = Some(session.stats());
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
    Ok(if alerts > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
