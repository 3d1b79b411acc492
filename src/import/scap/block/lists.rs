//! The metadata lists of a scap file: processes, fds, interfaces, users and groups, in
//! every version of their blocks.

use super::super::{ErrorKind, ParseError};
use super::{
    Block, Cursor, FdDetail, FdEntry, IfaceEntry, MAX_ARGS, MAX_CRED, MAX_PATH, ThreadEntry,
    UserEntry, fd_type,
};

pub(super) fn parse_procs(
    mut c: Cursor<'_>,
    version: u8,
) -> Result<Vec<ThreadEntry<'_>>, ParseError> {
    let mut out = Vec::new();
    while c.remaining() >= 4 {
        if version >= 9 {
            let at = c.offset();
            let len = c.u32("process entry length")?;
            if len < 4 {
                return Err(ParseError::new(
                    at,
                    ErrorKind::InvalidValue {
                        what: "process entry length",
                        value: u64::from(len),
                    },
                ));
            }
            let mut e = c.sub(len as usize - 4, "process entry")?;
            out.push(parse_thread(&mut e, version)?);
            // Fields appended by newer writers are skipped with the rest of the entry.
        } else {
            out.push(parse_thread(&mut c, version)?);
        }
    }
    Ok(out)
}

pub(super) fn parse_thread<'a>(c: &mut Cursor<'a>, v: u8) -> Result<ThreadEntry<'a>, ParseError> {
    let mut t = ThreadEntry {
        sid: -1,
        vpgid: -1,
        vtid: -1,
        vpid: -1,
        pgid: -1,
        loginuid: u32::MAX,
        ..ThreadEntry::default()
    };
    t.tid = c.u64("tid")?;
    t.pid = c.u64("pid")?;
    t.ptid = c.u64("ptid")?;
    if v >= 6 {
        t.sid = c.u64("sid")? as i64;
    }
    if v >= 8 {
        t.vpgid = c.u64("vpgid")? as i64;
    }
    t.comm = c.str16("comm", MAX_PATH)?;
    t.exe = c.str16("exe", MAX_PATH)?;
    if v >= 7 {
        t.exepath = c.str16("exepath", MAX_PATH)?;
    }
    t.args = c.str16("args", MAX_ARGS)?;
    t.cwd = c.str16("cwd", MAX_PATH)?;
    t.fdlimit = c.u64("fdlimit")?;
    t.flags = c.u32("flags")?;
    t.uid = c.u32("uid")?;
    t.gid = c.u32("gid")?;
    if v >= 2 {
        c.skip(12, "vmsize, vmrss, vmswap")?;
        c.skip(16, "page faults")?;
    }
    if v >= 3 {
        t.env = c.str16("env", MAX_ARGS)?;
    }
    if v >= 4 {
        t.vtid = c.u64("vtid")? as i64;
        t.vpid = c.u64("vpid")? as i64;
        t.cgroups = c.str16("cgroups", MAX_ARGS)?;
    }
    if v >= 5 {
        t.root = c.str16("root", MAX_PATH)?;
    }
    if v >= 9 {
        // Writers before libs 0.10 wrote loginuid, exe_writable and three capability sets (29
        // bytes) right after root; later ones put pidns_init_start_ts and tty first. Each field
        // is read only if it still fits.
        if c.remaining() > 29 {
            if c.remaining() >= 8 {
                t.pidns_init_start_ts = c.u64("pidns_init_start_ts")?;
            }
            if c.remaining() >= 4 {
                t.tty = c.u32("tty")?;
            }
        }
        if c.remaining() >= 4 {
            t.loginuid = c.u32("loginuid")?;
        }
        if c.remaining() >= 1 {
            c.skip(1, "exe_writable")?;
        }
        if c.remaining() >= 16 {
            t.cap_inheritable = c.u64("cap_inheritable")?;
            t.cap_permitted = c.u64("cap_permitted")?;
        }
        if c.remaining() >= 8 {
            t.cap_effective = c.u64("cap_effective")?;
            t.has_caps = true;
        }
        // exe_upper_layer (1), exe_ino, ctime, mtime (24), exe_from_memfd, exe_lower_layer (2)
        if c.remaining() >= 27 {
            t.exe_upper_layer = c.u8("exe_upper_layer")? != 0;
            c.skip(24, "exe inode fields")?;
            t.exe_from_memfd = c.u8("exe_from_memfd")? != 0;
            t.exe_lower_layer = c.u8("exe_lower_layer")? != 0;
            if c.remaining() >= 8 {
                t.pgid = c.u64("pgid")? as i64;
            }
        }
    }
    Ok(t)
}

