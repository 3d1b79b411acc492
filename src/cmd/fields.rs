//! `casefile fields`: list the fields of filters and `-p` formats.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::cli::FieldsArgs;
use crate::replay::fields::list_text;

/// Runs `casefile fields`.
pub fn run(args: &FieldsArgs) -> anyhow::Result<ExitCode> {
    let text = list_text();
    let mut out = io::stdout().lock();
    match &args.prefix {
        None => out.write_all(text.as_bytes())?,
        Some(p) => {
            for line in text.lines() {
                if line.trim_start().starts_with(p.as_str()) {
                    writeln!(out, "{line}")?;
                }
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
