//! Conversion of scap blocks into the shared record schema.
//!
//! - Metadata blocks become state records: process list → `Process`, fd lists → `Fd`,
//!   interface list → `Interface`, user list → `User`/`Group`.
//! - Every system call becomes one `Syscall` record at its exit. When the capture has enter
//!   events (captures written before libs 0.22), the enter event is kept per thread and merged
//!   into its exit: parameters are looked up in the exit first, then in the enter, and the
//!   latency is the difference of their times. Calls that never return (`exit`,
//!   `exit_group`, `rt_sigreturn`) are recorded from their enter event.
//! - Successful `execve`/`execveat` also yield an `Exec` record; `clone`/`fork`/`vfork`/`clone3`
//!   a `Fork` record (from the parent's exit, or from the child's when the parent's is not in
//!   the capture); `procexit` an `Exit`; `signaldeliver` a `Signal`. The child's side of a
//!   clone describes the task (comm, exe, args, cwd, ids, cgroups): when its creator is
//!   unknown, a timed `Process` record carries that description, as sysdig builds the thread
//!   from it.
//! - Container JSON events (and the oldest `container` event, and `asyncevent`s named
//!   `container` from the container plugin) become `Container` records. Each container gets a
//!   1-based index in order of first sighting; events carry the index of their thread's
//!   container, found from the thread's cgroups.
//! - `useradded`/`groupadded` events become `User`/`Group` state records; `switch` a `Switch`
//!   record, `procinfo` a `Usage` record.
//! - Everything else (page faults, plugin events, calls without an x86_64 number) is counted
//!   per type in [`Stats::skipped`].
//!
//! This module dispatches blocks and events; its parts: [`calls`] (enter and exit events
//! paired into `Syscall` records, what is known of each event type), [`procs`] (process
//! list, clone, exec, exit, signals, usage, the snapshot), [`fds`] (fd lists, interfaces, what
//! calls do to fds), [`containers`] (indices from cgroups, runtime metadata) and [`values`]
//! (libs' encodings as the kernel's).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use capture_format::schema::{self, Body, Container, Event, FdInfo, Group, User};

use super::block::{self, Block, MachineInfo};
use super::event::{self, Param, RawEvent, ec};
use crate::replay::idmap::{IdHasher, IdMap};

mod calls;
mod containers;
mod fds;
mod procs;
mod values;

pub(crate) use calls::{Facts, Pairs, TypeFacts};

/// Dump flag of EVF blocks: the event only updates state and is hidden when reading.
const SCAP_DF_STATE_ONLY: u32 = 1;

/// Counts of what was read and what was converted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Blocks read, by block type id.
    pub blocks: BTreeMap<u32, u64>,
    /// Event blocks read, by event type id.
    pub events: BTreeMap<u16, u64>,
    /// Records produced, by kind name (`syscall`, `procexec`, `state.process`, ...).
    pub records: BTreeMap<&'static str, u64>,
    /// Events with no schema mapping, by sysdig event name (with `>`/`<` for enter/exit of
    /// system calls whose x86_64 number is unknown).
    pub skipped: BTreeMap<String, u64>,
    /// Blocks of unknown types (skipped).
    pub unknown_blocks: u64,
    /// Events of unknown types (skipped).
    pub unknown_events: u64,
    /// Enter events whose exit never came (overwritten by the thread's next enter, or the
    /// capture ended).
    pub enter_without_exit: u64,
    /// Whether the capture holds enter events at all.
    pub has_enter_events: bool,
    /// Section headers seen (more than one: concatenated files).
    pub sections: u64,
}

#[derive(Clone, Debug, Default)]
struct Thread {
    pid: u64,
    ptid: u64,
    vtid: i64,
    vpid: i64,
    uid: u32,
    gid: u32,
    loginuid: u32,
    tty: u32,
    cap_effective: u64,
    cap_permitted: u64,
    cap_inheritable: u64,
    vpgid: i64,
    /// `schema::exe` bits (`KNOWN` when the file gave them).
    exe_flags: u32,
    comm: Vec<u8>,
    exe: Vec<u8>,
    exepath: Vec<u8>,
    args: Vec<u8>,
    env: Vec<u8>,
    cwd: Vec<u8>,
    cgroup: Vec<u8>,
    container: u32,
}

