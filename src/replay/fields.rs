//! The field registry: sysdig/Falco field names, their types and one-line docs.
//!
//! [`FIELDS`] is the single table; the filter type-checks against it through
//! [`crate::filter::Registry`], `-p` formats resolve `%field` tokens through it, and
//! `casefile fields` prints it.

pub mod man;
mod table;

use std::fmt::Write as _;

use crate::filter::{FieldSpec, FieldType, Registry, ResolveError};

pub use self::table::FIELDS;

/// Which field (without its argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fid {
    EvtNum,
    EvtTime,
    EvtTimeS,
    EvtDatetime,
    EvtTimeIso8601,
    EvtRawtime,
    EvtRawtimeS,
    EvtRawtimeNs,
    EvtReltime,
    EvtOutputtime,
    EvtLatency,
    EvtType,
    EvtCategory,
    EvtCpu,
    EvtArgs,
    EvtArg,
    EvtRawarg,
    EvtInfo,
    EvtBuffer,
    EvtBuflen,
    EvtRes,
    EvtRawres,
    EvtFailed,
    EvtIsIo,
    EvtIsIoRead,
    EvtIsIoWrite,
    EvtIsWait,
    EvtIsOpenRead,
    EvtIsOpenWrite,
    EvtIsOpenExec,
    EvtDir,
    ProcPid,
    ProcName,
    ProcExe,
    ProcExepath,
    ProcArgs,
    ProcCmdline,
    ProcExeline,
    ProcCwd,
    ProcPpid,
    ProcPname,
    ProcPcmdline,
    ProcPexe,
    ProcPexepath,
    ProcApid,
    ProcAname,
    ProcAexe,
    ProcAexepath,
    ProcEnv,
    ProcVpid,
    ProcTty,
    ProcDuration,
    ProcNthreads,
    ProcIsExeUpperLayer,
    ProcIsExeFromMemfd,
    ProcIsVpgidLeader,
    ThreadTid,
    ThreadVtid,
    ThreadIsmain,
    ThreadCapEffective,
    ThreadCapPermitted,
    ThreadCapInheritable,
    FdNum,
    FdType,
    FdTypechar,
    FdName,
    FdNameraw,
    FdDirectory,
    FdFilename,
    FdIp,
    FdCip,
    FdSip,
    FdLip,
    FdRip,
    FdNet,
    FdCnet,
    FdSnet,
    FdLnet,
    FdRnet,
    FdCipName,
    FdSipName,
    FdLipName,
    FdRipName,
    FdPort,
    FdCport,
    FdSport,
    FdLport,
    FdRport,
    FdL4proto,
    FdSockfamily,
    FdIsServer,
    FdConnected,
    FdNameChanged,
    ContainerId,
    ContainerName,
    ContainerImage,
    ContainerImageId,
    ContainerImageRepository,
    ContainerImageTag,
    ContainerType,
    ContainerPrivileged,
    ContainerLabel,
    ContainerMountDest,
    ContainerMountSource,
    ContainerMount,
    ContainerMounts,
    ContainerMountMode,
    ContainerMountRdwr,
    ContainerMountPropagation,
    ProcVpgid,
    ProcIsExeLowerLayer,
    UserLoginname,
    ContainerStartTs,
    K8sPodName,
    K8sNsName,
    K8sPodUid,
    HostName,
    HostIndex,
    UserUid,
    UserName,
    UserHomedir,
    UserShell,
    UserLoginuid,
    GroupGid,
    GroupName,
    FsPathName,
    FsPathSource,
    FsPathTarget,
    ThreadCpu,
    ThreadCpuUser,
    ThreadCpuSystem,
    ProcCpu,
    ThreadExectime,
    ThreadTotexectime,
    ThreadVmsize,
    ThreadVmrss,
    ThreadVmswap,
    ThreadPfmajor,
    ThreadPfminor,
    EvtDeltatime,
}

/// The family a field belongs to: which part of an event's context gives its value (the
/// evaluator has one method per family).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// The event itself: time, type, arguments, result (`evt.*`).
    Evt,
    /// The process and thread, from the state (`proc.*`, `thread.*` but resource use).
    Proc,
    /// The fd the event is about (`fd.*`).
    Fd,
    /// The event's container, from its metadata alone (`container.*`, `k8s.*`).
    Container,
    /// The host (`host.*`).
    Host,
    /// The process's user and group (`user.*`, `group.*`).
    User,
    /// The paths a file call acts on (`fs.path.*`).
    FsPath,
    /// Resource use from samples (`thread.cpu`, `thread.vmsize`, `proc.cpu`, ...).
    Usage,
}

