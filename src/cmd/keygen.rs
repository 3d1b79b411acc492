//! `casefile keygen`: make an ed25519 key pair for signing captures, or a forward-secure
//! sealing key and its verification key.
//!
//! The private key file holds the 32-byte seed in hex (mode 0600); `KEY.pub` holds the public
//! key in hex. Keep the private key on the recording host only; give the public key to whoever
//! verifies. With `--forward-secure`, `KEY` is the sealing key the recorder steps forward every
//! epoch (erasing the old one) and `KEY.verify` the verification key, which can compute every
//! epoch's key: move it off the host (see `src/keys.rs` for the file formats).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::KeygenArgs;
use crate::outfile::NewFile;

/// Runs `casefile keygen`.
pub fn run(args: &KeygenArgs) -> anyhow::Result<ExitCode> {
    if args.forward_secure {
        return forward_secure(args);
    }
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

/// Makes a forward-secure key: the sealing key and its verification key.
fn forward_secure(args: &KeygenArgs) -> anyhow::Result<ExitCode> {
    let epoch_ns = u64::try_from(args.epoch.as_nanos()).unwrap_or(u64::MAX);
    let (lo, hi) = capture_format::seal::EPOCH_RANGE_NS;
    if !(lo..=hi).contains(&epoch_ns) {
        bail!("--epoch must be between 1s and 60s");
    }
    // Epoch 0 starts at the second keygen runs.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the clock is before 1970")?
        .as_secs();
    let vk = capture_format::seal::FsVerifyKey::generate(now * 1_000_000_000, epoch_ns)
        .context("reading /dev/urandom")?;
    let verify = with_suffix(&args.out, ".verify");
    let sealing_file = NewFile::create(&args.out, args.force)?;
    let verify_file = NewFile::create(&verify, args.force)?;
    write_line(&sealing_file, vk.sealing_key().to_text().trim_end())?;
    write_line(&verify_file, vk.to_text().trim_end())?;
    sealing_file.commit()?;
    verify_file.commit()?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "sealing key:      {} (stays on the recording host; the recorder steps it every {} s and erases the old one)",
        args.out.display(),
        epoch_ns / 1_000_000_000
    )?;
    writeln!(
        out,
        "verification key: {} (MOVE IT OFF THIS HOST: it can compute every epoch's key)",
        verify.display()
    )?;
    writeln!(
        out,
        "key id:           {}",
        capture_format::integrity::hex(&vk.key_id())
    )?;
    Ok(ExitCode::SUCCESS)
}

fn pub_path(p: &Path) -> PathBuf {
    with_suffix(p, ".pub")
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn write_line(f: &NewFile, hex: &str) -> anyhow::Result<()> {
    writeln!(f.file()?, "{hex}").with_context(|| format!("writing {}", f.path().display()))
}
