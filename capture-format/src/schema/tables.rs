//! The records of the state tables: processes, file descriptors, containers, users, groups and
//! network interfaces. Each is a [`Body`](super::Body) kind of its own, as state blocks (the
//! snapshot and keyframes) hold them; an exec carries a [`Process`] too.

use std::borrow::Cow;

use super::{Bytes, Sock};

/// A thread and its process, as a state record or after an exec.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Process<'a> {
    /// Thread id.
    pub tid: u32,
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// Thread id inside its pid namespace.
    pub vtid: u32,
    /// Process id inside its pid namespace.
    pub vpid: u32,
    /// Real user id.
    pub uid: u32,
    /// Real group id.
    pub gid: u32,
    /// Effective user id.
    pub euid: u32,
    /// Effective group id.
    pub egid: u32,
    /// Login user id (`u32::MAX` when unset).
    pub loginuid: u32,
    /// Start time, ns since the epoch.
    pub start_ts: u64,
    /// Effective capabilities.
    pub cap_effective: u64,
    /// Namespace inodes: pid, mnt, net, uts, ipc, user, cgroup.
    pub ns: [u64; 7],
    /// Command name (`comm`, at most 16 bytes).
    pub comm: Bytes<'a>,
    /// Executable as given to exec (`argv[0]` or the filename).
    pub exe: Bytes<'a>,
    /// Resolved path of the executable.
    pub exe_path: Bytes<'a>,
    /// Arguments after `argv[0]`, each followed by a NUL.
    pub args: Bytes<'a>,
    /// Environment, `K=V` entries each followed by a NUL; empty when not captured.
    pub env: Bytes<'a>,
    /// Working directory.
    pub cwd: Bytes<'a>,
    /// cgroup path (v2, or the first v1 hierarchy's).
    pub cgroup: Bytes<'a>,
    /// Controlling terminal device number, 0 for none.
    pub tty: u32,
    /// Permitted capabilities.
    pub cap_permitted: u64,
    /// Inheritable capabilities.
    pub cap_inheritable: u64,
    /// Process group id inside its pid namespace (sysdig's `vpgid`).
    pub vpgid: u32,
    /// Where the executable came from: [`exe`] bits. Records written before these fields
    /// existed have none set, [`exe::KNOWN`] included, so readers can tell "not recorded"
    /// from "no".
    pub exe_flags: u32,
}

/// Bits of [`Process::exe_flags`] (the low ones are libs' `PPM_EXE_*` values).
pub mod exe {
    /// The executable is writable by the user that ran it (not recorded by casefile's probe).
    pub const WRITABLE: u32 = 1 << 0;
    /// The executable lives in the upper (writable) layer of an overlay file system.
    pub const UPPER_LAYER: u32 = 1 << 1;
    /// The executable is a memfd (`memfd_create`, run through its fd).
    pub const FROM_MEMFD: u32 = 1 << 2;
    /// The executable lives in a lower layer of an overlay file system.
    pub const LOWER_LAYER: u32 = 1 << 3;
    /// The writer recorded `cap_permitted`, `cap_inheritable`, `vpgid` and the bits above.
    pub const KNOWN: u32 = 1 << 31;
}

impl Process<'_> {
    /// Copies borrowed bytes.
    pub fn into_owned(self) -> Process<'static> {
        Process {
            tid: self.tid,
            pid: self.pid,
            ppid: self.ppid,
            vtid: self.vtid,
            vpid: self.vpid,
            uid: self.uid,
            gid: self.gid,
            euid: self.euid,
            egid: self.egid,
            loginuid: self.loginuid,
            start_ts: self.start_ts,
            cap_effective: self.cap_effective,
            ns: self.ns,
            comm: own(self.comm),
            exe: own(self.exe),
            exe_path: own(self.exe_path),
            args: own(self.args),
            env: own(self.env),
            cwd: own(self.cwd),
            cgroup: own(self.cgroup),
            tty: self.tty,
            cap_permitted: self.cap_permitted,
            cap_inheritable: self.cap_inheritable,
            vpgid: self.vpgid,
            exe_flags: self.exe_flags,
        }
    }
}