impl Fid {
    /// The field's [`Family`]. Every field is named here once.
    pub fn family(self) -> Family {
        match self {
            Fid::EvtNum
            | Fid::EvtTime
            | Fid::EvtTimeS
            | Fid::EvtDatetime
            | Fid::EvtTimeIso8601
            | Fid::EvtRawtime
            | Fid::EvtRawtimeS
            | Fid::EvtRawtimeNs
            | Fid::EvtReltime
            | Fid::EvtOutputtime
            | Fid::EvtLatency
            | Fid::EvtType
            | Fid::EvtCategory
            | Fid::EvtCpu
            | Fid::EvtArgs
            | Fid::EvtArg
            | Fid::EvtRawarg
            | Fid::EvtInfo
            | Fid::EvtBuffer
            | Fid::EvtBuflen
            | Fid::EvtRes
            | Fid::EvtRawres
            | Fid::EvtFailed
            | Fid::EvtIsIo
            | Fid::EvtIsIoRead
            | Fid::EvtIsIoWrite
            | Fid::EvtIsWait
            | Fid::EvtIsOpenRead
            | Fid::EvtIsOpenWrite
            | Fid::EvtIsOpenExec
            | Fid::EvtDir
            | Fid::EvtDeltatime => Family::Evt,
            Fid::ProcPid
            | Fid::ProcName
            | Fid::ProcExe
            | Fid::ProcExepath
            | Fid::ProcArgs
            | Fid::ProcCmdline
            | Fid::ProcExeline
            | Fid::ProcCwd
            | Fid::ProcPpid
            | Fid::ProcPname
            | Fid::ProcPcmdline
            | Fid::ProcPexe
            | Fid::ProcPexepath
            | Fid::ProcApid
            | Fid::ProcAname
            | Fid::ProcAexe
            | Fid::ProcAexepath
            | Fid::ProcEnv
            | Fid::ProcVpid
            | Fid::ProcTty
            | Fid::ProcDuration
            | Fid::ProcNthreads
            | Fid::ProcIsExeUpperLayer
            | Fid::ProcIsExeFromMemfd
            | Fid::ProcIsVpgidLeader
            | Fid::ProcVpgid
            | Fid::ProcIsExeLowerLayer
            | Fid::ThreadTid
            | Fid::ThreadVtid
            | Fid::ThreadIsmain
            | Fid::ThreadCapEffective
            | Fid::ThreadCapPermitted
            | Fid::ThreadCapInheritable => Family::Proc,
            Fid::FdNum
            | Fid::FdType
            | Fid::FdTypechar
            | Fid::FdName
            | Fid::FdNameraw
            | Fid::FdDirectory
            | Fid::FdFilename
            | Fid::FdIp
            | Fid::FdCip
            | Fid::FdSip
            | Fid::FdLip
            | Fid::FdRip
            | Fid::FdNet
            | Fid::FdCnet
            | Fid::FdSnet
            | Fid::FdLnet
            | Fid::FdRnet
            | Fid::FdCipName
            | Fid::FdSipName
            | Fid::FdLipName
            | Fid::FdRipName
            | Fid::FdPort
            | Fid::FdCport
            | Fid::FdSport
            | Fid::FdLport
            | Fid::FdRport
            | Fid::FdL4proto
            | Fid::FdSockfamily
            | Fid::FdIsServer
            | Fid::FdConnected
            | Fid::FdNameChanged => Family::Fd,
            Fid::ContainerId
            | Fid::ContainerName
            | Fid::ContainerImage
            | Fid::ContainerImageId
            | Fid::ContainerImageRepository
            | Fid::ContainerImageTag
            | Fid::ContainerType
            | Fid::ContainerPrivileged
            | Fid::ContainerLabel
            | Fid::ContainerMountDest
            | Fid::ContainerMountSource
            | Fid::ContainerMount
            | Fid::ContainerMounts
            | Fid::ContainerMountMode
            | Fid::ContainerMountRdwr
            | Fid::ContainerMountPropagation
            | Fid::ContainerStartTs
            | Fid::K8sPodName
            | Fid::K8sNsName
            | Fid::K8sPodUid => Family::Container,
            Fid::HostName | Fid::HostIndex => Family::Host,
            Fid::UserUid
            | Fid::UserName
            | Fid::UserHomedir
            | Fid::UserShell
            | Fid::UserLoginuid
            | Fid::UserLoginname
            | Fid::GroupGid
            | Fid::GroupName => Family::User,
            Fid::FsPathName | Fid::FsPathSource | Fid::FsPathTarget => Family::FsPath,
            Fid::ThreadCpu
            | Fid::ThreadCpuUser
            | Fid::ThreadCpuSystem
            | Fid::ProcCpu
            | Fid::ThreadExectime
            | Fid::ThreadTotexectime
            | Fid::ThreadVmsize
            | Fid::ThreadVmrss
            | Fid::ThreadVmswap
            | Fid::ThreadPfmajor
            | Fid::ThreadPfminor => Family::Usage,
        }
    }
}