/// An event the converter may leave out, asked before it is converted: its record would be a
/// `Syscall` or a `Switch` (see [`Probed`]) by thread `tid` of process `pid` in `container`,
/// at `ts`. Only events that change no state the converter keeps (no clone, exec or
/// fd-changing call) and whose record would be an event are asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Time.
    pub ts: u64,
    /// Thread id.
    pub tid: u32,
    /// Process id.
    pub pid: u32,
    /// Container index.
    pub container: u32,
    /// What the record would be.
    pub what: Probed,
}

/// The record of a [`Probe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probed {
    /// A `Syscall` of this x86_64 call number.
    Syscall(u16),
    /// A `Switch`.
    Switch,
    /// A `Usage` sample (from `procinfo`).
    Usage,
}

/// Decides which calls the converter leaves out (see [`Probe`]).
pub trait Judge {
    /// Whether to leave the call out. The judge counts it itself: the converter only counts
    /// its record (`syscall`) in [`Stats::records`].
    fn skip(&mut self, p: &Probe) -> bool;
}

/// The judge that leaves nothing out.
pub struct KeepAll;

impl Judge for KeepAll {
    fn skip(&mut self, _: &Probe) -> bool {
        false
    }
}

/// The converter: feed it blocks in file order, take events out.
#[derive(Default)]
pub struct Converter {
    threads: IdMap<u64, Thread>,
    /// Enter events waiting for their exit.
    pairs: Pairs,
    /// Short (12-digit) container id → index.
    containers: HashMap<Vec<u8>, u32>,
    /// Open fds per process, from the fd lists and the calls that open, connect, duplicate and
    /// close them: for socket protocols, and for the state written into keyframes.
    fds: IdMap<u64, IdMap<i64, FdInfo<'static>>>,
    /// Users, groups and interfaces written so far (repeated in keyframes).
    fixed_state: Vec<Body<'static>>,
    /// The latest record of each container, by index.
    container_records: BTreeMap<u32, Container<'static>>,
    /// Local ports of listening sockets in the fd lists.
    listen_ports: HashSet<u16>,
    /// Whether fd-list socket tuples were put in client → server order.
    oriented: bool,
    /// Users and groups already written (the user list block and `useradded` events repeat
    /// each other in files written through libsinsp).
    accounts: HashSet<(bool, u32, Vec<u8>, u32)>,
    /// Children for which a `Fork` was written.
    forked: HashSet<u64, std::hash::BuildHasherDefault<IdHasher>>,
    /// Facts by scap event type.
    facts: Facts,
    /// Event blocks counted by event type, folded into [`Stats::events`] by
    /// [`Converter::fold_counts`].
    event_counts: Vec<u64>,
    /// `Syscall` records counted, not yet folded into [`Stats::records`].
    syscall_records: u64,
    /// `Switch` records counted, not yet folded into [`Stats::records`].
    switch_records: u64,
    /// `Usage` records counted, not yet folded into [`Stats::records`].
    usage_records: u64,
    /// Blocks of the type last counted, not yet folded into [`Stats::blocks`].
    block_run: (u32, u64),
    out: VecDeque<Event<'static>>,
    /// Records at time 0 (written before the first timed event), waiting for a time.
    pending: Vec<Event<'static>>,
    first_ts: u64,
    /// Counts.
    pub stats: Stats,
    /// Machine info, once seen.
    pub machine: Option<MachineInfo>,
    /// The (first) section header.
    pub section: Option<block::SectionHeader>,
}

fn own(b: &[u8]) -> Cow<'static, [u8]> {
    Cow::Owned(b.to_vec())
}

/// Arguments as the schema stores them: each followed by a NUL.
fn nul_terminated(b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    if !v.is_empty() && v.last() != Some(&0) {
        v.push(0);
    }
    v
}

impl Converter {
    /// A converter with empty tables.
    pub fn new() -> Converter {
        Converter::default()
    }

    /// Time of the first timed event, 0 before one was seen.
    pub fn first_ts(&self) -> u64 {
        self.first_ts
    }

