//! Sans-IO parser of one scap block.
//!
//! Every block has the pcapng shape (little-endian, packed):
//!
//! ```text
//! offset  size  field
//! 0       4     block_type
//! 4       4     block_total_length   (header + body + padding + trailer)
//! 8       n     body
//! 8+n     p     zero padding to a multiple of 4
//! 8+n+p   4     block_total_length   (trailer)
//! ```
//!
//! [`parse_block`] takes the bytes of one whole block and returns a [`Block`] that borrows from
//! them. Metadata blocks walk their entries until fewer than 4 bytes remain (the rest is
//! padding). Entries of the newer block versions start with their own length, so fields
//! appended by newer writers are skipped and fields missing in older ones take defaults.

use super::event::{self, RawEvent};
use super::{ErrorKind, ParseError};

/// Block type ids (`userspace/libscap/scap_savefile.h`). The `0x80xxABCD` ids are the ones used
/// before the first library release.
pub mod id {
    /// Section header.
    pub const SHB: u32 = 0x0A0D_0D0A;
    /// Machine info.
    pub const MI: u32 = 0x201;
    /// Machine info, pre-release id.
    pub const MI_INT: u32 = 0x8002_ABCD;
    /// Process list, versions 1 to 9 (with pre-release ids for 1 to 3).
    pub const PL_V1: u32 = 0x202;
    /// Process list V1, pre-release id.
    pub const PL_V1_INT: u32 = 0x8000_ABCD;
    /// Process list V2.
    pub const PL_V2: u32 = 0x207;
    /// Process list V2, pre-release id.
    pub const PL_V2_INT: u32 = 0x8013_ABCD;
    /// Process list V3.
    pub const PL_V3: u32 = 0x209;
    /// Process list V3, pre-release id.
    pub const PL_V3_INT: u32 = 0x8014_ABCD;
    /// Process list V4.
    pub const PL_V4: u32 = 0x210;
    /// Process list V5.
    pub const PL_V5: u32 = 0x211;
    /// Process list V6.
    pub const PL_V6: u32 = 0x212;
    /// Process list V7.
    pub const PL_V7: u32 = 0x213;
    /// Process list V8.
    pub const PL_V8: u32 = 0x214;
    /// Process list V9 (entries carry their length).
    pub const PL_V9: u32 = 0x215;
    /// Fd list V1.
    pub const FDL_V1: u32 = 0x203;
    /// Fd list V1, pre-release id.
    pub const FDL_V1_INT: u32 = 0x8001_ABCD;
    /// Fd list V2 (entries carry their length).
    pub const FDL_V2: u32 = 0x218;
    /// Event V1 (22-byte event header).
    pub const EV_V1: u32 = 0x204;
    /// Event V1, pre-release id.
    pub const EV_V1_INT: u32 = 0x8010_ABCD;
    /// Event with flags V1.
    pub const EVF_V1: u32 = 0x208;
    /// Event V2.
    pub const EV_V2: u32 = 0x216;
    /// Event V2 over 64 KiB.
    pub const EV_V2_LARGE: u32 = 0x221;
    /// Event with flags V2.
    pub const EVF_V2: u32 = 0x217;
    /// Event with flags V2 over 64 KiB.
    pub const EVF_V2_LARGE: u32 = 0x222;
    /// Interface list V1.
    pub const IL_V1: u32 = 0x205;
    /// Interface list V1, pre-release id.
    pub const IL_V1_INT: u32 = 0x8011_ABCD;
    /// Interface list V2 (entries carry their length, not counting itself).
    pub const IL_V2: u32 = 0x219;
    /// User list V1.
    pub const UL_V1: u32 = 0x206;
    /// User list V1, pre-release id.
    pub const UL_V1_INT: u32 = 0x8012_ABCD;
    /// User list V2 (entries carry their length).
    pub const UL_V2: u32 = 0x220;
}

/// The byte-order magic of the section header.
pub const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// Strings in metadata blocks longer than this are rejected (`SCAP_MAX_PATH_SIZE`).
const MAX_PATH: u64 = 1024;
/// Limit for args, env and cgroups (`SCAP_MAX_ARGS_SIZE`).
const MAX_ARGS: u64 = 4096;
/// Limit for user and group strings (`MAX_CREDENTIALS_STR_LEN`).
const MAX_CRED: u64 = 256;

