//! Where an event belongs: its container, from the cgroup the probe saw it in, and the
//! container records the capture needs before it (a container seen for the first time, a
//! process entering one, metadata found on a later look).

use capture_format::schema::{Body, Event};

use super::cgroup_dirs::CgroupDirs;
use super::procfs;
use crate::containers::Tracker;
use crate::replay::state::IdMap;

/// cgroup id → container index, with the last answer at hand: events come in runs from one
/// cgroup.
#[derive(Default)]
pub(super) struct CgroupIndex {
    map: IdMap<u64, u32>,
    last: Option<(u64, u32)>,
}

impl CgroupIndex {
    pub(super) fn get(&mut self, id: u64) -> Option<u32> {
        if let Some((last, index)) = self.last
            && last == id
        {
            return Some(index);
        }
        let index = *self.map.get(&id)?;
        self.last = Some((id, index));
        Some(index)
    }

    pub(super) fn insert(&mut self, id: u64, index: u32) {
        self.map.insert(id, index);
        self.last = Some((id, index));
    }
}

/// What the recorder knows of cgroups and containers, borrowed to place one event.
pub(super) struct Placement<'a> {
    pub(super) cgroups: &'a mut CgroupDirs,
    pub(super) containers: &'a mut Tracker,
    pub(super) cgroup_index: &'a mut CgroupIndex,
    pub(super) last_entered: &'a mut Option<(u32, u32)>,
}

impl Placement<'_> {
    /// Sets `ev`'s container from its cgroup and returns the container records to write
    /// before it: a container seen for the first time, a process entering one, metadata found
    /// on a later look (a new program is a good moment to retry).
    pub(super) fn place(
        &mut self,
        cgroup_id: u64,
        ev: &mut Event<'_>,
        ts: u64,
    ) -> Vec<Event<'static>> {
        let mut records = Vec::new();
        let index = match self.cgroup_index.get(cgroup_id) {
            Some(i) => i,
            None => match self.cgroups.path(cgroup_id, ev.pid) {
                Some(path) => {
                    let s = self.containers.observe(path, ts);
                    records.extend(s.records);
                    self.cgroup_index.insert(cgroup_id, s.index);
                    s.index
                }
                // A cgroup created after the last scan; looked up again later.
                None => 0,
            },
        };
        ev.container = index;
        if ev.pid != 0 && *self.last_entered != Some((ev.pid, index)) {
            records.extend(self.containers.enter_pid(ev.pid, index, ts));
            *self.last_entered = Some((ev.pid, index));
        }
        match &mut ev.body {
            Body::Fork(f) if f.child_pid != ev.pid => {
                self.containers.fork(ev.pid, f.child_pid);
            }
            Body::Exec(p) => {
                if p.cwd.is_empty() {
                    // The probe could not walk it; the process may still be there.
                    p.cwd = procfs::cwd_of(ev.pid).into();
                }
                if let Some(path) = self.cgroups.path(cgroup_id, ev.pid) {
                    p.cgroup = path.as_bytes().to_vec().into();
                    // New programs are a good moment to retry missing metadata.
                    records.extend(self.containers.observe(path, ts).records);
                }
            }
            _ => {}
        }
        records
    }
}
