//! The command a recording runs (`record -- CMD`): started, held before its `exec` until the
//! probe is attached, then released and waited for.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitStatus;

use super::RecordError;

/// A command started but held before its `exec` until the probe is attached, so its pid is
/// known at load time and none of its activity is missed. (`std::process::Command` cannot do
/// this: `spawn` waits for the exec.)
pub(super) struct HeldChild {
    pid: libc::pid_t,
    gate: OwnedFd,
}

/// A released command.
pub struct Child {
    pub(super) pid: libc::pid_t,
    status: Option<ExitStatus>,
}

pub(super) fn spawn_held(prog: &OsString, args: &[OsString]) -> Result<HeldChild, RecordError> {
    let name = prog.to_string_lossy().into_owned();
    let spawn_err = |source| RecordError::Spawn {
        command: name.clone(),
        source,
    };
    let cstr = |s: &OsStr| {
        CString::new(s.as_bytes()).map_err(|_| spawn_err(io::ErrorKind::InvalidInput.into()))
    };
    let path = runnable(prog)?;
    let path = cstr(path.as_os_str())?;
    let argv: Vec<CString> = std::iter::once(prog.as_os_str())
        .chain(args.iter().map(OsString::as_os_str))
        .map(cstr)
        .collect::<Result<_, _>>()?;
    let envp: Vec<CString> = std::env::vars_os()
        .filter_map(|(k, v)| {
            let mut kv = k.into_vec();
            kv.push(b'=');
            kv.extend(v.into_vec());
            CString::new(kv).ok()
        })
        .collect();
    let mut argv_p: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_p.push(std::ptr::null());
    let mut envp_p: Vec<*const libc::c_char> = envp.iter().map(|a| a.as_ptr()).collect();
    envp_p.push(std::ptr::null());

    let mut fds = [0i32; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(spawn_err(io::Error::last_os_error()));
    }
    // SAFETY: pipe2 succeeded, so both are open descriptors we now own.
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the child only calls async-signal-safe functions (close, read, execve, _exit) on
    // memory prepared before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(spawn_err(io::Error::last_os_error()));
    }
    if pid == 0 {
        // SAFETY: see above; nothing here returns to Rust code.
        unsafe {
            libc::close(wr.as_raw_fd());
            let mut b = 0u8;
            loop {
                let n = libc::read(rd.as_raw_fd(), (&raw mut b).cast(), 1);
                if n == 1 {
                    libc::execve(path.as_ptr(), argv_p.as_ptr(), envp_p.as_ptr());
                    // As a shell: 127 when it is not there (or its interpreter is not), else 126.
                    let e = *libc::__errno_location();
                    libc::_exit(if e == libc::ENOENT || e == libc::ENOTDIR {
                        127
                    } else {
                        126
                    });
                }
                if n == 0 || *libc::__errno_location() != libc::EINTR {
                    // The recorder went away without releasing us: do not run unrecorded.
                    libc::_exit(125);
                }
            }
        }
    }
    drop(rd);
    Ok(HeldChild { pid, gate: wr })
}

/// The file `prog` names, when it can be run; a shell's 127 (not found) or 126 (found, not
/// executable) otherwise, before anything is started.
fn runnable(prog: &OsStr) -> Result<PathBuf, RecordError> {
    let fail = |status, reason: &str| RecordError::NotRunnable {
        command: prog.to_string_lossy().into_owned(),
        reason: reason.to_owned(),
        status,
    };
    let Some(path) = resolve(prog) else {
        return Err(fail(127, "command not found (searched PATH)"));
    };
    match std::fs::metadata(&path) {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Err(fail(127, "no such file or directory"))
        }
        Err(e) => Err(fail(126, &e.to_string())),
        Ok(m) if m.is_dir() => Err(fail(126, "is a directory")),
        Ok(m) if !m.is_file() || m.permissions().mode() & 0o111 == 0 => {
            Err(fail(126, "not executable"))
        }
        Ok(_) => Ok(path),
    }
}

/// Finds a program on `PATH` as `execvp` would.
fn resolve(prog: &OsStr) -> Option<PathBuf> {
    if prog.as_bytes().contains(&b'/') {
        return Some(PathBuf::from(prog));
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join(prog))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

impl HeldChild {
    pub(super) fn pid(&self) -> u32 {
        self.pid as u32
    }

    pub(super) fn release(self) -> Result<Child, RecordError> {
        // SAFETY: writing one byte from a valid buffer to an fd we own.
        let n = unsafe { libc::write(self.gate.as_raw_fd(), [1u8].as_ptr().cast(), 1) };
        if n != 1 {
            return Err(RecordError::Spawn {
                command: format!("pid {}", self.pid),
                source: io::Error::last_os_error(),
            });
        }
        Ok(Child {
            pid: self.pid,
            status: None,
        })
    }

    pub(super) fn abandon(self) {
        let pid = self.pid;
        drop(self.gate);
        let mut st = 0;
        // SAFETY: reaping our own child.
        unsafe { libc::waitpid(pid, &raw mut st, 0) };
    }
}

impl Child {
    /// The exit status, once the command has exited.
    pub(super) fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            let mut st = 0;
            // SAFETY: polling our own child without blocking.
            if unsafe { libc::waitpid(self.pid, &raw mut st, libc::WNOHANG) } == self.pid {
                self.status = Some(ExitStatus::from_raw(st));
            }
        }
        self.status
    }
}
