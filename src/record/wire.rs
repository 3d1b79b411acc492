//! The probe's wire format: a copy of `probe/cf_record.h` and the decoder from raw ring-buffer
//! records to [`schema::Event`]s.
//!
//! No aya types here, so this module builds everywhere. The structs below only pin the layout:
//! their sizes and offsets are asserted against the same numbers as the C `_Static_assert`s, and
//! the decoder reads each field at its `offset_of!` from the record bytes, checking every length
//! against what the kernel handed over.
//!
//! ```text
//! cf_hdr (32)      kind u16 | size u16 | cpu u16 | flags u16 | tid u32 | pid u32 | ts u64 | cgroup_id u64
//! cf_syscall (104) hdr | enter_ts u64 | ret i64 | args [u64; 6] | nr u16 | nblob u16 | pad u32
//!                  then nblob × (cf_blob (8): param u8 | kind u8 | len u16 | err i32, data, pad to 8)
//! cf_fork (48)     hdr | child_tid u32 | child_pid u32 | clone_flags u64
//! cf_exec (192)    hdr | ppid vtid vpid uid gid euid egid loginuid (u32) | start_ts u64
//!                  | cap_effective u64 | ns [u64; 7] | comm [u8; 16] | filename_len u16
//!                  | args_len u16 | env_len u16 | cwd_len u16 | tty u32 | exe_flags u32
//!                  | cap_permitted u64 | cap_inheritable u64 | vpgid u32 | pad u32, then filename, argv,
//!                  environment, cwd (components innermost first, NUL after each, and one
//!                  more NUL when the walk reached the root)
//! cf_exit (40)     hdr | code i32 | group_dead u32
//! cf_signal (48)   hdr | sig u32 | sender u32 | code i32 | pad u32
//! cf_tuple (40)    family u16 | proto u16 | lport u16 | rport u16 | laddr [u8; 16] | raddr [u8; 16]
//! cf_desc (16)     ncap u8 | io u8 | pad [u8; 2] | cap [cf_cap (param u8, src u8, a u8, b u8); 3]
//! ```

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::mem::{offset_of, size_of};

use capture_format::schema::{
    self, Body, Event, Exit, Fork, Process, Signal, Sock, Syscall, Value, af,
    syscalls::{self, ParamSpec, ParamType, Src, io},
};

mod layout;
pub use layout::*;

/// The id and path of a [`kind::CGROUP`] record.
pub fn parse_cgroup(b: &[u8]) -> Result<(u64, &[u8]), WireError> {
    let r = Rec {
        b,
        kind: kind::CGROUP,
    };
    let id = r.u64(offset_of!(CfCgroup, id))?;
    let len = r.u32(offset_of!(CfCgroup, path_len))? as usize;
    Ok((id, r.bytes(size_of::<CfCgroup>(), len)?))
}

impl CfDesc {
    /// The descriptor's bytes, as the probe's `DESCS` array stores them.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0; 16];
        b[0] = self.ncap;
        b[1] = self.io;
        for (i, c) in self.cap.iter().enumerate() {
            let o = offset_of!(CfDesc, cap) + i * size_of::<CfCap>();
            b[o..o + 4].copy_from_slice(&[c.param, c.src, c.a, c.b]);
        }
        b
    }
}

/// Errors building descriptors from the syscall table.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DescError {
    /// A syscall needs more captures than the probe supports.
    #[error("syscall {name} ({nr}) needs {needed} captures; the probe supports {MAX_CAPS}")]
    TooManyCaptures {
        /// Number.
        nr: u16,
        /// Name.
        name: &'static str,
        /// Captures it needs.
        needed: usize,
    },
    /// A syscall number does not fit the probe's array.
    #[error("syscall {nr} is beyond the probe's table of {MAX_NR}")]
    NumberTooLarge {
        /// Number.
        nr: u16,
    },
}

