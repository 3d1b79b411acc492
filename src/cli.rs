//! Command-line definitions. The single source for `--help`, the man pages and completions.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

mod reading;
pub mod sysdig;
pub use reading::{ColorWhen, Reading};

/// Forensics capture and replay for Linux hosts that run containers.
#[derive(Debug, Parser)]
#[command(
    name = "casefile",
    version,
    long_version = long_version(),
    about,
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `--version`: the release, the commit it was built from, the capture format and record
/// schema it writes, and the probe it loads (the hash of its sources).
pub fn long_version() -> String {
    format!(
        "{} (commit {}, capture format v{}, record schema v{}, probe {})",
        env!("CARGO_PKG_VERSION"),
        env!("CASEFILE_COMMIT"),
        capture_format::FORMAT_VERSION,
        capture_format::schema::SCHEMA_VERSION,
        env!("CASEFILE_PROBE")
    )
}

/// Subcommands. Each has its module under `cmd/`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Describe a capture: version, host, time range, events, chunks, sizes, loss, integrity.
    #[command(after_long_help = INFO_EXIT)]
    Info(InfoArgs),
    /// Print the events of a capture, sysdig style, optionally filtered.
    #[command(after_long_help = sysdig::accepted_help())]
    Read(ReadArgs),
    /// Exit 1 when a filter matches any event of a capture, 0 when none does (for CI).
    #[command(after_long_help = CHECK_EXIT)]
    Check(CheckArgs),
    /// List the fields that filters and -p formats can use.
    Fields(FieldsArgs),
    /// Record system calls, processes, files, network and containers into a capture (root).
    Record(RecordArgs),
    /// Judge a capture's integrity: 0 complete and intact, 1 changed, 2 unreadable, 3 intact
    /// but not sealed (a crashed or cut recording).
    #[command(after_long_help = VERIFY_EXIT)]
    Verify(VerifyArgs),
    /// Make an ed25519 key pair for signing captures, or a forward-secure sealing key.
    Keygen(KeygenArgs),
    /// Write a capture's events to a new file, optionally redacted for sharing.
    Export(ExportArgs),
    /// Aggregate a capture into one of csysdig's views (procs, files, connections, errors, ...).
    #[command(after_long_help = TOP_PERCENTILES)]
    Top(TopArgs),
    /// List the processes of a capture, or their tree with --tree, with each one's execs.
    Ps(PsArgs),
    /// Show interactive commands: programs run from a shell, with user, time, cwd and argv.
    Spy(SpyArgs),
    /// Print the I/O streams of the selected fds, reassembled per fd, both directions in order.
    Echo(EchoArgs),
    /// Print the overview (Sysdig Inspect's tiles) as totals and time series.
    Summary(SummaryArgs),
    /// Convert a sysdig/Falco .scap capture (plain or gzip) into a casefile capture.
    Import(ImportArgs),
    /// What each container did: start, programs run, files written, connections, privilege
    /// changes, errors, exit; from the capture alone.
    Timeline(TimelineArgs),
    /// Explore a capture in a terminal UI: overview tiles, views, drill-down, echo and dig.
    Inspect(InspectArgs),
    /// Merge captures of several hosts into one timeline, correcting clock offsets.
    Merge(MergeArgs),
    /// Run Falco rules files over captures and print the alerts as Falco does (exit 1 when any
    /// rule fires, for CI).
    Rules(RulesArgs),
    /// Ask a flight recorder (`record --keep`) to write its window now, as SIGUSR1 does.
    Trigger(TriggerArgs),
    /// Record and view at once: events as `read` prints them, a `top` view or the `inspect`
    /// UI, refreshed each second from the blocks written so far (root).
    Live(LiveArgs),
    /// Write the man pages (generated from these definitions) into a directory.
    #[command(hide = true)]
    Man(ManArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell), generated from
    /// the same definitions as --help and the man pages.
    #[command(
        after_long_help = "bash: casefile completions bash > /etc/bash_completion.d/casefile\n\
zsh: casefile completions zsh > \"${fpath[1]}/_casefile\"\n\
fish: casefile completions fish > ~/.config/fish/completions/casefile.fish"
    )]
    Completions(CompletionsArgs),
}

