//! Key files and anchor logs, read for `record`, `verify` and `export`: every one checked before
//! anything is recorded or judged, with a one-line error naming the file.
//!
//! | file | written by | holds |
//! |---|---|---|
//! | `KEY` | `keygen` | an ed25519 seed, 64 hex digits (secret) |
//! | `KEY.pub` | `keygen` | the ed25519 public key, 64 hex digits |
//! | `KEY` | `keygen --forward-secure` | `casefile-fss-seal-v1 ...`: the current epoch's sealing key (secret; rewritten as it steps) |
//! | `KEY.verify` | `keygen --forward-secure` | `casefile-fss-verify-v1 ...`: the first epoch key (secret; kept off the host) |
//!
//! Secret key files must be readable by their owner only, as ssh demands of its keys.

use std::path::Path;

use anyhow::{Context, bail};
use capture_format::anchor::Anchor;
use capture_format::integrity::unhex;
use capture_format::seal::{FsSealingKey, FsVerifyKey};

/// Largest key file read (they are one short line).
const MAX_KEY_FILE: u64 = 4096;

fn read_small(p: &Path, what: &str) -> anyhow::Result<String> {
    let meta = std::fs::metadata(p).with_context(|| format!("reading {what} {}", p.display()))?;
    if !meta.is_file() {
        bail!("{}: not a regular file (expected {what})", p.display());
    }
    if meta.len() > MAX_KEY_FILE {
        bail!(
            "{}: {} bytes is too long for {what} (a damaged or wrong file?)",
            p.display(),
            meta.len()
        );
    }
    let bytes = std::fs::read(p).with_context(|| format!("reading {what} {}", p.display()))?;
    String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{}: not text (expected {what}; damaged or wrong file?)",
            p.display()
        )
    })
}

/// Reads a secret key file, refusing one that others may read.
fn read_secret(p: &Path, what: &str) -> anyhow::Result<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p)
            .with_context(|| format!("reading {what} {}", p.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            bail!(
                "{}: permissions {:04o} are too open: {what} must be readable by its owner only \
                 (chmod 600 {})",
                p.display(),
                mode & 0o7777,
                p.display()
            );
        }
    }
    read_small(p, what)
}

/// The kind of a key file, from its first word, for errors that say what was given instead.
fn kind_of(text: &str) -> &'static str {
    let t = text.trim();
    if t.starts_with("casefile-fss-seal-v1") {
        "a forward-secure sealing key (use it with `record --seal-key`)"
    } else if t.starts_with("casefile-fss-verify-v1") {
        "a forward-secure verification key (use it with `verify --verify-key`)"
    } else if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        "an ed25519 key (a private one for `--sign-key`, a .pub for `--pubkey`)"
    } else {
        "not a casefile key"
    }
}

fn hex32(text: &str, p: &Path, wanted: &str) -> anyhow::Result<[u8; 32]> {
    unhex(text.trim()).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: expected {wanted} (64 hex digits from `casefile keygen`); this is {}",
            p.display(),
            kind_of(text)
        )
    })
}

/// Reads a public key file written by `keygen`.
pub fn read_public_key(p: &Path) -> anyhow::Result<[u8; 32]> {
    let text = read_small(p, "a public key")?;
    let k = hex32(&text, p, "an ed25519 public key")?;
    if ed25519_dalek::VerifyingKey::from_bytes(&k).is_err() {
        bail!("{}: not a valid ed25519 public key", p.display());
    }
    Ok(k)
}

/// Reads an ed25519 private key file written by `keygen`.
pub fn read_signing_key(p: &Path) -> anyhow::Result<ed25519_dalek::SigningKey> {
    let text = read_secret(p, "a private key")?;
    Ok(capture_format::sign::key_from_seed(&hex32(
        &text,
        p,
        "an ed25519 private key",
    )?))
}

/// Reads a forward-secure sealing key; the recorder rewrites the file as the key steps.
pub fn read_sealing_key(p: &Path) -> anyhow::Result<FsSealingKey> {
    let text = read_secret(p, "a sealing key")?;
    FsSealingKey::from_text(&text, Some(p)).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}; this is {} (make one with `casefile keygen --forward-secure`)",
            p.display(),
            kind_of(&text)
        )
    })
}

/// Reads a forward-secure verification key.
pub fn read_verify_key(p: &Path) -> anyhow::Result<FsVerifyKey> {
    let text = read_secret(p, "a verification key")?;
    FsVerifyKey::from_text(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}; this is {} (the KEY.verify that `casefile keygen --forward-secure` wrote)",
            p.display(),
            kind_of(&text)
        )
    })
}

/// Reads an anchor log; a line cut short by a crash at its end is ignored, any other bad line
/// is an error.
pub fn read_anchor_log(p: &Path) -> anyhow::Result<Vec<Anchor>> {
    let text = std::fs::read_to_string(p)
        .with_context(|| format!("reading the anchor log {}", p.display()))?;
    let (good, bad) = capture_format::anchor::parse_log(&text);
    let lines = text.lines().count();
    if let Some((line, why)) = bad
        .iter()
        .find(|(l, _)| *l != lines || text.ends_with('\n'))
    {
        bail!("{}:{line}: not an anchor line: {why}", p.display());
    }
    if good.is_empty() {
        bail!("{}: holds no anchors", p.display());
    }
    Ok(good)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("casefile-keys-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("dir");
        d
    }

    #[test]
    fn secret_keys_open_to_others_wrong_kinds_and_damage_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let d = dir();
        let k = d.join("k");
        std::fs::write(&k, format!("{}\n", "11".repeat(32))).expect("write");
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = read_signing_key(&k).expect_err("0644").to_string();
        assert!(e.contains("too open") && e.contains("0644"), "{e}");
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        read_signing_key(&k).expect("0600 is fine");
        let e = read_sealing_key(&k).expect_err("wrong kind").to_string();
        assert!(e.contains("an ed25519 key"), "{e}");
        std::fs::write(&k, "zz\n").expect("write");
        let e = read_signing_key(&k).expect_err("damaged").to_string();
        assert!(e.contains("64 hex digits"), "{e}");
        std::fs::write(&k, vec![0xffu8; 10]).expect("write");
        let e = read_signing_key(&k).expect_err("binary").to_string();
        assert!(e.contains("not text"), "{e}");
        let e = read_verify_key(&d).expect_err("a directory").to_string();
        assert!(
            e.contains("too open") || e.contains("not a regular file"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