/// The descriptor of every decoded syscall, from `capture_format::schema::syscalls`: the probe
/// is driven by the same table the decoder uses, so the two cannot disagree.
pub fn descriptors() -> Result<Vec<(u32, CfDesc)>, DescError> {
    let mut out = Vec::new();
    for s in syscalls::all() {
        if u32::from(s.nr) >= MAX_NR {
            return Err(DescError::NumberTooLarge { nr: s.nr });
        }
        let mut d = CfDesc {
            io: if s.io & io::READ != 0 { IO_READ } else { 0 },
            ..CfDesc::default()
        };
        let caps: Vec<CfCap> = s
            .params
            .iter()
            .enumerate()
            .filter_map(|(i, p)| cap_of(i as u8, p.src))
            .collect();
        if caps.len() > MAX_CAPS {
            return Err(DescError::TooManyCaptures {
                nr: s.nr,
                name: s.name,
                needed: caps.len(),
            });
        }
        d.ncap = caps.len() as u8;
        d.cap[..caps.len()].copy_from_slice(&caps);
        out.push((u32::from(s.nr), d));
    }
    Ok(out)
}

fn cap_of(param: u8, s: Src) -> Option<CfCap> {
    let c = |src, a, b| Some(CfCap { param, src, a, b });
    match s {
        Src::Arg(_) => None,
        Src::Str(a) => c(src::STR, a, 0),
        Src::Buf { ptr, len } => c(src::BUF, ptr, len),
        Src::Iov { ptr, cnt } => c(src::IOV, ptr, cnt),
        Src::Msg(a) => c(src::MSG, a, 0),
        Src::SockAddr { ptr, len, len_ptr } => c(
            if len_ptr {
                src::SOCKADDR_LENPTR
            } else {
                src::SOCKADDR
            },
            ptr,
            len,
        ),
        Src::Tuple(a) => c(src::TUPLE, a, 0),
        Src::FdPair(a) => c(src::FDPAIR, a, 0),
        Src::Clone3Flags(a) => c(src::CLONE3, a, 0),
        Src::Creds(which) => c(src::CREDS, which, 0),
        Src::RetStr(a) => c(src::RETSTR, a, 0),
    }
}

/// Why a raw record could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    /// The record is shorter than its fixed part or than a length it declares.
    #[error(
        "probe record of kind {kind} truncated at byte {offset}: needs {needed}, has {available}"
    )]
    Truncated {
        /// Record kind (0 if the header itself is short).
        kind: u16,
        /// Offset in the record where more bytes were needed.
        offset: usize,
        /// Bytes needed from there.
        needed: usize,
        /// Bytes available from there.
        available: usize,
    },
    /// A kind this recorder does not know.
    #[error("unknown probe record kind {0}")]
    UnknownKind(u16),
    /// A batch whose records do not fill it as its header says.
    #[error("probe batch of {declared} records: record {at} is malformed ({why})")]
    Batch {
        /// Records the batch header declares.
        declared: u32,
        /// The index of the bad record (the count found, when the count differs).
        at: u32,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// Bounds-checked little-endian field reads from one record.
struct Rec<'a> {
    b: &'a [u8],
    kind: u16,
}

impl<'a> Rec<'a> {
    fn bytes(&self, off: usize, n: usize) -> Result<&'a [u8], WireError> {
        self.b
            .get(off..off.saturating_add(n))
            .ok_or(WireError::Truncated {
                kind: self.kind,
                offset: off,
                needed: n,
                available: self.b.len().saturating_sub(off),
            })
    }
    fn arr<const N: usize>(&self, off: usize) -> Result<[u8; N], WireError> {
        let mut a = [0; N];
        a.copy_from_slice(self.bytes(off, N)?);
        Ok(a)
    }
    fn u8(&self, off: usize) -> Result<u8, WireError> {
        Ok(self.arr::<1>(off)?[0])
    }
    fn u16(&self, off: usize) -> Result<u16, WireError> {
        Ok(u16::from_le_bytes(self.arr(off)?))
    }
    fn u32(&self, off: usize) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.arr(off)?))
    }
    fn i32(&self, off: usize) -> Result<i32, WireError> {
        Ok(i32::from_le_bytes(self.arr(off)?))
    }
    fn u64(&self, off: usize) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.arr(off)?))
    }
}