/// `casefile completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
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
    /// Files, filter and the options every reading command shares.
    #[command(flatten)]
    pub reading: Reading,
    /// Skip walking the hash chain (it reads every block once; nothing is decompressed).
    #[arg(long)]
    pub no_verify: bool,
}

const TOP_PERCENTILES: &str = "Percentiles (P50, P95, P99) are exact for a row of up to 256 \
values. Past that they come from a log-linear histogram (32 buckets per power of two), read as \
the middle of the bucket: within 1/64 (1.6%) of the exact value. A replay and the capture's \
index fill the same histogram, so both give the same number.";

const VERIFY_EXIT: &str = "Exit status (the worst over the files):\n  \
0  complete, sealed, every byte accounted for and unchanged (and sealed by the trusted key \
when --pubkey or --verify-key is given)\n  \
1  changed: a byte, a block added, removed or moved, bytes appended, a footer, signature or \
checkpoint that does not fit, a cut that --anchor or the trusted key proves\n  \
2  unreadable: not a capture, a .scap (no chain), or a key or anchor log that does not fit it\n  \
3  intact as far as it goes but not sealed: a recorder that crashed (or a cut nothing can tell \
from one); the report gives the time of the last intact event and how far the seals reach";

const INFO_EXIT: &str = "Exit status: as `casefile verify` (0 complete and intact, 1 changed, \
2 unreadable, 3 not sealed), unless --no-verify is given (then 0, 2 on error). A .scap has no \
chain and exits 0.";

const CHECK_EXIT: &str = "Exit status: 0 nothing matched and every capture is complete, sealed \
and intact (judged as `casefile verify` does); 1 something matched; 2 an error, a damaged block \
skipped, or nothing matched in a capture that is not proven whole (changed, cut or never \
sealed: what is missing might have matched).";