    /// The next converted record, if one is ready.
    pub fn pop(&mut self) -> Option<Event<'static>> {
        self.out.pop_front()
    }

    /// Whether records are ready.
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Flushes what is held back at the end of the input (records waiting for a time, enter
    /// events of calls that never returned).
    pub fn finish(&mut self) {
        self.stats.enter_without_exit += self.pairs.clear() as u64;
        let pending = std::mem::take(&mut self.pending);
        self.out.extend(pending);
    }

    fn count(&mut self, kind: &'static str) {
        *self.stats.records.entry(kind).or_default() += 1;
    }

    /// Moves the counts kept in arrays (per event, cheaper than the maps) into [`Self::stats`].
    pub fn fold_counts(&mut self) {
        for (etype, n) in self.event_counts.iter_mut().enumerate() {
            if *n != 0 {
                *self.stats.events.entry(etype as u16).or_default() += *n;
                *n = 0;
            }
        }
        for (kind, n) in [
            (schema::Kind::Syscall, &mut self.syscall_records),
            (schema::Kind::Switch, &mut self.switch_records),
            (schema::Kind::Usage, &mut self.usage_records),
        ] {
            if *n != 0 {
                *self.stats.records.entry(kind.name()).or_default() += *n;
                *n = 0;
            }
        }
        let (block_type, n) = std::mem::take(&mut self.block_run);
        if n != 0 {
            *self.stats.blocks.entry(block_type).or_default() += n;
        }
    }

    /// Whether an event block was read.
    pub fn seen_event(&self) -> bool {
        self.event_counts.iter().any(|&n| n != 0) || !self.stats.events.is_empty()
    }

    fn skip(&mut self, what: String) {
        *self.stats.skipped.entry(what).or_default() += 1;
    }

    fn emit(&mut self, ev: Event<'static>) {
        if let Body::Syscall(_) = ev.body {
            self.syscall_records += 1;
        } else if let Body::Switch(_) = ev.body {
            self.switch_records += 1;
        } else if let Body::Usage(_) = ev.body {
            self.usage_records += 1;
        } else {
            let kind = ev.body.kind().map_or("unknown", schema::Kind::name);
            self.count(kind);
        }
        if ev.ts == 0 && self.first_ts == 0 && !ev.body.kind().is_some_and(schema::Kind::is_state) {
            self.pending.push(ev);
            return;
        }
        if self.first_ts == 0 && ev.ts != 0 {
            self.first_ts = ev.ts;
            let ts = ev.ts;
            for mut p in std::mem::take(&mut self.pending) {
                p.ts = ts;
                self.out.push_back(p);
            }
        }
        self.out.push_back(ev);
    }

    fn state(&mut self, body: Body<'static>) {
        let account = match &body {
            Body::User(u) => Some((true, u.uid, u.name.to_vec(), u.container)),
            Body::Group(g) => Some((false, g.gid, g.name.to_vec(), g.container)),
            _ => None,
        };
        if let Some(a) = account
            && !self.accounts.insert(a)
        {
            return;
        }
        if matches!(body, Body::User(_) | Body::Group(_) | Body::Interface(_)) {
            self.fixed_state.push(body.clone());
        }
        self.emit(Event {
            ts: 0,
            tid: 0,
            pid: 0,
            cpu: 0,
            container: 0,
            body,
        });
    }

    /// Counts a block of `block_type` (also one that could not be parsed).
    pub fn count_block(&mut self, block_type: u32) {
        self.count_blocks(block_type, 1);
    }

    fn count_blocks(&mut self, block_type: u32, n: u64) {
        // Runs of one type (event blocks, mostly) are counted apart, cheaply.
        if self.block_run.0 != block_type && self.block_run.1 != 0 {
            *self.stats.blocks.entry(self.block_run.0).or_default() += self.block_run.1;
            self.block_run.1 = 0;
        }
        self.block_run.0 = block_type;
        self.block_run.1 += n;
    }

    /// Counts an event block the converter is given in parts, by a reader that pairs enter and
    /// exit events itself (see [`super::ahead`]): the block, its event type, as
    /// [`Converter::block_judged`] does for a whole event.
    pub(crate) fn count_event(&mut self, block_type: u32, etype: u16) {
        self.count_events(block_type, etype, 1);
        self.set_up();
    }

    /// Counts `n` enter events of type `etype` in blocks of `block_type` that the reader kept
    /// for their exits.
    pub(crate) fn kept_enters(&mut self, block_type: u32, etype: u16, n: u64) {
        self.count_events(block_type, etype, n);
        self.stats.has_enter_events = true;
    }

    fn count_events(&mut self, block_type: u32, etype: u16, n: u64) {
        self.count_blocks(block_type, n);
        self.count_type(etype, n);
    }

    /// Counts `n` events of type `etype`.
    fn count_type(&mut self, etype: u16, n: u64) {
        let i = usize::from(etype);
        if i >= self.event_counts.len() {
            self.event_counts.resize(i + 1, 0);
        }
        self.event_counts[i] += n;
    }

    /// What the converter does at a file's first event: the fd lists, all read by then, are
    /// turned client → server.
    pub(crate) fn set_up(&mut self) {
        if !self.oriented {
            self.orient_fd_sockets();
        }
    }

    /// Counts calls whose enter was seen and whose exit never came, found by the reader.
    pub(crate) fn never_returned(&mut self, n: u64) {
        self.stats.enter_without_exit += n;
    }

    /// Converts one block.
    pub fn block(&mut self, b: &Block<'_>, block_type: u32) {
        self.block_judged(b, block_type, &mut KeepAll);
    }

    /// Converts one block, leaving out the calls `judge` says to.
    pub fn block_judged(&mut self, b: &Block<'_>, block_type: u32, judge: &mut dyn Judge) {
        self.count_block(block_type);
        match b {
            Block::Section(s) => {
                self.stats.sections += 1;
                if self.section.is_none() {
                    self.section = Some(*s);
                } else {
                    // An appended file: its metadata blocks describe the state anew (libsinsp
                    // resets its tables too). Container indices stay: they name the same
                    // containers across the whole capture.
                    self.threads.clear();
                    self.pairs.clear();
                    self.fds.clear();
                    self.fixed_state.clear();
                    self.listen_ports.clear();
                    self.accounts.clear();
                    self.oriented = false;
                }
            }
            Block::Machine(m) => {
                if self.machine.is_none() {
                    self.machine = Some(m.clone());
                }
            }
            Block::Procs(list) => {
                for t in list {
                    self.thread_entry(t);
                }
            }
            Block::Fds { tid, fds } => {
                for f in fds {
                    self.fd_entry(*tid, f);
                }
            }
            Block::Ifaces(list) => {
                for i in list {
                    self.iface_entry(i);
                }
            }
            Block::Users(list) => {
                for u in list {
                    let body = match *u {
                        block::UserEntry::User {
                            uid,
                            gid,
                            name,
                            home,
                            shell,
                        } => Body::User(User {
                            uid,
                            gid,
                            container: 0,
                            name: own(name),
                            home: own(home),
                            shell: own(shell),
                        }),
                        block::UserEntry::Group { gid, name } => Body::Group(Group {
                            gid,
                            container: 0,
                            name: own(name),
                        }),
                    };
                    self.state(body);
                }
            }
            Block::Event(e) => {
                self.count_type(e.etype, 1);
                self.event(e, judge);
            }
            Block::UnknownEvent { .. } => self.stats.unknown_events += 1,
            Block::Unknown { .. } => self.stats.unknown_blocks += 1,
        }
    }

    /// Emits `body` as an event of `e`'s thread, process and container, at its time and CPU.
    fn emit_for(&mut self, e: &RawEvent<'_>, body: Body<'static>) {
        let (tid, pid, container) = self.header(e);
        self.emit(Event {
            ts: e.ts,
            tid,
            pid,
            cpu: e.cpu,
            container,
            body,
        });
    }

    fn header(&self, e: &RawEvent<'_>) -> (u32, u32, u32) {
        // Records not tied to a thread (container events at dump start) have tid -1 in scap.
        let tid = u32::try_from(e.tid).unwrap_or(0);
        match self.threads.get(&e.tid) {
            Some(t) => (tid, t.pid as u32, t.container),
            None => (tid, tid, 0),
        }
    }

    fn event(&mut self, e: &RawEvent<'_>, judge: &mut dyn Judge) {
        self.set_up();
        let info = e.info();
        if info.category & ec::SYSCALL != 0 {
            if event::is_enter(e.etype) {
                self.stats.has_enter_events = true;
                self.enter(e);
            } else {
                self.exit(e, judge);
            }
            return;
        }
        match info.name {
            "procexit" => self.procexit(e),
            "signaldeliver" => self.signal(e),
            "switch" => {
                if !self.sample_judged_out(e, judge) {
                    self.switch(e);
                }
            }
            "procinfo" => {
                if !self.sample_judged_out(e, judge) {
                    self.procinfo(e);
                }
            }
            "container" => self.container_event(e),
            "asyncevent" => {
                let name = e
                    .param_named("name")
                    .and_then(|p| p.as_bytes().map(<[u8]>::to_vec));
                if name.as_deref() == Some(b"container") {
                    self.container_event(e);
                } else {
                    self.skip(format!(
                        "asyncevent {}",
                        String::from_utf8_lossy(name.as_deref().unwrap_or_default())
                    ));
                }
            }
            "useradded" => {
                let u = User {
                    uid: e.param(0).as_i64().unwrap_or(0) as u32,
                    gid: e.param(1).as_i64().unwrap_or(0) as u32,
                    container: self.container_of_param(e, 5),
                    name: own(e.param(2).as_bytes().unwrap_or_default()),
                    home: own(e.param(3).as_bytes().unwrap_or_default()),
                    shell: own(e.param(4).as_bytes().unwrap_or_default()),
                };
                self.state(Body::User(u));
            }
            "groupadded" => {
                let g = Group {
                    gid: e.param(0).as_i64().unwrap_or(0) as u32,
                    container: self.container_of_param(e, 2),
                    name: own(e.param(1).as_bytes().unwrap_or_default()),
                };
                self.state(Body::Group(g));
            }
            name => self.skip(name.to_string()),
        }
    }
}

