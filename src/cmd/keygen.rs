//! `casefile keygen`: make an ed25519 key pair for signing captures.
//!
//! The private key file holds the 32-byte seed in hex (mode 0600); `KEY.pub` holds the public
//! key in hex. Keep the private key on the recording host only; give the public key to whoever
//! verifies.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::KeygenArgs;
use crate::outfile::NewFile;

/// Runs `casefile keygen`.
pub fn run(args: &KeygenArgs) -> anyhow::Result<ExitCode> {
    let key = capture_format::sign::generate_key().context("reading /dev/urandom")?;
    let public = pub_path(&args.out);
    // Both files are new (mode 0600), written under temporary names and renamed into place
    // once both are written.
    let private_file = NewFile::create(&args.out, args.force)?;
    let public_file = NewFile::create(&public, args.force)?;
    write_line(
        &private_file,
        &capture_format::integrity::hex(&key.to_bytes()),
    )?;
    write_line(
        &public_file,
        &capture_format::integrity::hex(key.verifying_key().as_bytes()),
    )?;
    private_file.commit()?;
    public_file.commit()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "private key: {} (keep it secret)", args.out.display())?;
    writeln!(out, "public key:  {}", public.display())?;
    Ok(ExitCode::SUCCESS)
}

fn pub_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

fn write_line(f: &NewFile, hex: &str) -> anyhow::Result<()> {
    writeln!(f.file()?, "{hex}").with_context(|| format!("writing {}", f.path().display()))
}

fn parse_hex32(text: &str, p: &Path) -> anyhow::Result<[u8; 32]> {
    let t = text.trim();
    if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!(
            "{}: expected 64 hex digits (a casefile key file)",
            p.display()
        );
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&t[2 * i..2 * i + 2], 16)?;
    }
    Ok(out)
}

/// Reads a public key file written by `keygen`.
pub fn read_public_key(p: &Path) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    parse_hex32(&text, p)
}

/// Reads a private key file written by `keygen`.
pub fn read_signing_key(p: &Path) -> anyhow::Result<ed25519_dalek::SigningKey> {
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    Ok(capture_format::sign::key_from_seed(&parse_hex32(&text, p)?))
}