/// Whether a block type is an event block (any version).
pub fn is_event_block(block_type: u32) -> bool {
    matches!(
        block_type,
        id::EV_V1
            | id::EV_V1_INT
            | id::EVF_V1
            | id::EV_V2
            | id::EV_V2_LARGE
            | id::EVF_V2
            | id::EVF_V2_LARGE
    )
}

/// A bounds-checked little-endian cursor. Errors carry the absolute offset.
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Cursor<'a> {
    /// A cursor over `buf`, which starts at absolute offset `base`.
    pub fn new(buf: &'a [u8], base: u64) -> Cursor<'a> {
        Cursor { buf, pos: 0, base }
    }

    /// Absolute offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Position relative to the start of the buffer.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ParseError> {
        if n > self.remaining() {
            return Err(ParseError::new(
                self.offset(),
                ErrorKind::InvalidLength {
                    what,
                    needed: n as u64,
                    available: self.remaining() as u64,
                },
            ));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A sub-cursor over the next `n` bytes, which are consumed.
    pub fn sub(&mut self, n: usize, what: &'static str) -> Result<Cursor<'a>, ParseError> {
        let base = self.offset();
        Ok(Cursor::new(self.take(n, what)?, base))
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], ParseError> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    /// A `u8`.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, ParseError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A little-endian `u16`.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, ParseError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, ParseError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, ParseError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// Sixteen raw bytes (an IPv6 address).
    pub fn ip6(&mut self, what: &'static str) -> Result<[u8; 16], ParseError> {
        self.array(what)
    }

    /// Four raw bytes (an IPv4 address, first octet first).
    pub fn ip4(&mut self, what: &'static str) -> Result<[u8; 4], ParseError> {
        self.array(what)
    }

    /// A `u16` length followed by that many bytes, at most `max`.
    pub fn str16(&mut self, what: &'static str, max: u64) -> Result<&'a [u8], ParseError> {
        let at = self.offset();
        let n = self.u16(what)?;
        if u64::from(n) > max {
            return Err(ParseError::new(
                at,
                ErrorKind::InvalidValue {
                    what,
                    value: u64::from(n),
                },
            ));
        }
        self.take(n as usize, what)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize, what: &'static str) -> Result<(), ParseError> {
        self.take(n, what).map(|_| ())
    }
}

/// The section header block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionHeader {
    /// Major version (1).
    pub major: u16,
    /// Minor version (0 or 2 in the wild).
    pub minor: u16,
    /// Bytes of pcapng options after the fixed body (skipped).
    pub options_len: u32,
}

/// The machine info block (`scap_machine_info`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MachineInfo {
    /// Number of CPUs.
    pub num_cpus: u32,
    /// Memory in bytes.
    pub memory_bytes: u64,
    /// `pid_max`.
    pub max_pid: u64,
    /// Host name.
    pub hostname: String,
    /// Boot time, ns since the epoch (0 in older files).
    pub boot_ts: u64,
    /// Flags.
    pub flags: u64,
}

/// One thread of the process list (`scap_threadinfo`), with defaults for absent fields.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ThreadEntry<'a> {
    /// Thread id.
    pub tid: u64,
    /// Process id.
    pub pid: u64,
    /// Parent thread id.
    pub ptid: u64,
    /// Session id (-1 when absent).
    pub sid: i64,
    /// Process group id in its namespace (-1 when absent).
    pub vpgid: i64,
    /// `comm`.
    pub comm: &'a [u8],
    /// `argv[0]`.
    pub exe: &'a [u8],
    /// Resolved executable path.
    pub exepath: &'a [u8],
    /// Arguments after `argv[0]`, NUL-separated.
    pub args: &'a [u8],
    /// Working directory.
    pub cwd: &'a [u8],
    /// fd limit.
    pub fdlimit: u64,
    /// Thread flags.
    pub flags: u32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Environment, NUL-separated `NAME=value`.
    pub env: &'a [u8],
    /// Thread id in its pid namespace (-1 when absent).
    pub vtid: i64,
    /// Process id in its pid namespace (-1 when absent).
    pub vpid: i64,
    /// cgroups, NUL-separated `subsystem=path`.
    pub cgroups: &'a [u8],
    /// Root directory.
    pub root: &'a [u8],
    /// Controlling terminal.
    pub tty: u32,
    /// Login uid (`u32::MAX` when absent).
    pub loginuid: u32,
    /// Effective capabilities.
    pub cap_effective: u64,
    /// Permitted capabilities.
    pub cap_permitted: u64,
    /// Inheritable capabilities.
    pub cap_inheritable: u64,
    /// Whether the writer gave the capability sets and the exe flags.
    pub has_caps: bool,
    /// The executable is in an overlayfs upper layer.
    pub exe_upper_layer: bool,
    /// The executable is in an overlayfs lower layer.
    pub exe_lower_layer: bool,
    /// The executable is a memfd.
    pub exe_from_memfd: bool,
    /// Start time of the pid namespace's init.
    pub pidns_init_start_ts: u64,
    /// Process group id (-1 when absent).
    pub pgid: i64,
}

