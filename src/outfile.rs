//! Every file a command writes is created new, readable by its owner only (mode 0600).
//!
//! A capture is evidence: an output path must never lead `casefile` (often run as root) to
//! write through a symbolic link someone planted, or to reuse an existing file that keeps
//! another owner and mode. So:
//!
//! - An existing path (a file, a link, anything) is refused unless the user passes `--force`.
//! - A file is only ever created with `O_CREAT | O_EXCL` (which never follows a link), mode 0600.
//! - With `--force`, nothing is written through the existing path: a new file is made under a
//!   temporary name in the same directory and renamed onto it (a link is replaced, its target
//!   untouched).
//!
//! Tools that write their output in one go ([`NewFile`]: export, import, merge, keygen) write a
//! file that has no name yet (`O_TMPFILE`, or a temporary name where the filesystem cannot) and
//! put it at the path only when done: a failed or killed run leaves no partial output and the
//! old file as it was. `record` needs its file under its name while it
//! grows ([`create_growing`]): it creates it up front and holds an exclusive `flock` on it, so a
//! second recorder on the same path is refused instead of corrupting the first one's file.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Why an output file could not be created.
#[derive(Debug, thiserror::Error)]
pub enum OutfileError {
    /// The path exists and `--force` was not given.
    #[error("{} exists ({what}); not overwritten: pass --force to replace it", path.display())]
    Exists {
        /// The output path.
        path: PathBuf,
        /// What is there: "a file", "a symbolic link", ...
        what: &'static str,
    },
    /// Another process holds the capture's lock: a recorder is writing it.
    #[error("another recorder{} is writing {}", pid.map_or(String::new(), |p| format!(" (pid {p})")), path.display())]
    Locked {
        /// The capture.
        path: PathBuf,
        /// The lock holder, when `/proc/locks` tells.
        pid: Option<u32>,
    },
    /// A system call failed.
    #[error("cannot {op} {}", path.display())]
    Io {
        /// What was being done: "create", "replace", ...
        op: &'static str,
        /// The file it was done to.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl From<OutfileError> for io::Error {
    fn from(e: OutfileError) -> io::Error {
        let kind = match &e {
            OutfileError::Exists { .. } => io::ErrorKind::AlreadyExists,
            OutfileError::Locked { .. } => io::ErrorKind::WouldBlock,
            OutfileError::Io { source, .. } => source.kind(),
        };
        io::Error::new(kind, e)
    }
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> OutfileError + 'a {
    move |source| OutfileError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// Refuses `path` when something is there and `force` is not set. Commands call it (through
/// [`NewFile::create`]) before their work, so a refusal comes first, not after minutes of it.
pub fn check_free(path: &Path, force: bool) -> Result<(), OutfileError> {
    if force {
        return Ok(());
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) => Err(OutfileError::Exists {
            path: path.to_path_buf(),
            what: describe(m.file_type()),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("check", path)(e)),
    }
}

/// What kind of thing a path is, for messages.
pub fn describe(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_file() {
        "a file"
    } else {
        "not a regular file"
    }
}

/// Creates `path` new: `O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0600 (less if the umask says so).
/// For a file inside a directory that is itself new ([`NewDir`]); anything else goes through
/// [`NewFile`] or [`create_growing`].
pub fn create_new(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
        #[cfg(target_os = "linux")]
        o.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    }
    o.open(path)
}

/// A fresh file under a temporary name next to `path` (same directory, so a rename is atomic):
/// `.NAME.PID.N.tmp`.
fn create_temp(path: &Path) -> Result<(File, PathBuf), OutfileError> {
    at_temp_name(path, create_new)
}

/// The directory `path` is in.
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Runs `make` on temporary names next to `path` until one is free.
fn at_temp_name<T>(
    path: &Path,
    mut make: impl FnMut(&Path) -> io::Result<T>,
) -> Result<(T, PathBuf), OutfileError> {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = path.file_name().ok_or_else(|| OutfileError::Io {
        op: "create",
        path: path.to_path_buf(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "not a file name"),
    })?;
    loop {
        let mut tmp = std::ffi::OsString::from(".");
        tmp.push(name);
        tmp.push(format!(
            ".{}.{}.tmp",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let tmp = parent_dir(path).join(tmp);
        match make(&tmp) {
            Ok(t) => return Ok((t, tmp)),
            // A leftover of an earlier run with our pid: try the next name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_err("create", path)(e)),
        }
    }
}

/// A file with no name yet in `path`'s directory (`O_TMPFILE`), mode 0600: nothing of it is
/// left behind if the process dies before [`link_unnamed`] names it. `None` where the
/// filesystem or kernel cannot make one.
#[cfg(target_os = "linux")]
fn create_unnamed(path: &Path) -> Result<Option<File>, OutfileError> {
    use std::os::unix::fs::OpenOptionsExt;
    let made = OpenOptions::new()
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_TMPFILE | libc::O_CLOEXEC)
        .open(parent_dir(path));
    match made {
        Ok(f) => Ok(Some(f)),
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(io_err("create", path)(e)),
    }
}

/// Gives an unnamed file the name `to`; fails with `AlreadyExists` when `to` exists (a link
/// included: `linkat` never follows the new name).
#[cfg(target_os = "linux")]
fn link_unnamed(file: &File, to: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in the path"))
    };
    let to = c(to)?;
    // SAFETY: a descriptor we own, an empty and a NUL-terminated path that outlive the call.
    let r = unsafe {
        libc::linkat(
            file.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_EMPTY_PATH,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc link of the descriptor does not.
    if !matches!(e.raw_os_error(), Some(libc::ENOENT | libc::EPERM)) {
        return Err(e);
    }
    let proc = c(Path::new(&format!("/proc/self/fd/{}", file.as_raw_fd())))?;
    // SAFETY: two NUL-terminated paths that outlive the call.
    let r = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            proc.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Moves `from` onto `to`, failing with [`OutfileError::Exists`] when something is at `to`
/// (atomically: `renameat2(RENAME_NOREPLACE)`, or `link` + `unlink` where the filesystem has no
/// such rename).
fn rename_noreplace(from: &Path, to: &Path) -> Result<(), OutfileError> {
    let exists = |to: &Path| OutfileError::Exists {
        path: to.to_path_buf(),
        what: std::fs::symlink_metadata(to)
            .map_or("created meanwhile", |m| describe(m.file_type())),
    };
    #[cfg(target_os = "linux")]
    match renameat2(from, to, libc::RENAME_NOREPLACE) {
        Ok(()) => return Ok(()),
        Err(e) => match e.raw_os_error() {
            Some(libc::EEXIST) => return Err(exists(to)),
            // No RENAME_NOREPLACE on this filesystem or kernel: link below.
            Some(libc::EINVAL | libc::ENOSYS) => {}
            _ => return Err(io_err("create", to)(e)),
        },
    }
    match std::fs::hard_link(from, to) {
        Ok(()) => {
            let _ = std::fs::remove_file(from);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(exists(to)),
        Err(e) => Err(io_err("create", to)(e)),
    }
}

/// An output written in one go: a file with no name (`O_TMPFILE`; where the filesystem has none,
/// a temporary name) until [`NewFile::commit`] puts it at the path. Dropped without a commit, it
/// goes and the path is left as it was; a process killed before the commit leaves nothing.
#[derive(Debug)]
pub struct NewFile {
    file: File,
    /// The temporary name, when the file has one.
    temp: Option<PathBuf>,
    path: PathBuf,
    force: bool,
    committed: bool,
}

impl NewFile {
    /// Refuses an existing `path` (unless `force`) and creates the temporary file.
    pub fn create(path: &Path, force: bool) -> Result<NewFile, OutfileError> {
        check_free(path, force)?;
        #[cfg(target_os = "linux")]
        let unnamed = create_unnamed(path)?;
        #[cfg(not(target_os = "linux"))]
        let unnamed = None;
        let (file, temp) = match unnamed {
            Some(f) => (f, None),
            None => create_temp(path).map(|(f, t)| (f, Some(t)))?,
        };
        Ok(NewFile {
            file,
            temp,
            path: path.to_path_buf(),
            force,
            committed: false,
        })
    }

    /// The file to write (a second handle on the temporary file).
    pub fn file(&self) -> Result<File, OutfileError> {
        self.file.try_clone().map_err(io_err("write", &self.path))
    }

    /// The output path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Syncs the file and puts it in place: replacing what is there with `force`, refusing it
    /// otherwise (something may have appeared there since [`NewFile::create`]).
    pub fn commit(mut self) -> Result<(), OutfileError> {
        self.file.sync_all().map_err(io_err("write", &self.path))?;
        #[cfg(target_os = "linux")]
        if self.temp.is_none() {
            if !self.force {
                link_unnamed(&self.file, &self.path).map_err(|e| match e.kind() {
                    io::ErrorKind::AlreadyExists => OutfileError::Exists {
                        path: self.path.clone(),
                        what: std::fs::symlink_metadata(&self.path)
                            .map_or("created meanwhile", |m| describe(m.file_type())),
                    },
                    _ => io_err("create", &self.path)(e),
                })?;
                self.committed = true;
                return Ok(());
            }
            // A name next to the path first, then the rename over what is there.
            let ((), temp) = at_temp_name(&self.path, |t| link_unnamed(&self.file, t))?;
            self.temp = Some(temp);
        }
        let Some(temp) = &self.temp else {
            return Ok(());
        };
        if self.force {
            std::fs::rename(temp, &self.path).map_err(io_err("replace", &self.path))?;
        } else {
            rename_noreplace(temp, &self.path)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for NewFile {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.as_ref().filter(|_| !self.committed) {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// A directory of output files written in one go (`export --format parquet`): built under a
/// temporary name next to the path and renamed onto it by [`NewDir::commit`]. Dropped without a
/// commit, the temporary directory is removed. With `force` an existing directory is only
/// replaced when it holds nothing but files named `prefix*suffix` (an earlier export's).
#[derive(Debug)]
pub struct NewDir {
    temp: PathBuf,
    path: PathBuf,
    force: bool,
    committed: bool,
    /// What a replaceable directory may hold: names with this prefix and suffix.
    parts: (&'static str, &'static str),
}

impl NewDir {
    /// Refuses an existing `path` (unless `force`) and creates the temporary directory (0700).
    pub fn create(
        path: &Path,
        force: bool,
        parts: (&'static str, &'static str),
    ) -> Result<NewDir, OutfileError> {
        check_free(path, force)?;
        if force {
            Self::replaceable(path, parts)?;
        }
        let (f, temp) = create_temp(path)?;
        // The name is ours now; a directory takes its place.
        drop(f);
        std::fs::remove_file(&temp).map_err(io_err("create", path))?;
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(&temp).map_err(io_err("create", path))?;
        Ok(NewDir {
            temp,
            path: path.to_path_buf(),
            force,
            committed: false,
            parts,
        })
    }

    /// Where to write the files until the commit.
    pub fn temp(&self) -> &Path {
        &self.temp
    }

    /// Refuses a directory at `path` that holds anything but `prefix*suffix` files.
    fn replaceable(path: &Path, (prefix, suffix): (&str, &str)) -> Result<(), OutfileError> {
        let Ok(m) = std::fs::symlink_metadata(path) else {
            return Ok(());
        };
        if !m.is_dir() {
            return Ok(());
        }
        for e in std::fs::read_dir(path).map_err(io_err("read", path))? {
            let e = e.map_err(io_err("read", path))?;
            let ok = e.file_type().is_ok_and(|t| t.is_file())
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with(prefix) && n.ends_with(suffix));
            if !ok {
                return Err(OutfileError::Exists {
                    path: path.to_path_buf(),
                    what: "a directory holding other files than an export's",
                });
            }
        }
        Ok(())
    }

    /// Syncs the files and puts the directory in place (see [`NewDir`]).
    pub fn commit(mut self) -> Result<(), OutfileError> {
        for e in std::fs::read_dir(&self.temp).map_err(io_err("write", &self.path))? {
            let p = e.map_err(io_err("write", &self.path))?.path();
            File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(io_err("write", &p))?;
        }
        let old = std::fs::symlink_metadata(&self.path).ok();
        match old {
            None => rename_noreplace(&self.temp, &self.path)?,
            Some(_) if !self.force => {
                return Err(OutfileError::Exists {
                    path: self.path.clone(),
                    what: old.as_ref().map_or("", |m| describe(m.file_type())),
                });
            }
            Some(m) => {
                Self::replaceable(&self.path, self.parts)?;
                // The old one takes the temporary name, then goes.
                exchange(&self.temp, &self.path)?;
                let gone = if m.is_dir() {
                    std::fs::remove_dir_all(&self.temp)
                } else {
                    std::fs::remove_file(&self.temp)
                };
                // (Nothing is left there when `exchange` had to remove the old one first.)
                match gone {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => {
                        return Err(io_err("remove", &self.temp)(e));
                    }
                    _ => {}
                }
            }
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for NewDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.temp);
        }
    }
}

/// Swaps `a` and `b` (`renameat2(RENAME_EXCHANGE)`), or, where the filesystem cannot, removes
/// `b` and moves `a` there, leaving nothing at `a`.
fn exchange(from: &Path, onto: &Path) -> Result<(), OutfileError> {
    #[cfg(target_os = "linux")]
    match renameat2(from, onto, libc::RENAME_EXCHANGE) {
        Ok(()) => return Ok(()),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {}
        Err(e) => return Err(io_err("replace", onto)(e)),
    }
    let m = std::fs::symlink_metadata(onto).map_err(io_err("replace", onto))?;
    if m.is_dir() {
        std::fs::remove_dir_all(onto)
    } else {
        std::fs::remove_file(onto)
    }
    .and_then(|()| std::fs::rename(from, onto))
    .map_err(io_err("replace", onto))
}

/// `renameat2(2)` with `flags`, both paths relative to the current directory.
#[cfg(target_os = "linux")]
fn renameat2(from: &Path, to: &Path, flags: libc::c_uint) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in the path"))
    };
    let (from, to) = (c(from)?, c(to)?);
    // SAFETY: two NUL-terminated paths that outlive the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            flags,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Creates a capture that is written while it grows (`record`), under its name from the start,
/// and locks it (`flock`, exclusive) for as long as the returned file, or a clone of it, is open.
///
/// Without `force` an existing path is refused. With `force`, a file another recorder holds
/// locked is refused ([`OutfileError::Locked`]); anything else there is replaced by renaming a
/// fresh, already locked file onto it. While the rename happens the old file's lock is held, so
/// of two recorders started together on one path only one gets it.
#[cfg(target_os = "linux")]
pub fn create_growing(path: &Path, force: bool) -> Result<File, OutfileError> {
    if !force {
        let f = create_new(path).map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => OutfileError::Exists {
                path: path.to_path_buf(),
                what: std::fs::symlink_metadata(path).map_or("a file", |m| describe(m.file_type())),
            },
            _ => io_err("create", path)(e),
        })?;
        lock(&f, path)?;
        return Ok(f);
    }
    // The path may appear between the look and the rename: look again then (a few times).
    let mut tries = 0;
    loop {
        tries += 1;
        // Held (when it is a file) until the rename is done.
        let old = lock_existing(path)?;
        let (f, temp) = create_temp(path)?;
        let placed = lock(&f, path).and_then(|()| match old {
            Old::Present(_) => std::fs::rename(&temp, path).map_err(io_err("replace", path)),
            Old::Absent => rename_noreplace(&temp, path),
        });
        match placed {
            Ok(()) => return Ok(f),
            Err(OutfileError::Exists { .. }) if tries < 5 => {
                let _ = std::fs::remove_file(&temp);
            }
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                return Err(e);
            }
        }
    }
}

/// `flock(LOCK_EX | LOCK_NB)` on a capture.
#[cfg(target_os = "linux")]
fn lock(f: &File, path: &Path) -> Result<(), OutfileError> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => {}
            Some(libc::EWOULDBLOCK) => {
                return Err(OutfileError::Locked {
                    path: path.to_path_buf(),
                    pid: lock_holder(f),
                });
            }
            _ => return Err(io_err("lock", path)(e)),
        }
    }
}

/// What is at a path `--force` replaces.
#[cfg(target_os = "linux")]
enum Old {
    /// Nothing.
    Absent,
    /// Something, with the old file open and locked when it is a regular file we can open.
    Present(#[expect(dead_code, reason = "held for its lock")] Option<File>),
}

/// Looks at what is at `path` before `--force` replaces it, and locks it when it is a file:
/// refused when another recorder holds it.
#[cfg(target_os = "linux")]
fn lock_existing(path: &Path) -> Result<Old, OutfileError> {
    use std::os::unix::fs::OpenOptionsExt;
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Old::Absent),
        Err(e) => return Err(io_err("check", path)(e)),
    };
    if !meta.file_type().is_file() {
        // A link (replaced, never followed), a FIFO, a directory (the rename will say no)...
        return Ok(Old::Present(None));
    }
    let old = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path);
    match old {
        Ok(f) => {
            lock(&f, path)?;
            Ok(Old::Present(Some(f)))
        }
        // Swapped for something else meanwhile, or unreadable: it is replaced all the same.
        Err(_) => Ok(Old::Present(None)),
    }
}

