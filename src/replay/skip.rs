//! Block verdicts from summaries: which comparisons a block summary can decide.
//!
//! A summary lists the record kinds, the syscall numbers, a bloom filter of pids and the
//! container indices of a block. From those:
//! - `evt.type` (`=`, `!=`, `in`): decided by the syscall and kind sets;
//! - `proc.pid` (`=`, `in`): no match when the bloom filter excludes every pid;
//! - `evt.category` (`=`, `!=`, `in`) and `evt.is_io`, `evt.is_io_read`, `evt.is_io_write`,
//!   `evt.is_wait` (`= true`/`= false`): decided from the categories and I/O flags of the
//!   syscalls present;
//! - container fields (`container.*`, `k8s.*`): evaluated once per container listed in the
//!   block, using the capture's container table;
//! - `proc.name` (any comparison): tested against every process name of the block, when its
//!   aggregates list them (`views::aggregate::NAMES`); no match when none passes.
//!
//! Everything else is [`Tri::Unknown`].

use capture_format::Summary;
use capture_format::schema::syscalls::{self, io};
use capture_format::schema::{Container, Kind};

use super::context::{container_value, is_container_field};
use super::fields::{Fid, Field, FieldArg};
use super::state::IdMap;
use crate::filter::ast::Op;
use crate::filter::{BlockOracle, Cmp, Rhs, Tri, Val};

/// Judges comparisons against one block's summary.
pub struct SummaryOracle<'a> {
    /// The block's summary.
    pub summary: &'a Summary,
    /// The capture's containers by index, every version the capture holds (a runtime may
    /// first report a container as incomplete, then with its name and image).
    pub containers: &'a IdMap<u32, Vec<Container<'static>>>,
    /// Every `proc.name` the block's records have, when the index lists them.
    pub names: Option<&'a [Vec<u8>]>,
}

/// All kinds a record can have, with their numbers.
const KINDS: &[Kind] = &[
    Kind::Syscall,
    Kind::Fork,
    Kind::Exec,
    Kind::Exit,
    Kind::Signal,
    Kind::Container,
    Kind::Loss,
    Kind::Process,
    Kind::Fd,
    Kind::User,
    Kind::Group,
    Kind::Interface,
    Kind::Switch,
    Kind::Usage,
];

impl SummaryOracle<'_> {
    /// Whether an event of type `name` may be in the block, and whether every event is of it.
    fn type_presence(&self, name: &[u8]) -> (bool, bool) {
        let s = self.summary;
        let Ok(name) = std::str::from_utf8(name) else {
            return (false, false);
        };
        let others_kinds = s.kinds & !(1 << Kind::Syscall as u8);
        if let Some(nr) = syscalls::by_name(name) {
            let present = s.has_kind(Kind::Syscall as u8) && s.has_syscall(nr);
            // Every event is this call: only syscalls, only this number (and not the shared
            // overflow bit).
            let all = present && others_kinds == 0 && s.syscall_count() == 1 && nr < 511;
            return (present, all);
        }
        if name == "unknown" {
            return (true, false);
        }
        match KINDS
            .iter()
            .find(|k| **k != Kind::Syscall && k.name() == name)
        {
            Some(k) => {
                let present = s.has_kind(*k as u8);
                (present, present && s.kinds == 1 << *k as u8)
            }
            None => (false, false),
        }
    }

    fn evt_type(&self, cmp: &Cmp) -> Tri {
        let names: Vec<&[u8]> = match (&cmp.rhs, cmp.op) {
            (Rhs::Str(n, _), Op::Eq | Op::Ne) => vec![n.as_slice()],
            (Rhs::Strs(ns), Op::In | Op::Intersects) => ns.iter().map(Vec::as_slice).collect(),
            _ => return Tri::Unknown,
        };
        let mut any = false;
        let mut all = false;
        for n in names {
            let (p, a) = self.type_presence(n);
            any |= p;
            all |= a;
        }
        let eq = if !any {
            Tri::NoneMatch
        } else if all {
            Tri::AllMatch
        } else {
            Tri::Unknown
        };
        if cmp.op == Op::Ne {
            match eq {
                Tri::NoneMatch => Tri::AllMatch,
                Tri::AllMatch => Tri::NoneMatch,
                Tri::Unknown => Tri::Unknown,
            }
        } else {
            eq
        }
    }

    fn pid(&self, cmp: &Cmp) -> Tri {
        let pids: Vec<i64> = match (&cmp.rhs, cmp.op) {
            (Rhs::Num(p), Op::Eq) => vec![*p],
            (Rhs::Nums(ps), Op::In | Op::Intersects) => ps.clone(),
            _ => return Tri::Unknown,
        };
        let maybe = pids
            .iter()
            .any(|&p| u32::try_from(p).is_ok_and(|p| self.summary.may_have_pid(p)));
        if maybe { Tri::Unknown } else { Tri::NoneMatch }
    }

    /// A record without a name fails every comparison, so the block can match only if some
    /// name passes. (Never all: a record may have no name.)
    fn name(&self, cmp: &Cmp) -> Tri {
        let Some(names) = self.names else {
            return Tri::Unknown;
        };
        let passes = |n: &Vec<u8>| {
            cmp.op == Op::Exists || cmp.test(&Val::Str(std::borrow::Cow::Borrowed(n.as_slice())))
        };
        if names.iter().any(passes) {
            Tri::Unknown
        } else {
            Tri::NoneMatch
        }
    }

    fn container(&self, field: &Field, cmp: &Cmp) -> Tri {
        let Some(list) = &self.summary.containers else {
            return Tri::Unknown;
        };
        let mut any = false;
        let mut all = true;
        let test = |c: u32, meta: Option<&Container<'static>>| {
            container_value(field, c, meta).is_some_and(|v| cmp.op == Op::Exists || cmp.test(&v))
        };
        for &c in list {
            // The block's events may have seen any version of the container.
            match self.containers.get(&c).map(Vec::as_slice) {
                None | Some([]) => {
                    let m = test(c, None);
                    any |= m;
                    all &= m;
                }
                Some(versions) => {
                    for meta in versions {
                        let m = test(c, Some(meta));
                        any |= m;
                        all &= m;
                    }
                }
            }
        }
        if !any {
            Tri::NoneMatch
        } else if all {
            Tri::AllMatch
        } else {
            Tri::Unknown
        }
    }
}