/// What goes in brackets after a field name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// Nothing.
    None,
    /// A number, optional (`proc.aname` alone means all ancestors).
    OptIndex,
    /// A parameter name (`evt.arg.fd` or `evt.arg[fd]`) or position (`evt.arg[0]`).
    Param,
    /// A key (`container.label[app]`, `proc.env[HOME]`), optional where noted.
    Key,
    /// An optional key (`proc.env` alone is the whole environment).
    OptKey,
}

/// One field of the registry.
#[derive(Clone, Copy, Debug)]
pub struct FieldDef {
    /// Name, as in filters and `-p` formats.
    pub name: &'static str,
    /// Id.
    pub fid: Fid,
    /// Value type.
    pub ty: FieldType,
    /// Argument.
    pub arg: ArgKind,
    /// One-line description.
    pub doc: &'static str,
    /// Whether captures hold its data. A field Falco's rules use whose data casefile does not
    /// record yet is known (so the error can say so) but refused: a filter using it could only
    /// ever say "no match", which would be a false promise.
    pub recorded: bool,
}

/// The argument folded into a resolved field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldArg {
    /// None.
    None,
    /// An index.
    Index(usize),
    /// A name or key.
    Name(String),
}

/// A resolved field: which one and its argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Which field.
    pub fid: Fid,
    /// Its argument.
    pub arg: FieldArg,
}

/// The registry of replay's fields.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fields;

impl Fields {
    /// Looks a field up by its exact name.
    pub fn def(name: &str) -> Option<&'static FieldDef> {
        FIELDS.iter().find(|d| d.name == name)
    }
}

impl Registry for Fields {
    type Field = Field;

    fn resolve(&self, name: &str, arg: Option<&str>) -> Result<FieldSpec<Field>, ResolveError> {
        // `evt.arg.fd` is `evt.arg[fd]`; `container.label.app` is not accepted (keys have dots).
        let (def, arg) = if let Some(d) = Fields::def(name) {
            (d, arg.map(str::to_owned))
        } else {
            let (prefix, rest) = name.rsplit_once('.').ok_or(ResolveError::Unknown)?;
            match Fields::def(prefix) {
                Some(d) if d.arg == ArgKind::Param && arg.is_none() => (d, Some(rest.to_owned())),
                _ => return Err(ResolveError::Unknown),
            }
        };
        if !def.recorded {
            return Err(ResolveError::Arg(format!(
                "{} is not recorded by casefile yet, so a filter using it could never match; it is refused rather than silently false",
                def.name
            )));
        }
        let (arg, multi) = match (def.arg, arg) {
            (ArgKind::None | ArgKind::OptKey, None) => (FieldArg::None, false),
            (ArgKind::None, Some(_)) => {
                return Err(ResolveError::Arg(format!("{} takes no argument", def.name)));
            }
            (ArgKind::OptIndex, None) => (FieldArg::None, true),
            (ArgKind::OptIndex, Some(a)) => (
                FieldArg::Index(a.parse().map_err(|_| {
                    ResolveError::Arg(format!("{}[{a}]: the argument must be a number", def.name))
                })?),
                false,
            ),
            (ArgKind::Param, Some(a)) if a.is_empty() => {
                return Err(ResolveError::Arg(format!(
                    "{}[]: the argument is empty",
                    def.name
                )));
            }
            (ArgKind::Param, Some(a)) => match a.parse::<usize>() {
                Ok(i) => (FieldArg::Index(i), false),
                Err(_) => (FieldArg::Name(a), false),
            },
            (ArgKind::Param | ArgKind::Key, None) => {
                return Err(ResolveError::Arg(format!(
                    "{} needs an argument, like {}[name]",
                    def.name, def.name
                )));
            }
            (ArgKind::Key | ArgKind::OptKey, Some(a)) => (FieldArg::Name(a), false),
        };
        Ok(FieldSpec {
            id: Field { fid: def.fid, arg },
            ty: def.ty,
            multi,
        })
    }

    fn names(&self) -> Vec<&str> {
        FIELDS.iter().map(|d| d.name).collect()
    }

    fn num_range(&self, field: &Field) -> (i64, i64) {
        let u32max = i64::from(u32::MAX);
        match field.fid {
            Fid::FdPort | Fid::FdCport | Fid::FdSport | Fid::FdLport | Fid::FdRport => (0, 65535),
            Fid::ProcPid
            | Fid::ProcPpid
            | Fid::ProcApid
            | Fid::ProcVpid
            | Fid::ProcVpgid
            | Fid::ProcTty
            | Fid::ProcNthreads
            | Fid::ThreadTid
            | Fid::ThreadVtid
            | Fid::UserUid
            | Fid::GroupGid
            | Fid::HostIndex => (0, u32max),
            Fid::UserLoginuid => (-1, u32max),
            Fid::EvtNum | Fid::EvtRawtime | Fid::EvtRawtimeS => (0, i64::MAX),
            Fid::EvtRawtimeNs => (0, 999_999_999),
            _ => (i64::MIN, i64::MAX),
        }
    }
}

