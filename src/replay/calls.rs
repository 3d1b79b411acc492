//! Per-syscall facts replay needs on every event, computed once: the spec from the shared
//! table and what the call does to the state. Looking these up by number keeps name matching
//! and category guessing out of the per-event path.

use std::sync::OnceLock;

use capture_format::schema::FdType;
use capture_format::schema::syscall_names::SYSCALL_COUNT;
use capture_format::schema::syscalls::{self, ParamType, SyscallSpec, io};

use crate::import::scap::event::EventInfo;
use crate::import::scap::names;

/// What a successful call does to the state tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing.
    None,
    /// open, openat, openat2, creat: a new file fd.
    Open,
    /// memfd_create.
    Memfd,
    /// socket.
    Socket,
    /// connect: the fd gets its tuple.
    Connect,
    /// accept, accept4: a new connected fd.
    Accept,
    /// bind: the fd is a server with this address.
    Bind,
    /// listen: the fd is a server.
    Listen,
    /// pipe, pipe2.
    Pipe,
    /// socketpair.
    SocketPair,
    /// dup, dup2: a copy of the fd in parameter 0.
    Dup,
    /// dup3: a copy, with its own close-on-exec flag.
    Dup3,
    /// fcntl: a copy for F_DUPFD and F_DUPFD_CLOEXEC.
    Fcntl,
    /// A new fd of a kind with no name (eventfd, epoll, timerfd, inotify, signalfd, pidfd).
    NewFd(FdType),
    /// chdir.
    Chdir,
    /// fchdir.
    Fchdir,
    /// setuid (one id in parameter 0).
    SetUid,
    /// setreuid, setresuid (real id in parameter 0, -1 keeps it).
    SetReUid,
    /// setgid.
    SetGid,
    /// setregid, setresgid.
    SetReGid,
    /// close: the fd goes away after the event.
    Close,
    /// sendto, recvfrom, sendmsg, recvmsg: the tuple names an unconnected socket.
    SockIo,
}

/// One call's facts.
#[derive(Clone, Copy, Debug)]
pub struct CallInfo {
    /// The shared table's spec.
    pub spec: SyscallSpec,
    /// Its effect on the state.
    pub action: Action,
    /// Index of the parameter holding the fd the event is about (not a dirfd), if any.
    pub fd_param: Option<u8>,
    /// Index of the payload parameter, if any.
    pub buf_param: Option<u8>,
    /// Whether the result is a new fd the event is about.
    pub returns_fd: bool,
    /// For calls that move data from one fd to another (sendfile, splice, tee,
    /// copy_file_range): the parameters of the fd read from and the fd written to. Such an
    /// event is a read of the one and a write of the other (see `EventCtx::side`).
    pub sides: Option<(u8, u8)>,
    /// libs' exit event for the call, whose parameters sysdig numbers `evt.arg[N]` by; `None`
    /// for calls libs has no event for (it reports them as generic `syscall` events).
    pub libs_exit: Option<&'static EventInfo>,
}

fn action_of(spec: &SyscallSpec) -> Action {
    if spec.io & io::CLOSES_FD != 0 {
        return Action::Close;
    }
    match spec.name {
        "open" | "openat" | "openat2" | "creat" => Action::Open,
        "memfd_create" => Action::Memfd,
        "socket" => Action::Socket,
        "connect" => Action::Connect,
        "sendto" | "recvfrom" | "sendmsg" | "recvmsg" => Action::SockIo,
        "accept" | "accept4" => Action::Accept,
        "bind" => Action::Bind,
        "listen" => Action::Listen,
        "pipe" | "pipe2" => Action::Pipe,
        "socketpair" => Action::SocketPair,
        "dup" | "dup2" => Action::Dup,
        "dup3" => Action::Dup3,
        "fcntl" => Action::Fcntl,
        "eventfd" | "eventfd2" => Action::NewFd(FdType::Event),
        "epoll_create" | "epoll_create1" => Action::NewFd(FdType::Eventpoll),
        "timerfd_create" => Action::NewFd(FdType::Timerfd),
        "inotify_init1" => Action::NewFd(FdType::Inotify),
        "signalfd4" => Action::NewFd(FdType::Signalfd),
        "pidfd_open" => Action::NewFd(FdType::Pidfd),
        "chdir" => Action::Chdir,
        "fchdir" => Action::Fchdir,
        "setuid" => Action::SetUid,
        "setreuid" | "setresuid" => Action::SetReUid,
        "setgid" => Action::SetGid,
        "setregid" | "setresgid" => Action::SetReGid,
        _ => Action::None,
    }
}

fn build(nr: u16) -> CallInfo {
    let spec = syscalls::spec(nr);
    // mmap maps a file; the event is not about an fd (sysdig gives it none).
    let fd_param = spec
        .params
        .iter()
        .position(|p| p.ty == ParamType::Fd && !p.name.contains("dir") && p.name != "fds")
        .filter(|_| spec.name != "mmap")
        .map(|i| i as u8);
    let buf_param = spec
        .params
        .iter()
        .position(|p| p.ty == ParamType::Buffer)
        .map(|i| i as u8);
    let named = |names: &[&str]| {
        spec.params
            .iter()
            .position(|p| p.ty == ParamType::Fd && names.contains(&p.name))
            .map(|i| i as u8)
    };
    let both = io::READ | io::WRITE;
    let sides = if spec.io & both == both {
        named(&["in_fd", "fd_in", "fdin"]).zip(named(&["out_fd", "fd_out", "fdout"]))
    } else {
        None
    };
    CallInfo {
        action: action_of(&spec),
        fd_param,
        buf_param,
        sides,
        returns_fd: spec.ret == ParamType::Fd && spec.io & io::CREATES_FD != 0,
        libs_exit: names::libs_event(spec.name, true),
        spec,
    }
}

static TABLE: OnceLock<Vec<CallInfo>> = OnceLock::new();
static UNKNOWN: OnceLock<CallInfo> = OnceLock::new();

/// The facts of call `nr`.
pub fn info(nr: u16) -> &'static CallInfo {
    let t = TABLE.get_or_init(|| (0..SYSCALL_COUNT as u16).map(build).collect());
    t.get(nr as usize)
        .unwrap_or_else(|| UNKNOWN.get_or_init(|| build(u16::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts() {
        let open = info(syscalls::by_name("openat").expect("openat"));
        assert_eq!(open.action, Action::Open);
        assert!(open.returns_fd);
        assert_eq!(open.fd_param, None);
        let read = info(0);
        assert_eq!((read.fd_param, read.buf_param), (Some(0), Some(1)));
        assert_eq!(info(3).action, Action::Close);
        assert_eq!(info(9999).spec.name, "unknown");
    }
}
