//! The arguments every reading command shares (read, check, top, ps, spy, echo, summary,
//! timeline, export, info, inspect, rules), flattened into each: capture files then filter
//! words, sysdig's `-r`, `-f`, `--from/--to`, `-M`, `-n`, `-j`, `--tz`, `-t`, `-q`, `--color`.
//! `cmd::args::resolve` turns them into files, a filter and a time range once for all.

use std::path::PathBuf;

/// When to colour output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// What every reading command takes.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Reading {
    /// Capture files (casefile or sysdig .scap; several are merged: the pieces of a rotated
    /// recording continue each other, other captures become hosts), then the filter as
    /// trailing words, as sysdig takes it (`cap.case proc.name=bash and fd.num>2`). After the
    /// first file, words that name existing files are files; with -r every word is filter.
    #[arg(num_args = 0.., allow_negative_numbers = true, value_name = "FILE.. FILTER")]
    pub words: Vec<String>,
    /// Read this capture (sysdig's -r); repeat for several.
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Vec<PathBuf>,
    /// Only events matching this filter (sysdig/Falco syntax, see casefile-filter(7)); or give
    /// it as trailing words.
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    pub filter: Option<String>,
    /// Start at this time: any time casefile prints (`00:02:36`, `2026-12-04 00:02:36`,
    /// RFC 3339, with or without a zone), a date, epoch seconds or ns, or relative (`+30s`
    /// after the first event, `-5m` before the last).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Stop at this time (same forms as --from).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Stop SECS seconds after the first event (sysdig's -M; --to +SECS).
    #[arg(short = 'M', value_name = "SECS", conflicts_with = "to")]
    pub max_secs: Option<f64>,
    /// Stop after this many events or rows (0 prints none).
    #[arg(short = 'n', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Print JSON.
    #[arg(short = 'j', long = "json")]
    pub json: bool,
    /// Time zone for printing and for times given without one: UTC, local, or an IANA name
    /// (Europe/Berlin). Default: local on a terminal, UTC otherwise.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Timestamps of the default line as sysdig's -t: h time of day, a absolute (epoch
    /// seconds), r relative to the first event, d syscall latency, D delta from the previous
    /// event printed.
    #[arg(short = 't', long = "timestamps", value_name = "h|a|r|d|D")]
    pub time_mode: Option<String>,
    /// No progress on stderr.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Colour: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}
