//! `casefile verify`: judge the integrity of captures, each on its own.
//!
//! Exit status (the worst over the files): 0 every file is complete, sealed and unchanged; 1 a
//! file was changed (a byte, a block added, removed or moved, bytes appended, a footer, seal or
//! signature that does not fit, a cut that an anchor or key proves); 3 a file is intact as far
//! as it goes but not sealed (a crashed recorder, or a cut nothing can tell from one); 2 a
//! file, key or anchor log cannot be used. See `capture_format::verdict`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use capture_format::verdict::{Status, Trust};

use crate::cli::VerifyArgs;

/// Runs `casefile verify`.
pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    // Every key and log is checked before anything is judged.
    let pubkey = args
        .pubkey
        .as_deref()
        .map(crate::keys::read_public_key)
        .transpose()?;
    let fs_key = args
        .verify_key
        .as_deref()
        .map(crate::keys::read_verify_key)
        .transpose()?;
    let anchors = args
        .anchor
        .as_deref()
        .map(crate::keys::read_anchor_log)
        .transpose()?;
    let trust = Trust {
        pubkey: pubkey.as_ref(),
        fs_key: fs_key.as_ref(),
        anchors: anchors.as_deref(),
    };
    crate::output::progress::set_quiet(args.quiet);
    let mut out = std::io::stdout().lock();
    let mut code = 0;
    for file in &args.files {
        let bar = crate::output::progress::busy(&format!("verifying {}", file.display()));
        let judged = super::judge(file, &trust);
        bar.finish_and_clear();
        let verdict = match judged {
            Ok(v) => v,
            // With several files, one that cannot be read does not hide the others' verdicts.
            Err(e) if args.files.len() > 1 => {
                writeln!(out, "{}: UNREADABLE\n  {e:#}", file.display())?;
                code = code.max(2);
                continue;
            }
            Err(e) => return Err(e),
        };
        let word = match verdict.status {
            Status::Intact => "OK",
            Status::Changed => "FAILED",
            Status::Unsealed => "UNSEALED",
            Status::Unreadable => "UNREADABLE",
        };
        writeln!(out, "{}: {word}", file.display())?;
        for l in verdict.lines(&crate::timefmt::datetime_ms) {
            writeln!(out, "  {l}")?;
        }
        code = code.max(verdict.exit_code());
    }
    out.flush().context("writing the report")?;
    Ok(ExitCode::from(code))
}
