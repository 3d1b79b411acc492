//! The `fd.*` fields: the fd the event is about, its file or connection, and the tables
//! behind `fs.path.*`.

use capture_format::schema::{FdType, af, l4};

use crate::filter::Val;
use crate::replay::calls;
use crate::replay::fields::{Fid, Field};

use super::{EventCtx, FsPaths, FsSrc, ip_of, owned, s};

impl EventCtx<'_, '_> {
    /// `fd.*` but addresses and ports: the fd the event is about.
    pub(super) fn fd_field(&self, field: &Field) -> Option<Val<'_>> {
        Some(match field.fid {
            Fid::FdNum => Val::Num(self.fd_num()?),
            Fid::FdType => s(self.fd()?.ty.name().as_bytes()),
            Fid::FdTypechar => {
                let c = self.fd()?.ty.typechar();
                owned(c.to_string())
            }
            Fid::FdName => match self.fd() {
                Some(fd) => {
                    let name = fd.display_name();
                    // sysdig names pipes, eventfds, inotify and signal fds with an empty
                    // string (`fd.name exists` holds); only a file whose path is unknown has
                    // no name.
                    if name.is_empty()
                        && !matches!(
                            fd.ty,
                            FdType::Pipe
                                | FdType::Event
                                | FdType::Inotify
                                | FdType::Signalfd
                                | FdType::Unix
                        )
                    {
                        return None;
                    }
                    Val::Str(name)
                }
                // A failed open is named after the path it tried, as sysdig does.
                None => owned(String::from_utf8_lossy(&self.failed_open_path()?).into_owned()),
            },
            Fid::FdDirectory | Fid::FdFilename => {
                let fd = self.fd()?;
                if !matches!(fd.ty, FdType::File | FdType::Directory) {
                    return None;
                }
                let n: &[u8] = &fd.name;
                if fd.ty == FdType::Directory {
                    return Some(if field.fid == Fid::FdDirectory {
                        s(n)
                    } else {
                        s(b"")
                    });
                }
                let cut = n.iter().rposition(|&c| c == b'/')?;
                if field.fid == Fid::FdDirectory {
                    s(if cut == 0 { b"/" } else { &n[..cut] })
                } else {
                    s(&n[cut + 1..])
                }
            }
            Fid::FdNameraw => {
                if let Some(fd) = self.fd() {
                    if let Some(raw) = &fd.nameraw {
                        return Some(s(raw));
                    }
                    let name = fd.display_name();
                    if name.is_empty() {
                        return None;
                    }
                    Val::Str(name)
                } else {
                    // A failed open is named after the path as it was given.
                    self.failed_open_path()?;
                    let (sc, spec) = self.syscall()?;
                    let i = spec.params.iter().position(|p| p.name == "name")?;
                    s(sc.params.get(i)?.as_bytes()?)
                }
            }
            Fid::FdNameChanged => {
                self.fd()?;
                Val::Bool(self.state.fd_name_changed)
            }
            _ => return self.fd_net_field(field),
        })
    }

    /// `fd.*` addresses, ports and socket kinds.
    pub(super) fn fd_net_field(&self, field: &Field) -> Option<Val<'_>> {
        Some(match field.fid {
            Fid::FdCipName | Fid::FdSipName | Fid::FdLipName | Fid::FdRipName => {
                let fd = self.fd()?;
                let so = fd.sock.filter(|so| {
                    matches!(so.family, af::INET | af::INET6) && (so.sport != 0 || so.dport != 0)
                })?;
                let (cip, sip) = (ip_of(so.family, &so.src), ip_of(so.family, &so.dst));
                let ip = match (field.fid, fd.is_server) {
                    (Fid::FdCipName, _) | (Fid::FdLipName, false) | (Fid::FdRipName, true) => cip,
                    _ => sip,
                };
                s(self.state.dns.name(ip)?.as_bytes())
            }
            Fid::FdIp
            | Fid::FdCip
            | Fid::FdSip
            | Fid::FdLip
            | Fid::FdRip
            | Fid::FdNet
            | Fid::FdCnet
            | Fid::FdSnet
            | Fid::FdLnet
            | Fid::FdRnet => {
                let fd = self.fd()?;
                // A socket with no address yet (before connect/bind) has no ends.
                let so = fd.sock.filter(|so| {
                    matches!(so.family, af::INET | af::INET6) && (so.sport != 0 || so.dport != 0)
                })?;
                let cip = ip_of(so.family, &so.src);
                let sip = ip_of(so.family, &so.dst);
                match field.fid {
                    Fid::FdIp | Fid::FdNet => Val::List(vec![Val::Ip(cip), Val::Ip(sip)]),
                    Fid::FdCip | Fid::FdCnet => Val::Ip(cip),
                    Fid::FdSip | Fid::FdSnet => Val::Ip(sip),
                    Fid::FdLip | Fid::FdLnet => Val::Ip(if fd.is_server { sip } else { cip }),
                    _ => Val::Ip(if fd.is_server { cip } else { sip }),
                }
            }
            Fid::FdPort | Fid::FdCport | Fid::FdSport | Fid::FdLport | Fid::FdRport => {
                let fd = self.fd()?;
                // A socket with no address yet (before connect/bind) has no ends.
                let so = fd.sock.filter(|so| {
                    matches!(so.family, af::INET | af::INET6) && (so.sport != 0 || so.dport != 0)
                })?;
                let (c, sv) = (i64::from(so.sport), i64::from(so.dport));
                match field.fid {
                    Fid::FdPort => Val::List(vec![Val::Num(c), Val::Num(sv)]),
                    Fid::FdCport => Val::Num(c),
                    Fid::FdSport => Val::Num(sv),
                    Fid::FdLport => Val::Num(if fd.is_server { sv } else { c }),
                    _ => Val::Num(if fd.is_server { c } else { sv }),
                }
            }
            Fid::FdL4proto => {
                let so = self.fd()?.sock?;
                s(match so.proto {
                    l4::TCP => b"tcp",
                    l4::UDP => b"udp",
                    l4::ICMP => b"icmp",
                    l4::RAW => b"raw",
                    _ => return None,
                })
            }
            Fid::FdSockfamily => s(match self.fd()?.ty {
                FdType::Ipv4 | FdType::Ipv6 => b"ip",
                FdType::Unix => b"unix",
                _ => return None,
            }),
            Fid::FdIsServer => {
                let fd = self.fd()?;
                if !matches!(fd.ty, FdType::Ipv4 | FdType::Ipv6 | FdType::Unix) {
                    return None;
                }
                Val::Bool(fd.is_server)
            }
            Fid::FdConnected => {
                let fd = self.fd()?;
                if !matches!(fd.ty, FdType::Ipv4 | FdType::Ipv6) {
                    return None;
                }
                Val::Bool(fd.connected)
            }
            _ => return None,
        })
    }
}

