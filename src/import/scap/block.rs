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

mod lists;

use super::cursor::Cursor;
use lists::{parse_fds, parse_ifaces, parse_procs, parse_users};

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
    parse_block_reusing(block, offset, Vec::new())
}

/// [`parse_block`], an event's parameter list built in `spare` (a list of an earlier event,
/// emptied: its allocation is reused).
pub fn parse_block_reusing<'a>(
    block: &'a [u8],
    offset: u64,
    spare: Vec<&'a [u8]>,
) -> Result<Block<'a>, ParseError> {
    let (block_type, body, trailer) = frame(block, offset)?;
    if is_event_block(block_type) {
        // libscap does not check event trailers; neither do we (the header length framed it).
        return event::parse_event_block_reusing(block_type, body, spare);
    }
    let total = block.len() as u32;
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

/// Parses an event block as [`parse_block_reusing`] does, its parameters pushed to `params`;
/// `None` when the block is not an event block.
pub fn parse_event_block_into<'a>(
    block: &'a [u8],
    offset: u64,
    params: &mut impl event::ParamSink<'a>,
) -> Result<Option<event::EventHead>, ParseError> {
    let (block_type, body, _) = frame(block, offset)?;
    if !is_event_block(block_type) {
        return Ok(None);
    }
    event::parse_event_into(block_type, body, params).map(Some)
}

/// A block's type, body and trailer, its declared length checked against its bytes.
#[inline(always)]
#[allow(
    clippy::inline_always,
    reason = "a few checks, on the path of every event"
)]
fn frame(block: &[u8], offset: u64) -> Result<(u32, Cursor<'_>, u32), ParseError> {
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
    Ok((block_type, body, trailer))
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
