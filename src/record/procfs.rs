//! The recorder's `/proc` reader: the state snapshot written at the start of a capture and in
//! every keyframe (every thread of every process, their open fds with paths and socket tuples,
//! containers, users, groups and interface addresses, read from `/proc`, `/etc/passwd`,
//! `/etc/group` and `getifaddrs`), the clock facts that turn kernel times into wall-clock
//! times, and a process's working directory. Replay's reconstruction of the same state from
//! records is `replay::state`.
//!
//! Everything here is best effort: processes come and go while `/proc` is walked, and a thread
//! that vanished half-way is skipped, not an error.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ffi::CStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

use capture_format::schema::{
    Body, Event, FdInfo, FdType, Group, Interface, Process, Sock, User, af, exe, l4,
};

use crate::containers::Tracker;

/// Clock facts needed to turn kernel times into wall-clock times.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// Wall-clock ns minus boot-clock ns.
    pub boot_to_wall: i64,
    /// Clock ticks per second (`/proc/PID/stat` start times).
    pub ticks: u64,
}

impl Clock {
    /// Reads the clocks now.
    pub fn now() -> Clock {
        let ns = |clock| {
            let mut t = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `t` is a valid timespec to write to; both clock ids exist on Linux.
            unsafe { libc::clock_gettime(clock, &raw mut t) };
            t.tv_sec * 1_000_000_000 + t.tv_nsec
        };
        // Take boot time between two wall readings to halve the error.
        let w1 = ns(libc::CLOCK_REALTIME);
        let b = ns(libc::CLOCK_BOOTTIME);
        let w2 = ns(libc::CLOCK_REALTIME);
        // SAFETY: sysconf has no preconditions.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        Clock {
            boot_to_wall: w1 + (w2 - w1) / 2 - b,
            ticks: if ticks > 0 { ticks as u64 } else { 100 },
        }
    }

    /// Wall-clock ns now.
    pub fn wall_now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    }
}

/// Takes the snapshot. Every process is registered with the container tracker, and the
/// records of all known containers lead the returned list.
pub fn snapshot(clock: Clock, containers: &mut Tracker) -> Vec<Event<'static>> {
    let ts = Clock::wall_now();
    let mut out = Vec::new();
    let mut socks = SocketTables::default();
    let Ok(rd) = fs::read_dir("/proc") else {
        return out;
    };
    let mut pids: Vec<u32> = rd
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    for pid in pids {
        let dir = format!("/proc/{pid}");
        let cgroup = read_cgroup(&dir);
        let container = cgroup
            .as_deref()
            .map_or(0, |c| containers.observe_pid(pid, c, ts).index);
        let Some(main) = read_process(&dir, pid, pid, clock, cgroup.as_deref()) else {
            continue;
        };
        let ev = |tid: u32, body: Body<'static>| Event {
            ts,
            tid,
            pid,
            cpu: 0,
            container,
            body,
        };
        let tids: Vec<u32> = fs::read_dir(format!("{dir}/task"))
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        for tid in tids {
            if tid == pid {
                out.push(ev(tid, Body::Process(main.clone())));
            } else if let Some(t) = read_process(
                &format!("{dir}/task/{tid}"),
                pid,
                tid,
                clock,
                cgroup.as_deref(),
            ) {
                out.push(ev(tid, Body::Process(t)));
            }
        }
        let netns = main.ns[2];
        for fd in read_fds(&dir, pid, netns, &mut socks) {
            out.push(ev(pid, Body::Fd(fd)));
        }
    }
    let meta = |body| Event {
        ts,
        tid: 0,
        pid: 0,
        cpu: 0,
        container: 0,
        body,
    };
    out.extend(users().into_iter().map(|u| meta(Body::User(u))));
    out.extend(groups().into_iter().map(|g| meta(Body::Group(g))));
    out.extend(interfaces().into_iter().map(|i| meta(Body::Interface(i))));
    let mut all = containers.records(ts);
    all.extend(out);
    all
}

fn read_cgroup(dir: &str) -> Option<String> {
    let text = fs::read_to_string(format!("{dir}/cgroup")).ok()?;
    crate::containers::proc_cgroup(&text).map(str::to_string)
}

fn link_bytes(p: &str) -> Vec<u8> {
    fs::read_link(p)
        .map(|l| l.as_os_str().as_bytes().to_vec())
        .unwrap_or_default()
}

