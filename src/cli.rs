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
    /// Recompute a capture's hash chain and check its signature (exit 0 intact, 1 changed).
    Verify(VerifyArgs),
    /// Make an ed25519 key pair for signing captures.
    Keygen(KeygenArgs),
    /// Write a capture's events to a new file, optionally redacted for sharing.
    Export(ExportArgs),
    /// Convert a sysdig/Falco .scap capture (plain or gzip) into a casefile capture.
    Import(ImportArgs),
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
}

/// `casefile export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Capture to export.
    pub file: PathBuf,
    /// Output file.
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
