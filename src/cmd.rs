//! One module per subcommand. Each exposes `run(args) -> anyhow::Result<ExitCode>`.

pub mod check;
pub mod echo;
pub mod export;
pub mod fields;
pub mod import;
pub mod info;
pub mod keygen;
pub mod man;
pub mod ps;
pub mod read;
pub mod record;
pub mod spy;
pub mod summary;
pub mod timeline;
pub mod top;
pub mod verify;

use std::path::Path;

use anyhow::Context;
use capture_format::CaptureFile;

/// Opens a capture for any reading command: a casefile capture is memory-mapped; a sysdig
/// `.scap` (plain or gzip) is converted in memory first, so every command reads both.
pub fn open(path: &Path) -> anyhow::Result<CaptureFile> {
    if crate::import::scap::is_scap(path).unwrap_or(false) {
        return import::in_memory(path).with_context(|| format!("reading {}", path.display()));
    }
    // SAFETY: captures are only ever appended to; a reader of a file that someone truncates
    // while it is mapped may fault, which `casefile` documents rather than guards against.
    Ok(unsafe { CaptureFile::open_mmap(path) }?)
}