pub(super) fn parse_fds(mut c: Cursor<'_>, v2: bool) -> Result<Block<'_>, ParseError> {
    let tid = c.u64("fd list tid")?;
    let mut fds = Vec::new();
    while c.remaining() >= 4 {
        if v2 {
            let at = c.offset();
            let len = c.u32("fd entry length")?;
            if len < 4 {
                return Err(ParseError::new(
                    at,
                    ErrorKind::InvalidValue {
                        what: "fd entry length",
                        value: u64::from(len),
                    },
                ));
            }
            let mut e = c.sub(len as usize - 4, "fd entry")?;
            fds.push(parse_fd(&mut e, true)?);
        } else {
            fds.push(parse_fd(&mut c, false)?);
        }
    }
    Ok(Block::Fds { tid, fds })
}

pub(super) fn parse_fd<'a>(c: &mut Cursor<'a>, v2: bool) -> Result<FdEntry<'a>, ParseError> {
    use fd_type as t;
    let fd = c.u64("fd")? as i64;
    let ino = c.u64("fd inode")?;
    let at = c.offset();
    let mut ty = c.u8("fd type")?;
    let named = |c: &mut Cursor<'a>| -> Result<FdDetail<'a>, ParseError> {
        Ok(FdDetail::Named {
            name: c.str16("fd name", MAX_PATH - 1)?,
            open_flags: 0,
            dev: 0,
        })
    };
    let detail = match ty {
        t::IPV4_SOCK => FdDetail::Ipv4 {
            sip: c.ip4("source address")?,
            dip: c.ip4("destination address")?,
            sport: c.u16("source port")?,
            dport: c.u16("destination port")?,
            l4: c.u8("l4 protocol")?,
        },
        t::IPV6_SOCK => FdDetail::Ipv6 {
            sip: c.ip6("source address")?,
            dip: c.ip6("destination address")?,
            sport: c.u16("source port")?,
            dport: c.u16("destination port")?,
            l4: c.u8("l4 protocol")?,
        },
        t::IPV4_SERVSOCK => FdDetail::Ipv4Server {
            ip: c.ip4("address")?,
            port: c.u16("port")?,
            l4: c.u8("l4 protocol")?,
        },
        t::IPV6_SERVSOCK => FdDetail::Ipv6Server {
            ip: c.ip6("address")?,
            port: c.u16("port")?,
            l4: c.u8("l4 protocol")?,
        },
        t::UNIX_SOCK => FdDetail::Unix {
            source: c.u64("unix source")?,
            dest: c.u64("unix destination")?,
            path: c.str16("unix path", MAX_PATH - 1)?,
        },
        t::FILE_V2 => {
            let open_flags = c.u32("open flags")?;
            let name = c.str16("fd name", MAX_PATH - 1)?;
            // The device number was added later; present only when the entry has room.
            let dev = if v2 && c.remaining() >= 4 {
                c.u32("device")?
            } else {
                0
            };
            FdDetail::Named {
                name,
                open_flags,
                dev,
            }
        }
        t::FILE
        | t::DIRECTORY
        | t::FIFO
        | t::EVENT
        | t::UNSUPPORTED
        | t::SIGNALFD
        | t::EVENTPOLL
        | t::INOTIFY
        | t::TIMERFD
        | t::NETLINK
        | t::BPF
        | t::USERFAULTFD
        | t::IOURING
        | t::MEMFD
        | t::PIDFD => named(c)?,
        _ if v2 => {
            // A type from a newer writer: the entry length lets us skip it.
            ty = t::UNSUPPORTED;
            let rest = c.remaining();
            c.skip(rest, "fd entry")?;
            FdDetail::Named {
                name: b"",
                open_flags: 0,
                dev: 0,
            }
        }
        other => {
            return Err(ParseError::new(
                at,
                ErrorKind::InvalidValue {
                    what: "fd type",
                    value: u64::from(other),
                },
            ));
        }
    };
    Ok(FdEntry {
        fd,
        ino,
        fd_type: ty,
        detail,
    })
}