/// `casefile verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Capture files to check, each on its own (exit 1 when any has changed).
    #[arg(required = true, num_args = 1.., value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Public key file (from `casefile keygen`) the capture must be signed with.
    #[arg(long, value_name = "KEY.pub", conflicts_with = "verify_key")]
    pub pubkey: Option<PathBuf>,
    /// Forward-secure verification key (KEY.verify from `keygen --forward-secure`) the capture
    /// must be sealed with.
    #[arg(long, value_name = "KEY.verify")]
    pub verify_key: Option<PathBuf>,
    /// Anchor log the recorder wrote (`record --anchor`): the file must still reach its last
    /// anchored position, so a cut is caught even without keys.
    #[arg(long, value_name = "LOG")]
    pub anchor: Option<PathBuf>,
    /// No progress on stderr.
    #[arg(short = 'q', long)]
    pub quiet: bool,
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
    /// Make a forward-secure sealing key (KEY, for `record --seal-key`) and its verification
    /// key (KEY.verify, for `verify --verify-key`; keep it off the host) instead of ed25519.
    #[arg(long)]
    pub forward_secure: bool,
    /// With --forward-secure: how often the recorder steps the key, 1s to 60s.
    #[arg(long, default_value = "10s", value_parser = parse_duration, requires = "forward_secure")]
    pub epoch: Duration,
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
    /// Captures to export (several are merged first, as `casefile merge` merges them), the
    /// filter (only matching events are exported) and the time range.
    #[command(flatten)]
    pub reading: Reading,
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
    /// Replace an OUT that exists: a new file is written and renamed onto it (a symbolic link
    /// there is replaced, never followed). Without it an existing path is refused.
    #[arg(long)]
    pub force: bool,
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
    /// Replace an OUT.case that exists: a new file is written and renamed onto it (a symbolic link
    /// there is replaced, never followed). Without it an existing path is refused.
    #[arg(long)]
    pub force: bool,
    /// No progress on stderr.
    #[arg(short = 'q', long)]
    pub quiet: bool,
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
    /// Replace a FILE.case that exists: a new file is written and renamed onto it (a symbolic link
    /// there is replaced, never followed). Without it an existing path is refused.
    #[arg(long)]
    pub force: bool,
    /// No progress on stderr.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// `casefile read`.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// Files, filter and the options every reading command shares.
    #[command(flatten)]
    pub reading: Reading,
    /// Output format with %field tokens, e.g. `%evt.num %proc.name %fd.name`. A leading `*`
    /// prints events even when some fields have no value. `-pc` and `-pk` add the container
    /// or the Kubernetes pod to the default line.
    #[arg(short = 'p', long = "print", value_name = "FORMAT")]
    pub format: Option<String>,
    /// Print buffers as ASCII text, keeping newlines.
    #[arg(short = 'A', long = "print-ascii", conflicts_with = "hex")]
    pub ascii: bool,
    /// Print buffers as hex and ASCII, under each event.
    #[arg(short = 'X', long = "print-hex-ascii")]
    pub hex: bool,
    /// Decode every block, even those whose summary excludes the filter (for measurement).
    #[arg(long)]
    pub no_skip: bool,
    /// Print counters (blocks skipped, events evaluated and matched, rate) on stderr at the end.
    #[arg(long)]
    pub stats: bool,
    /// Run a sysdig chisel as the casefile view that answers the same question
    /// (topprocs_cpu, topfiles_bytes, topconns, spy_users, echo_fds, ...); `-c list` lists them.
    #[arg(short = 'c', long = "chisel", value_name = "CHISEL")]
    pub chisel: Option<String>,
    /// List the fields filters and -p can use (sysdig's -l; as `casefile fields`).
    #[arg(short = 'l', long = "list")]
    pub list_fields: bool,
    /// List the event types (sysdig's -L).
    #[arg(short = 'L', long = "list-events")]
    pub list_events: bool,
    /// sysdig's -s (bytes of each buffer to capture): a recording setting, `casefile record
    /// -s N`; a capture keeps what it was recorded with.
    #[arg(short = 's', value_name = "SNAPLEN", hide = true)]
    pub snaplen: Option<String>,
    /// Replay on N threads, one keyframe segment of the capture each, the output in order
    /// (default: every core; 1 reads on one thread). A .scap read directly is read, split and
    /// parsed on a thread of its own, ahead of the conversion.
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: Option<usize>,
}

/// `casefile check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files, filter and the options every reading command shares.
    #[command(flatten)]
    pub reading: Reading,
    /// Print at most this many matching events, then stop (also -n).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_matches: u64,
    /// Replay on N threads, one keyframe segment of the capture each, the output in order
    /// (default: every core; 1 reads on one thread).
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: Option<usize>,
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

/// `casefile top`.
#[derive(Debug, clap::Args)]
pub struct TopArgs {
    /// View id (see --list): procs, threads, containers, connections, sports, port_bindings,
    /// files, directories, io_by_type, slow_io, errors, procs_errors, syscalls, syscall_procs,
    /// spy_users, execs, incoming_connections, new_connections, file_opens.
    #[arg(required_unless_present = "list")]
    pub view: Option<String>,
    /// Files, filter and the options every reading command shares.
    #[command(flatten)]
    pub reading: Reading,
    /// Sort by this column (its header, case-insensitive); largest first unless --asc.
    #[arg(long, value_name = "COLUMN")]
    pub sort: Option<String>,
    /// Sort smallest first.
    #[arg(long)]
    pub asc: bool,
    /// Print at most this many rows (also -n).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// List the views instead.
    #[arg(long)]
    pub list: bool,
    /// Replay on N threads, one keyframe segment of the capture each, the output in order
    /// (default: every core; 1 reads on one thread).
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: Option<usize>,
}

/// `casefile ps`.
#[derive(Debug, clap::Args)]
pub struct PsArgs {
    /// Files, filter (only processes with a matching event are listed) and the options every reading command shares.
    #[command(flatten)]
    pub reading: Reading,
    /// Show the process tree (children under their parent).
    #[arg(long)]
    pub tree: bool,
}

