//! The fd table: fd lists of metadata blocks, interfaces, and what each call does to fds
//! (opened, duplicated, connected, closed), with paths made absolute.

use std::borrow::Cow;
use std::collections::HashMap;

use capture_format::schema::{Body, FdInfo, FdType, Interface, Sock, Value, af, l4};

use super::super::block::{self, FdDetail, FdEntry, IfaceEntry};
use super::super::event::{Param, RawEvent};
use super::Converter;
use super::own;
use super::param;
use super::values::{ip_text, ipv4_text, l4_of_scap, open_flags_from_ppm, sock_of_tuple};
use crate::replay::path::join_path;

/// The calls (kernel names) whose exit [`Converter::track_fds`] looks at: no other call changes
/// the fd table, so the others need not be converted to keep it.
pub(super) const TRACKED: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "creat",
    "socket",
    "connect",
    "accept",
    "accept4",
    "pipe",
    "pipe2",
    "dup",
    "dup2",
    "dup3",
    "eventfd",
    "eventfd2",
    "epoll_create",
    "epoll_create1",
    "inotify_init",
    "inotify_init1",
    "signalfd",
    "signalfd4",
    "timerfd_create",
    "userfaultfd",
    "pidfd_open",
    "memfd_create",
    "close",
];

impl Converter {
    pub(super) fn fd_entry(&mut self, tid: u64, f: &FdEntry<'_>) {
        use block::fd_type as t;
        let pid = self.pid_of(tid);
        let fd_type = match f.fd_type {
            t::FILE | t::FILE_V2 => FdType::File,
            t::DIRECTORY => FdType::Directory,
            t::IPV4_SOCK | t::IPV4_SERVSOCK => FdType::Ipv4,
            t::IPV6_SOCK | t::IPV6_SERVSOCK => FdType::Ipv6,
            t::FIFO => FdType::Pipe,
            t::UNIX_SOCK => FdType::Unix,
            t::EVENT => FdType::Event,
            t::SIGNALFD => FdType::Signalfd,
            t::EVENTPOLL => FdType::Eventpoll,
            t::INOTIFY => FdType::Inotify,
            t::TIMERFD => FdType::Timerfd,
            t::NETLINK => FdType::Netlink,
            t::BPF => FdType::Bpf,
            t::USERFAULTFD => FdType::Userfaultfd,
            t::IOURING => FdType::IoUring,
            t::MEMFD => FdType::Memfd,
            t::PIDFD => FdType::Pidfd,
            _ => FdType::Unknown,
        };
        let (name, sock, flags) = match f.detail {
            FdDetail::Ipv4 {
                sip,
                dip,
                sport,
                dport,
                l4,
            } => {
                let proto = l4_of_scap(l4);
                let s = Sock::v4(proto, sip, sport, dip, dport);
                (s.to_string().into_bytes(), Some(s), 0)
            }
            FdDetail::Ipv6 {
                sip,
                dip,
                sport,
                dport,
                l4,
            } => {
                let proto = l4_of_scap(l4);
                let s = Sock {
                    family: af::INET6,
                    proto,
                    src: sip,
                    sport,
                    dst: dip,
                    dport,
                };
                (s.to_string().into_bytes(), Some(s), 0)
            }
            FdDetail::Ipv4Server { ip, port, l4 } => {
                self.listen_ports.insert(port);
                let proto = l4_of_scap(l4);
                let mut s = Sock::v4(proto, [0; 4], 0, ip, port);
                s.family = af::INET;
                (
                    format!("{}:{port}", ipv4_text(&ip)).into_bytes(),
                    Some(s),
                    0,
                )
            }
            FdDetail::Ipv6Server { ip, port, l4 } => {
                self.listen_ports.insert(port);
                let proto = l4_of_scap(l4);
                let s = Sock {
                    family: af::INET6,
                    proto,
                    dst: ip,
                    dport: port,
                    ..Sock::default()
                };
                (
                    format!("[{}]:{port}", ip_text(true, &ip)).into_bytes(),
                    Some(s),
                    0,
                )
            }
            FdDetail::Unix { path, .. } => (path.to_vec(), None, 0),
            FdDetail::Named {
                name, open_flags, ..
            } => (
                name.to_vec(),
                None,
                open_flags_from_ppm(u64::from(open_flags)) as u32,
            ),
        };
        let info = FdInfo {
            pid: pid as u32,
            fd: f.fd as i32,
            fd_type,
            flags,
            name: Cow::Owned(name),
            sock,
            ino: f.ino,
        };
        self.fds.entry(pid).or_default().insert(f.fd, info.clone());
        self.state(Body::Fd(info));
    }