/// Hands `each` the records of one ring entry with their headers, each cut to the size its
/// header gives: the entry itself, or the records of a batch ([`kind::BATCH`]: a header whose
/// `size` covers the batch and whose `tid` counts its records, then the records, each at an
/// 8-byte boundary). A malformed record ends the batch with an error; the records before it
/// were handed over.
pub fn records<'a>(item: &'a [u8], mut each: impl FnMut(CfHdr, &'a [u8])) -> Result<(), WireError> {
    let h = parse_hdr(item)?;
    let cut = |h: &CfHdr, b: &'a [u8]| &b[..usize::from(h.size).clamp(HDR_SIZE, b.len())];
    if h.kind != kind::BATCH {
        each(h, cut(&h, item));
        return Ok(());
    }
    let end = usize::from(h.size).min(item.len());
    let declared = h.tid;
    let bad = |at, why| WireError::Batch { declared, at, why };
    let (mut off, mut n) = (HDR_SIZE, 0u32);
    while off < end {
        let rec = &item[off..end];
        let r = parse_hdr(rec).map_err(|_| bad(n, "its header is cut"))?;
        let size = usize::from(r.size);
        if size < HDR_SIZE || size > rec.len() || r.kind == kind::BATCH {
            return Err(bad(n, "its size does not fit the batch"));
        }
        each(r, &rec[..size]);
        off += (size + 7) & !7;
        n += 1;
    }
    if n != declared {
        return Err(bad(n, "the batch holds another number of records"));
    }
    Ok(())
}

/// Parses the common header.
pub fn parse_hdr(b: &[u8]) -> Result<CfHdr, WireError> {
    let r = Rec { b, kind: 0 };
    let kind = r.u16(offset_of!(CfHdr, kind))?;
    let r = Rec { b, kind };
    Ok(CfHdr {
        kind,
        size: r.u16(offset_of!(CfHdr, size))?,
        cpu: r.u16(offset_of!(CfHdr, cpu))?,
        flags: r.u16(offset_of!(CfHdr, flags))?,
        tid: r.u32(offset_of!(CfHdr, tid))?,
        pid: r.u32(offset_of!(CfHdr, pid))?,
        ts: r.u64(offset_of!(CfHdr, ts))?,
        cgroup_id: r.u64(offset_of!(CfHdr, cgroup_id))?,
    })
}

/// One captured blob, borrowed from the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BlobRef<'a> {
    kind: u8,
    err: i32,
    data: &'a [u8],
}

/// Context the decoder keeps across records.
#[derive(Debug, Default)]
pub struct Decoder {
    /// Parameters of each syscall number, looked up once (`spec` names undecoded calls by
    /// string matching, too slow per record).
    params: Vec<&'static [ParamSpec]>,
    /// Nanoseconds to add to a boot-clock time to get wall-clock time.
    pub boot_to_wall: i64,
    /// Last exec filename per thread, for the filename of a successful execve (whose user
    /// memory is gone at exit).
    exec_names: HashMap<u32, Vec<u8>>,
    /// (pid, fd) of connections returned by accept: their remote end is the client.
    accepted: HashSet<(u32, i32)>,
    /// What each syscall number means to the decoder, looked up once (by name, too slow per
    /// record).
    roles: Vec<Role>,
}

/// A decoded record and the cgroup it came from (the caller maps cgroups to containers).
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded<'a> {
    /// The event, borrowing from the raw record; `container` is 0 until the caller sets it.
    pub event: Event<'a>,
    /// The record's cgroup v2 id.
    pub cgroup_id: u64,
}

impl Decoder {
    /// A decoder that converts boot-clock times with this offset.
    pub fn new(boot_to_wall: i64) -> Decoder {
        Decoder {
            params: (0..MAX_NR as u16)
                .map(|nr| syscalls::spec(nr).params)
                .collect(),
            roles: (0..MAX_NR as u16).map(Role::of).collect(),
            boot_to_wall,
            exec_names: HashMap::new(),
            accepted: HashSet::new(),
        }
    }

