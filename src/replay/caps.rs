//! Capability sets as Falco's `thread.cap_*` fields show them: the names of the bits set,
//! lowest bit first, separated by spaces (`CAP_CHOWN CAP_DAC_OVERRIDE ...`).

/// Capability names by bit number (linux/capability.h).
pub const NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// The names of the bits set in `caps` (bits past the known names are left out, as libs
/// does).
pub fn to_text(caps: u64) -> String {
    let mut out = String::new();
    for (i, name) in NAMES.iter().enumerate() {
        if caps & (1 << i) != 0 {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn sets_read_as_names() {
        assert_eq!(super::to_text(0), "");
        assert_eq!(super::to_text(1 << 21 | 1), "CAP_CHOWN CAP_SYS_ADMIN");
        assert_eq!(super::to_text(1 << 63 | 1 << 40), "CAP_CHECKPOINT_RESTORE");
        // A root shell's full set: every name, in bit order.
        assert_eq!(super::to_text(0x1ff_ffff_ffff).split(' ').count(), 41);
    }
}