    pub(super) fn iface_entry(&mut self, i: &IfaceEntry<'_>) {
        let n = if i.v6 { 16 } else { 4 };
        let prefix: u32 = i.netmask[..n].iter().map(|b| b.count_ones()).sum();
        self.state(Body::Interface(Interface {
            name: own(i.name),
            family: if i.v6 { af::INET6 } else { af::INET },
            addr: i.addr,
            prefix: prefix as u8,
        }));
    }

    /// Fd lists give connections as local → remote. sysdig shows them client → server: a
    /// connection whose local port is a listening port of the host is turned around. Done once
    /// every fd list is read (they all precede the first event).
    pub(super) fn orient_fd_sockets(&mut self) {
        self.oriented = true;
        if self.listen_ports.is_empty() {
            return;
        }
        for ev in &mut self.out {
            if let Body::Fd(f) = &mut ev.body
                && let Some(s) = &mut f.sock
                && s.has_src()
                && self.listen_ports.contains(&s.sport)
            {
                std::mem::swap(&mut s.src, &mut s.dst);
                std::mem::swap(&mut s.sport, &mut s.dport);
                f.name = Cow::Owned(s.to_string().into_bytes());
            }
        }
        for f in self.fds.values_mut().flat_map(HashMap::values_mut) {
            if let Some(s) = &mut f.sock
                && s.has_src()
                && self.listen_ports.contains(&s.sport)
            {
                std::mem::swap(&mut s.src, &mut s.dst);
                std::mem::swap(&mut s.sport, &mut s.dport);
                f.name = Cow::Owned(s.to_string().into_bytes());
            }
        }
    }

