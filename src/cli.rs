//! Command-line definitions. The single source for `--help`, the man pages and completions.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Forensics capture and replay for Linux hosts that run containers.
#[derive(Debug, Parser)]
#[command(name = "casefile", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands. Each has its module under `cmd/`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Describe a capture: version, host, time range, events, chunks, sizes, loss, integrity.
    Info(InfoArgs),
    /// Print the events of a capture, sysdig style, optionally filtered.
    Read(ReadArgs),
    /// Exit 1 when a filter matches any event of a capture, 0 when none does (for CI).
    Check(CheckArgs),
    /// List the fields that filters and -p formats can use.
    Fields(FieldsArgs),
    /// Recompute a capture's hash chain and check its signature (exit 0 intact, 1 changed).
    Verify(VerifyArgs),
    /// Make an ed25519 key pair for signing captures.
    Keygen(KeygenArgs),
    /// Write a capture's events to a new file, optionally redacted for sharing.
    Export(ExportArgs),
    /// Convert a sysdig/Falco .scap capture (plain or gzip) into a casefile capture.
    Import(ImportArgs),
    /// Merge captures of several hosts into one timeline, correcting clock offsets.
    Merge(MergeArgs),
    /// Write the man pages (generated from these definitions) into a directory.
    #[command(hide = true)]
    Man(ManArgs),
}

/// `casefile man` (hidden; used to regenerate `man/`).
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Directory to write `casefile.1` and `casefile-*.1` into.
    pub dir: PathBuf,
}

/// `casefile info`.
#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// Capture file to describe.
    pub file: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Skip walking the hash chain (it reads every block once; nothing is decompressed).
    #[arg(long)]
    pub no_verify: bool,
}

/// `casefile verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Capture file to check.
    pub file: PathBuf,
    /// Public key file (from `casefile keygen`) the capture must be signed with.
    #[arg(long, value_name = "KEY.pub")]
    pub pubkey: Option<PathBuf>,
}

/// `casefile keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Private key file to write; the public key goes to the same name with `.pub` added.
    #[arg(short = 'o', long = "out", value_name = "KEY")]
    pub out: PathBuf,
    /// Overwrite existing key files.
    #[arg(long)]
    pub force: bool,
}

/// Output formats of `casefile export`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// A new casefile capture (verifiable; records any redaction in its header).
    Case,
    /// A directory of Parquet files (part-00000.parquet, ...), one row per event with the
    /// schema documented in docs/parquet-schema.md.
    Parquet,
    /// JSON lines: the objects `casefile read --json` prints.
    Jsonl,
}

/// `casefile export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Capture to export.
    pub file: PathBuf,
    /// Output file (a directory for --format parquet; `-` is stdout for --format jsonl).
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    pub out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "case")]
    pub format: ExportFormat,
    /// Drop payload snippets and environments (and hash the fields given with --hash).
    #[arg(long)]
    pub redact: bool,
    /// With --redact: replace this field by a salted digest (proc.args, proc.cwd, proc.exe,
    /// fd.name, fd.ip, user.name, container.label). Repeat for several.
    #[arg(long, value_name = "FIELD")]
    pub hash: Vec<String>,
    /// Salt for --hash, so that several exports hash alike (default: random per export).
    #[arg(long)]
    pub salt: Option<String>,
    /// Sign the exported capture with this private key (from `casefile keygen`).
    #[arg(long, value_name = "KEY")]
    pub sign_key: Option<PathBuf>,
}

/// `casefile merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Captures to merge (casefile or .scap), one per host; the first one's clock is the
    /// reference.
    #[arg(required = true, num_args = 1.., value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The merged capture to write (created with mode 0600).
    #[arg(short = 'w', long = "write", value_name = "OUT.case")]
    pub output: PathBuf,
    /// Keep every host's clock as recorded instead of correcting it from TCP connections seen
    /// on both sides.
    #[arg(long)]
    pub no_clock_correction: bool,
}

/// `casefile import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The .scap file to read (plain or gzip-compressed).
    pub file: PathBuf,
    /// The capture file to write (created with mode 0600).
    #[arg(short = 'w', long = "write", value_name = "FILE.case")]
    pub output: PathBuf,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `casefile read`.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// Capture file to read.
    pub file: PathBuf,
    /// Filter in sysdig/Falco syntax, e.g. `proc.name=nginx and fd.name contains /etc`
    /// (see casefile-filter(7)).
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    pub filter: Option<String>,
    /// Output format with %field tokens, e.g. `%evt.num %proc.name %fd.name`. A leading `*`
    /// prints events even when some fields have no value. `-pc` and `-pk` add the container
    /// or the Kubernetes pod to the default line.
    #[arg(short = 'p', long = "print", value_name = "FORMAT")]
    pub format: Option<String>,
    /// Print one JSON object per event.
    #[arg(short = 'j', long)]
    pub json: bool,
    /// Stop after printing this many events.
    #[arg(short = 'n', long, value_name = "N")]
    pub count: Option<u64>,
    /// Print buffers as ASCII text, keeping newlines.
    #[arg(short = 'A', long = "print-ascii", conflicts_with = "hex")]
    pub ascii: bool,
    /// Print buffers as hex and ASCII, under each event.
    #[arg(short = 'X', long = "print-hex-ascii")]
    pub hex: bool,
    /// Start at this time: RFC 3339, epoch nanoseconds, or relative (`+2s` from the start,
    /// `-500ms` from the end).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Stop at this time (same forms as --from).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Decode every block, even those whose summary excludes the filter (for measurement).
    #[arg(long)]
    pub no_skip: bool,
    /// Print counters (blocks skipped, events evaluated and matched, rate) on stderr at the end.
    #[arg(long)]
    pub stats: bool,
    /// Filter given as trailing words, as sysdig takes it (joined with spaces).
    #[arg(trailing_var_arg = true, value_name = "FILTER WORDS")]
    pub words: Vec<String>,
}

/// `casefile check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Capture file to check.
    pub file: PathBuf,
    /// Filter that must not match (sysdig/Falco syntax).
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    pub filter: Option<String>,
    /// Print at most this many matching events, then stop.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_matches: u64,
    /// Filter given as trailing words.
    #[arg(trailing_var_arg = true, value_name = "FILTER WORDS")]
    pub words: Vec<String>,
}

/// `casefile fields`.
#[derive(Debug, clap::Args)]
pub struct FieldsArgs {
    /// Only fields whose name starts with this (e.g. `fd` or `proc.a`).
    pub prefix: Option<String>,
    /// Print the casefile-filter(7) man page (the language and every field) instead.
    #[arg(long, conflicts_with = "prefix")]
    pub man: bool,
}
