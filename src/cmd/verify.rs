//! `casefile verify`: recompute the hash chain (and check the signature) of a capture.
//!
//! Exit 0 when every byte is as the recorder wrote it, 1 when something changed (naming the
//! first block that does not match), 2 when the file cannot be read at all.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use capture_format::integrity::hex;

use crate::cli::VerifyArgs;

/// Runs `casefile verify`.
pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let trusted = match &args.pubkey {
        Some(p) => Some(super::keygen::read_public_key(p)?),
        None => None,
    };
    let cap = super::open(&args.file)?;
    let name = args.file.display();
    let v = cap.verify();
    let mut out = std::io::stdout().lock();
    let mut ok = true;
    let mut lines = Vec::new();
    match &v.failure {
        None => lines.push(format!(
            "hash chain intact over {} blocks; {}",
            v.blocks_checked,
            if v.sealed {
                "sealed (footer and trailer present)"
            } else {
                "UNSEALED: the recording did not finish, so blocks after the last one cannot be accounted for"
            }
        )),
        Some(f) => {
            ok = false;
            lines.push(format!(
                "CHANGED at block {} (byte {}): {}. The blocks before it are intact; from it on nothing can be trusted.",
                f.block, f.offset, f.what
            ));
        }
    }
    match (cap.signature(), &trusted) {
        (Some(sig), Some(key)) if sig.public_key == *key => {
            lines.push(format!("signed by the trusted key {}", &hex(key)[..16]));
        }
        (Some(sig), Some(_)) => {
            ok = false;
            lines.push(format!(
                "signed by key {}, which is NOT the trusted key",
                &hex(&sig.public_key)[..16]
            ));
        }
        (Some(sig), None) => lines.push(format!(
            "signed by key {} (pass --pubkey to check it is the one you trust)",
            &hex(&sig.public_key)[..16]
        )),
        (None, Some(_)) => {
            ok = false;
            lines.push("NOT signed, but --pubkey asks for a signature".into());
        }
        (None, None) => lines.push("not signed".into()),
    }
    if !cap.damage().is_empty() {
        ok = false;
        for d in cap.damage() {
            lines.push(format!("damaged: {d}"));
        }
    }
    writeln!(out, "{name}: {}", if ok { "OK" } else { "FAILED" })?;
    for l in lines {
        writeln!(out, "  {l}")?;
    }
    out.flush().context("writing the report")?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