/// The parameter libs' `fs.path` check takes for `fs.path.name` (0), `.source` (1) or
/// `.target` (2) of a call.
pub(super) fn fs_param(which: usize, call: &str) -> Option<&'static str> {
    Some(match (which, call) {
        (0, "open" | "openat" | "openat2" | "unlinkat" | "umount2") => "name",
        (0, "mkdir" | "mkdirat" | "rmdir" | "unlink" | "chown" | "lchown") => "path",
        (0, "chmod" | "fchmodat") => "filename",
        (0, "fchownat") => "pathname",
        (0, "fchmod" | "fchown") => "fd",
        // rename: from the old path to the new; link: the new name, linking to the old path.
        (1, "rename" | "renameat" | "renameat2") | (2, "link" | "linkat") => "oldpath",
        (2, "rename" | "renameat" | "renameat2") | (1, "link" | "linkat") => "newpath",
        (1, "symlink" | "symlinkat") => "linkpath",
        (2, "symlink" | "symlinkat") => "target",
        (1, "mount") => "dev",
        (2, "mount") => "dir",
        _ => return None,
    })
}

pub(super) fn fs_path_table() -> &'static [FsPaths] {
    static T: std::sync::OnceLock<Vec<FsPaths>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        (0..capture_format::schema::syscall_names::SYSCALL_COUNT as u16)
            .map(|nr| {
                let spec = &calls::info(nr).spec;
                let srcs: [Option<FsSrc>; 3] = std::array::from_fn(|w| {
                    let p = fs_param(w, spec.name)?;
                    if p == "fd" {
                        return Some(FsSrc::Fd);
                    }
                    let i = spec.params.iter().position(|q| q.name == p)?;
                    Some(FsSrc::Param(i as u8))
                });
                srcs.iter()
                    .any(Option::is_some)
                    .then_some((matches!(spec.name, "open" | "openat" | "openat2"), srcs))
            })
            .collect()
    })
}