impl FieldDef {
    /// How the field is written with its argument: `proc.aname[N]`, `evt.arg.NAME, evt.arg[N]`,
    /// `proc.env[KEY]`, or the bare name.
    pub fn usage(&self) -> String {
        match self.arg {
            ArgKind::None => self.name.to_owned(),
            ArgKind::OptIndex => format!("{}[N]", self.name),
            ArgKind::Param => format!("{0}.NAME, {0}[N]", self.name),
            ArgKind::Key | ArgKind::OptKey => format!("{}[KEY]", self.name),
        }
    }
}

/// A field reference in a format, from `start` (just after its `%`): the name runs over
/// letters, digits, `_` and `.` (trailing dots are not part of it), and a `[...]` right after
/// it is its argument. Returns where the name ends, the argument, and where the text after the
/// reference begins. `-p` formats and rule outputs both read references this way.
pub fn field_ref(text: &str, start: usize) -> (usize, Option<&str>, usize) {
    let b = text.as_bytes();
    let mut end = start;
    while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_' || b[end] == b'.') {
        end += 1;
    }
    while end > start && b[end - 1] == b'.' {
        end -= 1;
    }
    if b.get(end) == Some(&b'[')
        && let Some(close) = text[end..].find(']')
    {
        return (end, Some(&text[end + 1..end + close]), end + close + 1);
    }
    (end, None, end)
}

/// The field list as `casefile fields` prints it: one line per field with its type and doc.
pub fn list_text() -> String {
    let mut out = String::new();
    let mut class = "";
    for d in FIELDS {
        let c = d.name.split('.').next().unwrap_or("");
        if c != class {
            if !class.is_empty() {
                out.push('\n');
            }
            let _ = writeln!(out, "{c} fields");
            class = c;
        }
        let name = d.usage();
        let _ = writeln!(out, "  {name:<28} {:<5} {}", d.ty.short(), d.doc);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::compile;

    #[test]
    fn names_are_unique_and_every_id_is_listed() {
        let mut names = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        for d in FIELDS {
            assert!(names.insert(d.name), "{} twice", d.name);
            assert!(ids.insert(d.fid), "{:?} twice", d.fid);
        }
    }

    #[test]
    fn number_ranges_follow_the_field() {
        let e = compile("fd.port = 65536", &Fields).expect_err("range");
        assert_eq!(
            e.to_string(),
            "invalid filter: column 11: 65536 is out of range for fd.port (0 to 65535)\n  fd.port = 65536\n            ^^^^^"
        );
        assert!(compile("user.loginuid = -1", &Fields).is_ok());
        assert!(compile("user.uid = -1", &Fields).is_err());
        assert!(compile("fd.num > 4294967295 and evt.cpu > -500", &Fields).is_ok());
        assert!(compile("evt.arg[] = x", &Fields).is_err());
    }

    #[test]
    fn arguments_resolve() {
        let r = |n: &str, a: Option<&str>| Fields.resolve(n, a).map(|s| (s.id.arg, s.multi));
        assert_eq!(
            r("evt.arg.fd", None),
            Ok((FieldArg::Name("fd".into()), false))
        );
        assert_eq!(r("evt.arg", Some("2")), Ok((FieldArg::Index(2), false)));
        assert_eq!(r("proc.aname", None), Ok((FieldArg::None, true)));
        assert_eq!(r("proc.aname", Some("2")), Ok((FieldArg::Index(2), false)));
        assert!(matches!(
            r("proc.aname", Some("x")),
            Err(ResolveError::Arg(_))
        ));
        assert!(matches!(
            r("container.label", None),
            Err(ResolveError::Arg(_))
        ));
        assert_eq!(r("proc.nme", None), Err(ResolveError::Unknown));
        assert!(matches!(
            r("proc.name", Some("1")),
            Err(ResolveError::Arg(_))
        ));
    }

    #[test]
    fn unknown_field_message_suggests() {
        let e = compile("proc.nmae = bash", &Fields).expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "invalid filter: column 1: unknown field 'proc.nmae' (did you mean 'proc.name'?)\n  proc.nmae = bash\n  ^^^^^^^^^"
        );
        let e = compile("evt.type = open and fd.nam contains x", &Fields).expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "invalid filter: column 21: unknown field 'fd.nam' (did you mean 'fd.name'?)\n  evt.type = open and fd.nam contains x\n                      ^^^^^^"
        );
    }
}