fn own(b: Bytes<'_>) -> Bytes<'static> {
    Cow::Owned(b.into_owned())
}

/// Kinds of file descriptor, named as sysdig's `fd.type` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum FdType {
    /// Not known.
    #[default]
    Unknown = 0,
    /// A regular file or device.
    File = 1,
    /// A directory.
    Directory = 2,
    /// An IPv4 socket.
    Ipv4 = 3,
    /// An IPv6 socket.
    Ipv6 = 4,
    /// A unix socket.
    Unix = 5,
    /// A pipe or FIFO.
    Pipe = 6,
    /// An eventfd.
    Event = 7,
    /// A signalfd.
    Signalfd = 8,
    /// An epoll instance.
    Eventpoll = 9,
    /// An inotify instance.
    Inotify = 10,
    /// A timerfd.
    Timerfd = 11,
    /// A netlink socket.
    Netlink = 12,
    /// A BPF object.
    Bpf = 13,
    /// A userfaultfd.
    Userfaultfd = 14,
    /// An io_uring instance.
    IoUring = 15,
    /// A memfd.
    Memfd = 16,
    /// A pidfd.
    Pidfd = 17,
}

impl FdType {
    /// The type for a stored number; unknown numbers read as [`FdType::Unknown`].
    pub fn from_u8(v: u8) -> FdType {
        use FdType as F;
        [
            F::Unknown,
            F::File,
            F::Directory,
            F::Ipv4,
            F::Ipv6,
            F::Unix,
            F::Pipe,
            F::Event,
            F::Signalfd,
            F::Eventpoll,
            F::Inotify,
            F::Timerfd,
            F::Netlink,
            F::Bpf,
            F::Userfaultfd,
            F::IoUring,
            F::Memfd,
            F::Pidfd,
        ]
        .get(v as usize)
        .copied()
        .unwrap_or(F::Unknown)
    }

    /// sysdig's `fd.type` name.
    pub fn name(self) -> &'static str {
        match self {
            FdType::Unknown => "unknown",
            FdType::File => "file",
            FdType::Directory => "directory",
            FdType::Ipv4 => "ipv4",
            FdType::Ipv6 => "ipv6",
            FdType::Unix => "unix",
            FdType::Pipe => "pipe",
            FdType::Event => "event",
            FdType::Signalfd => "signalfd",
            FdType::Eventpoll => "eventpoll",
            FdType::Inotify => "inotify",
            FdType::Timerfd => "timerfd",
            FdType::Netlink => "netlink",
            FdType::Bpf => "bpf",
            FdType::Userfaultfd => "userfaultfd",
            FdType::IoUring => "io_uring",
            FdType::Memfd => "memfd",
            FdType::Pidfd => "pidfd",
        }
    }

    /// sysdig's one-letter `fd.typechar`.
    pub fn typechar(self) -> char {
        match self {
            FdType::File | FdType::Memfd => 'f',
            FdType::Directory => 'd',
            FdType::Ipv4 => '4',
            FdType::Ipv6 => '6',
            FdType::Unix => 'u',
            FdType::Pipe => 'p',
            FdType::Event => 'e',
            FdType::Signalfd => 's',
            FdType::Eventpoll => 'l',
            FdType::Inotify => 'i',
            FdType::Timerfd => 't',
            FdType::Netlink => 'n',
            FdType::Bpf => 'b',
            FdType::Userfaultfd => 'U',
            FdType::IoUring => 'r',
            FdType::Pidfd => 'P',
            FdType::Unknown => 'o',
        }
    }
}

/// An open file descriptor in the state.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FdInfo<'a> {
    /// Owning process.
    pub pid: u32,
    /// Descriptor number.
    pub fd: i32,
    /// What it refers to.
    pub fd_type: FdType,
    /// `open` flags.
    pub flags: u32,
    /// Path for files, directories and unix sockets; a description otherwise.
    pub name: Bytes<'a>,
    /// Connection tuple for inet sockets.
    pub sock: Option<Sock>,
    /// Inode number, 0 when unknown.
    pub ino: u64,
}

impl FdInfo<'_> {
    /// Copies borrowed bytes.
    pub fn into_owned(self) -> FdInfo<'static> {
        FdInfo {
            pid: self.pid,
            fd: self.fd,
            fd_type: self.fd_type,
            flags: self.flags,
            name: own(self.name),
            sock: self.sock,
            ino: self.ino,
        }
    }
}