/// The type-specific part of an fd entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FdDetail<'a> {
    /// An IPv4 connection: addresses first octet first, ports as numbers.
    Ipv4 {
        /// Source address.
        sip: [u8; 4],
        /// Destination address.
        dip: [u8; 4],
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// scap l4 protocol.
        l4: u8,
    },
    /// An IPv6 connection.
    Ipv6 {
        /// Source address.
        sip: [u8; 16],
        /// Destination address.
        dip: [u8; 16],
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// scap l4 protocol.
        l4: u8,
    },
    /// An IPv4 listening socket.
    Ipv4Server {
        /// Address.
        ip: [u8; 4],
        /// Port.
        port: u16,
        /// scap l4 protocol.
        l4: u8,
    },
    /// An IPv6 listening socket.
    Ipv6Server {
        /// Address.
        ip: [u8; 16],
        /// Port.
        port: u16,
        /// scap l4 protocol.
        l4: u8,
    },
    /// A unix socket.
    Unix {
        /// Kernel address of this end.
        source: u64,
        /// Kernel address of the peer.
        dest: u64,
        /// Path.
        path: &'a [u8],
    },
    /// Anything with a name (files, pipes, eventfds, ...).
    Named {
        /// The name.
        name: &'a [u8],
        /// scap open flags (`PPM_O_*`), 0 when not recorded.
        open_flags: u32,
        /// Device number, 0 when not recorded.
        dev: u32,
    },
}

/// scap fd types (`scap_fd_type`).
pub mod fd_type {
    /// Unknown.
    pub const UNKNOWN: u8 = 0;
    /// File.
    pub const FILE: u8 = 1;
    /// Directory.
    pub const DIRECTORY: u8 = 2;
    /// IPv4 socket.
    pub const IPV4_SOCK: u8 = 3;
    /// IPv6 socket.
    pub const IPV6_SOCK: u8 = 4;
    /// IPv4 server socket.
    pub const IPV4_SERVSOCK: u8 = 5;
    /// IPv6 server socket.
    pub const IPV6_SERVSOCK: u8 = 6;
    /// FIFO / pipe.
    pub const FIFO: u8 = 7;
    /// Unix socket.
    pub const UNIX_SOCK: u8 = 8;
    /// eventfd.
    pub const EVENT: u8 = 9;
    /// Unsupported.
    pub const UNSUPPORTED: u8 = 10;
    /// signalfd.
    pub const SIGNALFD: u8 = 11;
    /// epoll.
    pub const EVENTPOLL: u8 = 12;
    /// inotify.
    pub const INOTIFY: u8 = 13;
    /// timerfd.
    pub const TIMERFD: u8 = 14;
    /// netlink.
    pub const NETLINK: u8 = 15;
    /// File with open flags (and device).
    pub const FILE_V2: u8 = 16;
    /// BPF object.
    pub const BPF: u8 = 17;
    /// userfaultfd.
    pub const USERFAULTFD: u8 = 18;
    /// io_uring.
    pub const IOURING: u8 = 19;
    /// memfd.
    pub const MEMFD: u8 = 20;
    /// pidfd.
    pub const PIDFD: u8 = 21;
}