/// The namespace inode of `/proc/.../ns/NAME` (as in `net:[4026531840]`).
fn ns_inode(dir: &str, name: &str) -> u64 {
    fs::metadata(format!("{dir}/ns/{name}")).map_or(0, |m| m.ino())
}

/// `OVERLAYFS_SUPER_MAGIC`.
const OVERLAYFS_MAGIC: i64 = 0x794c_7630;

/// Where a running process's executable came from ([`exe`] bits), as the probe tells it at
/// exec: a memfd's link reads `/memfd:NAME (deleted)`; a file on an overlay file system (the
/// link's `statfs`) is in the upper layer when its path below the overlay mount (the longest
/// one of the process's mountinfo that holds it) exists in the mount's `upperdir`.
fn exe_origin(dir: &str, exe_path: &[u8]) -> u32 {
    let known = exe::KNOWN;
    if exe_path.starts_with(b"/memfd:") {
        return known | exe::FROM_MEMFD;
    }
    let Ok(link) = std::ffi::CString::new(format!("{dir}/exe")) else {
        return known;
    };
    // SAFETY: statfs writes into a zeroed struct of the right type; the path is NUL-terminated.
    let mut sfs: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(link.as_ptr(), &raw mut sfs) } != 0 || sfs.f_type != OVERLAYFS_MAGIC {
        return known;
    }
    let Ok(info) = fs::read_to_string(format!("{dir}/mountinfo")) else {
        return known | exe::LOWER_LAYER;
    };
    let path = String::from_utf8_lossy(exe_path);
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    let best = info
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let sep = f.iter().position(|x| *x == "-")?;
            (f.get(sep + 1) == Some(&"overlay")).then_some(())?;
            let mp = *f.get(4)?;
            let rel = path.strip_prefix(mp.trim_end_matches('/'))?;
            rel.starts_with('/')
                .then_some((mp.len(), rel.to_string(), *f.get(sep + 3)?))
        })
        .max_by_key(|(n, _, _)| *n);
    let upper = best.and_then(|(_, rel, opts)| {
        let dir = opts.split(',').find_map(|o| o.strip_prefix("upperdir="))?;
        Some(fs::symlink_metadata(format!("{dir}{rel}")).is_ok())
    });
    known
        | if upper == Some(true) {
            exe::UPPER_LAYER
        } else {
            exe::LOWER_LAYER
        }
}