/// `casefile spy`.
#[derive(Debug, clap::Args)]
pub struct SpyArgs {
    /// Files, filter and the options every reading command shares.
    #[command(flatten)]
    pub reading: Reading,
    /// Every executed program, not only those run from a shell.
    #[arg(long)]
    pub all: bool,
}

/// `casefile inspect`.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Keys: arrows, PgUp/PgDn, Home/End move; Enter opens a tile or drills \
                       into a row; Backspace goes back; e echo, d dig; / or F4 filter; F2 view \
                       picker; F9 or a header click sorts; Ctrl+F finds; [ ] and { } move the \
                       time range markers, t applies or clears the range (or drag on the \
                       timeline); Esc cancels a scan; ? or F1 help; q quits.\n\n\
                       With -r RULES.yaml (repeat for several; the same flags and loading as \
                       casefile rules) the Alerts view, from the Alerts tile or the view picker, \
                       shows one row per rule that fired: priority, count, first and last time, \
                       containers; the most severe first, then the most frequent. Enter on a \
                       rule lists the events that fired it with the alert text; Enter on one of \
                       those opens its process, c its container. A rules file that does not \
                       load stops inspect before it starts, with the message casefile rules \
                       gives; --skip-unsupported skips the rules casefile cannot evaluate.",
    mut_arg("read", |a| a.short(None)),
    mut_arg("time_mode", |a| a.short(None))
)]
pub struct InspectArgs {
    /// Capture files to explore (several are merged, as with every reading command).
    #[command(flatten)]
    pub reading: Reading,
    /// Falco rules for the Alerts view (loaded as `casefile rules` loads them).
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// `casefile echo`.
#[derive(Debug, clap::Args)]
pub struct EchoArgs {
    /// Files, filter (only reads and writes with a payload are shown) and the options every reading command shares.
    #[command(flatten)]
    pub reading: Reading,
    /// Printable ASCII only, newlines kept.
    #[arg(short = 'A', long = "print-ascii", conflicts_with = "hex")]
    pub ascii: bool,
    /// Hex and ASCII.
    #[arg(short = 'X', long = "print-hex-ascii")]
    pub hex: bool,
}

/// `casefile summary`.
#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    /// Files, filter and the options every reading command shares.
    #[command(flatten)]
    pub reading: Reading,
    /// Number of time buckets of each series.
    #[arg(long, value_name = "N", default_value_t = 40, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub buckets: u16,
}

/// `casefile timeline`.
#[derive(Debug, clap::Args)]
pub struct TimelineArgs {
    /// Files, filter (only matching events make the timeline) and the options every reading command shares.
    #[command(flatten)]
    pub reading: Reading,
    /// Only this container: an id prefix or a name.
    #[arg(long, value_name = "ID|NAME")]
    pub container: Option<String>,
    /// Show the container runtime's own setup (runc's mounts, mkdirs and chowns in the new
    /// container) line by line, instead of folded into one line with a count.
    #[arg(long)]
    pub runtime_setup: bool,
}

/// `casefile rules`.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Rules files are Falco's: list, macro and rule items, with append, override, \
                       exceptions, enabled, priority, tags and source (syscall). Alerts print as \
                       Falco prints them, with the event's time (UTC). Exit status: 1 when any \
                       rule fired, 0 when none did, 2 on errors (or when damaged blocks were \
                       skipped and nothing fired).",
    mut_arg("rules", |a| a.required(true)),
    mut_arg("read", |a| a.short(None)),
    mut_arg("time_mode", |a| a.short(None))
)]
pub struct RulesArgs {
    /// Which rules files to load and which of their rules to run.
    #[command(flatten)]
    pub load: RuleArgs,
    /// Captures to check, casefile or .scap (several are merged, as with every reading
    /// command); -j prints alerts as Falco's JSON output, one object per line. (-r and -t are
    /// Falco's here: rules files and tags.)
    #[command(flatten)]
    pub reading: Reading,
    /// Decode every block, even those that no rule can match (for measurement).
    #[arg(long)]
    pub no_skip: bool,
    /// Replay on N threads, one keyframe segment of the capture each, the alerts in order
    /// (default: every core; 1 reads on one thread).
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: Option<usize>,
}

