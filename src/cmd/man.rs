//! `casefile man DIR`: write the man pages generated from the clap definitions. `man/` in the
//! repository holds their committed output; a test regenerates them and fails on any
//! difference.

use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};

/// Runs `casefile man`.
pub fn run(args: &ManArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    // The pages name the release only: the commit of `--version` would make them stale at
    // every commit.
    let cmd = Cli::command().long_version(None);
    write_page(&cmd, "casefile", &args.dir)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("casefile-{}", sub.get_name());
        let sub = sub.clone().name(name.clone());
        write_page(&sub, &name, &args.dir)?;
    }
    let path = args.dir.join("casefile-filter.7");
    std::fs::write(&path, crate::replay::fields::man::filter_man_page())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(ExitCode::SUCCESS)
}

fn write_page(cmd: &clap::Command, name: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, buf).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Runs `casefile completions SHELL`: the script on stdout.
pub fn completions(args: &CompletionsArgs) -> ExitCode {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "casefile", &mut std::io::stdout());
    ExitCode::SUCCESS
}
