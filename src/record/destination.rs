//! Where recorded events go: the capture file, rotated by size, or a debug dump. (Replay's
//! printers are `crate::output`; this is the recorder's side.)

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use capture_format::anchor::Anchor;
use capture_format::footer::StopReason;
use capture_format::schema::Event;
use capture_format::seal::Sealer;
use capture_format::{HeaderInfo, Reserve, Writer, WriterOptions};

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
    /// Whether the disk filled: nothing more can be written, and `finish` still seals the file.
    fn is_full(&self) -> bool {
        false
    }
    /// Events dropped because the disk was full.
    fn dropped(&self) -> u64 {
        0
    }
    /// Seals the chain so far (with a key) and anchors it (with an anchor log). `now` is the
    /// wall clock; every event before `through` has been appended.
    fn checkpoint(&mut self, _now: u64, _through: u64) -> io::Result<()> {
        Ok(())
    }
    /// Writes key/value notes the header could not hold when it was written (an incident's
    /// later triggers); outputs without a file ignore them.
    fn notes(&mut self, _entries: &[(u16, Vec<u8>)]) -> io::Result<()> {
        Ok(())
    }
    /// Says in the file that the recording stopped before it was meant to; `unwritten` events
    /// could not be written.
    fn stop_early(&mut self, _why: StopReason, _unwritten: u64) {}
    /// Writes the footer and closes the file; returns its final size.
    fn finish(self: Box<Self>) -> io::Result<u64>;
}

/// How old a block may get before it is written. An event waits up to the reorder window
/// (50 ms) and one release interval before it reaches the writer, and the writer looks at the
/// clock at least every 100 ms: 400 ms keeps what a killed recorder loses near half a second,
/// under the promised second with room for a recorder that falls behind on a busy machine.
const MAX_BLOCK_AGE: std::time::Duration = std::time::Duration::from_millis(400);

/// Where anchors go: a log elsewhere, shared by the files of a rotation. A write that fails
/// stops the anchoring (with a warning), never the recording.
#[derive(Clone)]
pub struct AnchorLog(Arc<Mutex<Option<(PathBuf, File)>>>);

impl AnchorLog {
    /// Opens `path` for appending (created 0600 when missing). A FIFO must already have a
    /// reader: the open fails at once rather than block.
    pub fn open(path: &Path) -> io::Result<AnchorLog> {
        let f = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| {
                if e.raw_os_error() == Some(libc::ENXIO) {
                    io::Error::new(e.kind(), "a FIFO that no process reads")
                } else {
                    e
                }
            })?;
        // Writes block again from here on: a slow logger slows the anchoring, not its lines.
        use std::os::fd::AsRawFd;
        // SAFETY: fcntl on a descriptor we own, with plain integer arguments.
        unsafe {
            let fl = libc::fcntl(f.as_raw_fd(), libc::F_GETFL);
            if fl >= 0 {
                libc::fcntl(f.as_raw_fd(), libc::F_SETFL, fl & !libc::O_NONBLOCK);
            }
        }
        Ok(AnchorLog(Arc::new(Mutex::new(Some((
            path.to_path_buf(),
            f,
        ))))))
    }

    fn append(&self, a: &Anchor) {
        let mut g = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((path, f)) = g.as_mut()
            && let Err(e) = f.write_all(a.to_line().as_bytes())
        {
            eprintln!(
                "casefile: warning: cannot append to the anchor log {}: {e}; anchoring stopped,                  recording goes on",
                path.display()
            );
            *g = None;
        }
    }
}

/// A capture file written through `capture_format::Writer`, sealed with checkpoints and on
/// finish when given a key, and anchored when given a log.
///
/// A full disk must still end in a sealed file: before each block the writer reserves, with
/// `fallocate` beyond the end of the file, room for the block and for everything `finish` will
/// write (footer, tables, signature, trailer). When that fails the block is dropped, the
/// recorder stops, and the footer goes into the space reserved for it. The reserve is released
/// when the file is finished.
pub struct CaptureOutput {
    writer: Writer<File>,
    anchors: Option<AnchorLog>,
}