/// Loading Falco rules files and choosing their rules: shared by `casefile rules` and
/// `casefile inspect` (its Alerts view), so both read the same files the same way.
#[derive(Debug, clap::Args)]
pub struct RuleArgs {
    /// A Falco rules file (or a directory of .yaml files, read in name order). Repeat for
    /// several; they load in the order given, later ones appending to or overriding earlier
    /// ones.
    #[arg(short = 'r', long = "rules", value_name = "RULES.yaml")]
    pub rules: Vec<PathBuf>,
    /// Run only rules at least this severe (emergency, alert, critical, error, warning,
    /// notice, informational, debug).
    #[arg(long, value_name = "PRIORITY", requires = "rules")]
    pub min_priority: Option<String>,
    /// Run only rules with this tag. Repeat for several.
    #[arg(short = 't', long = "tag", value_name = "TAG", requires = "rules", conflicts_with_all = ["disable_tags", "disable"])]
    pub tags: Vec<String>,
    /// Do not run rules with this tag. Repeat for several.
    #[arg(
        short = 'T',
        long = "disable-tag",
        value_name = "TAG",
        requires = "rules"
    )]
    pub disable_tags: Vec<String>,
    /// Do not run rules whose name contains this text. Repeat for several.
    #[arg(
        short = 'D',
        long = "disable",
        value_name = "SUBSTRING",
        requires = "rules"
    )]
    pub disable: Vec<String>,
    /// Skip (with a warning naming each one) rules that use fields or operators casefile
    /// cannot evaluate, instead of failing; rules whose output has unknown fields run and
    /// print those as `<NA>`.
    #[arg(long, requires = "rules")]
    pub skip_unsupported: bool,
    /// Report every rule an event matches, not only the first in load order (Falco's
    /// `rule_matching: all`).
    #[arg(long, requires = "rules")]
    pub all_matches: bool,
}