pub(super) fn parse_ifaces(mut c: Cursor<'_>, v2: bool) -> Result<Vec<IfaceEntry<'_>>, ParseError> {
    let mut out = Vec::new();
    while c.remaining() >= 4 {
        if v2 {
            // V2 entry lengths do not count their own 4 bytes.
            let len = c.u32("interface entry length")?;
            let mut e = c.sub(len as usize, "interface entry")?;
            if let Some(i) = parse_iface(&mut e, true)? {
                out.push(i);
            }
        } else if let Some(i) = parse_iface(&mut c, false)? {
            out.push(i);
        }
    }
    Ok(out)
}

pub(super) fn parse_iface<'a>(
    c: &mut Cursor<'a>,
    v2: bool,
) -> Result<Option<IfaceEntry<'a>>, ParseError> {
    let at = c.offset();
    let ty = c.u16("interface type")?;
    let namelen = c.u16("interface name length")?;
    if u64::from(namelen) >= MAX_PATH {
        return Err(ParseError::new(
            at + 2,
            ErrorKind::InvalidValue {
                what: "interface name length",
                value: u64::from(namelen),
            },
        ));
    }
    let mut addr = [0; 16];
    let mut netmask = [0; 16];
    let v6 = match ty {
        1 | 3 => {
            addr[..4].copy_from_slice(&c.ip4("interface address")?);
            netmask[..4].copy_from_slice(&c.ip4("interface netmask")?);
            c.skip(4, "interface broadcast")?;
            false
        }
        2 | 4 => {
            addr = c.ip6("interface address")?;
            netmask = c.ip6("interface netmask")?;
            c.skip(16, "interface broadcast")?;
            true
        }
        _ if v2 => {
            let rest = c.remaining();
            c.skip(rest, "interface entry")?;
            return Ok(None);
        }
        other => {
            return Err(ParseError::new(
                at,
                ErrorKind::InvalidValue {
                    what: "interface type",
                    value: u64::from(other),
                },
            ));
        }
    };
    if ty <= 2 {
        c.skip(8, "link speed")?;
    }
    let name = c.take(namelen as usize, "interface name")?;
    Ok(Some(IfaceEntry {
        name,
        v6,
        addr,
        netmask,
    }))
}

pub(super) fn parse_users(mut c: Cursor<'_>, v2: bool) -> Result<Vec<UserEntry<'_>>, ParseError> {
    let mut out = Vec::new();
    while c.remaining() >= 4 {
        if v2 {
            let at = c.offset();
            let len = c.u32("user entry length")?;
            if len < 4 {
                return Err(ParseError::new(
                    at,
                    ErrorKind::InvalidValue {
                        what: "user entry length",
                        value: u64::from(len),
                    },
                ));
            }
            let mut e = c.sub(len as usize - 4, "user entry")?;
            out.push(parse_user(&mut e)?);
        } else {
            out.push(parse_user(&mut c)?);
        }
    }
    Ok(out)
}

pub(super) fn parse_user<'a>(c: &mut Cursor<'a>) -> Result<UserEntry<'a>, ParseError> {
    let at = c.offset();
    Ok(match c.u8("user entry type")? {
        0 => UserEntry::User {
            uid: c.u32("uid")?,
            gid: c.u32("gid")?,
            name: c.str16("user name", MAX_CRED - 1)?,
            home: c.str16("home directory", MAX_CRED - 1)?,
            shell: c.str16("shell", MAX_CRED - 1)?,
        },
        1 => UserEntry::Group {
            gid: c.u32("gid")?,
            name: c.str16("group name", MAX_CRED - 1)?,
        },
        other => {
            return Err(ParseError::new(
                at,
                ErrorKind::InvalidValue {
                    what: "user entry type",
                    value: u64::from(other),
                },
            ));
        }
    })
}