impl Converter {
    /// Whether the judge leaves out the record of `e` when it is a switch or a `procinfo`
    /// sample (they change no state the converter keeps); the record left out is counted.
    /// Needs `e`'s header only.
    fn sample_judged_out(&mut self, e: &RawEvent<'_>, judge: &mut dyn Judge) -> bool {
        let what = match e.info().name {
            "switch" => Probed::Switch,
            "procinfo" => Probed::Usage,
            _ => return false,
        };
        if !self.judged_out(e, what, judge) {
            return false;
        }
        match what {
            Probed::Usage => self.usage_records += 1,
            _ => self.switch_records += 1,
        }
        true
    }

    /// For an event block given in parts (see [`super::ahead`]): whether the judge leaves out
    /// the record of event `e`, of which only the header is needed; when it does, the block is
    /// counted as [`Converter::block_judged`] counts it. Only switches and samples can be left
    /// out so.
    pub(crate) fn leaves_out_event(
        &mut self,
        block_type: u32,
        e: &RawEvent<'_>,
        judge: &mut dyn Judge,
    ) -> bool {
        if !matches!(e.info().name, "switch" | "procinfo") {
            return false;
        }
        self.set_up();
        if !self.sample_judged_out(e, judge) {
            return false;
        }
        self.count_event(block_type, e.etype);
        true
    }