/// The pid `/proc/locks` names for a lock on `f`'s inode. Its lines read
/// `1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF` (major and minor in hex).
#[cfg(target_os = "linux")]
fn lock_holder(f: &File) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let m = f.metadata().ok()?;
    let dev = m.dev();
    let want = format!(
        "{:02x}:{:02x}:{}",
        libc::major(dev),
        libc::minor(dev),
        m.ino()
    );
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    locks.lines().find_map(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        let at = w.iter().position(|s| *s == want)?;
        (w.get(1) == Some(&"FLOCK")).then_some(())?;
        w.get(at.checked_sub(1)?)?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cf-outfile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("dir");
        d
    }

    fn names(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_new_file_appears_whole_and_private_on_commit_only() {
        let d = tempdir("commit");
        let p = d.join("out");
        let n = NewFile::create(&p, false).expect("create");
        n.file().expect("file").write_all(b"data").expect("write");
        assert!(!p.exists(), "nothing at the path before the commit");
        if n.temp.is_none() {
            assert!(names(&d).is_empty(), "an unnamed file: {:?}", names(&d));
        }
        n.commit().expect("commit");
        assert_eq!(std::fs::read(&p).expect("read"), b"data");
        let mode = std::fs::metadata(&p).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(names(&d), ["out"]);
        // Dropped without commit: no output, no temporary file.
        let q = d.join("q");
        drop(NewFile::create(&q, false).expect("create"));
        assert_eq!(names(&d), ["out"]);
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    #[test]
    fn links_and_files_are_refused_and_replaced_only_with_force() {
        let d = tempdir("force");
        let target = d.join("victim");
        std::fs::write(&target, b"keep").expect("victim");
        let link = d.join("out");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let e = NewFile::create(&link, false).expect_err("refused");
        assert!(e.to_string().contains("a symbolic link"), "{e}");
        // Something appearing between create and commit is not overwritten either.
        let late = d.join("late");
        let n = NewFile::create(&late, false).expect("create");
        std::fs::write(&late, b"first").expect("write");
        assert!(matches!(n.commit(), Err(OutfileError::Exists { .. })));
        assert_eq!(std::fs::read(&late).expect("read"), b"first");
        let n = NewFile::create(&link, true).expect("create");
        n.file().expect("file").write_all(b"new").expect("write");
        n.commit().expect("commit");
        assert!(!std::fs::symlink_metadata(&link).expect("stat").is_symlink());
        assert_eq!(std::fs::read(&link).expect("read"), b"new");
        assert_eq!(std::fs::read(&target).expect("read"), b"keep");
        std::fs::remove_dir_all(&d).expect("cleanup");
    }

    #[test]
    fn a_growing_capture_is_locked_against_a_second_writer() {
        let d = tempdir("lock");
        let p = d.join("cap");
        let first = create_growing(&p, false).expect("create");
        let e = create_growing(&p, false).expect_err("exists");
        assert!(matches!(e, OutfileError::Exists { .. }), "{e}");
        let e = create_growing(&p, true).expect_err("locked");
        match e {
            OutfileError::Locked { pid, .. } => assert_eq!(pid, Some(std::process::id())),
            e => panic!("{e}"),
        }
        drop(first);
        // Unlocked now: --force replaces it with a new file.
        let second = create_growing(&p, true).expect("replace");
        assert!(matches!(
            create_growing(&p, true),
            Err(OutfileError::Locked { .. })
        ));
        drop(second);
        assert_eq!(names(&d), ["cap"]);
        std::fs::remove_dir_all(&d).expect("cleanup");
    }
}
