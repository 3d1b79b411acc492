//! The field lists: each record kind's body as the list of tagged values the codec stores, and
//! back. Fields are only ever appended; [`body_from_values`] defaults the ones an older writer
//! did not write.

use std::borrow::Cow;

use super::addr_len;
use crate::schema::{
    Body, Container, Exit, FdInfo, FdType, Fork, Group, Interface, Kind, Loss, Params, Process,
    Signal, Sock, Switch, Usage, User, Value,
};

fn b<'a>(x: &Cow<'a, [u8]>) -> Value<'a> {
    Value::Bytes(match x {
        Cow::Borrowed(s) => Cow::Borrowed(s),
        Cow::Owned(v) => Cow::Owned(v.clone()),
    })
}

fn i<T: Into<i64>>(x: T) -> Value<'static> {
    Value::Int(x.into())
}

fn u64v(x: u64) -> Value<'static> {
    Value::Int(x as i64)
}

/// The stored values of a non-syscall body, in field order.
pub fn values_of<'a>(body: &Body<'a>, out: &mut Params<'a>) {
    match body {
        Body::Syscall(s) => out.extend(s.params.iter().cloned()),
        Body::Fork(f) => out.extend([i(f.child_tid), i(f.child_pid), u64v(f.flags)]),
        Body::Exec(p) | Body::Process(p) => process_values(p, out),
        Body::Exit(e) => out.extend([i(e.code), i(i64::from(e.group_dead))]),
        Body::Signal(s) => out.extend([i(s.sig), i(s.sender), i(s.code)]),
        Body::Container(c) => {
            out.extend([
                b(&c.id),
                b(&c.name),
                b(&c.image),
                b(&c.image_id),
                b(&c.runtime),
                b(&c.labels),
                b(&c.cgroup),
                b(&c.note),
                u64v(c.start_ts),
                u64v(c.exit_ts),
                i(c.init_pid),
                i(i64::from(c.privileged)),
            ]);
            // Fields added later are written only when set, so records without them keep
            // the bytes older writers produced (readers default what is missing).
            if !c.mounts.is_empty() {
                out.push(b(&c.mounts));
            }
        }
        Body::Loss(l) => out.extend([i(l.cpu), u64v(l.count), u64v(l.from), u64v(l.to)]),
        Body::Switch(s) => out.extend([
            i(s.next),
            u64v(s.pf_major),
            u64v(s.pf_minor),
            u64v(s.vm_size),
            u64v(s.vm_rss),
            u64v(s.vm_swap),
        ]),
        Body::Usage(u) => out.extend([
            u64v(u.user_ns),
            u64v(u.sys_ns),
            u64v(u.vm_size),
            u64v(u.vm_rss),
            u64v(u.vm_swap),
            u64v(u.pf_major),
            u64v(u.pf_minor),
        ]),
        Body::Fd(f) => out.extend([
            i(f.pid),
            i(f.fd),
            i(f.fd_type as u8),
            i(f.flags),
            b(&f.name),
            f.sock.map_or(Value::None, Value::Sock),
            u64v(f.ino),
        ]),
        Body::User(u) => {
            out.extend([
                i(u.uid),
                i(u.gid),
                i(u.container),
                b(&u.name),
                b(&u.home),
                b(&u.shell),
            ]);
        }
        Body::Group(g) => out.extend([i(g.gid), i(g.container), b(&g.name)]),
        Body::Interface(n) => out.extend([
            b(&n.name),
            i(n.family),
            Value::Bytes(Cow::Owned(n.addr[..addr_len(n.family)].to_vec())),
            i(n.prefix),
        ]),
        Body::Unknown { values, .. } => out.extend(values.iter().cloned()),
    }
}

fn process_values<'a>(p: &Process<'a>, out: &mut Params<'a>) {
    out.extend([
        i(p.tid),
        i(p.pid),
        i(p.ppid),
        i(p.vtid),
        i(p.vpid),
        i(p.uid),
        i(p.gid),
        i(p.euid),
        i(p.egid),
        i(p.loginuid),
        u64v(p.start_ts),
        u64v(p.cap_effective),
    ]);
    out.extend(p.ns.iter().map(|&n| u64v(n)));
    out.extend([
        i(p.tty),
        b(&p.comm),
        b(&p.exe),
        b(&p.exe_path),
        b(&p.args),
        b(&p.env),
        b(&p.cwd),
        b(&p.cgroup),
    ]);
    // Written only when the producer recorded them (see the container's mounts).
    if p.exe_flags != 0 || p.cap_permitted != 0 || p.cap_inheritable != 0 || p.vpgid != 0 {
        out.extend([
            u64v(p.cap_permitted),
            u64v(p.cap_inheritable),
            i(p.vpgid),
            i(p.exe_flags),
        ]);
    }
}
/// Reads fields in order, defaulting missing or mistyped ones.
struct Fields<'a> {
    vals: smallvec::IntoIter<[Value<'a>; 6]>,
}

