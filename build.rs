//! Embeds the committed probe object (`probe/probe.bpf.o`) so that `cargo build` needs no
//! clang, and refuses a stale one: the SHA-256 of the probe sources must equal the committed
//! `probe/probe.bpf.o.srchash` (computed by `make -C probe`).
//!
//! With `PROBE_BPF_REBUILD=1` the object is compiled from the sources with `$CLANG` (default
//! `clang-14`) into `OUT_DIR` instead, unstripped: for development only.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use sha2::{Digest, Sha256};

/// The sources in the order `probe/Makefile` hashes them.
const SOURCES: &[&str] = &["probe.bpf.c", "cf_record.h", "vmlinux.h"];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let probe = root.join("probe");
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?).join("probe.bpf.o");
    for f in SOURCES
        .iter()
        .chain(&["probe.bpf.o", "probe.bpf.o.srchash"])
    {
        println!("cargo:rerun-if-changed=probe/{f}");
    }
    println!("cargo:rerun-if-env-changed=PROBE_BPF_REBUILD");
    println!("cargo:rerun-if-env-changed=CLANG");

    git_commit(&root);

    if env::var_os("PROBE_BPF_REBUILD").is_some_and(|v| v != "0") {
        println!("cargo:rustc-env=CASEFILE_PROBE=rebuilt from source");
        return rebuild(&probe, &out);
    }

    let mut hasher = Sha256::new();
    for f in SOURCES {
        let path = probe.join(f);
        hasher.update(fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let have = hasher.finalize().iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    let hash_file = probe.join("probe.bpf.o.srchash");
    let want =
        fs::read_to_string(&hash_file).map_err(|e| format!("{}: {e}", hash_file.display()))?;
    if want.trim() != have {
        return Err(format!(
            "probe/probe.bpf.o is stale: its sources hash to {have}, but \
             probe/probe.bpf.o.srchash says {}.\nRun `make -C probe` (needs clang-14, \
             llvm-strip and libbpf-dev) and commit the object, or build with \
             PROBE_BPF_REBUILD=1.",
            want.trim()
        ));
    }
    println!(
        "cargo:rustc-env=CASEFILE_PROBE=sources {}",
        &have[..have.len().min(12)]
    );
    fs::copy(probe.join("probe.bpf.o"), &out)
        .map(|_| ())
        .map_err(|e| format!("copying probe/probe.bpf.o: {e}"))
}

/// Embeds the commit the binary is built from as `CASEFILE_COMMIT` (`unknown` without git or
/// outside a repository; `-dirty` when the work tree has changes), and rebuilds when HEAD moves.
fn git_commit(root: &Path) {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .current_dir(root)
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    let text = match commit {
        Some(c) if dirty => format!("{c}-dirty"),
        Some(c) => c,
        None => "unknown".to_owned(),
    };
    println!("cargo:rustc-env=CASEFILE_COMMIT={text}");
    for rel in [
        git(&["rev-parse", "--git-path", "HEAD"]),
        git(&["rev-parse", "--symbolic-full-name", "HEAD"])
            .and_then(|r| git(&["rev-parse", "--git-path", &r])),
        git(&["rev-parse", "--git-path", "index"]),
    ]
    .into_iter()
    .flatten()
    {
        let p = root.join(rel);
        if p.exists() {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
}

fn rebuild(probe: &Path, out: &Path) -> Result<(), String> {
    let clang = env::var("CLANG").unwrap_or_else(|_| "clang-14".into());
    let status = Command::new(&clang)
        .current_dir(probe)
        .args([
            "-O2",
            "-g",
            "-target",
            "bpf",
            "-D__TARGET_ARCH_x86",
            "-I.",
            "-Wall",
        ])
        .arg(format!("-fdebug-prefix-map={}=.", probe.display()))
        .args(["-fno-ident", "-c", "probe.bpf.c", "-o"])
        .arg(out)
        .status()
        .map_err(|e| format!("PROBE_BPF_REBUILD is set but {clang} cannot run: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{clang} failed to compile probe/probe.bpf.c ({status})"
        ))
    }
}
