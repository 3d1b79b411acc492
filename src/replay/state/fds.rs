//! What system calls do to the fd table: opens, sockets, connects, binds, accepts, dups,
//! directory changes and id changes, with paths made absolute.

use std::sync::Arc;

use super::{AT_FDCWD, Deferred, Fd, O_CLOEXEC, O_DIRECTORY, State};
use crate::replay::calls::{self, Action};
use capture_format::schema::syscalls;
use capture_format::schema::{FdType, Sock, Value, af, l4};

impl State {
    /// Resolves a path argument against a dirfd (or the cwd) of process `pid`.
    pub fn resolve_path(&self, pid: u32, dirfd: Option<i64>, path: &[u8]) -> Vec<u8> {
        if path.first() == Some(&b'/') || path.is_empty() {
            return path.to_vec();
        }
        let p = self.procs.get(&pid);
        let base: &[u8] = match dirfd {
            Some(d) if d != AT_FDCWD => p
                .and_then(|p| p.fds.get(&(d as i32)))
                .map_or(&[][..], |f| &f.name[..]),
            _ => p.map_or(&[][..], |p| &p.cwd[..]),
        };
        if base.is_empty() {
            return path.to_vec();
        }
        crate::replay::path::join_path(base, path)
    }

    pub(super) fn apply_syscall(
        &mut self,
        pid: u32,
        nr: u16,
        ret: i64,
        params: &[Value<'_>],
    ) -> Deferred {
        let call = calls::info(nr);
        let a = Args {
            spec: &call.spec,
            params,
        };
        match call.action {
            Action::None => return Deferred::None,
            // close: the event still shows the fd; it goes away after.
            Action::Close => {
                return match a.int(0) {
                    Some(fd) if ret >= 0 => Deferred::Close { pid, fd: fd as i32 },
                    _ => Deferred::None,
                };
            }
            // Whatever the result: see `connect`.
            Action::Connect => self.connect(pid, ret, &a),
            _ if ret < 0 => {}
            Action::SockIo => self.sock_io(pid, &a),
            Action::Open => self.open(pid, ret as i32, &a),
            Action::Memfd => {
                let mut name = b"memfd:".to_vec();
                name.extend_from_slice(a.bytes(0));
                self.insert_fd(pid, ret as i32, Fd::new(FdType::Memfd, &name));
            }
            Action::Socket => self.socket(pid, ret as i32, &a),
            Action::Accept => self.accept(pid, ret as i32, &a),
            Action::Bind => self.bind(pid, &a),
            Action::Listen => {
                if let Some(fd) = a.int(0).and_then(|f| self.fd_mut(pid, f as i32)) {
                    fd.is_server = true;
                }
            }
            Action::Pipe | Action::SocketPair => {
                let idx = a.named("fds").unwrap_or(0);
                if let Some((x, y)) = params.get(idx).and_then(fd_pair) {
                    let (ty, name): (FdType, &[u8]) = if call.action == Action::SocketPair {
                        (FdType::Unix, b"socketpair")
                    } else {
                        (FdType::Pipe, b"pipe")
                    };
                    self.insert_fd(pid, x, Fd::new(ty, name));
                    self.insert_fd(pid, y, Fd::new(ty, name));
                }
            }
            Action::Dup | Action::Dup3 => {
                let cloexec =
                    call.action == Action::Dup3 && a.int(2).unwrap_or(0) as u32 & O_CLOEXEC != 0;
                self.dup(pid, a.int(0), ret as i32, cloexec);
            }
            // F_DUPFD (0) and F_DUPFD_CLOEXEC (1030) return a copy.
            Action::Fcntl => {
                if let Some(cmd @ (0 | 1030)) = a.int(1) {
                    self.dup(pid, a.int(0), ret as i32, cmd == 1030);
                }
            }
            Action::NewFd(ty) => self.insert_fd(pid, ret as i32, Fd::new(ty, b"")),
            Action::Chdir => {
                let path = self.resolve_path(pid, None, a.bytes(0));
                if let Some(p) = self.proc_mut(pid) {
                    p.cwd = path;
                }
            }
            Action::Fchdir => {
                if let Some(name) = a
                    .int(0)
                    .and_then(|f| self.fd(pid, f as i32))
                    .map(|f| f.name.to_vec())
                    && let Some(p) = self.proc_mut(pid)
                {
                    p.cwd = name;
                }
            }
            Action::SetUid | Action::SetReUid => {
                // setreuid's -1 leaves the id as it is.
                let uid = a.int(0).filter(|&u| {
                    call.action == Action::SetUid || (u != -1 && u != i64::from(u32::MAX))
                });
                if let (Some(uid), Some(p)) = (uid, self.procs.get_mut(&pid)) {
                    p.uid = uid as u32;
                }
            }
            Action::SetGid | Action::SetReGid => {
                let gid = a.int(0).filter(|&g| {
                    call.action == Action::SetGid || (g != -1 && g != i64::from(u32::MAX))
                });
                if let (Some(gid), Some(p)) = (gid, self.procs.get_mut(&pid)) {
                    p.gid = gid as u32;
                }
            }
        }
        Deferred::None
    }

    /// connect: the tuple is known whatever the result (a non-blocking connect returns
    /// EINPROGRESS, and sysdig names the fd after a refused one too).
    pub(super) fn connect(&mut self, pid: u32, ret: i64, a: &Args<'_, '_>) {
        let tuple = a.named("tuple").and_then(|i| a.params.get(i));
        let addr = a.named("addr").and_then(|i| a.params.get(i));
        let sock = [tuple, addr].into_iter().flatten().find_map(|v| match v {
            Value::Sock(s) => Some(*s),
            _ => None,
        });
        let path = [tuple, addr]
            .into_iter()
            .flatten()
            .find_map(|v| v.as_bytes().filter(|b| !b.is_empty()));
        if let Some(fd) = a.int(0).and_then(|f| self.fd_mut(pid, f as i32)) {
            let before = fd.display_name().into_owned();
            if sock.is_some() {
                update_sock(fd, sock, false);
            } else if let Some(p) = path {
                fd.name = Arc::from(p);
            }
            // libs: connected when the call succeeded or is in progress (EINPROGRESS).
            if ret >= 0 || ret == -115 {
                fd.connected = true;
            }
            self.fd_name_changed = *fd.display_name() != *before;
        }
    }

    /// sendto/recvfrom on an unconnected socket: the tuple names the fd.
    pub(super) fn sock_io(&mut self, pid: u32, a: &Args<'_, '_>) {
        if let Some(t) = a.named("tuple").and_then(|i| sock_at(a.params, i))
            && let Some(fd) = a.int(0).and_then(|f| self.fd_mut(pid, f as i32))
            && fd.sock.is_none_or(|s| s.sport == 0 && s.dport == 0)
            && matches!(fd.ty, FdType::Ipv4 | FdType::Ipv6)
        {
            let before = fd.display_name().into_owned();
            let server = fd.is_server;
            update_sock(fd, Some(t), server);
            self.fd_name_changed = *fd.display_name() != *before;
        }
    }

    /// open and the `*at` opens: a file or directory fd, its path made absolute.
    pub(super) fn open(&mut self, pid: u32, new: i32, a: &Args<'_, '_>) {
        let dirfd = a.named("dirfd").and_then(|i| a.int(i));
        let path = a.named("name").map_or(&[][..], |i| a.bytes(i));
        let flags = a.named("flags").and_then(|i| a.int(i)).unwrap_or(0) as u32;
        let full = self.resolve_path(pid, dirfd, path);
        let ty = if flags & O_DIRECTORY != 0 {
            FdType::Directory
        } else {
            FdType::File
        };
        let mut fd = Fd::new(ty, &full);
        fd.flags = flags;
        if full != path {
            fd.nameraw = Some(Arc::from(path));
        }
        self.insert_fd(pid, new, fd);
    }

    /// socket: its family and, for IP, its protocol from the type.
    pub(super) fn socket(&mut self, pid: u32, new: i32, a: &Args<'_, '_>) {
        let domain = a.int(0).unwrap_or(0) as u8;
        let stype = a.int(1).unwrap_or(0) & 0xf;
        let ty = match domain {
            af::INET => FdType::Ipv4,
            af::INET6 => FdType::Ipv6,
            af::UNIX => FdType::Unix,
            af::NETLINK => FdType::Netlink,
            _ => FdType::Unknown,
        };
        let mut fd = Fd::new(ty, b"");
        if matches!(ty, FdType::Ipv4 | FdType::Ipv6) {
            let proto = match stype {
                1 => l4::TCP,
                2 => l4::UDP,
                3 => l4::RAW,
                _ => l4::UNKNOWN,
            };
            fd.sock = Some(Sock {
                family: domain,
                proto,
                ..Sock::default()
            });
        }
        self.insert_fd(pid, new, fd);
    }

    /// accept: a connected fd, the server end of the tuple, typed like the listening socket.
    pub(super) fn accept(&mut self, pid: u32, new: i32, a: &Args<'_, '_>) {
        let tuple = a.named("tuple").and_then(|i| sock_at(a.params, i));
        let listen = a.int(0).and_then(|f| self.fd(pid, f as i32)).cloned();
        let ty = match (tuple, &listen) {
            (Some(s), _) if s.family == af::INET6 => FdType::Ipv6,
            (Some(s), _) if s.family == af::INET => FdType::Ipv4,
            (_, Some(l)) => l.ty,
            _ => FdType::Unknown,
        };
        let mut fd = Fd::new(ty, listen.as_ref().map_or(&[][..], |l| &l.name[..]));
        update_sock(&mut fd, tuple, true);
        fd.connected = true;
        self.insert_fd(pid, new, fd);
    }

    /// bind: the fd is a server; a bound address is its server end.
    pub(super) fn bind(&mut self, pid: u32, a: &Args<'_, '_>) {
        let addr = a.named("addr").and_then(|i| sock_at(a.params, i));
        let Some(fd) = a.int(0).and_then(|f| self.fd_mut(pid, f as i32)) else {
            return;
        };
        fd.is_server = true;
        if let Some(b) = addr {
            let mut s = fd.sock.unwrap_or_default();
            s.family = b.family;
            s.dst = b.dst;
            s.dport = b.dport;
            if b.dport == 0 && b.sport != 0 {
                s.dst = b.src;
                s.dport = b.sport;
            }
            fd.sock = Some(s);
            // Named from the tuple when shown.
            fd.name = Arc::from(&[][..]);
        } else if let Some(Value::Bytes(b)) = a.params.get(1) {
            fd.name = Arc::from(&b[..]);
        }
    }

    /// dup, dup2, dup3 and fcntl's F_DUPFD: a copy of `old` at `new`, close-on-exec only if
    /// asked.
    pub(super) fn dup(&mut self, pid: u32, old: Option<i64>, new: i32, cloexec: bool) {
        if let Some(mut copy) = old.and_then(|f| self.fd(pid, f as i32)).cloned() {
            copy.flags &= !O_CLOEXEC;
            if cloexec {
                copy.flags |= O_CLOEXEC;
            }
            self.insert_fd(pid, new, copy);
        }
    }

    pub(super) fn insert_fd(&mut self, pid: u32, fd: i32, entry: Fd) {
        if let Some(p) = self.procs.get_mut(&pid) {
            p.fds.insert(fd, entry);
        }
    }

    /// The fd `fd` of process `pid`.
    pub fn fd(&self, pid: u32, fd: i32) -> Option<&Fd> {
        self.procs.get(&pid)?.fds.get(&fd)
    }

    pub(super) fn fd_mut(&mut self, pid: u32, fd: i32) -> Option<&mut Fd> {
        self.procs.get_mut(&pid)?.fds.get_mut(&fd)
    }
}

/// A call's parameters, by position or by the name the syscall table gives them.
pub(super) struct Args<'p, 'v> {
    spec: &'p syscalls::SyscallSpec,
    params: &'p [Value<'v>],
}