    /// Keeps the fd table current after calls that open, connect, duplicate or close fds
    /// (those of [`TRACKED`]: the converter calls this for no other).
    pub(super) fn track_fds(
        &mut self,
        call: &str,
        en: Option<&RawEvent<'_>>,
        x: &RawEvent<'_>,
        ret: i64,
    ) {
        let pid = self.pid_of(x.tid);
        let get = |name: &str| param(en, Some(x), name);
        let int = |name: &str| get(name).and_then(|p| p.as_i64());
        let new = |fd_type: FdType, name: Vec<u8>, sock: Option<Sock>| FdInfo {
            pid: pid as u32,
            fd: ret as i32,
            fd_type,
            flags: 0,
            name: Cow::Owned(name),
            sock,
            ino: 0,
        };
        let info = match call {
            _ if ret < 0 && call != "connect" => return,
            "open" | "openat" | "openat2" | "creat" => {
                let path = get("name").and_then(|p| p.as_bytes()).unwrap_or_default();
                let dirfd = int("dirfd").unwrap_or(-100);
                let path = self.absolute(x.tid, pid, dirfd, path);
                let mut f = new(FdType::File, path, None);
                f.flags = int("flags").map_or(0, |v| open_flags_from_ppm(v as u64) as u32);
                f.ino = int("ino").unwrap_or(0) as u64;
                f
            }
            "socket" => {
                // SOCK_STREAM = 1, SOCK_DGRAM = 2 (the low bits of `type`).
                let proto = match int("type") {
                    Some(t) if t & 0xf == 1 => l4::TCP,
                    Some(t) if t & 0xf == 2 => l4::UDP,
                    _ => l4::UNKNOWN,
                };
                let (fd_type, family) = match int("domain") {
                    Some(2) => (FdType::Ipv4, af::INET),
                    Some(10) => (FdType::Ipv6, af::INET6),
                    Some(1) => (FdType::Unix, af::UNIX),
                    Some(16) => (FdType::Netlink, af::NETLINK),
                    _ => (FdType::Unknown, 0),
                };
                let sock = matches!(family, af::INET | af::INET6).then_some(Sock {
                    family,
                    proto,
                    ..Sock::default()
                });
                new(fd_type, Vec::new(), sock)
            }
            "connect" | "accept" | "accept4" => {
                let fd = if call == "connect" {
                    match int("fd") {
                        Some(fd) if ret == 0 || ret == -115 => fd,
                        _ => return,
                    }
                } else {
                    ret
                };
                let old = self.fds.get(&pid).and_then(|t| t.get(&fd)).cloned();
                let proto = old
                    .as_ref()
                    .and_then(|f| f.sock)
                    .map_or(l4::TCP, |s| s.proto);
                let mut f = old.unwrap_or_else(|| new(FdType::Unknown, Vec::new(), None));
                f.fd = fd as i32;
                match get("tuple") {
                    Some(Param::SockTuple(t)) => match sock_of_tuple(&t, proto) {
                        Value::Sock(s) => {
                            f.fd_type = if s.family == af::INET6 {
                                FdType::Ipv6
                            } else {
                                FdType::Ipv4
                            };
                            f.name = Cow::Owned(s.to_string().into_bytes());
                            f.sock = Some(s);
                        }
                        Value::Bytes(path) => {
                            f.fd_type = FdType::Unix;
                            f.name = path;
                        }
                        _ => {}
                    },
                    _ => return,
                }
                f
            }
            "pipe" | "pipe2" => {
                for k in ["fd1", "fd2"] {
                    if let Some(fd) = int(k) {
                        let mut f = new(FdType::Pipe, Vec::new(), None);
                        f.fd = fd as i32;
                        f.ino = int("ino").unwrap_or(0) as u64;
                        self.fds.entry(pid).or_default().insert(fd, f);
                    }
                }
                return;
            }
            "dup" | "dup2" | "dup3" => {
                let Some(old) = int("oldfd").or_else(|| int("fd")) else {
                    return;
                };
                let Some(mut f) = self.fds.get(&pid).and_then(|t| t.get(&old)).cloned() else {
                    return;
                };
                f.fd = ret as i32;
                f
            }
            "eventfd" | "eventfd2" => new(FdType::Event, Vec::new(), None),
            "epoll_create" | "epoll_create1" => new(FdType::Eventpoll, Vec::new(), None),
            "inotify_init" | "inotify_init1" => new(FdType::Inotify, Vec::new(), None),
            "signalfd" | "signalfd4" => new(FdType::Signalfd, Vec::new(), None),
            "timerfd_create" => new(FdType::Timerfd, Vec::new(), None),
            "userfaultfd" => new(FdType::Userfaultfd, Vec::new(), None),
            "pidfd_open" => new(FdType::Pidfd, Vec::new(), None),
            "memfd_create" => {
                let name = get("name").and_then(|p| p.as_bytes()).unwrap_or_default();
                new(FdType::Memfd, name.to_vec(), None)
            }
            "close" => {
                if ret == 0
                    && let Some(fd) = int("fd")
                    && let Some(t) = self.fds.get_mut(&pid)
                {
                    t.remove(&fd);
                }
                return;
            }
            _ => return,
        };
        self.fds
            .entry(pid)
            .or_default()
            .insert(i64::from(info.fd), info);
    }

    /// A path as sysdig resolves it: relative paths against the dirfd's path or the thread's
    /// working directory, `.` and `..` removed.
    pub(super) fn absolute(&self, tid: u64, pid: u64, dirfd: i64, path: &[u8]) -> Vec<u8> {
        if path.is_empty() {
            return Vec::new();
        }
        if path.first() == Some(&b'/') {
            return join_path(b"", path);
        }
        let base = if dirfd == -100 {
            self.threads.get(&tid).map(|t| t.cwd.clone())
        } else {
            self.fds
                .get(&pid)
                .and_then(|t| t.get(&dirfd))
                .map(|f| f.name.to_vec())
        };
        join_path(&base.unwrap_or_default(), path)
    }
}
