//! `casefile verify`: recompute the hash chain (and check the signature) of captures, each on
//! its own.
//!
//! Exit 0 when every byte is as the recorder wrote it, 1 when something changed (naming the
//! first block that does not match), 2 when a file cannot be read at all.

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
    let mut out = std::io::stdout().lock();
    let mut code = 0;
    for file in &args.files {
        let verdict = match super::open(file) {
            Ok(cap) => verify(&cap, file, trusted.as_ref(), &mut out)?,
            // A header that no longer matches its checksum was changed, like any other block.
            Err(e) if header_changed(&e) => {
                writeln!(out, "{}: FAILED\n  CHANGED: {e:#}", file.display())?;
                1
            }
            // With several files, one that cannot be read does not hide the others' verdicts.
            Err(e) if args.files.len() > 1 => {
                writeln!(out, "{}: UNREADABLE\n  {e:#}", file.display())?;
                2
            }
            Err(e) => return Err(e),
        };
        code = code.max(verdict);
    }
    out.flush().context("writing the report")?;
    Ok(ExitCode::from(code))
}

/// Whether opening failed because the file header does not match its checksum.
fn header_changed(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<capture_format::Error>().is_some_and(|e| {
            matches!(&e.kind, capture_format::ErrorKind::Checksum { what, .. } if what.contains("header"))
        })
    })
}

/// Prints the verdict on one capture; returns 0 when intact, 1 when not.
fn verify(
    cap: &capture_format::CaptureFile,
    file: &std::path::Path,
    trusted: Option<&[u8; 32]>,
    out: &mut impl Write,
) -> anyhow::Result<u8> {
    let name = file.display();
    let v = cap.verify();
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
    match (cap.signature(), trusted) {
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
    Ok(u8::from(!ok))
}