    /// Wall-clock nanoseconds for a boot-clock time.
    pub fn wall(&self, boot_ns: u64) -> u64 {
        boot_ns.saturating_add_signed(self.boot_to_wall)
    }

    /// Decodes one raw record.
    pub fn decode<'a>(&mut self, b: &'a [u8]) -> Result<Decoded<'a>, WireError> {
        let h = parse_hdr(b)?;
        let r = Rec { b, kind: h.kind };
        let body = match h.kind {
            kind::SYSCALL => Body::Syscall(self.syscall(&r, &h)?),
            kind::FORK => Body::Fork(Fork {
                child_tid: r.u32(offset_of!(CfFork, child_tid))?,
                child_pid: r.u32(offset_of!(CfFork, child_pid))?,
                flags: r.u64(offset_of!(CfFork, clone_flags))?,
            }),
            kind::EXEC => Body::Exec(self.exec(&r, &h)?),
            kind::EXIT => {
                if r.u32(offset_of!(CfExit, group_dead))? != 0 {
                    self.exec_names.remove(&h.tid);
                }
                Body::Exit(Exit {
                    code: r.i32(offset_of!(CfExit, code))?,
                    group_dead: r.u32(offset_of!(CfExit, group_dead))? != 0,
                })
            }
            kind::SIGNAL => Body::Signal(Signal {
                sig: r.u32(offset_of!(CfSignal, sig))?,
                sender: r.u32(offset_of!(CfSignal, sender))?,
                code: r.i32(offset_of!(CfSignal, code))?,
            }),
            kind::SWITCH => Body::Switch(schema::Switch {
                next: r.u32(offset_of!(CfSwitch, next_tid))?,
                pf_major: r.u64(offset_of!(CfSwitch, pf_major))?,
                pf_minor: r.u64(offset_of!(CfSwitch, pf_minor))?,
                vm_size: r.u64(offset_of!(CfSwitch, vm_size))?,
                vm_rss: r.u64(offset_of!(CfSwitch, vm_rss))?,
                vm_swap: r.u64(offset_of!(CfSwitch, vm_swap))?,
            }),
            k => return Err(WireError::UnknownKind(k)),
        };
        Ok(Decoded {
            event: Event {
                ts: self.wall(h.ts),
                tid: h.tid,
                pid: h.pid,
                cpu: h.cpu,
                container: 0,
                body,
            },
            cgroup_id: h.cgroup_id,
        })
    }

    fn syscall<'a>(&mut self, r: &Rec<'a>, h: &CfHdr) -> Result<Syscall<'a>, WireError> {
        let nr = r.u16(offset_of!(CfSyscall, nr))?;
        let ret = r.u64(offset_of!(CfSyscall, ret))? as i64;
        let enter_ts = r.u64(offset_of!(CfSyscall, enter_ts))?;
        let mut args = [0u64; 6];
        for (i, a) in args.iter_mut().enumerate() {
            *a = r.u64(offset_of!(CfSyscall, args) + 8 * i)?;
        }
        let nblob = r.u16(offset_of!(CfSyscall, nblob))?;
        let mut blobs: [Option<BlobRef<'_>>; 8] = [None; 8];
        let mut off = size_of::<CfSyscall>();
        for _ in 0..nblob {
            let param = r.u8(off + offset_of!(CfBlob, param))?;
            let kind = r.u8(off + offset_of!(CfBlob, kind))?;
            let len = usize::from(r.u16(off + offset_of!(CfBlob, len))?);
            let err = r.i32(off + offset_of!(CfBlob, err))?;
            let data = r.bytes(off + size_of::<CfBlob>(), len)?;
            if let Some(slot) = blobs.get_mut(usize::from(param)) {
                *slot = Some(BlobRef { kind, err, data });
            }
            off = (off + size_of::<CfBlob>() + len + 7) & !7;
        }
        let no_enter = h.flags & F_NO_ENTER != 0;
        let role = self
            .roles
            .get(usize::from(nr))
            .copied()
            .unwrap_or(Role::Other);
        let specs = match self.params.get(usize::from(nr)) {
            Some(p) => *p,
            None => syscalls::spec(nr).params,
        };
        let mut params = schema::Params::new();
        for (i, p) in specs.iter().enumerate() {
            let blob = blobs.get(i).copied().flatten();
            let v = match p.src {
                _ if no_enter => Value::None,
                Src::Arg(a) => Value::Int(arg_value(
                    p.ty,
                    args.get(usize::from(a)).copied().unwrap_or(0),
                )),
                Src::Str(_) => match blob {
                    Some(b) if b.err == 0 && b.kind == blob::STR => {
                        Value::Bytes(Cow::Borrowed(b.data))
                    }
                    _ if role == Role::Exec && ret == 0 => self
                        .exec_names
                        .get(&h.tid)
                        .map_or(Value::None, |n| Value::Bytes(Cow::Owned(n.clone()))),
                    _ => Value::None,
                },
                Src::Buf { .. } | Src::Iov { .. } | Src::Msg(_) => match blob {
                    Some(b) if b.err == 0 && b.kind == blob::BUF => {
                        Value::Bytes(Cow::Borrowed(b.data))
                    }
                    _ => Value::None,
                },
                Src::SockAddr { .. } => match blob {
                    Some(b) if b.err == 0 && b.kind == blob::SOCKADDR => sockaddr(b.data),
                    _ => Value::None,
                },
                Src::Tuple(a) => match blob {
                    Some(b) if b.err == 0 && b.kind == blob::TUPLE => {
                        // The remote end is the client for the connection accept returns, and
                        // for later calls on an fd that came from accept.
                        let fd = args.get(usize::from(a)).map_or(-1, |&v| v as u32 as i32);
                        let accepted = role == Role::Accept || self.accepted.contains(&(h.pid, fd));
                        tuple(b.data, accepted).map_or(Value::None, Value::Sock)
                    }
                    _ => Value::None,
                },
                Src::FdPair(_) => match blob {
                    Some(b) if b.err == 0 && b.kind == blob::U64 && b.data.len() >= 16 => {
                        let lo = le_u64(&b.data[..8]) as u32;
                        let hi = le_u64(&b.data[8..16]) as u32;
                        Value::Int(i64::from(lo) | (i64::from(hi) << 32))
                    }
                    _ => Value::None,
                },
                Src::RetStr(_) => match blob {
                    Some(b) if b.err == 0 && b.kind == blob::STR => {
                        // getcwd counts the NUL it wrote; readlink writes none.
                        let d = b.data;
                        let end = d.iter().position(|&c| c == 0).unwrap_or(d.len());
                        Value::Bytes(Cow::Borrowed(&d[..end]))
                    }
                    _ => Value::None,
                },
                Src::Clone3Flags(_) | Src::Creds(_) => match blob {
                    Some(b) if b.err == 0 && b.kind == blob::U64 && b.data.len() >= 8 => {
                        Value::Int(le_u64(&b.data[..8]) as i64)
                    }
                    _ => Value::None,
                },
            };
            params.push(v);
        }
        if role == Role::Accept && ret >= 0 {
            self.accepted.insert((h.pid, ret as i32));
        } else if role == Role::Close && !self.accepted.is_empty() {
            self.accepted.remove(&(h.pid, args[0] as u32 as i32));
        }
        Ok(Syscall {
            nr,
            ret,
            latency: if no_enter || h.flags & F_NO_LATENCY != 0 {
                0
            } else {
                h.ts.saturating_sub(enter_ts)
            },
            params,
        })
    }

    fn exec<'a>(&mut self, r: &Rec<'a>, h: &CfHdr) -> Result<Process<'a>, WireError> {
        let flen = usize::from(r.u16(offset_of!(CfExec, filename_len))?);
        let alen = usize::from(r.u16(offset_of!(CfExec, args_len))?);
        let base = size_of::<CfExec>();
        let filename = r.bytes(base, flen)?;
        let argv = r.bytes(base + flen, alen)?;
        let elen = usize::from(r.u16(offset_of!(CfExec, env_len))?);
        let env = r.bytes(base + flen + alen, elen)?;
        let clen = usize::from(r.u16(offset_of!(CfExec, cwd_len))?);
        let cwd = cwd_path(r.bytes(base + flen + alen + elen, clen)?);
        // argv[0] is the program as invoked; the rest are the arguments, each NUL-terminated.
        let (exe, args) = match argv.iter().position(|&c| c == 0) {
            Some(i) => (&argv[..i], &argv[i + 1..]),
            None => (argv, &argv[argv.len()..]),
        };
        let mut ns = [0u64; 7];
        for (i, n) in ns.iter_mut().enumerate() {
            *n = r.u64(offset_of!(CfExec, ns) + 8 * i)?;
        }
        let comm = r.bytes(offset_of!(CfExec, comm), 16)?;
        let comm = &comm[..comm.iter().position(|&c| c == 0).unwrap_or(16)];
        self.exec_names.insert(h.tid, filename.to_vec());
        Ok(Process {
            tid: h.tid,
            pid: h.pid,
            ppid: r.u32(offset_of!(CfExec, ppid))?,
            vtid: r.u32(offset_of!(CfExec, vtid))?,
            vpid: r.u32(offset_of!(CfExec, vpid))?,
            uid: r.u32(offset_of!(CfExec, uid))?,
            gid: r.u32(offset_of!(CfExec, gid))?,
            euid: r.u32(offset_of!(CfExec, euid))?,
            egid: r.u32(offset_of!(CfExec, egid))?,
            loginuid: r.u32(offset_of!(CfExec, loginuid))?,
            start_ts: self.wall(r.u64(offset_of!(CfExec, start_ts))?),
            cap_effective: r.u64(offset_of!(CfExec, cap_effective))?,
            ns,
            comm: Cow::Borrowed(comm),
            exe: Cow::Borrowed(if exe.is_empty() { filename } else { exe }),
            exe_path: Cow::Borrowed(filename),
            args: Cow::Borrowed(args),
            env: Cow::Borrowed(env),
            cwd: Cow::Owned(cwd),
            cgroup: Cow::Borrowed(&[]),
            tty: r.u32(offset_of!(CfExec, tty))?,
            cap_permitted: r.u64(offset_of!(CfExec, cap_permitted))?,
            cap_inheritable: r.u64(offset_of!(CfExec, cap_inheritable))?,
            vpgid: r.u32(offset_of!(CfExec, vpgid))?,
            exe_flags: r.u32(offset_of!(CfExec, exe_flags))?,
        })
    }
}