    /// Whether the judge leaves out the record `e` would give (`what`: a call, a switch or a
    /// sample that changes no state the converter keeps). Only when no record waits before it, so the
    /// judge sees the state as of the records before this one.
    pub(super) fn judged_out(
        &mut self,
        e: &RawEvent<'_>,
        what: Probed,
        judge: &mut dyn Judge,
    ) -> bool {
        if e.ts == 0 || self.first_ts == 0 || !self.out.is_empty() {
            return false;
        }
        let (tid, pid, container) = self.header(e);
        let probe = Probe {
            ts: e.ts,
            tid,
            pid,
            container,
            what,
        };
        judge.skip(&probe)
    }
}

/// A sysdig parameter by name: in the exit (after its return value), then in the enter.
fn param<'e>(en: Option<&RawEvent<'e>>, x: Option<&RawEvent<'e>>, name: &str) -> Option<Param<'e>> {
    if let Some(x) = x {
        let found = x
            .info()
            .params
            .iter()
            .enumerate()
            .skip(1)
            .find(|(i, p)| p.name == name && *i < x.params.len());
        if let Some((i, _)) = found {
            return Some(x.param(i));
        }
    }
    let en = en?;
    let i = en.info().params.iter().position(|p| p.name == name)?;
    (i < en.params.len()).then(|| en.param(i))
}