/// One fd of an fd list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdEntry<'a> {
    /// Descriptor number.
    pub fd: i64,
    /// Inode.
    pub ino: u64,
    /// scap fd type ([`fd_type`]); unknown types read as `UNSUPPORTED`.
    pub fd_type: u8,
    /// The type-specific part.
    pub detail: FdDetail<'a>,
}

/// An interface address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfaceEntry<'a> {
    /// Interface name.
    pub name: &'a [u8],
    /// Whether this is IPv6.
    pub v6: bool,
    /// Address (IPv4 in the first 4 bytes).
    pub addr: [u8; 16],
    /// Netmask (IPv4 in the first 4 bytes).
    pub netmask: [u8; 16],
}

/// A user or group of the user list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserEntry<'a> {
    /// A user.
    User {
        /// uid.
        uid: u32,
        /// Primary gid.
        gid: u32,
        /// Name.
        name: &'a [u8],
        /// Home directory.
        home: &'a [u8],
        /// Shell.
        shell: &'a [u8],
    },
    /// A group.
    Group {
        /// gid.
        gid: u32,
        /// Name.
        name: &'a [u8],
    },
}

/// One parsed block.
#[derive(Clone, Debug, PartialEq)]
pub enum Block<'a> {
    /// Section header: the start of a file (or of an appended one).
    Section(SectionHeader),
    /// Machine info.
    Machine(MachineInfo),
    /// Process list.
    Procs(Vec<ThreadEntry<'a>>),
    /// Fd list of one thread.
    Fds {
        /// The thread.
        tid: u64,
        /// Its fds.
        fds: Vec<FdEntry<'a>>,
    },
    /// Interface list.
    Ifaces(Vec<IfaceEntry<'a>>),
    /// User list.
    Users(Vec<UserEntry<'a>>),
    /// An event.
    Event(RawEvent<'a>),
    /// An event of a type this reader does not know (newer libs), skipped.
    UnknownEvent {
        /// Its type.
        etype: u16,
    },
    /// A block of a type this reader does not know, skipped.
    Unknown {
        /// Its type.
        block_type: u32,
    },
}

/// The type and total length of the block starting at `buf`, if 8 bytes are there.
pub fn peek_header(buf: &[u8]) -> Option<(u32, u32)> {
    let h = buf.get(..8)?;
    let t = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    let l = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    Some((t, l))
}

/// Smallest valid block: header, trailer.
pub const MIN_BLOCK_LEN: u32 = 12;

/// Parses one whole block (`block` holds exactly `block_total_length` bytes) found at absolute
/// offset `offset`.
pub fn parse_block(block: &[u8], offset: u64) -> Result<Block<'_>, ParseError> {
    let mut c = Cursor::new(block, offset);
    let block_type = c.u32("block type")?;
    let total = c.u32("block length")?;
    if total < MIN_BLOCK_LEN || total as usize != block.len() {
        return Err(ParseError::new(
            offset + 4,
            ErrorKind::InvalidBlockLength {
                block_type,
                declared: total,
            },
        ));
    }
    let body_len = total as usize - 12;
    let body = c.sub(body_len, "block body")?;
    let trailer = c.u32("block trailer")?;
    if is_event_block(block_type) {
        // libscap does not check event trailers; neither do we (the header length framed it).
        return event::parse_event_block(block_type, body);
    }
    if trailer != total {
        return Err(ParseError::new(
            offset + u64::from(total) - 4,
            ErrorKind::TrailerMismatch {
                block_type,
                header: total,
                trailer,
            },
        ));
    }
    parse_metadata(block_type, body)
}

fn parse_metadata(block_type: u32, mut c: Cursor<'_>) -> Result<Block<'_>, ParseError> {
    use id::{
        FDL_V1, FDL_V1_INT, FDL_V2, IL_V1, IL_V1_INT, IL_V2, MI, MI_INT, PL_V1, PL_V1_INT, PL_V2,
        PL_V2_INT, PL_V3, PL_V3_INT, PL_V4, PL_V5, PL_V6, PL_V7, PL_V8, PL_V9, SHB, UL_V1,
        UL_V1_INT, UL_V2,
    };
    Ok(match block_type {
        SHB => Block::Section(parse_section(&mut c)?),
        MI | MI_INT => Block::Machine(parse_machine(&mut c)?),
        PL_V1 | PL_V1_INT => Block::Procs(parse_procs(c, 1)?),
        PL_V2 | PL_V2_INT => Block::Procs(parse_procs(c, 2)?),
        PL_V3 | PL_V3_INT => Block::Procs(parse_procs(c, 3)?),
        PL_V4 => Block::Procs(parse_procs(c, 4)?),
        PL_V5 => Block::Procs(parse_procs(c, 5)?),
        PL_V6 => Block::Procs(parse_procs(c, 6)?),
        PL_V7 => Block::Procs(parse_procs(c, 7)?),
        PL_V8 => Block::Procs(parse_procs(c, 8)?),
        PL_V9 => Block::Procs(parse_procs(c, 9)?),
        FDL_V1 | FDL_V1_INT => parse_fds(c, false)?,
        FDL_V2 => parse_fds(c, true)?,
        IL_V1 | IL_V1_INT => Block::Ifaces(parse_ifaces(c, false)?),
        IL_V2 => Block::Ifaces(parse_ifaces(c, true)?),
        UL_V1 | UL_V1_INT => Block::Users(parse_users(c, false)?),
        UL_V2 => Block::Users(parse_users(c, true)?),
        _ => Block::Unknown { block_type },
    })
}

fn parse_section(c: &mut Cursor<'_>) -> Result<SectionHeader, ParseError> {
    let at = c.offset();
    let magic = c.u32("byte-order magic")?;
    if magic != BYTE_ORDER_MAGIC {
        return Err(ParseError::new(at, ErrorKind::BadMagic { found: magic }));
    }
    let major = c.u16("major version")?;
    let minor = c.u16("minor version")?;
    if major > 1 {
        return Err(ParseError::new(
            at + 4,
            ErrorKind::UnsupportedVersion { major, minor },
        ));
    }
    let _section_length = c.u64("section length")?;
    // pcapng options (e.g. comments from editcap) follow; they are skipped.
    Ok(SectionHeader {
        major,
        minor,
        options_len: c.remaining() as u32,
    })
}

fn parse_machine(c: &mut Cursor<'_>) -> Result<MachineInfo, ParseError> {
    let num_cpus = c.u32("num_cpus")?;
    let memory_bytes = c.u64("memory size")?;
    let max_pid = c.u64("max pid")?;
    let host = c.take(128, "hostname")?;
    let host = &host[..host.iter().position(|&b| b == 0).unwrap_or(host.len())];
    let boot_ts = c.u64("boot time")?;
    let flags = c.u64("flags")?;
    Ok(MachineInfo {
        num_cpus,
        memory_bytes,
        max_pid,
        hostname: String::from_utf8_lossy(host).into_owned(),
        boot_ts,
        flags,
    })
}

fn parse_procs(mut c: Cursor<'_>, version: u8) -> Result<Vec<ThreadEntry<'_>>, ParseError> {
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

fn parse_thread<'a>(c: &mut Cursor<'a>, v: u8) -> Result<ThreadEntry<'a>, ParseError> {
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

fn parse_fds(mut c: Cursor<'_>, v2: bool) -> Result<Block<'_>, ParseError> {
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

fn parse_fd<'a>(c: &mut Cursor<'a>, v2: bool) -> Result<FdEntry<'a>, ParseError> {
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

fn parse_ifaces(mut c: Cursor<'_>, v2: bool) -> Result<Vec<IfaceEntry<'_>>, ParseError> {
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

fn parse_iface<'a>(c: &mut Cursor<'a>, v2: bool) -> Result<Option<IfaceEntry<'a>>, ParseError> {
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

fn parse_users(mut c: Cursor<'_>, v2: bool) -> Result<Vec<UserEntry<'_>>, ParseError> {
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

fn parse_user<'a>(c: &mut Cursor<'a>) -> Result<UserEntry<'a>, ParseError> {
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
