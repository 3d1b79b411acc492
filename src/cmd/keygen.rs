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

/// Runs `casefile keygen`.
pub fn run(args: &KeygenArgs) -> anyhow::Result<ExitCode> {
    if args.forward_secure {
        return forward_secure(args);
    }
    let key = capture_format::sign::generate_key().context("reading /dev/urandom")?;
    let public = pub_path(&args.out);
    for p in [&args.out, &public] {
        if p.exists() && !args.force {
            bail!("{} exists; pass --force to overwrite it", p.display());
        }
    }
    write_private(&args.out, &capture_format::integrity::hex(&key.to_bytes()))?;
    std::fs::write(
        &public,
        format!(
            "{}\n",
            capture_format::integrity::hex(key.verifying_key().as_bytes())
        ),
    )
    .with_context(|| format!("writing {}", public.display()))?;
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
    for p in [&args.out, &verify] {
        if p.exists() && !args.force {
            bail!("{} exists; pass --force to overwrite it", p.display());
        }
    }
    write_private(&args.out, vk.sealing_key().to_text().trim_end())?;
    write_private(&verify, vk.to_text().trim_end())?;
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

fn write_private(p: &Path, hex: &str) -> anyhow::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o
        .open(p)
        .with_context(|| format!("creating {}", p.display()))?;
    writeln!(f, "{hex}").with_context(|| format!("writing {}", p.display()))?;
    Ok(())
}