/// A raw register as the parameter's C type: `int`-typed arguments (fds, pids, signals) are
/// sign-extended from 32 bits and `unsigned int`-typed ones (ids, modes, flags) zero-extended,
/// because the upper half of the register is not part of the value (`AT_FDCWD` arrives as
/// `0x00000000ffffff9c`).
fn arg_value(ty: ParamType, raw: u64) -> i64 {
    match ty {
        ParamType::Fd | ParamType::Pid | ParamType::Signal => i64::from(raw as u32 as i32),
        ParamType::Uid
        | ParamType::Gid
        | ParamType::Mode
        | ParamType::OpenFlags
        | ParamType::AtFlags
        | ParamType::Family
        | ParamType::SockType
        | ParamType::FcntlCmd => i64::from(raw as u32),
        _ => raw as i64,
    }
}

/// The probe's working-directory walk as a path: components come innermost first, each
/// NUL-terminated, with one more NUL when the walk reached the root. An empty walk is an empty
/// path (unknown); a walk that was cut short gets `…` where the rest would be.
pub fn cwd_path(walk: &[u8]) -> Vec<u8> {
    if walk.is_empty() {
        return Vec::new();
    }
    let complete = walk.ends_with(&[0, 0]) || walk == [0];
    let body = walk.strip_suffix(&[0]).unwrap_or(walk);
    let body = if complete {
        body.strip_suffix(&[0]).unwrap_or(body)
    } else {
        body
    };
    let mut parts: Vec<&[u8]> = if body.is_empty() {
        Vec::new()
    } else {
        body.split(|&c| c == 0).collect()
    };
    parts.reverse();
    let mut out = Vec::with_capacity(walk.len() + 4);
    if !complete {
        out.extend_from_slice("/…".as_bytes());
    }
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// The syscalls the decoder treats apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// accept, accept4: the returned fd's tuple has the client as its remote end.
    Accept,
    /// execve, execveat: the filename of a successful exec comes from its exec record.
    Exec,
    /// close: an accepted fd is forgotten.
    Close,
    Other,
}

