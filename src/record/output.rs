//! Where recorded events go: the capture file, rotated by size.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use capture_format::schema::Event;
use capture_format::{HeaderInfo, Writer, WriterOptions};

/// A sink for a capture: a state block, then events in time order.
pub trait Output {
    /// Writes a state block (snapshot records).
    fn write_state(&mut self, records: &[Event<'_>]) -> io::Result<()>;
    /// Appends one event.
    fn append(&mut self, ev: &Event<'_>) -> io::Result<()>;
    /// Lets the output flush what is older than its flush interval.
    fn tick(&mut self) -> io::Result<()>;
    /// Bytes written to disk so far.
    fn bytes(&self) -> u64;
    /// Whether it is time for a keyframe (a fresh state block).
    fn needs_keyframe(&self) -> bool {
        false
    }
    /// Writes the footer and closes the file; returns its final size.
    fn finish(self: Box<Self>) -> io::Result<u64>;
}

/// Creates a capture file readable by its owner only (an existing file is truncated and its
/// mode reset to 0600).
pub fn create_private(path: &Path) -> io::Result<File> {
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(f)
}

/// A capture file written through `capture_format::Writer`.
pub struct CaptureOutput {
    writer: Writer<File>,
}

impl CaptureOutput {
    /// Creates the capture (mode 0600) and writes its header.
    pub fn create(path: &Path, info: &HeaderInfo) -> io::Result<CaptureOutput> {
        // Create it ourselves first so an existing file's mode is reset to 0600 too.
        drop(create_private(path)?);
        Ok(CaptureOutput {
            writer: Writer::create(path, info, WriterOptions::default())?,
        })
    }
}

impl Output for CaptureOutput {
    fn write_state(&mut self, records: &[Event<'_>]) -> io::Result<()> {
        self.writer.write_state(records)
    }
    fn append(&mut self, ev: &Event<'_>) -> io::Result<()> {
        self.writer.append(ev)
    }
    fn tick(&mut self) -> io::Result<()> {
        self.writer.tick()
    }
    fn bytes(&self) -> u64 {
        self.writer.stats().bytes
    }
    fn needs_keyframe(&self) -> bool {
        self.writer.needs_keyframe()
    }
    fn finish(self: Box<Self>) -> io::Result<u64> {
        let f = self.writer.finish()?;
        f.sync_all()?;
        Ok(f.metadata()?.len())
    }
}

/// A text dump of the records, one `Debug` line each: for looking at what the probe sends.
pub struct DebugDump {
    out: BufWriter<File>,
    bytes: u64,
}

impl DebugDump {
    /// Creates the dump file (mode 0600).
    pub fn create(path: &Path) -> io::Result<DebugDump> {
        Ok(DebugDump {
            out: BufWriter::with_capacity(1 << 20, create_private(path)?),
            bytes: 0,
        })
    }

    fn line(&mut self, tag: &str, ev: &Event<'_>) -> io::Result<()> {
        let s = format!("{tag} {ev:?}\n");
        self.bytes += s.len() as u64;
        self.out.write_all(s.as_bytes())
    }
}

impl Output for DebugDump {
    fn write_state(&mut self, records: &[Event<'_>]) -> io::Result<()> {
        records.iter().try_for_each(|r| self.line("S", r))
    }
    fn append(&mut self, ev: &Event<'_>) -> io::Result<()> {
        self.line("E", ev)
    }
    fn tick(&mut self) -> io::Result<()> {
        self.out.flush()
    }
    fn bytes(&self) -> u64 {
        self.bytes
    }
    fn finish(mut self: Box<Self>) -> io::Result<u64> {
        self.out.flush()?;
        self.out.get_ref().sync_all()?;
        Ok(self.bytes)
    }
}

/// The path of the `k`-th file of a rotated capture: `FILE` first, then `FILE.1`, `FILE.2`...
pub fn rotated_path(base: &Path, k: u64) -> PathBuf {
    if k == 0 {
        base.to_path_buf()
    } else {
        let mut s = base.as_os_str().to_owned();
        s.push(format!(".{k}"));
        PathBuf::from(s)
    }
}

/// Removes the file that falls out of a rotation keeping `count` files once file `k` exists.
pub fn prune_rotated(base: &Path, k: u64, count: u64) -> io::Result<()> {
    if count == 0 || k < count {
        return Ok(());
    }
    match fs::remove_file(rotated_path(base, k - count)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_names_and_pruning() {
        let dir = std::env::temp_dir().join(format!("cf-rot-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("tmp");
        let base = dir.join("cap.case");
        assert_eq!(rotated_path(&base, 0), base);
        assert_eq!(rotated_path(&base, 2), dir.join("cap.case.2"));
        for k in 0..4 {
            fs::write(rotated_path(&base, k), b"x").expect("write");
            prune_rotated(&base, k, 2).expect("prune");
        }
        assert!(!base.exists());
        assert!(!rotated_path(&base, 1).exists());
        assert!(rotated_path(&base, 2).exists());
        assert!(rotated_path(&base, 3).exists());
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn capture_files_are_private() {
        let p = std::env::temp_dir().join(format!("cf-mode-{}", std::process::id()));
        let d = DebugDump::create(&p).expect("create");
        Box::new(d).finish().expect("finish");
        let mode = fs::metadata(&p).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        fs::remove_file(&p).expect("cleanup");
    }
}