impl SummaryOracle<'_> {
    /// The truth of a per-record test over every kind of record the block may hold: each
    /// syscall present gives `on_syscall(nr)`, other records give `on_kind(kind)`. `None` when
    /// the summary cannot tell (a syscall number folded into the overflow bit).
    fn over_records(
        &self,
        on_syscall: impl Fn(u16) -> bool,
        on_kind: impl Fn(Kind) -> bool,
    ) -> Option<Tri> {
        let s = self.summary;
        let (mut any, mut all) = (false, true);
        let mut add = |v: bool| {
            any |= v;
            all &= v;
        };
        for &k in KINDS {
            if !s.has_kind(k as u8) {
                continue;
            }
            if k == Kind::Syscall {
                for nr in (0..512u16).filter(|&n| s.has_syscall(n)) {
                    if nr == 511 {
                        return None;
                    }
                    add(on_syscall(nr));
                }
            } else {
                add(on_kind(k));
            }
        }
        // Kinds this version does not know may be present too.
        if s.kinds & !KINDS.iter().fold(0u32, |m, k| m | 1 << *k as u8) != 0 {
            return None;
        }
        Some(if !any {
            Tri::NoneMatch
        } else if all {
            Tri::AllMatch
        } else {
            Tri::Unknown
        })
    }

    /// `evt.is_io` and friends: true for syscalls with `flag`, false for other records.
    fn io_flag(&self, flag: u8, cmp: &Cmp) -> Tri {
        let (Rhs::Bool(b), Op::Eq | Op::Ne) = (&cmp.rhs, cmp.op) else {
            return Tri::Unknown;
        };
        let test = |v: bool| (v == *b) == (cmp.op == Op::Eq);
        self.over_records(
            |nr| test(super::calls::info(nr).spec.io & flag != 0),
            |_| test(false),
        )
        .unwrap_or(Tri::Unknown)
    }

    /// `evt.category`: the syscall's category; process for fork, exec and exit records,
    /// signal for signals, other for the rest.
    fn category(&self, cmp: &Cmp) -> Tri {
        let names: Vec<&[u8]> = match (&cmp.rhs, cmp.op) {
            (Rhs::Str(n, _), Op::Eq | Op::Ne) => vec![n.as_slice()],
            (Rhs::Strs(ns), Op::In | Op::Intersects) => ns.iter().map(Vec::as_slice).collect(),
            _ => return Tri::Unknown,
        };
        let hit = |c: &str| names.contains(&c.as_bytes()) != (cmp.op == Op::Ne);
        self.over_records(
            |nr| hit(super::calls::info(nr).spec.category.name()),
            |k| {
                hit(match k {
                    Kind::Fork | Kind::Exec | Kind::Exit => "process",
                    Kind::Signal => "signal",
                    _ => "other",
                })
            },
        )
        .unwrap_or(Tri::Unknown)
    }
}

impl BlockOracle<Field> for SummaryOracle<'_> {
    fn verdict(&self, field: &Field, cmp: &Cmp) -> Tri {
        match field.fid {
            Fid::EvtType => self.evt_type(cmp),
            Fid::EvtCategory => self.category(cmp),
            Fid::EvtIsIo => self.io_flag(io::READ | io::WRITE, cmp),
            Fid::EvtIsIoRead => self.io_flag(io::READ, cmp),
            Fid::EvtIsIoWrite => self.io_flag(io::WRITE, cmp),
            Fid::EvtIsWait => self.io_flag(io::WAIT, cmp),
            Fid::ProcPid => self.pid(cmp),
            Fid::ProcName if field.arg == FieldArg::None => self.name(cmp),
            f if is_container_field(f) => self.container(field, cmp),
            _ => Tri::Unknown,
        }
    }
}