fn bytes_or(x: &RawEvent<'_>, name: &str, default: &[u8]) -> Vec<u8> {
    match x.param_named(name).and_then(|p| p.as_bytes()) {
        Some(b) if !b.is_empty() => b.to_vec(),
        _ => default.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::names::kernel_name;
    use super::containers::{container_from_json, container_id_of_cgroups};
    use super::values::{clone_flags_from_ppm, convert_value, open_flags_from_ppm};
    use super::*;
    use crate::import::scap::event::SockTuple;
    use capture_format::schema::Value;
    use capture_format::schema::l4;
    use capture_format::schema::syscalls::{self, ParamType};

    #[test]
    fn container_ids_come_from_64_hex_digit_cgroup_names() {
        let cg = b"cpu=/docker/697956520d891b5cb0e215093970c733549a3f745f52263c05b37f8a488994f3\0";
        assert_eq!(
            container_id_of_cgroups(cg).as_deref(),
            Some(&b"697956520d89"[..])
        );
        let scope = b"0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope";
        assert_eq!(
            container_id_of_cgroups(scope).as_deref(),
            Some(&b"0123456789ab"[..])
        );
        assert_eq!(container_id_of_cgroups(b"cpu=/user.slice\0"), None);
    }

    #[test]
    fn ppm_flags_become_kernel_flags() {
        // PPM_O_RDWR | PPM_O_CREAT | PPM_O_TRUNC | PPM_O_CLOEXEC
        assert_eq!(
            open_flags_from_ppm(3 | 4 | 256 | 4096),
            0o2 | 0o100 | 0o1000 | 0o2_000_000
        );
        assert_eq!(open_flags_from_ppm(1), 0);
        // PPM_CL_CLONE_VM | PPM_CL_CLONE_THREAD
        assert_eq!(clone_flags_from_ppm((1 << 15) | (1 << 13)), 0x100 | 0x10000);
    }

    #[test]
    fn container_json_is_read() {
        let j = br#"{"container":{"id":"697956520d89","image":"nginx","imageid":"abc","name":"hopeful_taussig","type":0,"labels":{"maintainer":"NGINX"},"privileged":false}}"#;
        let c = container_from_json(j).expect("json");
        assert_eq!(&*c.id, b"697956520d89");
        assert_eq!(&*c.runtime, b"docker");
        assert_eq!(&*c.labels, b"maintainer=NGINX\0");
        assert!(container_from_json(b"{not json").is_none());
    }

    #[test]
    fn libs_names_map_to_x86_64_numbers() {
        for n in ["sigreturn", "pread", "umount", "prlimit", "read", "execve"] {
            assert!(syscalls::by_name(kernel_name(n)).is_some(), "{n}");
        }
        // Every system call event of the libs table has an x86_64 number.
        for e in &super::super::event_table::EVENTS {
            if e.category & ec::SYSCALL != 0 && e.name != "syscall" {
                assert!(
                    syscalls::by_name(kernel_name(e.name)).is_some(),
                    "{}",
                    e.name
                );
            }
        }
    }

    #[test]
    fn values_keep_their_meaning() {
        let t = SockTuple::Inet {
            v6: false,
            sip: [10, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            sport: 49289,
            dip: [10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            dport: 22,
        };
        let v = convert_value(ParamType::Sock, &Param::SockTuple(t), l4::TCP);
        match v {
            Value::Sock(s) => assert_eq!(s.to_string(), "10.0.2.2:49289->10.0.2.15:22"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            convert_value(ParamType::Fd, &Param::Int(-100), 0),
            Value::Int(-100)
        );
        assert_eq!(
            convert_value(ParamType::FcntlCmd, &Param::Uint(3), 0),
            Value::None
        );
    }
}
