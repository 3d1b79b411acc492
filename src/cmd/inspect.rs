//! `casefile inspect`: the terminal UI ([`crate::tui`]) over captures.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::cli::InspectArgs;
use crate::tui;
use crate::views::alerts::Rules;

/// Runs `casefile inspect`.
pub fn run(args: &InspectArgs) -> anyhow::Result<ExitCode> {
    // Load the rules (first: a rules file that cannot be used is reported even without a
    // terminal, as `casefile rules` reports it) and open (and merge, when several) the
    // captures before taking over the terminal, so errors and warnings print plainly.
    let rules = if args.rules.rules.is_empty() {
        None
    } else {
        let set = super::args::load_rules(&args.rules)?;
        Some(Arc::new(Rules {
            set,
            all_matches: args.rules.all_matches,
        }))
    };
    if !std::io::stdout().is_terminal() {
        bail!("casefile inspect needs a terminal (use top, read or summary for scripts)");
    }
    let r = super::args::resolve(&args.reading)?;
    r.no_filter("inspect")?;
    r.no_range("inspect")?;
    let super::Opened { cap, mut damage } = r.open()?;
    // Each job gets its own handle on the same bytes: a clone shares the map or the merged
    // capture, so a .scap is converted and several files are merged once.
    let open: tui::jobs::Opener = Arc::new(move || Ok(cap.clone()));
    let name = r.describe();
    let seen = tui::run(std::path::Path::new(&name), open, rules)
        .with_context(|| format!("inspecting {name}"))?;
    damage.extend(&seen);
    Ok(super::args::report_damage(&damage, ExitCode::SUCCESS))
}
