//! sysdig-style rendering of arguments, results, flags, errors and times.

use std::fmt::Write as _;

use std::net::IpAddr;

use capture_format::schema::syscalls::ParamType;
use capture_format::schema::{Sock, Value};

use super::state::{State, fd_pair};
pub use crate::timefmt::{datetime, time_of_day, time_of_day_s};

/// How payload buffers are rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BufMode {
    /// Printable ASCII, other bytes as `.` (sysdig's default).
    #[default]
    Dotted,
    /// Only the printable part, newlines kept (`-A`).
    Ascii,
    /// Hex and ASCII (`-X`): dotted inline; the printer adds a dump below the line.
    Hex,
}

/// Error names by errno (Linux, x86_64).
static ERRNO: &[&str] = &[
    "",
    "EPERM",
    "ENOENT",
    "ESRCH",
    "EINTR",
    "EIO",
    "ENXIO",
    "E2BIG",
    "ENOEXEC",
    "EBADF",
    "ECHILD",
    "EAGAIN",
    "ENOMEM",
    "EACCES",
    "EFAULT",
    "ENOTBLK",
    "EBUSY",
    "EEXIST",
    "EXDEV",
    "ENODEV",
    "ENOTDIR",
    "EISDIR",
    "EINVAL",
    "ENFILE",
    "EMFILE",
    "ENOTTY",
    "ETXTBSY",
    "EFBIG",
    "ENOSPC",
    "ESPIPE",
    "EROFS",
    "EMLINK",
    "EPIPE",
    "EDOM",
    "ERANGE",
    "EDEADLK",
    "ENAMETOOLONG",
    "ENOLCK",
    "ENOSYS",
    "ENOTEMPTY",
    "ELOOP",
    "",
    "ENOMSG",
    "EIDRM",
    "ECHRNG",
    "EL2NSYNC",
    "EL3HLT",
    "EL3RST",
    "ELNRNG",
    "EUNATCH",
    "ENOCSI",
    "EL2HLT",
    "EBADE",
    "EBADR",
    "EXFULL",
    "ENOANO",
    "EBADRQC",
    "EBADSLT",
    "",
    "EBFONT",
    "ENOSTR",
    "ENODATA",
    "ETIME",
    "ENOSR",
    "ENONET",
    "ENOPKG",
    "EREMOTE",
    "ENOLINK",
    "EADV",
    "ESRMNT",
    "ECOMM",
    "EPROTO",
    "EMULTIHOP",
    "EDOTDOT",
    "EBADMSG",
    "EOVERFLOW",
    "ENOTUNIQ",
    "EBADFD",
    "EREMCHG",
    "ELIBACC",
    "ELIBBAD",
    "ELIBSCN",
    "ELIBMAX",
    "ELIBEXEC",
    "EILSEQ",
    "ERESTART",
    "ESTRPIPE",
    "EUSERS",
    "ENOTSOCK",
    "EDESTADDRREQ",
    "EMSGSIZE",
    "EPROTOTYPE",
    "ENOPROTOOPT",
    "EPROTONOSUPPORT",
    "ESOCKTNOSUPPORT",
    "EOPNOTSUPP",
    "EPFNOSUPPORT",
    "EAFNOSUPPORT",
    "EADDRINUSE",
    "EADDRNOTAVAIL",
    "ENETDOWN",
    "ENETUNREACH",
    "ENETRESET",
    "ECONNABORTED",
    "ECONNRESET",
    "ENOBUFS",
    "EISCONN",
    "ENOTCONN",
    "ESHUTDOWN",
    "ETOOMANYREFS",
    "ETIMEDOUT",
    "ECONNREFUSED",
    "EHOSTDOWN",
    "EHOSTUNREACH",
    "EALREADY",
    "EINPROGRESS",
    "ESTALE",
];

