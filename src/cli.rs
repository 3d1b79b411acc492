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
