//! System calls: enter events waiting for their exits in reused slots ([`Pairs`]), what is
//! known of each event type ([`Facts`]: its call number, whether the converter tracks it,
//! whether it returns), and the enter and exit merged into one `Syscall` record.

use capture_format::schema::{self, Body, Event, Syscall, Value, syscalls};

use super::super::event::RawEvent;
use super::super::event_table::{EVENT_MAX, PPM_SC_NAMES};
use super::super::names::kernel_name;
use super::{Converter, Judge, Probed, SCAP_DF_STATE_ONLY, fds};
use crate::replay::idmap::IdMap;

/// An enter event waiting for its exit: its parameters back to back in `data`, each ending
/// at its entry of `ends`.
#[derive(Default)]
pub(crate) struct Enter {
    pub(crate) etype: u16,
    pub(crate) ts: u64,
    data: Vec<u8>,
    ends: Vec<u32>,
}

impl Enter {
    /// Its parameters, in order.
    pub(crate) fn params(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let p = &self.data[start..end as usize];
            start = end as usize;
            p
        })
    }
}

/// Enter events waiting for their exits, by thread, each in a slot refilled from one call to
/// the next (no memory per event). The converter pairs them; a reader that parses ahead on a
/// thread of its own pairs them there.
#[derive(Default)]
pub(crate) struct Pairs {
    /// The slot of each thread's waiting enter.
    enters: IdMap<u64, u32>,
    slots: Vec<Enter>,
    /// Slots not in `enters`.
    free: Vec<u32>,
}

impl Pairs {
    /// Keeps the enter event of `tid` of type `etype` at `ts` until its exit. Whether an enter
    /// of the thread was waiting already (its call never returned).
    pub(crate) fn store<'p>(
        &mut self,
        (tid, etype, ts): (u64, u16, u64),
        params: impl IntoIterator<Item = &'p [u8]>,
    ) -> bool {
        let (slot, stale) = if let Some(&slot) = self.enters.get(&tid) {
            (slot, true)
        } else {
            let slot = self.free.pop().unwrap_or_else(|| {
                self.slots.push(Enter::default());
                (self.slots.len() - 1) as u32
            });
            self.enters.insert(tid, slot);
            (slot, false)
        };
        let en = &mut self.slots[slot as usize];
        en.etype = etype;
        en.ts = ts;
        en.data.clear();
        en.ends.clear();
        for p in params {
            en.data.extend_from_slice(p);
            // Parameters are at most 64 KiB each, at most 32 of them.
            en.ends.push(en.data.len() as u32);
        }
        stale
    }

    /// The slot of the enter of the call an exit of `tid` of type `etype` ends, taken until
    /// [`Pairs::release`]; and whether the enter waiting was a different call's (that call
    /// never returned, or its exit was lost).
    pub(crate) fn take(&mut self, tid: u64, etype: u16) -> (Option<u32>, bool) {
        match self.enters.remove(&tid) {
            Some(slot) if self.slots[slot as usize].etype + 1 == etype => (Some(slot), false),
            Some(other) => {
                self.free.push(other);
                (None, true)
            }
            None => (None, false),
        }
    }

    /// The enter in a slot [`Pairs::take`] gave.
    pub(crate) fn get(&self, slot: u32) -> &Enter {
        &self.slots[slot as usize]
    }

    /// Gives a slot [`Pairs::take`] gave back.
    pub(crate) fn release(&mut self, slot: u32) {
        self.free.push(slot);
    }

    /// Forgets the enter event of `tid` waiting for its exit; whether there was one.
    pub(crate) fn forget(&mut self, tid: u64) -> bool {
        match self.enters.remove(&tid) {
            Some(slot) => {
                self.free.push(slot);
                true
            }
            None => false,
        }
    }

    /// Forgets every enter event waiting for its exit; how many there were.
    pub(crate) fn clear(&mut self) -> usize {
        let n = self.enters.len();
        self.enters.clear();
        self.slots.clear();
        self.free.clear();
        n
    }
}

/// What the converter knows of an event type, looked up once per type.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TypeFacts {
    /// The x86_64 number of the type's call (`None`: no call of that name).
    nr: Option<u16>,
    /// Whether converting the call changes the converter's own state (clone, exec, the fd
    /// table): such calls are never left out.
    tracked: bool,
    /// Whether the call never returns (`exit`, `exit_group`, `sigreturn`, `rt_sigreturn`): it
    /// is recorded from its enter event.
    pub(crate) never_returns: bool,
}

/// [`TypeFacts`] by event type, looked up once per type (per call for the generic events,
/// types 0 and 1, which name their call in their `ID` parameter).
#[derive(Default)]
pub(crate) struct Facts(Vec<Option<TypeFacts>>);

impl Facts {
    /// The facts of `x`'s type.
    pub(crate) fn of(&mut self, x: &RawEvent<'_>) -> TypeFacts {
        let i = if x.etype > 1 {
            usize::from(x.etype)
        } else {
            match x.generic_id() {
                Some(id) if (0..PPM_SC_NAMES.len() as i64).contains(&id) => EVENT_MAX + id as usize,
                _ => return look_up(x),
            }
        };
        if let Some(Some(f)) = self.0.get(i) {
            return *f;
        }
        let f = look_up(x);
        if i >= self.0.len() {
            self.0.resize(i + 1, None);
        }
        self.0[i] = Some(f);
        f
    }
}