/// The name of an errno (`2` → `ENOENT`), or `E<n>` when unknown.
pub fn errno_name(e: i64) -> String {
    match usize::try_from(e).ok().and_then(|i| ERRNO.get(i)) {
        Some(n) if !n.is_empty() => (*n).to_owned(),
        _ => match e {
            512 => "ERESTARTSYS".into(),
            _ => format!("E{e}"),
        },
    }
}

/// `evt.res`: `SUCCESS` or the error name.
pub fn res_name(ret: i64) -> String {
    if ret < 0 && ret > -4096 {
        errno_name(-ret)
    } else {
        "SUCCESS".into()
    }
}

/// A result as sysdig prints it: `3`, or `-2(ENOENT)`.
pub fn render_ret(ret: i64, ty: ParamType, out: &mut String) {
    if ret < 0 && ret > -4096 {
        let _ = write!(out, "{ret}({})", errno_name(-ret));
    } else if ty == ParamType::Hex {
        let _ = write!(out, "{ret:#x}");
    } else {
        out.push_str(itoa::Buffer::new().format(ret));
    }
}

fn flags(out: &mut String, v: u64, table: &[(u64, &str)]) {
    let mut first = true;
    let mut rest = v;
    for &(bit, name) in table {
        if bit != 0 && v & bit == bit {
            if !first {
                out.push('|');
            }
            out.push_str(name);
            first = false;
            rest &= !bit;
        }
    }
    if rest != 0 {
        if !first {
            out.push('|');
        }
        let _ = write!(out, "{rest:#x}");
    }
}

fn open_flags(out: &mut String, v: u64) {
    out.push_str(match v & 3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_ACCMODE",
    });
    let rest = v & !3;
    if rest != 0 {
        out.push('|');
        flags(
            out,
            rest,
            &[
                (0o100, "O_CREAT"),
                (0o200, "O_EXCL"),
                (0o400, "O_NOCTTY"),
                (0o1000, "O_TRUNC"),
                (0o2000, "O_APPEND"),
                (0o4000, "O_NONBLOCK"),
                (0o10000, "O_DSYNC"),
                (0o40000, "O_DIRECT"),
                (0o200_000, "O_DIRECTORY"),
                (0o400_000, "O_NOFOLLOW"),
                (0o1_000_000, "O_NOATIME"),
                (0o2_000_000, "O_CLOEXEC"),
                (0o20_000_000, "O_PATH"),
                (0o4_010_000, "O_SYNC"),
            ],
        );
    }
}

fn signal_name(s: i64) -> &'static str {
    const SIGS: &[&str] = &[
        "",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    usize::try_from(s)
        .ok()
        .and_then(|i| SIGS.get(i))
        .copied()
        .unwrap_or("")
}

/// Renders a buffer in `mode` (`-X` shows the dotted form inline and a dump below).
pub fn render_buf(b: &[u8], mode: BufMode, out: &mut String) {
    if mode == BufMode::Ascii {
        for &c in b {
            if (0x20..0x7f).contains(&c) || c == b'\n' || c == b'\t' {
                out.push(c as char);
            } else {
                out.push('.');
            }
        }
    } else {
        for &c in b {
            out.push(if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '.'
            });
        }
    }
}

/// The hex + ASCII dump `-X` prints under an event line.
pub fn hex_dump(b: &[u8], out: &mut String) {
    for (i, chunk) in b.chunks(16).enumerate() {
        let _ = write!(out, "\t0x{:04x}: ", i * 16);
        for pair in 0..8 {
            match chunk.get(pair * 2..pair * 2 + 2) {
                Some(p) => {
                    let _ = write!(out, "{:02x}{:02x} ", p[0], p[1]);
                }
                None => match chunk.get(pair * 2) {
                    Some(c) => {
                        let _ = write!(out, "{c:02x}   ");
                    }
                    None => out.push_str("     "),
                },
            }
        }
        out.push(' ');
        for &c in chunk {
            out.push(if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '.'
            });
        }
        out.push('\n');
    }
}

