//! `casefile inspect`: the terminal UI ([`crate::tui`]) over one capture.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::cli::InspectArgs;
use crate::tui;

/// Runs `casefile inspect`.
pub fn run(args: &InspectArgs) -> anyhow::Result<ExitCode> {
    if !std::io::stdout().is_terminal() {
        bail!("casefile inspect needs a terminal (use top, read or summary for scripts)");
    }
    // Fail before taking over the terminal when the file does not open.
    super::read::open(&args.file)?;
    let path = args.file.clone();
    // Each job maps the file again: cheap (the footer is read first) and keeps jobs apart.
    let open: tui::jobs::Opener =
        Arc::new(move || super::read::open(&path).map_err(|e| format!("{e:#}")));
    tui::run(&args.file, open).with_context(|| format!("inspecting {}", args.file.display()))?;
    Ok(ExitCode::SUCCESS)
}