impl<'a> Fields<'a> {
    fn int(&mut self) -> i64 {
        match self.vals.next() {
            Some(Value::Int(i)) => i,
            _ => 0,
        }
    }
    fn u32(&mut self) -> u32 {
        self.int() as u32
    }
    fn u64(&mut self) -> u64 {
        self.int() as u64
    }
    fn bytes(&mut self) -> Cow<'a, [u8]> {
        match self.vals.next() {
            Some(Value::Bytes(b)) => b,
            _ => Cow::Borrowed(&[]),
        }
    }
    fn sock(&mut self) -> Option<Sock> {
        match self.vals.next() {
            Some(Value::Sock(s)) => Some(s),
            _ => None,
        }
    }
}

/// Builds a non-syscall body from its stored values.
pub fn body_from_values(kind: u8, vals: Params<'_>) -> Body<'_> {
    let Some(k) = Kind::from_u8(kind) else {
        return Body::Unknown {
            kind,
            values: vals.into_vec(),
        };
    };
    let mut f = Fields {
        vals: vals.into_iter(),
    };
    match k {
        Kind::Syscall => unreachable_syscall(f.vals.collect()),
        Kind::Fork => Body::Fork(Fork {
            child_tid: f.u32(),
            child_pid: f.u32(),
            flags: f.u64(),
        }),
        Kind::Exec => Body::Exec(process_from(&mut f)),
        Kind::Process => Body::Process(process_from(&mut f)),
        Kind::Exit => Body::Exit(Exit {
            code: f.int() as i32,
            group_dead: f.int() != 0,
        }),
        Kind::Signal => Body::Signal(Signal {
            sig: f.u32(),
            sender: f.u32(),
            code: f.int() as i32,
        }),
        Kind::Container => Body::Container(Container {
            id: f.bytes(),
            name: f.bytes(),
            image: f.bytes(),
            image_id: f.bytes(),
            runtime: f.bytes(),
            labels: f.bytes(),
            cgroup: f.bytes(),
            note: f.bytes(),
            start_ts: f.u64(),
            exit_ts: f.u64(),
            init_pid: f.u32(),
            privileged: f.int() != 0,
            mounts: f.bytes(),
        }),
        Kind::Loss => Body::Loss(Loss {
            cpu: f.int() as u16,
            count: f.u64(),
            from: f.u64(),
            to: f.u64(),
        }),
        Kind::Switch => Body::Switch(Switch {
            next: f.u32(),
            pf_major: f.u64(),
            pf_minor: f.u64(),
            vm_size: f.u64(),
            vm_rss: f.u64(),
            vm_swap: f.u64(),
        }),
        Kind::Usage => Body::Usage(Usage {
            user_ns: f.u64(),
            sys_ns: f.u64(),
            vm_size: f.u64(),
            vm_rss: f.u64(),
            vm_swap: f.u64(),
            pf_major: f.u64(),
            pf_minor: f.u64(),
        }),
        Kind::Fd => Body::Fd(FdInfo {
            pid: f.u32(),
            fd: f.int() as i32,
            fd_type: FdType::from_u8(f.int() as u8),
            flags: f.u32(),
            name: f.bytes(),
            sock: f.sock(),
            ino: f.u64(),
        }),
        Kind::User => Body::User(User {
            uid: f.u32(),
            gid: f.u32(),
            container: f.u32(),
            name: f.bytes(),
            home: f.bytes(),
            shell: f.bytes(),
        }),
        Kind::Group => Body::Group(Group {
            gid: f.u32(),
            container: f.u32(),
            name: f.bytes(),
        }),
        Kind::Interface => {
            let name = f.bytes();
            let family = f.int() as u8;
            let raw = f.bytes();
            let mut addr = [0u8; 16];
            let n = raw.len().min(16);
            addr[..n].copy_from_slice(&raw[..n]);
            Body::Interface(Interface {
                name,
                family,
                addr,
                prefix: f.int() as u8,
            })
        }
    }
}

/// A syscall kind never reaches `body_from_values` (the decoder handles it); if a caller passes
/// one, keep its values rather than panic.
fn unreachable_syscall(values: Vec<Value<'_>>) -> Body<'_> {
    Body::Unknown {
        kind: Kind::Syscall as u8,
        values,
    }
}

fn process_from<'a>(f: &mut Fields<'a>) -> Process<'a> {
    let mut p = Process {
        tid: f.u32(),
        pid: f.u32(),
        ppid: f.u32(),
        vtid: f.u32(),
        vpid: f.u32(),
        uid: f.u32(),
        gid: f.u32(),
        euid: f.u32(),
        egid: f.u32(),
        loginuid: f.u32(),
        start_ts: f.u64(),
        cap_effective: f.u64(),
        ..Process::default()
    };
    for n in &mut p.ns {
        *n = f.u64();
    }
    p.tty = f.u32();
    p.comm = f.bytes();
    p.exe = f.bytes();
    p.exe_path = f.bytes();
    p.args = f.bytes();
    p.env = f.bytes();
    p.cwd = f.bytes();
    p.cgroup = f.bytes();
    p.cap_permitted = f.u64();
    p.cap_inheritable = f.u64();
    p.vpgid = f.u32();
    p.exe_flags = f.u32();
    p
}
