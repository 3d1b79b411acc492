//! `casefile read`: print the events of a capture, sysdig style.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::cli::ReadArgs;
use crate::filter::{self, Filter};
use crate::output::{Format, JsonSink, Sink, TextSink, format_arg};
use crate::replay::fields::{Field, Fields};
use crate::replay::render::{BufMode, parse_rfc3339};
use crate::replay::session::{Flow, Options, Session};

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
