//! Argument resolution shared by the subcommands: capture files and filter words, `-f`,
//! `--from/--to`, the replay session over a selection, progress on stderr, rules files. The
//! subcommand modules are glue and never import each other; what two of them need lives here
//! (or in the parent `cmd` module, for opening and judging captures).

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};

use crate::cli::{RuleArgs, SelectArgs};
use crate::filter::{self, Filter};
use crate::replay::fields::{Field, Fields};
use crate::replay::render::parse_rfc3339;
use crate::replay::session::{Options, Session};
use crate::rules::{self, Priority, Ruleset, Selection};
use crate::views::eval::{Control, Progress, Table, run_view};

/// The capture files and filter words of `read FILE [FILE..] [FILTER WORDS]`: the words after
/// the first file that name existing files are files too, up to the first that does not.
pub fn files_and_words<'a>(file: &Path, words: &'a [String]) -> (Vec<PathBuf>, &'a [String]) {
    let n = words.iter().take_while(|w| Path::new(w).is_file()).count();
    let mut files = vec![file.to_path_buf()];
    files.extend(words[..n].iter().map(PathBuf::from));
    (files, &words[n..])
}

/// The filter from `-f` or trailing words, compiled; `None` when neither is given.
pub fn filter_arg(flag: Option<&str>, words: &[String]) -> anyhow::Result<Option<Filter<Field>>> {
    let text = match (flag, words.is_empty()) {
        (Some(_), false) => bail!("give the filter either with -f or as trailing words, not both"),
        (Some(f), true) => f.to_owned(),
        (None, false) => words.join(" "),
        (None, true) => return Ok(None),
    };
    Ok(Some(filter::compile(&text, &Fields)?))
}

/// The `--from`/`--to` pair, parsed (see [`parse_time`]); an empty range is refused rather
/// than answered with nothing.
pub fn time_args(
    from: Option<&str>,
    to: Option<&str>,
    range: (u64, u64),
) -> anyhow::Result<(Option<u64>, Option<u64>)> {
    let from_ns = from.map(|t| parse_time(t, range)).transpose()?;
    let to_ns = to.map(|t| parse_time(t, range)).transpose()?;
    if let (Some(f), Some(t)) = (from_ns, to_ns)
        && f > t
    {
        bail!(
            "--from {} is after --to {}: no time is in both",
            from.unwrap_or_default(),
            to.unwrap_or_default()
        );
    }
    Ok((from_ns, to_ns))
}

/// Parses a --from/--to time: RFC 3339, epoch nanoseconds, `+DUR` after the first event or
/// `-DUR` before the last one.
pub fn parse_time(s: &str, range: (u64, u64)) -> anyhow::Result<u64> {
    let dur = |d: &str| -> anyhow::Result<u64> {
        let split = d
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(d.len());
        let (num, unit) = d.split_at(split);
        let n: f64 = num.parse().with_context(|| format!("bad duration '{d}'"))?;
        let scale = match unit {
            "ns" => 1.0,
            "us" => 1e3,
            "ms" => 1e6,
            "s" | "" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => bail!("bad duration unit '{unit}' in '{d}' (use ns, us, ms, s, m or h)"),
        };
        Ok((n * scale) as u64)
    };
    if let Some(d) = s.strip_prefix('+') {
        return Ok(range.0.saturating_add(dur(d)?));
    }
    if let Some(d) = s.strip_prefix('-') {
        return Ok(range.1.saturating_sub(dur(d)?));
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().with_context(|| format!("bad time '{s}'"));
    }
    parse_rfc3339(s).with_context(|| {
        format!("bad time '{s}': use RFC 3339 (2026-01-01T00:00:00Z), epoch ns, +2s or -500ms")
    })
}

/// A replay session over `files` (merged when several) limited to the selection's time range.
pub fn session(files: &[PathBuf], select: &SelectArgs) -> anyhow::Result<Session> {
    let cap = super::open_all(files)?;
    let range = cap.time_range().unwrap_or((0, 0));
    let (from, to) = time_args(select.from.as_deref(), select.to.as_deref(), range)?;
    let opts = Options {
        from,
        to,
        ..Options::default()
    };
    Ok(Session::new(cap, opts)?)
}

/// A progress line on stderr when it is a terminal (cleared at the end).
pub fn progress_printer() -> Option<impl FnMut(Progress)> {
    let err = io::stderr();
    if !err.is_terminal() {
        return None;
    }
    Some(move |p: Progress| {
        let mut e = io::stderr().lock();
        if p.fraction >= 1.0 {
            let _ = write!(e, "\r\x1b[K");
        } else {
            let _ = write!(e, "\r{:3.0}% {} events", p.fraction * 100.0, p.events);
        }
        let _ = e.flush();
    })
}

/// Runs a view with progress on stderr.
pub fn run_with_progress(
    spec: &'static crate::views::spec::ViewSpec,
    session: &mut Session,
    filter: Option<&str>,
) -> anyhow::Result<Table> {
    let mut pp = progress_printer();
    let mut ctl = Control {
        progress: pp.as_mut().map(|p| p as &mut dyn FnMut(Progress)),
        cancel: None,
    };
    Ok(run_view(spec, session, filter, &mut ctl)?)
}

/// Stack for compiling rules: conditions of a few hundred KiB nest `and`s thousands deep.
const COMPILE_STACK: usize = 256 << 20;

/// The rules files to read: each path, or the `.yaml`/`.yml` files of a directory by name.
pub fn rules_files(paths: &[PathBuf]) -> anyhow::Result<Vec<(String, String)>> {
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
pub fn selection(args: &RuleArgs) -> anyhow::Result<Selection> {
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
pub fn compile(files: Vec<(String, String)>, sel: Selection) -> anyhow::Result<Ruleset> {
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
pub fn load_rules(args: &RuleArgs) -> anyhow::Result<Ruleset> {
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

/// The current time, ns since the epoch.
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_absolute_and_relative() {
        let r = (1_000_000_000_000, 2_000_000_000_000);
        assert_eq!(parse_time("+2s", r).expect("ok"), 1_002_000_000_000);
        assert_eq!(parse_time("-500ms", r).expect("ok"), 1_999_500_000_000);
        assert_eq!(parse_time("+1.5us", r).expect("ok"), 1_000_000_001_500);
        assert_eq!(parse_time("12345", r).expect("ok"), 12345);
        assert_eq!(
            parse_time("1970-01-01T00:16:40Z", r).expect("ok"),
            1_000_000_000_000
        );
        assert!(parse_time("+2 parsecs", r).is_err());
        assert!(parse_time("soon", r).is_err());
    }
}