impl Role {
    fn of(nr: u16) -> Role {
        match syscalls::name(nr) {
            Some("accept" | "accept4") => Role::Accept,
            Some("execve" | "execveat") => Role::Exec,
            Some("close") => Role::Close,
            _ => Role::Other,
        }
    }
}

fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0; 8];
    let n = b.len().min(8);
    a[..n].copy_from_slice(&b[..n]);
    u64::from_le_bytes(a)
}

/// A `struct sockaddr`: inet addresses become [`Sock`]s (destination end), a unix socket's
/// path becomes bytes.
pub fn sockaddr(raw: &[u8]) -> Value<'static> {
    let Some(fam) = raw.get(..2).map(|f| u16::from_le_bytes([f[0], f[1]])) else {
        return Value::None;
    };
    let port = raw.get(2..4).map(|p| u16::from_be_bytes([p[0], p[1]]));
    match fam {
        f if f == u16::from(af::INET) => match (port, raw.get(4..8)) {
            (Some(dport), Some(addr)) => {
                let mut s = Sock {
                    family: af::INET,
                    dport,
                    ..Sock::default()
                };
                s.dst[..4].copy_from_slice(addr);
                Value::Sock(s)
            }
            _ => Value::None,
        },
        f if f == u16::from(af::INET6) => match (port, raw.get(8..24)) {
            (Some(dport), Some(addr)) => {
                let mut s = Sock {
                    family: af::INET6,
                    dport,
                    ..Sock::default()
                };
                s.dst.copy_from_slice(addr);
                Value::Sock(s)
            }
            _ => Value::None,
        },
        f if f == u16::from(af::UNIX) => {
            let path = raw.get(2..).unwrap_or_default();
            // Abstract names start with a NUL; keep them whole, trim a trailing NUL otherwise.
            let path = if path.first() == Some(&0) {
                path
            } else {
                &path[..path.iter().position(|&c| c == 0).unwrap_or(path.len())]
            };
            Value::Bytes(Cow::Owned(path.to_vec()))
        }
        _ => Value::None,
    }
}