impl Args<'_, '_> {
    fn int(&self, i: usize) -> Option<i64> {
        self.params.get(i).and_then(Value::as_int)
    }

    fn bytes(&self, i: usize) -> &[u8] {
        self.params.get(i).and_then(Value::as_bytes).unwrap_or(&[])
    }

    fn named(&self, name: &str) -> Option<usize> {
        self.spec.params.iter().position(|p| p.name == name)
    }
}

/// Two fds stored for pipe/socketpair: an `Int` holding both (first in the low 32 bits), or
/// 8 bytes (two little-endian `i32`).
pub fn fd_pair(v: &Value<'_>) -> Option<(i32, i32)> {
    match v {
        Value::Int(i) => Some((*i as i32, (*i >> 32) as i32)),
        Value::Bytes(b) if b.len() >= 8 => Some((
            i32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        )),
        _ => None,
    }
}

pub(super) fn sock_at(params: &[Value<'_>], i: usize) -> Option<Sock> {
    match params.get(i) {
        Some(Value::Sock(s)) => Some(*s),
        _ => None,
    }
}

pub(super) fn update_sock(fd: &mut Fd, tuple: Option<Sock>, server: bool) {
    fd.is_server = server;
    if let Some(t) = tuple {
        let mut s = t;
        if let Some(old) = fd.sock
            && s.proto == l4::UNKNOWN
        {
            s.proto = old.proto;
        }
        fd.sock = Some(s);
        fd.ty = match t.family {
            af::INET6 => FdType::Ipv6,
            af::INET => FdType::Ipv4,
            _ => fd.ty,
        };
        // The name is rendered from the tuple when asked for (see `Fd::display_name`).
        fd.name = Arc::from(&[][..]);
    }
}