impl CaptureOutput {
    /// Starts the capture in `file`, new and empty (see `crate::outfile::create_growing`), by
    /// writing its header.
    ///
    /// With rotation, blocks are cut at a quarter of the rotation size (at most the default
    /// 1 MiB), so a file overshoots its limit by at most about a quarter. With `aggregates`,
    /// each block's aggregates are computed off this thread (`super::index`).
    pub fn create(
        file: File,
        info: &HeaderInfo,
        sealer: Option<Sealer>,
        anchors: Option<AnchorLog>,
        rotate_size: Option<u64>,
        aggregates: bool,
    ) -> io::Result<CaptureOutput> {
        let reserve = reserve_beyond_end(file.try_clone()?);
        let default = WriterOptions::default();
        let block_bytes = rotate_size.map_or(default.block_bytes, |r| {
            usize::try_from(r / 4)
                .unwrap_or(usize::MAX)
                .clamp(4096, default.block_bytes)
        });
        let opts = WriterOptions {
            max_age: MAX_BLOCK_AGE,
            block_bytes,
            ..default
        };
        let mut writer = Writer::new(file, info, opts)?;
        writer.set_reserve(reserve);
        if let Some(s) = sealer {
            writer.set_sealer(s);
        }
        if aggregates && let Err(e) = super::index::attach_deferred(&mut writer, info) {
            eprintln!("casefile: warning: {e}; recording without aggregates");
        }
        Ok(CaptureOutput { writer, anchors })
    }
}

/// Reserves `[offset, offset + len)` of `file` without changing its size. Filesystems without
/// `fallocate` get no reserve (a full disk then leaves a file without footer, which readers
/// recover block by block).
fn reserve_beyond_end(file: File) -> Reserve {
    use std::os::fd::AsRawFd;
    let mut supported = true;
    Box::new(move |offset, len| {
        while supported {
            // SAFETY: fallocate on a descriptor we own; no memory is passed.
            let r = unsafe {
                libc::fallocate(
                    file.as_raw_fd(),
                    libc::FALLOC_FL_KEEP_SIZE,
                    offset as libc::off_t,
                    len as libc::off_t,
                )
            };
            if r == 0 {
                return Ok(());
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => {}
                Some(libc::EOPNOTSUPP) => supported = false,
                _ => return Err(e),
            }
        }
        Ok(())
    })
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
    fn is_full(&self) -> bool {
        self.writer.is_full()
    }
    fn dropped(&self) -> u64 {
        self.writer.stats().dropped
    }
    fn checkpoint(&mut self, now: u64, through: u64) -> io::Result<()> {
        let a = self.writer.checkpoint(now, through)?;
        if let Some(log) = &self.anchors {
            log.append(&a);
        }
        Ok(())
    }
    fn notes(&mut self, entries: &[(u16, Vec<u8>)]) -> io::Result<()> {
        self.writer.write_notes(entries)
    }
    fn stop_early(&mut self, why: StopReason, unwritten: u64) {
        self.writer.stop_early(why, unwritten);
    }
    fn finish(self: Box<Self>) -> io::Result<u64> {
        let (f, a) = self
            .writer
            .finish_anchored(super::procfs::Clock::wall_now())?;
        if let Some(log) = &self.anchors {
            log.append(&a);
        }
        // Truncating to the size it has releases what is still reserved beyond the end.
        let len = f.metadata()?.len();
        f.set_len(len)?;
        f.sync_all()?;
        Ok(len)
    }
}

/// A text dump of the records, one `Debug` line each: for looking at what the probe sends.
pub struct DebugDump {
    out: BufWriter<File>,
    bytes: u64,
}

impl DebugDump {
    /// Starts the dump in `file`, new and empty (see `crate::outfile::create_growing`).
    pub fn create(file: File) -> DebugDump {
        DebugDump {
            out: BufWriter::with_capacity(1 << 20, file),
            bytes: 0,
        }
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
        use std::os::unix::fs::PermissionsExt;
        let p = std::env::temp_dir().join(format!("cf-mode-{}", std::process::id()));
        let _ = fs::remove_file(&p);
        let f = crate::outfile::create_growing(&p, false).expect("create");
        Box::new(DebugDump::create(f)).finish().expect("finish");
        let mode = fs::metadata(&p).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        fs::remove_file(&p).expect("cleanup");
    }
}