fn look_up(x: &RawEvent<'_>) -> TypeFacts {
    let name = x.name();
    let kname = kernel_name(&name);
    TypeFacts {
        nr: syscalls::by_name(kname),
        tracked: matches!(
            kname,
            "clone" | "clone3" | "fork" | "vfork" | "execve" | "execveat"
        ) || fds::TRACKED.contains(&kname),
        never_returns: matches!(&*name, "exit" | "exit_group" | "sigreturn" | "rt_sigreturn"),
    }
}

impl Converter {
    pub(super) fn enter(&mut self, e: &RawEvent<'_>) {
        // Calls that never return are recorded from their enter event.
        if self.facts.of(e).never_returns {
            let name = e.name();
            let stale = self.pairs.forget(e.tid);
            self.stats.enter_without_exit += u64::from(stale);
            self.syscall(&name, Some(e), None, e.ts);
            return;
        }
        let stale = self
            .pairs
            .store((e.tid, e.etype, e.ts), e.params.iter().copied());
        self.stats.enter_without_exit += u64::from(stale);
    }

    pub(super) fn exit(&mut self, x: &RawEvent<'_>, judge: &mut dyn Judge) {
        let (stored, stale) = self.pairs.take(x.tid, x.etype);
        self.stats.enter_without_exit += u64::from(stale);
        if self.leaves_out(x, judge) {
            if let Some(slot) = stored {
                self.pairs.release(slot);
            }
            return;
        }
        let Some(slot) = stored else {
            self.call(None, x);
            return;
        };
        // Out of the pairs while the call is converted (which needs the whole converter).
        let mut pairs = std::mem::take(&mut self.pairs);
        let en = pairs.get(slot);
        let enter_ev = RawEvent {
            ts: en.ts,
            tid: x.tid,
            etype: en.etype,
            cpu: x.cpu,
            dump_flags: 0,
            params: en.params().collect(),
        };
        self.call(Some(&enter_ev), x);
        drop(enter_ev);
        pairs.release(slot);
        // The converter keeps no enter of its own while it converts (the pairs were out).
        self.pairs = pairs;
    }

    /// Whether the judge leaves out the call exit `x` ends (the converter counts its record).
    /// Only a call whose record would be an event and that changes nothing the converter keeps
    /// is asked about, and only when no record waits before it, so the judge sees the state as
    /// of the records before this one. For a generic event (type 0 or 1) `x` must have its
    /// parameters; others need only their header.
    pub(crate) fn leaves_out(&mut self, x: &RawEvent<'_>, judge: &mut dyn Judge) -> bool {
        let f = self.facts.of(x);
        self.leaves_out_as(x, f, judge)
    }

    /// [`Converter::leaves_out`] for an exit whose type's facts are `f` (looked up by the
    /// reader): `x` needs only its header.
    pub(crate) fn leaves_out_as(
        &mut self,
        x: &RawEvent<'_>,
        f: TypeFacts,
        judge: &mut dyn Judge,
    ) -> bool {
        if x.dump_flags & SCAP_DF_STATE_ONLY != 0 {
            return false;
        }
        let Some(nr) = f.nr.filter(|_| !f.tracked) else {
            return false;
        };
        if !self.judged_out(x, Probed::Syscall(nr), judge) {
            return false;
        }
        self.syscall_records += 1;
        true
    }

    /// Converts the call exit `x` ends, with its enter event when there was one.
    pub(crate) fn call(&mut self, en: Option<&RawEvent<'_>>, x: &RawEvent<'_>) {
        let name = x.name();
        self.syscall(&name, en, Some(x), x.ts);
    }

    /// Converts one call from its enter and/or exit event.
    fn syscall(
        &mut self,
        name: &str,
        en: Option<&RawEvent<'_>>,
        x: Option<&RawEvent<'_>>,
        ts: u64,
    ) {
        let Some(any) = x.or(en) else { return };
        let kname = kernel_name(name);
        // By name only: a generic event's `nativeID` is the number on the recording machine's
        // architecture, which the file does not name.
        // The number of an event type's call, looked up once per type (a generic event names
        // its call in a parameter).
        let facts = self.facts.of(any);
        let nr = facts.nr;
        let Some(nr) = nr else {
            let dir = if x.is_some() { "<" } else { ">" };
            self.skip(format!("{name} {dir}"));
            return;
        };
        let spec = syscalls::spec(nr);
        let ret = match x {
            Some(x) if x.etype > 1 => x.param(0).as_i64().unwrap_or(0),
            _ => 0,
        };
        let latency = match (en, x) {
            (Some(en), Some(x)) => x.ts.saturating_sub(en.ts),
            _ => 0,
        };
        // Process changes first: the kernel reports fork and exec before the call returns, and
        // the call's own record then carries the new process.
        if let Some(x) = x {
            let tracked = facts.tracked;
            match kname {
                "clone" | "clone3" | "fork" | "vfork" => self.clone_exit(x, ret),
                "execve" | "execveat" if ret == 0 => self.exec_exit(en, x),
                _ if tracked => {
                    self.track_fds(kname, en, x, ret);
                }
                _ => {}
            }
        }
        let (tid, pid, container) = self.header(any);
        let mut params = schema::Params::new();
        for p in spec.params {
            let v = if spec.decoded {
                self.lookup(kname, p.name, p.ty, en, x, pid)
            } else {
                Value::None
            };
            params.push(v);
        }
        if any.dump_flags & SCAP_DF_STATE_ONLY != 0 {
            // Written only so readers keep their state (sysdig's `-F`/fatfile mode); hidden
            // from readers, so not recorded either.
            self.skip("state-only".into());
            return;
        }
        let ev = Event {
            ts,
            tid,
            pid,
            cpu: any.cpu,
            container,
            body: Body::Syscall(Syscall {
                nr,
                ret,
                latency,
                params,
            }),
        };
        self.emit(ev);
    }
}
