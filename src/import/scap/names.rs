//! How libs names system calls, events and their parameters, next to casefile's names: the
//! one place where the importer (casefile name → libs name) and `evt.arg[N]` (libs name →
//! casefile name) translate between them.

use super::event::{EventInfo, ef};
use super::event_table::EVENTS;

/// libs names of calls that the kernel's x86_64 table names differently.
pub fn kernel_name(name: &str) -> &str {
    match name {
        "sigreturn" => "rt_sigreturn",
        "pread" => "pread64",
        "pwrite" => "pwrite64",
        "prlimit" => "prlimit64",
        "umount" => "umount2",
        "send" => "sendto",
        "recv" => "recvfrom",
        "mmap2" => "mmap",
        "llseek" => "lseek",
        "fstat64" => "fstat",
        "stat64" => "stat",
        "lstat64" => "lstat",
        n => n,
    }
}

/// Where libs holds a casefile parameter (or a record's argument) under other names: the calls
/// or record kinds, casefile's name, and libs' names, the one current libs event tables use
/// first (older tables used the others).
const RENAMED: &[(&[&str], &str, &[&str])] = &[
    (&["execve"], "filename", &["filename", "exe"]),
    (&["execveat"], "filename", &["pathname", "exe"]),
    (&["umount2"], "name", &["name", "target"]),
    (&["mount"], "type", &["type"]),
    (&["delete_module"], "name", &["name"]),
    (&["dup", "dup2", "dup3"], "oldfd", &["oldfd", "fd"]),
    // The parent's side of a clone returns the child's thread id.
    (&["procfork"], "child_tid", &["res"]),
    (&["signaldeliver"], "sender", &["spid"]),
];

/// Other names under which libs holds parameter `ours` of `call` (empty: only its own name).
pub fn libs_names(call: &str, ours: &str) -> &'static [&'static str] {
    RENAMED
        .iter()
        .find(|(calls, name, _)| *name == ours && calls.contains(&call))
        .map_or(&[], |(_, _, libs)| *libs)
}

/// casefile's name for libs' parameter `libs` of `call` (or of a record kind): the same name
/// unless [`RENAMED`] says otherwise.
pub fn our_name<'n>(call: &str, libs: &'n str) -> &'n str {
    RENAMED
        .iter()
        .find(|(calls, _, names)| names.first() == Some(&libs) && calls.contains(&call))
        .map_or(libs, |(_, ours, _)| *ours)
}

/// libs' event for `name` (a kernel call name or a libs event name) as sysdig and Falco see it:
/// the newest event type of that name, its exit when `exit` (a call's parameters are those of
/// its exit event), preferring types not kept only for old captures; libs' own name first,
/// then names that [`kernel_name`] maps to `name`. `None` when libs has no such event (or only
/// the generic `syscall` one).
pub fn libs_event(name: &str, exit: bool) -> Option<&'static EventInfo> {
    let candidates = |exact: bool| {
        EVENTS
            .iter()
            .enumerate()
            .rev()
            .filter(move |(id, e)| {
                let named = if exact {
                    e.name == name
                } else {
                    e.name != name && kernel_name(e.name) == name
                };
                // Enter and exit events alternate: exits have odd ids.
                named && e.name != "syscall" && (!exit || id % 2 == 1) && !e.params.is_empty()
            })
            .map(|(_, e)| e)
    };
    let pick = |exact: bool| {
        candidates(exact)
            .find(|e| e.flags & ef::OLD_VERSION == 0)
            .or_else(|| candidates(exact).next())
    };
    pick(true).or_else(|| pick(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(e: Option<&EventInfo>) -> Vec<&'static str> {
        e.map(|e| e.params.iter().map(|p| p.name).collect())
            .unwrap_or_default()
    }

    #[test]
    fn calls_are_numbered_by_their_current_exit_event() {
        assert_eq!(
            names(libs_event("read", true)),
            ["res", "data", "fd", "size"]
        );
        assert_eq!(
            names(libs_event("openat", true)),
            ["fd", "dirfd", "name", "flags", "mode", "dev", "ino"]
        );
        let execve = names(libs_event("execve", true));
        assert_eq!(
            execve[..7],
            ["res", "exe", "args", "tid", "pid", "ptid", "cwd"]
        );
        // Only old versions: the newest of them.
        assert_eq!(names(libs_event("select", true)), ["res"]);
        // Through the kernel's name.
        assert_eq!(names(libs_event("pread64", true))[0], "res");
        assert_eq!(names(libs_event("procexit", false))[0], "status");
        assert!(libs_event("clock_gettime", true).is_none());
        assert!(libs_event("syscall", true).is_none());
    }

    #[test]
    fn renamed_parameters_map_both_ways() {
        assert_eq!(libs_names("dup2", "oldfd"), ["oldfd", "fd"]);
        assert!(libs_names("read", "fd").is_empty());
        assert_eq!(our_name("dup2", "oldfd"), "oldfd");
        assert_eq!(our_name("procfork", "res"), "child_tid");
        assert_eq!(our_name("signaldeliver", "spid"), "sender");
        // An older name is not the current parameter's.
        assert_eq!(our_name("execve", "exe"), "exe");
        assert_eq!(our_name("read", "size"), "size");
    }
}