/// Container metadata, as resolved from the runtime at record time.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Container<'a> {
    /// Full container id (usually 64 hex digits).
    pub id: Bytes<'a>,
    /// Name given by the runtime.
    pub name: Bytes<'a>,
    /// Image reference.
    pub image: Bytes<'a>,
    /// Image id (digest).
    pub image_id: Bytes<'a>,
    /// Runtime: docker, containerd, cri-o, podman, libpod, systemd, ...
    pub runtime: Bytes<'a>,
    /// Labels, `key=value` entries each followed by a NUL.
    pub labels: Bytes<'a>,
    /// The cgroup path it was derived from.
    pub cgroup: Bytes<'a>,
    /// Why metadata is incomplete, empty when complete.
    pub note: Bytes<'a>,
    /// Start time, ns since the epoch, 0 when unknown.
    pub start_ts: u64,
    /// Exit time, ns since the epoch, 0 while running.
    pub exit_ts: u64,
    /// Pid of its init process, 0 when unknown.
    pub init_pid: u32,
    /// Whether it runs privileged.
    pub privileged: bool,
    /// Mounts the container was given (binds and volumes, not the runtime's own), five
    /// NUL-terminated strings each: source, destination, mode, `true`/`false` (read-write),
    /// propagation. Empty when none or when the writer predates this field.
    pub mounts: Bytes<'a>,
}

impl Container<'_> {
    /// Copies borrowed bytes.
    pub fn into_owned(self) -> Container<'static> {
        Container {
            id: own(self.id),
            name: own(self.name),
            image: own(self.image),
            image_id: own(self.image_id),
            runtime: own(self.runtime),
            labels: own(self.labels),
            cgroup: own(self.cgroup),
            note: own(self.note),
            start_ts: self.start_ts,
            exit_ts: self.exit_ts,
            init_pid: self.init_pid,
            privileged: self.privileged,
            mounts: own(self.mounts),
        }
    }

    /// Iterates the mounts as `[source, dest, mode, rw, propagation]`.
    pub fn mount_list(&self) -> impl Iterator<Item = [&[u8]; 5]> {
        let mut it = self.mounts.split(|&b| b == 0);
        std::iter::from_fn(move || {
            let m = [it.next()?, it.next()?, it.next()?, it.next()?, it.next()?];
            Some(m)
        })
    }

    /// Appends one mount to [`Container::mounts`].
    pub fn push_mount(&mut self, source: &[u8], dest: &[u8], mode: &[u8], rw: bool, prop: &[u8]) {
        let m = self.mounts.to_mut();
        for part in [
            source,
            dest,
            mode,
            if rw { b"true" } else { b"false" },
            prop,
        ] {
            m.extend(part.iter().filter(|&&b| b != 0));
            m.push(0);
        }
    }

    /// Iterates `(key, value)` label pairs.
    pub fn label_pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.labels
            .split(|&b| b == 0)
            .filter(|e| !e.is_empty())
            .map(|e| match e.iter().position(|&b| b == b'=') {
                Some(i) => (&e[..i], &e[i + 1..]),
                None => (e, &e[e.len()..]),
            })
    }
}

/// A user account.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct User<'a> {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Container the account belongs to (0 = host).
    pub container: u32,
    /// Login name.
    pub name: Bytes<'a>,
    /// Home directory.
    pub home: Bytes<'a>,
    /// Login shell.
    pub shell: Bytes<'a>,
}

impl User<'_> {
    /// Copies borrowed bytes.
    pub fn into_owned(self) -> User<'static> {
        User {
            uid: self.uid,
            gid: self.gid,
            container: self.container,
            name: own(self.name),
            home: own(self.home),
            shell: own(self.shell),
        }
    }
}

/// A group.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Group<'a> {
    /// Group id.
    pub gid: u32,
    /// Container the group belongs to (0 = host).
    pub container: u32,
    /// Group name.
    pub name: Bytes<'a>,
}

impl Group<'_> {
    /// Copies borrowed bytes.
    pub fn into_owned(self) -> Group<'static> {
        Group {
            gid: self.gid,
            container: self.container,
            name: own(self.name),
        }
    }
}

/// A network interface address.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Interface<'a> {
    /// Interface name.
    pub name: Bytes<'a>,
    /// [`af`](super::af) family.
    pub family: u8,
    /// Address (IPv4 in the first 4 bytes).
    pub addr: [u8; 16],
    /// Prefix length.
    pub prefix: u8,
}

impl Interface<'_> {
    /// Copies borrowed bytes.
    pub fn into_owned(self) -> Interface<'static> {
        Interface {
            name: own(self.name),
            family: self.family,
            addr: self.addr,
            prefix: self.prefix,
        }
    }
}
