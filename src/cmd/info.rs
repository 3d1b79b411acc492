//! `casefile info`: describe a capture.

use std::process::ExitCode;

use crate::cli::InfoArgs;

/// Runs `casefile info`.
pub fn run(args: &InfoArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("{}: info is not implemented yet", args.file.display())
}
