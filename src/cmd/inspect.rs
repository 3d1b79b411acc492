//! `casefile inspect`: the terminal UI ([`crate::tui`]) over captures.

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
    // Open (and merge, when several) before taking over the terminal, so errors print plainly.
    let cap = super::open_all(&args.files)?;
    // Each job gets its own handle on the same bytes: a clone shares the map or the merged
    // capture, so a .scap is converted and several files are merged once.
    let open: tui::jobs::Opener = Arc::new(move || Ok(cap.clone()));
    let name = super::describe(&args.files);
    tui::run(std::path::Path::new(&name), open).with_context(|| format!("inspecting {name}"))?;
    Ok(ExitCode::SUCCESS)
}