fn read_process(
    dir: &str,
    pid: u32,
    tid: u32,
    clock: Clock,
    cgroup: Option<&str>,
) -> Option<Process<'static>> {
    let status = fs::read_to_string(format!("{dir}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map_or("", str::trim)
    };
    let ids = |name: &str| -> Vec<u32> {
        field(name)
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect()
    };
    let uids = ids("Uid:");
    let gids = ids("Gid:");
    let nspid = ids("NSpid:");
    let nstgid = ids("NStgid:");
    let cmdline = fs::read(format!("{dir}/cmdline")).unwrap_or_default();
    let (exe, args) = match cmdline.iter().position(|&c| c == 0) {
        Some(i) => (cmdline[..i].to_vec(), cmdline[i + 1..].to_vec()),
        None => (cmdline.clone(), Vec::new()),
    };
    let stat = fs::read_to_string(format!("{dir}/stat")).unwrap_or_default();
    // Fields after the parenthesised comm; starttime is field 22 overall, 20th after ')'.
    let start_ticks: u64 = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(19)?.parse().ok())
        .unwrap_or(0);
    let start_boot = start_ticks.saturating_mul(1_000_000_000 / clock.ticks);
    // tty_nr is field 7 overall, the 5th after ')'.
    let tty: u32 = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(4)?.parse::<i64>().ok())
        .map_or(0, |t| t as u32);
    let comm = fs::read(format!("{dir}/comm")).unwrap_or_default();
    let comm = comm.strip_suffix(b"\n").unwrap_or(&comm).to_vec();
    let loginuid = fs::read_to_string(format!("{dir}/loginuid"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(u32::MAX);
    let mut ns = [0u64; 7];
    for (i, name) in ["pid", "mnt", "net", "uts", "ipc", "user", "cgroup"]
        .iter()
        .enumerate()
    {
        ns[i] = ns_inode(dir, name);
    }
    let exe_path = link_bytes(&format!("{dir}/exe"));
    let exe_flags = if tid == pid {
        exe_origin(dir, &exe_path)
    } else {
        exe::KNOWN
    };
    Some(Process {
        tid,
        pid,
        ppid: field("PPid:").parse().unwrap_or(0),
        vtid: nspid.last().copied().unwrap_or(tid),
        vpid: nstgid.last().copied().unwrap_or(pid),
        uid: uids.first().copied().unwrap_or(0),
        gid: gids.first().copied().unwrap_or(0),
        euid: uids.get(1).copied().unwrap_or(0),
        egid: gids.get(1).copied().unwrap_or(0),
        loginuid,
        start_ts: start_boot.saturating_add_signed(clock.boot_to_wall),
        cap_effective: u64::from_str_radix(field("CapEff:"), 16).unwrap_or(0),
        ns,
        comm: Cow::Owned(comm),
        exe: Cow::Owned(exe),
        exe_path: Cow::Owned(exe_path),
        args: Cow::Owned(args),
        env: Cow::Borrowed(&[]),
        cwd: Cow::Owned(link_bytes(&format!("{dir}/cwd"))),
        cgroup: Cow::Owned(cgroup.unwrap_or("").as_bytes().to_vec()),
        tty,
        cap_permitted: u64::from_str_radix(field("CapPrm:"), 16).unwrap_or(0),
        cap_inheritable: u64::from_str_radix(field("CapInh:"), 16).unwrap_or(0),
        // The process group as the innermost pid namespace numbers it.
        vpgid: ids("NSpgid:").last().copied().unwrap_or(0),
        exe_flags,
    })
}

/// Socket tables of each network namespace, read once per namespace.
#[derive(Default)]
struct SocketTables {
    by_netns: HashMap<u64, HashMap<u64, SockEntry>>,
}

#[derive(Clone, Debug)]
enum SockEntry {
    Inet(Sock),
    Unix(Vec<u8>),
}

impl SocketTables {
    fn table(&mut self, netns: u64, pid: u32) -> &HashMap<u64, SockEntry> {
        self.by_netns
            .entry(netns)
            .or_insert_with(|| read_socket_tables(&format!("/proc/{pid}/net")))
    }
}

fn read_socket_tables(net: &str) -> HashMap<u64, SockEntry> {
    let mut out = HashMap::new();
    for (file, family, proto) in [
        ("tcp", af::INET, l4::TCP),
        ("tcp6", af::INET6, l4::TCP),
        ("udp", af::INET, l4::UDP),
        ("udp6", af::INET6, l4::UDP),
    ] {
        let Ok(text) = fs::read_to_string(format!("{net}/{file}")) else {
            continue;
        };
        let rows: Vec<(Sock, u64, bool)> = text
            .lines()
            .skip(1)
            .filter_map(|l| parse_inet_row(l, family, proto))
            .collect();
        let listening: HashSet<u16> = rows
            .iter()
            .filter(|(_, _, listen)| *listen)
            .map(|(s, _, _)| s.sport)
            .collect();
        for (mut s, ino, listen) in rows {
            // An accepted connection's local port is a listening one: its client is remote.
            if !listen && listening.contains(&s.sport) {
                std::mem::swap(&mut s.src, &mut s.dst);
                std::mem::swap(&mut s.sport, &mut s.dport);
            }
            out.insert(ino, SockEntry::Inet(s));
        }
    }
    if let Ok(text) = fs::read_to_string(format!("{net}/unix")) {
        for l in text.lines().skip(1) {
            let cols: Vec<&str> = l.split_whitespace().collect();
            if let Some(ino) = cols.get(6).and_then(|i| i.parse().ok()) {
                let path = cols.get(7).map_or(Vec::new(), |p| p.as_bytes().to_vec());
                out.insert(ino, SockEntry::Unix(path));
            }
        }
    }
    out
}

/// One row of /proc/net/{tcp,udp}{,6}: (tuple local → remote, inode, listening).
fn parse_inet_row(line: &str, family: u8, proto: u8) -> Option<(Sock, u64, bool)> {
    let cols: Vec<&str> = line.split_whitespace().collect();
    let (la, lp) = parse_addr(cols.get(1)?, family)?;
    let (ra, rp) = parse_addr(cols.get(2)?, family)?;
    let state = u8::from_str_radix(cols.get(3)?, 16).ok()?;
    let ino = cols.get(9)?.parse().ok()?;
    let listen = proto == l4::TCP && state == 0x0A;
    Some((
        Sock {
            family,
            proto,
            src: la,
            sport: lp,
            dst: ra,
            dport: rp,
        },
        ino,
        listen,
    ))
}

/// "0100007F:9B5F": the address as the kernel's 32-bit words in host order, then the port.
fn parse_addr(s: &str, family: u8) -> Option<([u8; 16], u16)> {
    let (a, p) = s.split_once(':')?;
    let port = u16::from_str_radix(p, 16).ok()?;
    let mut out = [0u8; 16];
    let words = if family == af::INET6 { 4 } else { 1 };
    if a.len() != words * 8 {
        return None;
    }
    for w in 0..words {
        let v = u32::from_str_radix(a.get(w * 8..w * 8 + 8)?, 16).ok()?;
        out[w * 4..w * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    Some((out, port))
}

fn read_fds(dir: &str, pid: u32, netns: u64, socks: &mut SocketTables) -> Vec<FdInfo<'static>> {
    let Ok(rd) = fs::read_dir(format!("{dir}/fd")) else {
        return Vec::new();
    };
    let mut fds: Vec<i32> = rd
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    fds.sort_unstable();
    let mut out = Vec::with_capacity(fds.len());
    for fd in fds {
        let target = link_bytes(&format!("{dir}/fd/{fd}"));
        if target.is_empty() {
            continue;
        }
        let fdinfo = fs::read_to_string(format!("{dir}/fdinfo/{fd}")).unwrap_or_default();
        let flags = fdinfo
            .lines()
            .find_map(|l| l.strip_prefix("flags:"))
            .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
            .unwrap_or(0);
        let md = fs::metadata(format!("{dir}/fd/{fd}")).ok();
        let ino = md.as_ref().map_or(0, MetadataExt::ino);
        let (fd_type, name, sock) = classify(&target, md.as_ref(), ino, netns, pid, socks);
        out.push(FdInfo {
            pid,
            fd,
            fd_type,
            flags,
            name: Cow::Owned(name),
            sock,
            ino,
        });
    }
    out
}

fn classify(
    target: &[u8],
    md: Option<&fs::Metadata>,
    ino: u64,
    netns: u64,
    pid: u32,
    socks: &mut SocketTables,
) -> (FdType, Vec<u8>, Option<Sock>) {
    let t = String::from_utf8_lossy(target);
    if t.starts_with("socket:[") {
        return match socks.table(netns, pid).get(&ino) {
            Some(SockEntry::Inet(s)) => {
                let ty = if s.family == af::INET6 {
                    FdType::Ipv6
                } else {
                    FdType::Ipv4
                };
                (ty, s.to_string().into_bytes(), Some(*s))
            }
            Some(SockEntry::Unix(path)) => (FdType::Unix, path.clone(), None),
            None => (FdType::Unknown, target.to_vec(), None),
        };
    }
    if t.starts_with("pipe:[") {
        return (FdType::Pipe, target.to_vec(), None);
    }
    if let Some(kind) = t.strip_prefix("anon_inode:") {
        let ty = match kind.trim_matches(|c| c == '[' || c == ']') {
            "eventfd" => FdType::Event,
            "signalfd" => FdType::Signalfd,
            "eventpoll" => FdType::Eventpoll,
            "inotify" => FdType::Inotify,
            "timerfd" => FdType::Timerfd,
            "userfaultfd" => FdType::Userfaultfd,
            "io_uring" => FdType::IoUring,
            "pidfd" => FdType::Pidfd,
            k if k.starts_with("bpf") => FdType::Bpf,
            _ => FdType::Unknown,
        };
        return (ty, target.to_vec(), None);
    }
    if t.starts_with("/memfd:") {
        return (FdType::Memfd, target.to_vec(), None);
    }
    let ty = if md.is_some_and(fs::Metadata::is_dir) {
        FdType::Directory
    } else {
        FdType::File
    };
    (ty, target.to_vec(), None)
}

fn users() -> Vec<User<'static>> {
    let text = fs::read_to_string("/etc/passwd").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split(':').collect();
            Some(User {
                uid: c.get(2)?.parse().ok()?,
                gid: c.get(3)?.parse().ok()?,
                container: 0,
                name: Cow::Owned(c.first()?.as_bytes().to_vec()),
                home: Cow::Owned(c.get(5)?.as_bytes().to_vec()),
                shell: Cow::Owned(c.get(6)?.as_bytes().to_vec()),
            })
        })
        .collect()
}

