//! scap values in the record schema: libs' flag encodings as the kernel's, addresses and
//! tuples as socket values, parameters by type, and libs' call names as x86_64 ones.

use capture_format::schema::{Sock, Value, af, l4, syscalls::ParamType};

use super::super::event::{Param, SockAddr, SockTuple};
use super::own;

/// scap l4 protocol numbers → IANA.
pub(super) fn l4_of_scap(p: u8) -> u8 {
    match p {
        2 => l4::TCP,
        3 => l4::UDP,
        4 => l4::ICMP,
        5 => l4::RAW,
        _ => l4::UNKNOWN,
    }
}

pub(super) fn ipv4_text(ip: &[u8]) -> String {
    format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
}

pub(super) fn ip_text(v6: bool, ip: &[u8; 16]) -> String {
    if v6 {
        std::net::Ipv6Addr::from(*ip).to_string()
    } else {
        ipv4_text(ip)
    }
}

/// Kernel `O_*` flags (x86_64) from libs `PPM_O_*` flags.
pub fn open_flags_from_ppm(f: u64) -> i64 {
    let mut o = match f & 3 {
        2 => 1, // PPM_O_WRONLY → O_WRONLY
        3 => 2, // PPM_O_RDWR → O_RDWR
        _ => 0,
    };
    for (ppm, k) in [
        (1 << 2, 0o100),         // CREAT
        (1 << 3, 0o2000),        // APPEND
        (1 << 4, 0o10000),       // DSYNC
        (1 << 5, 0o200),         // EXCL
        (1 << 6, 0o4000),        // NONBLOCK
        (1 << 7, 0o4_010_000),   // SYNC
        (1 << 8, 0o1000),        // TRUNC
        (1 << 9, 0o40000),       // DIRECT
        (1 << 10, 0o200_000),    // DIRECTORY
        (1 << 11, 0o100_000),    // LARGEFILE
        (1 << 12, 0o2_000_000),  // CLOEXEC
        (1 << 13, 0o20_200_000), // TMPFILE
    ] {
        if f & ppm != 0 {
            o |= k;
        }
    }
    o
}

/// Kernel `CLONE_*` flags from libs `PPM_CL_*` flags.
pub fn clone_flags_from_ppm(f: u64) -> i64 {
    let mut o: i64 = 0;
    for (bit, k) in [
        (0, 0x400),        // FILES
        (1, 0x200),        // FS
        (2, 0x8000_0000),  // IO
        (3, 0x0800_0000),  // NEWIPC
        (4, 0x4000_0000),  // NEWNET
        (5, 0x0002_0000),  // NEWNS
        (6, 0x2000_0000),  // NEWPID
        (7, 0x0400_0000),  // NEWUTS
        (8, 0x8000),       // PARENT
        (9, 0x0010_0000),  // PARENT_SETTID
        (10, 0x2000),      // PTRACE
        (11, 0x800),       // SIGHAND
        (12, 0x0004_0000), // SYSVSEM
        (13, 0x0001_0000), // THREAD
        (14, 0x0080_0000), // UNTRACED
        (15, 0x100),       // VM
        (20, 0x1000_0000), // NEWUSER
        (23, 0x0020_0000), // CHILD_CLEARTID
        (24, 0x0100_0000), // CHILD_SETTID
        (25, 0x0008_0000), // SETTLS
        (27, 0x4000),      // VFORK
        (28, 0x0200_0000), // NEWCGROUP
    ] {
        if f & (1 << bit) != 0 {
            o |= k;
        }
    }
    o
}

/// Kernel `PROT_*` from libs `PPM_PROT_*`.
pub(super) fn prot_from_ppm(f: u64) -> i64 {
    let mut o = (f & 0xf) as i64; // READ, WRITE, EXEC, SEM keep their values
    if f & (1 << 4) != 0 {
        o |= 0x0100_0000;
    }
    if f & (1 << 5) != 0 {
        o |= 0x0200_0000;
    }
    o
}

/// Kernel `MAP_*` (x86_64) from libs `PPM_MAP_*`.
pub(super) fn mmap_flags_from_ppm(f: u64) -> i64 {
    let mut o = 0;
    for (bit, k) in [
        (0, 0x1),     // SHARED
        (1, 0x2),     // PRIVATE
        (2, 0x10),    // FIXED
        (3, 0x20),    // ANONYMOUS
        (4, 0x40),    // 32BIT
        (6, 0x4000),  // NORESERVE
        (7, 0x8000),  // POPULATE
        (8, 0x10000), // NONBLOCK
        (9, 0x100),   // GROWSDOWN
        (10, 0x800),  // DENYWRITE
        (11, 0x1000), // EXECUTABLE
        (14, 0x2000), // LOCKED
    ] {
        if f & (1 << bit) != 0 {
            o |= k;
        }
    }
    o
}

pub(super) fn sock_of_tuple(t: &SockTuple<'_>, proto: u8) -> Value<'static> {
    match *t {
        SockTuple::Inet {
            v6,
            sip,
            sport,
            dip,
            dport,
        } => Value::Sock(Sock {
            family: if v6 { af::INET6 } else { af::INET },
            proto,
            src: sip,
            sport,
            dst: dip,
            dport,
        }),
        SockTuple::Unix { path, .. } => Value::Bytes(own(path)),
        SockTuple::Other(_) => Value::None,
    }
}

pub(super) fn sock_of_addr(a: &SockAddr<'_>, proto: u8) -> Value<'static> {
    match *a {
        SockAddr::Inet { v6, ip, port } => Value::Sock(Sock {
            family: if v6 { af::INET6 } else { af::INET },
            proto,
            dst: ip,
            dport: port,
            ..Sock::default()
        }),
        SockAddr::Unix(path) => Value::Bytes(own(path)),
        SockAddr::Other(_) => Value::None,
    }
}

/// A sysdig parameter as the schema stores the parameter of type `ty`.
pub(super) fn convert_value(ty: ParamType, p: &Param<'_>, proto: u8) -> Value<'static> {
    use ParamType as T;
    match (ty, p) {
        // libs re-encodes these as its own enums; without a table they are left out.
        (_, Param::Empty | Param::Raw(_) | Param::FdList(_))
        | (T::FcntlCmd | T::PtraceReq | T::MountFlags | T::SockType | T::BpfCmd, _) => Value::None,
        (_, Param::SockTuple(t)) => sock_of_tuple(t, proto),
        (_, Param::SockAddr(a)) => sock_of_addr(a, proto),
        (_, Param::Str(b) | Param::Bytes(b)) => Value::Bytes(own(b)),
        (T::OpenFlags, Param::Uint(f)) => Value::Int(open_flags_from_ppm(*f)),
        (T::CloneFlags, Param::Uint(f)) => Value::Int(clone_flags_from_ppm(*f)),
        (T::Prot, Param::Uint(f)) => Value::Int(prot_from_ppm(*f)),
        (T::MmapFlags, Param::Uint(f)) => Value::Int(mmap_flags_from_ppm(*f)),
        (_, Param::Int(i)) => Value::Int(*i),
        (_, Param::Uint(u)) => Value::Int(*u as i64),
        (_, Param::Double(d)) => Value::Int(*d as i64),
    }
}