/// `casefile record`.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// Capture file to write (created with mode 0600).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub file: PathBuf,
    /// Stop after this long (e.g. 30s, 5m, 1h; a bare number is seconds; sysdig's -M).
    #[arg(short = 'M', long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Bytes of I/O payload kept per read/write/send/recv (0: none, at most 4096; sysdig's -s).
    #[arg(short = 's', long, default_value_t = 80, value_parser = clap::value_parser!(u32).range(0..=4096))]
    pub snaplen: u32,
    /// Capture filter (sysdig/Falco syntax), or give it as words after the options: only
    /// matching events are written. It is evaluated in user space, after the probe: what the
    /// other events changed (processes, fds, containers) is kept as state records so replay
    /// still names things, and their number shows in `casefile info` as events filtered out.
    #[arg(
        short = 'f',
        long = "filter",
        value_name = "FILTER",
        conflicts_with = "filter_words"
    )]
    pub filter: Option<String>,
    /// The capture filter as trailing words, as sysdig takes it (`record -w f.case
    /// container.id!=host`).
    #[arg(num_args = 0.., value_name = "FILTER WORDS")]
    pub filter_words: Vec<String>,
    /// Keep no payload bytes (same as --snaplen 0).
    #[arg(long)]
    pub no_payload: bool,
    /// Hook system calls at their exit only, reading their arguments from the registers there:
    /// the cheapest recording (with --no-payload, about what attaching to every syscall costs
    /// at all), but no call has a latency (evt.latency is 0) and execve's arguments read 0
    /// when it succeeds (its exec record still names the program and its arguments).
    #[arg(long)]
    pub no_latency: bool,
    /// Keep each new program's environment (up to 2 KiB) in its exec record. Environments
    /// often hold secrets: share such captures with care (see `export --redact`).
    #[arg(long)]
    pub env: bool,
    /// Start a new file when the current one reaches this size (e.g. 100M, 1G; at least 1M).
    #[arg(long, value_parser = parse_rotate_size, value_name = "SIZE")]
    pub rotate_size: Option<u64>,
    /// With --rotate-size, keep only the newest N files (0: keep all).
    #[arg(long, default_value_t = 0, value_name = "N", requires = "rotate_size")]
    pub rotate_count: u64,
    /// Kernel ring buffer size in MiB (a power of two).
    #[arg(long, default_value_t = 64, value_name = "MIB", value_parser = parse_ring)]
    pub ring_mib: u32,
    /// Sign each file with this ed25519 private key (from `casefile keygen`): checkpoints
    /// inside the stream and a signature at the end; `casefile verify --pubkey KEY.pub` then
    /// proves what it holds, even when the recorder was killed.
    #[arg(long, value_name = "KEY", conflicts_with = "seal_key")]
    pub sign_key: Option<PathBuf>,
    /// Seal with this forward-secure key (from `casefile keygen --forward-secure`): stepped
    /// every epoch (the old key erased, the file rewritten), each epoch sealed; someone who
    /// takes the host later cannot re-seal what was sealed before.
    #[arg(long, value_name = "KEY")]
    pub seal_key: Option<PathBuf>,
    /// Append each checkpoint (time, block, chain link) to this log, elsewhere (another disk, a
    /// FIFO read by a remote logger): `casefile verify --anchor LOG` then catches a cut file.
    #[arg(long, value_name = "PATH")]
    pub anchor: Option<PathBuf>,
    /// How often to seal a checkpoint with --sign-key, --seal-key or --anchor (with
    /// --seal-key at least twice an epoch).
    #[arg(long, default_value = "2s", value_parser = parse_duration, value_name = "DUR")]
    pub checkpoint_every: Duration,
    /// Write a text dump of the decoded records instead of a capture (for debugging the probe).
    #[arg(long, hide = true)]
    pub debug_dump: bool,
    /// Attach the raw_tp fallback programs instead of tp_btf (for testing the fallback).
    #[arg(long, hide = true)]
    pub force_raw_tp: bool,
    /// Run this command and record only it and its descendants. `casefile record` then exits
    /// with its exit status (127: not found, 126: not executable, 128+N: killed by signal N).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<OsString>,
    /// Replace a FILE (or a FILE.N of a rotation) that exists, unless another recorder is
    /// writing it: a new file is created and renamed onto it before recording starts (a
    /// symbolic link there is replaced, never followed). Without it an existing path is refused.
    #[arg(long)]
    pub force: bool,
    /// How often to sample every recorded thread's CPU time, memory and page faults (for
    /// thread.cpu, proc.cpu, thread.vmrss... and the CPU% and memory columns of views).
    #[arg(long, default_value = "1s", value_parser = parse_duration, value_name = "DUR")]
    pub usage_every: Duration,
    /// Take no resource samples.
    #[arg(long)]
    pub no_usage: bool,
    /// Write no aggregates beside each block. By default a thread at idle priority computes
    /// them (the counts `summary`, `top` and filters on process names read instead of
    /// decoding); a block it has not finished when the next one is written gets none.
    #[arg(long)]
    pub no_aggregates: bool,
    /// Record context switches too (sysdig's `switch` events, with the leaving thread's page
    /// faults and memory). Off by default: a busy host switches tens of thousands of times a
    /// second.
    #[arg(long)]
    pub sched: bool,
    /// The flight recorder.
    #[command(flatten)]
    pub flight: FlightArgs,
}

impl RecordArgs {
    /// How often the recorder samples resource usage (`None`: --no-usage); at most ten times a
    /// second.
    pub fn sampling(&self) -> Option<Duration> {
        (!self.no_usage).then(|| self.usage_every.max(Duration::from_millis(100)))
    }
}