fn groups() -> Vec<Group<'static>> {
    let text = fs::read_to_string("/etc/group").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split(':').collect();
            Some(Group {
                gid: c.get(2)?.parse().ok()?,
                container: 0,
                name: Cow::Owned(c.first()?.as_bytes().to_vec()),
            })
        })
        .collect()
}

fn interfaces() -> Vec<Interface<'static>> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head we free with freeifaddrs below.
    if unsafe { libc::getifaddrs(&raw mut head) } != 0 {
        return out;
    }
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned and we have not freed it.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }.to_bytes().to_vec();
        // SAFETY: ifa_addr is non-null and points at a sockaddr of at least its family's size.
        let family = i32::from(unsafe { (*ifa.ifa_addr).sa_family });
        let (fam, addr, mask) = match family {
            libc::AF_INET => {
                // SAFETY: the family says this is a sockaddr_in; the netmask has the same family.
                let a = unsafe { ifa.ifa_addr.cast::<libc::sockaddr_in>().read_unaligned() };
                let mut b = [0u8; 16];
                b[..4].copy_from_slice(&a.sin_addr.s_addr.to_ne_bytes());
                let m = if ifa.ifa_netmask.is_null() {
                    0
                } else {
                    // SAFETY: non-null netmask of the same family.
                    let m = unsafe { ifa.ifa_netmask.cast::<libc::sockaddr_in>().read_unaligned() };
                    m.sin_addr.s_addr.count_ones() as u8
                };
                (af::INET, b, m)
            }
            libc::AF_INET6 => {
                // SAFETY: the family says this is a sockaddr_in6.
                let a = unsafe { ifa.ifa_addr.cast::<libc::sockaddr_in6>().read_unaligned() };
                let m = if ifa.ifa_netmask.is_null() {
                    0
                } else {
                    // SAFETY: non-null netmask of the same family.
                    let m = unsafe {
                        ifa.ifa_netmask
                            .cast::<libc::sockaddr_in6>()
                            .read_unaligned()
                    };
                    m.sin6_addr
                        .s6_addr
                        .iter()
                        .map(|b| b.count_ones() as u8)
                        .sum()
                };
                (af::INET6, a.sin6_addr.s6_addr, m)
            }
            _ => continue,
        };
        out.push(Interface {
            name: Cow::Owned(name),
            family: fam,
            addr,
            prefix: mask,
        });
    }
    // SAFETY: `head` came from a successful getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    out
}