/// `3(<f>/etc/passwd)`: an fd with its type letter and name, when known; `-100(AT_FDCWD)`.
pub fn render_fd(state: &State, pid: u32, fd: i64, out: &mut String) {
    out.push_str(itoa::Buffer::new().format(fd));
    if fd == -100 {
        out.push_str("(AT_FDCWD)");
        return;
    }
    if let Some(f) = i32::try_from(fd).ok().and_then(|n| state.fd(pid, n)) {
        let _ = write!(out, "(<{}>", f.ty.typechar());
        out.push_str(&String::from_utf8_lossy(&f.display_name()));
        out.push(')');
    }
}

/// Renders one parameter value of type `ty`.
pub fn render_param(
    state: &State,
    pid: u32,
    ty: ParamType,
    v: &Value<'_>,
    mode: BufMode,
    out: &mut String,
) {
    let n = match v {
        Value::None => {
            out.push_str("NULL");
            return;
        }
        Value::Bytes(b) => {
            if ty == ParamType::Buffer {
                render_buf(b, mode, out);
            } else if ty == ParamType::Fd {
                if let Some((a, b)) = fd_pair(v) {
                    let _ = write!(out, "{a},{b}");
                }
            } else {
                out.push_str(&String::from_utf8_lossy(b));
            }
            return;
        }
        Value::Sock(s) => {
            render_sock(s, out);
            return;
        }
        Value::Int(n) => *n,
    };
    match ty {
        ParamType::Fd => render_fd(state, pid, n, out),
        ParamType::Hex => {
            let _ = write!(out, "{n:#x}");
        }
        ParamType::OpenFlags => {
            let _ = write!(out, "{n}(");
            open_flags(out, n as u64);
            out.push(')');
        }
        ParamType::Mode => {
            if n == 0 {
                out.push('0');
            } else {
                let _ = write!(out, "0{:o}", n & 0o7777);
            }
        }
        ParamType::Signal => {
            let name = signal_name(n);
            if name.is_empty() {
                out.push_str(itoa::Buffer::new().format(n));
            } else {
                out.push_str(itoa::Buffer::new().format(n));
                let _ = write!(out, "({name})");
            }
        }
        ParamType::Prot => {
            let _ = write!(out, "{n}(");
            if n == 0 {
                out.push_str("PROT_NONE");
            } else {
                flags(
                    out,
                    n as u64,
                    &[(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")],
                );
            }
            out.push(')');
        }
        ParamType::MmapFlags => {
            let _ = write!(out, "{n}(");
            flags(
                out,
                n as u64,
                &[
                    (1, "MAP_SHARED"),
                    (2, "MAP_PRIVATE"),
                    (0x10, "MAP_FIXED"),
                    (0x20, "MAP_ANONYMOUS"),
                ],
            );
            out.push(')');
        }
        ParamType::Family => {
            let name = match n {
                1 => "AF_UNIX",
                2 => "AF_INET",
                10 => "AF_INET6",
                16 => "AF_NETLINK",
                17 => "AF_PACKET",
                _ => "",
            };
            if name.is_empty() {
                out.push_str(itoa::Buffer::new().format(n));
            } else {
                out.push_str(itoa::Buffer::new().format(n));
                let _ = write!(out, "({name})");
            }
        }
        ParamType::SockType => {
            let name = match n & 0xf {
                1 => "SOCK_STREAM",
                2 => "SOCK_DGRAM",
                3 => "SOCK_RAW",
                5 => "SOCK_SEQPACKET",
                _ => "",
            };
            out.push_str(itoa::Buffer::new().format(n));
            let _ = write!(out, "({name})");
        }
        ParamType::CloneFlags => {
            let _ = write!(out, "{n}(");
            flags(
                out,
                n as u64,
                &[
                    (0x100, "CLONE_VM"),
                    (0x200, "CLONE_FS"),
                    (0x400, "CLONE_FILES"),
                    (0x800, "CLONE_SIGHAND"),
                    (0x1_0000, "CLONE_THREAD"),
                    (0x2_0000, "CLONE_NEWNS"),
                    (0x200_0000, "CLONE_NEWCGROUP"),
                    (0x400_0000, "CLONE_NEWUTS"),
                    (0x800_0000, "CLONE_NEWIPC"),
                    (0x1000_0000, "CLONE_NEWUSER"),
                    (0x2000_0000, "CLONE_NEWPID"),
                    (0x4000_0000, "CLONE_NEWNET"),
                ],
            );
            out.push(')');
        }
        _ => {
            out.push_str(itoa::Buffer::new().format(n));
        }
    }
}

/// `src:sport->dst:dport` (or `dst:dport` alone) as sysdig prints tuples (IPv6 without
/// brackets), without the formatting machinery: this runs for every socket event printed.
pub fn render_sock(s: &Sock, out: &mut String) {
    let end = |out: &mut String, ip: IpAddr, port: u16| {
        match ip {
            IpAddr::V4(v4) => {
                for (i, o) in v4.octets().iter().enumerate() {
                    if i > 0 {
                        out.push('.');
                    }
                    out.push_str(itoa::Buffer::new().format(*o));
                }
            }
            // sysdig prints IPv6 ends without brackets: `::1:38255->::1:2345`.
            IpAddr::V6(v6) => {
                let _ = write!(out, "{v6}");
            }
        }
        out.push(':');
        out.push_str(itoa::Buffer::new().format(port));
    };
    if s.has_src() {
        end(out, s.src_ip(), s.sport);
        out.push_str("->");
    }
    end(out, s.dst_ip(), s.dport);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::parse_rfc3339;

    #[test]
    fn times() {
        let ts = 1_764_464_523_123_456_789; // 2025-11-30 00:62:03? see below
        let mut s = String::new();
        datetime(ts, &mut s);
        assert_eq!(s, "2025-11-30 01:02:03.123456789");
        assert_eq!(parse_rfc3339("2025-11-30T01:02:03.123456789Z"), Some(ts));
        assert_eq!(
            parse_rfc3339("2025-11-30T02:02:03.123456789+01:00"),
            Some(ts)
        );
        assert_eq!(
            parse_rfc3339("2025-11-30T01:02:03Z"),
            Some(ts - 123_456_789)
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn sockets_render_as_sysdig_prints_them() {
        let cases = [
            Sock::v4(6, [10, 0, 0, 2], 40000, [93, 184, 216, 34], 443),
            Sock::v4(17, [0; 4], 0, [0, 0, 0, 0], 53),
            Sock {
                family: capture_format::schema::af::INET6,
                proto: 6,
                src: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                sport: 5,
                dst: [0; 16],
                dport: 80,
            },
        ];
        let want = [
            "10.0.0.2:40000->93.184.216.34:443",
            "0.0.0.0:53",
            "fe80::1:5->:::80",
        ];
        for (s, want) in cases.iter().zip(want) {
            let mut out = String::new();
            render_sock(s, &mut out);
            assert_eq!(out, want);
        }
        let mut t = String::new();
        time_of_day(1_767_225_600_000_000_000 + 3_723_000_000_042, &mut t);
        assert_eq!(t, "01:02:03.000000042");
    }

    #[test]
    fn results_and_flags() {
        let mut s = String::new();
        render_ret(-2, ParamType::Int, &mut s);
        assert_eq!(s, "-2(ENOENT)");
        assert_eq!(res_name(-115), "EINPROGRESS");
        assert_eq!(res_name(3), "SUCCESS");
        let mut s = String::new();
        open_flags(&mut s, 0o1101);
        assert_eq!(s, "O_WRONLY|O_CREAT|O_TRUNC");
    }
}
