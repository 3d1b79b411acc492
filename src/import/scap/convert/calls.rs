//! System calls: enter events waiting for their exits in reused slots, what is known of each
//! event type (its call number, whether the converter tracks it, whether it returns), and the
//! enter and exit merged into one `Syscall` record.

use capture_format::schema::{self, Body, Event, Syscall, Value, syscalls};

use super::super::event::RawEvent;
use super::super::event_table::{EVENT_MAX, PPM_SC_NAMES};
use super::super::names::kernel_name;
use super::{Converter, Judge, Probe, Probed, SCAP_DF_STATE_ONLY, fds};

/// An enter event waiting for its exit: its parameters back to back in `data`, each ending
/// at its entry of `ends`.
#[derive(Default)]
pub(super) struct Enter {
    etype: u16,
    ts: u64,
    data: Vec<u8>,
    ends: Vec<u32>,
}

impl Enter {
    fn params(&self) -> Vec<&[u8]> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let p = &self.data[start..end as usize];
                start = end as usize;
                p
            })
            .collect()
    }
}

/// What the converter knows of an event type, looked up once per type.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct TypeFacts {
    /// The x86_64 number of the type's call (`None`: no call of that name).
    nr: Option<u16>,
    /// Whether converting the call changes the converter's own state (clone, exec, the fd
    /// table): such calls are never left out.
    tracked: bool,
    /// Whether the call never returns (`exit`, `exit_group`, `sigreturn`, `rt_sigreturn`): it
    /// is recorded from its enter event.
    never_returns: bool,
}

impl Converter {
    pub(super) fn enter(&mut self, e: &RawEvent<'_>) {
        // Calls that never return are recorded from their enter event.
        if self.facts(e).never_returns {
            let name = e.name();
            let stale = self.drop_enter(e.tid);
            self.stats.enter_without_exit += u64::from(stale);
            self.syscall(&name, Some(e), None, e.ts);
            return;
        }
        let slot = if let Some(&slot) = self.enters.get(&e.tid) {
            // The thread's previous call never returned.
            self.stats.enter_without_exit += 1;
            slot
        } else {
            let slot = self.free.pop().unwrap_or_else(|| {
                self.slots.push(Enter::default());
                (self.slots.len() - 1) as u32
            });
            self.enters.insert(e.tid, slot);
            slot
        };
        let en = &mut self.slots[slot as usize];
        en.etype = e.etype;
        en.ts = e.ts;
        en.data.clear();
        en.ends.clear();
        for p in &e.params {
            en.data.extend_from_slice(p);
            // Parameters are at most 64 KiB each, at most 32 of them.
            en.ends.push(en.data.len() as u32);
        }
    }

    /// Forgets the enter event of `tid` waiting for its exit; whether there was one.
    pub(super) fn drop_enter(&mut self, tid: u64) -> bool {
        match self.enters.remove(&tid) {
            Some(slot) => {
                self.free.push(slot);
                true
            }
            None => false,
        }
    }

    /// Forgets every enter event waiting for its exit.
    pub(super) fn clear_enters(&mut self) {
        self.enters.clear();
        self.slots.clear();
        self.free.clear();
    }

    /// The facts of `x`'s type, looked up once per type (per call for the generic events,
    /// types 0 and 1, which name their call in their `ID` parameter).
    fn facts(&mut self, x: &RawEvent<'_>) -> TypeFacts {
        let i = if x.etype > 1 {
            usize::from(x.etype)
        } else {
            match x.param(0).as_i64() {
                Some(id) if (0..PPM_SC_NAMES.len() as i64).contains(&id) => EVENT_MAX + id as usize,
                _ => return Self::look_up_facts(x),
            }
        };
        if let Some(Some(f)) = self.facts.get(i) {
            return *f;
        }
        let f = Self::look_up_facts(x);
        if i >= self.facts.len() {
            self.facts.resize(i + 1, None);
        }
        self.facts[i] = Some(f);
        f
    }

    fn look_up_facts(x: &RawEvent<'_>) -> TypeFacts {
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

    pub(super) fn exit(&mut self, x: &RawEvent<'_>, judge: &mut dyn Judge) {
        let stored = match self.enters.remove(&x.tid) {
            Some(slot) if self.slots[slot as usize].etype + 1 == x.etype => Some(slot),
            Some(other) => {
                // A different call's enter: that call never returned (or its exit was lost).
                self.stats.enter_without_exit += 1;
                self.free.push(other);
                None
            }
            None => None,
        };
        // A call whose record would be an event and that changes nothing the converter keeps:
        // ask whether it is wanted at all. Only when no record waits before it, so the judge
        // sees the state as of the records before this one.
        if x.dump_flags & SCAP_DF_STATE_ONLY == 0
            && x.ts != 0
            && self.first_ts != 0
            && self.out.is_empty()
        {
            let f = self.facts(x);
            if let Some(nr) = f.nr
                && !f.tracked
            {
                let (tid, pid, container) = self.header(x);
                let probe = Probe {
                    ts: x.ts,
                    tid,
                    pid,
                    container,
                    what: Probed::Syscall(nr),
                };
                if judge.skip(&probe) {
                    self.syscall_records += 1;
                    if let Some(slot) = stored {
                        self.free.push(slot);
                    }
                    return;
                }
            }
        }
        // Out of its slot while the call is converted (which needs the whole converter).
        let en = stored.map(|slot| std::mem::take(&mut self.slots[slot as usize]));
        let params = en.as_ref().map(Enter::params);
        let enter_ev = en.as_ref().zip(params).map(|(en, params)| RawEvent {
            ts: en.ts,
            tid: x.tid,
            etype: en.etype,
            cpu: x.cpu,
            dump_flags: 0,
            params,
        });
        let name = x.name();
        self.syscall(&name, enter_ev.as_ref(), Some(x), x.ts);
        drop(enter_ev);
        if let (Some(slot), Some(en)) = (stored, en)
            && let Some(s) = self.slots.get_mut(slot as usize)
        {
            *s = en;
            self.free.push(slot);
        }
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
        let facts = self.facts(any);
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