/// Reads a live process's working directory (best effort, for exec events).
pub fn cwd_of(pid: u32) -> Vec<u8> {
    link_bytes(&format!("/proc/{pid}/cwd"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_net_rows() {
        let row = "   0: 0100007F:1F90 0200007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 23585 1 0 100 0 0 10 0";
        let (s, ino, listen) = parse_inet_row(row, af::INET, l4::TCP).expect("row");
        assert_eq!(ino, 23585);
        assert!(!listen);
        assert_eq!(s.to_string(), "127.0.0.1:8080->127.0.0.2:40000");
        let (a, p) = parse_addr("00000000000000000000000001000000:0050", af::INET6).expect("v6");
        assert_eq!(p, 80);
        assert_eq!(std::net::Ipv6Addr::from(a), std::net::Ipv6Addr::LOCALHOST);
    }

    #[test]
    fn snapshot_sees_this_process_and_its_fds() {
        let mut c = Tracker::default();
        let me = std::process::id();
        let f = fs::File::open("/proc/self/status").expect("open");
        let snap = snapshot(Clock::now(), &mut c);
        assert!(
            snap.iter()
                .any(|e| matches!(&e.body, Body::Process(p) if p.pid == me && p.tid == me))
        );
        assert!(snap.iter().any(|e| matches!(&e.body,
            Body::Fd(fd) if fd.pid == me && fd.fd_type == FdType::File
                && fd.name.ends_with(b"/status"))));
        assert!(
            snap.iter()
                .any(|e| matches!(&e.body, Body::User(u) if u.uid == 0))
        );
        drop(f);
    }
}