/// A socket tuple from the kernel socket, client first as the schema keeps tuples: the local
/// end is the client unless `remote_is_client` (a connection that came from accept).
pub fn tuple(b: &[u8], remote_is_client: bool) -> Option<Sock> {
    if b.len() < size_of::<CfTuple>() {
        return None;
    }
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    let family = u16_at(offset_of!(CfTuple, family));
    let addr = |o: usize| {
        let mut a = [0u8; 16];
        a.copy_from_slice(&b[o..o + 16]);
        a
    };
    let (laddr, raddr) = (
        addr(offset_of!(CfTuple, laddr)),
        addr(offset_of!(CfTuple, raddr)),
    );
    let fam = match family {
        f if f == u16::from(af::INET) => af::INET,
        f if f == u16::from(af::INET6) => af::INET6,
        f if f == u16::from(af::UNIX) => af::UNIX,
        _ => return None,
    };
    let (lport, rport) = (
        u16_at(offset_of!(CfTuple, lport)),
        u16_at(offset_of!(CfTuple, rport)),
    );
    let (src, sport, dst, dport) = if remote_is_client {
        (raddr, rport, laddr, lport)
    } else {
        (laddr, lport, raddr, rport)
    };
    Some(Sock {
        family: fam,
        proto: u16_at(offset_of!(CfTuple, proto)) as u8,
        src,
        sport,
        dst,
        dport,
    })
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