/// `casefile record --keep`: the flight recorder.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Flight recorder")]
pub struct FlightArgs {
    /// Keep only the last DUR in a ring in memory and, when a trigger fires (--trigger,
    /// --trigger-rules, SIGUSR1 or `casefile trigger PID`), write a sealed capture of the
    /// window from DUR before to --after past it: one file per incident, named by time and
    /// trigger, in the directory -w names.
    #[arg(long, value_parser = parse_duration, value_name = "DUR",
          conflicts_with_all = ["rotate_size", "debug_dump", "anchor"])]
    pub keep: Option<Duration>,
    /// Fire on events that match this filter (sysdig/Falco syntax).
    #[arg(
        long,
        value_name = "FILTER",
        requires = "keep",
        conflicts_with = "trigger_rules"
    )]
    pub trigger: Option<String>,
    /// Fire when a rule of these Falco rules files (or directories) matches. Repeat for several.
    #[arg(long, value_name = "RULES.yaml", requires = "keep")]
    pub trigger_rules: Vec<PathBuf>,
    /// How long an incident goes on after its last trigger (later triggers inside an open
    /// window extend it).
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DUR")]
    pub after: Duration,
    /// Most memory the ring may use (e.g. 256M, 2G); a --keep that cannot fit is refused.
    #[arg(long, default_value = "512M", value_parser = parse_size, value_name = "SIZE")]
    pub keep_memory: u64,
}

/// `casefile live`.
#[derive(Debug, clap::Args)]
pub struct LiveArgs {
    /// Keep the recording in this file (created with mode 0600); without it the recording
    /// goes to a temporary file, removed at the end.
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Show this view (as `casefile top VIEW`), redrawn each second, instead of the events.
    #[arg(long, value_name = "VIEW", conflicts_with = "inspect")]
    pub top: Option<String>,
    /// With --top: aggregate only the last DUR, counted in whole seconds: from the start of
    /// the second that holds the newest event minus DUR (default: everything recorded so far).
    #[arg(long, value_parser = parse_duration, value_name = "DUR", requires = "top")]
    pub last: Option<Duration>,
    /// Open the terminal UI (as `casefile inspect`), following the recording until you pause
    /// it (`p`) or choose a time range.
    #[arg(long)]
    pub inspect: bool,
    /// Stop recording after this long.
    #[arg(long, value_parser = parse_duration, value_name = "DUR")]
    pub duration: Option<Duration>,
    /// Bytes of I/O payload kept per read/write/send/recv (0: none).
    #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u32).range(0..=4096))]
    pub snaplen: u32,
    /// Only events matching this filter (or give it as trailing words).
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    pub filter: Option<String>,
    /// The filter, as words.
    #[arg(value_name = "FILTER")]
    pub words: Vec<String>,
}

/// `casefile trigger`.
#[derive(Debug, clap::Args)]
pub struct TriggerArgs {
    /// Process id of the `casefile record --keep` to ask.
    pub pid: u32,
}

/// `30`, `30s`, `500ms`, `5m`, `1h` (a bare number is seconds).
fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::timefmt::parse_span(s)
        .and_then(|d| Ok(d.to_std()?))
        .map_err(|e| format!("{e:#}"))
}

/// `4096`, `64K`, `100M`, `2G` (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim_end_matches(['B', 'b', 'i']);
    let (num, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    let n: u64 = num.parse().map_err(|_| format!("not a size: {s:?}"))?;
    match n.checked_mul(mult) {
        Some(0) | None => Err(format!("size out of range: {s:?}")),
        Some(v) => Ok(v),
    }
}

/// The smallest `--rotate-size`: below it a file would hold little but its snapshot.
const MIN_ROTATE_SIZE: u64 = 1 << 20;

fn parse_rotate_size(s: &str) -> Result<u64, String> {
    let n = parse_size(s)?;
    if n < MIN_ROTATE_SIZE {
        return Err(format!(
            "{s} is too small: each file starts with a snapshot of the host; use at least 1M"
        ));
    }
    Ok(n)
}

fn parse_ring(s: &str) -> Result<u32, String> {
    let n: u32 = s.parse().map_err(|_| format!("not a number: {s:?}"))?;
    if n.is_power_of_two() && n <= 1024 {
        Ok(n)
    } else {
        Err("the ring buffer size must be a power of two between 1 and 1024 MiB".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_mins(2)));
        assert!(parse_duration("3x").is_err());
        assert_eq!(parse_size("100M"), Ok(100 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("0").is_err());
        assert!(parse_rotate_size("10").is_err());
        assert!(parse_rotate_size("1023K").is_err());
        assert_eq!(parse_rotate_size("1M"), Ok(1 << 20));
        assert!(parse_ring("3").is_err());
    }
}
