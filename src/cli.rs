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
    /// Convert a sysdig/Falco .scap capture (plain or gzip) into a casefile capture.
    Import(ImportArgs),
}

/// `casefile info`.
#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// Capture file to describe.
    pub file: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
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
