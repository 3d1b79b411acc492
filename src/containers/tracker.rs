//! The recorder's container table: stable indices, records on first sighting, exit times.
//!
//! The recorder feeds the tracker what it sees:
//!
//! - [`Tracker::observe_pid`] for every process of the start-up snapshot and for each event's
//!   process (with its cgroup path): the index to put in `Event::container`, and the
//!   `Body::Container` records to write before the event (first sighting, a container seen
//!   again after it exited, or metadata that became readable on a later try);
//! - [`Tracker::fork`] for each new process, so a child counts before its first event;
//! - [`Tracker::exit`] for each exit of a whole thread group: when the last process of a
//!   container is gone, the container's record again with `exit_ts` set.
//!
//! A recorder that already maps cgroup ids to indices calls [`Tracker::observe`] once per new
//! cgroup and [`Tracker::enter_pid`] per event instead. The recorder's `/proc` snapshot
//! registers every running process with [`Tracker::observe_pid`], and [`Tracker::records`]
//! repeats the table for keyframes or a rotated file.
//!
//! Indices are 1-based in order of first sighting (0 is the host) and never reused: a
//! container that exits and starts again keeps its index.

use std::collections::HashMap;

use capture_format::schema::{Body, Bytes, Container, Event};

use super::cgroup::{ContainerRef, parse_cgroup};
use super::resolve::Resolver;

/// How often incomplete metadata is looked up again (state files can appear a moment after
/// the container's first process runs).
const RETRIES: u8 = 3;
/// Least time between two tries, ns.
const RETRY_GAP_NS: u64 = 1_000_000_000;

/// What one sighting gives the recorder.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sighting {
    /// Container index for `Event::container`; 0 for the host.
    pub index: u32,
    /// Container records to write before the event (usually none).
    pub records: Vec<Event<'static>>,
}

#[derive(Debug)]
struct Entry {
    cref: ContainerRef,
    record: Container<'static>,
    live: usize,
    retries: u8,
    last_try: u64,
}

/// The container table of one capture.
#[derive(Debug, Default)]
pub struct Tracker {
    resolver: Resolver,
    entries: Vec<Entry>,
    by_id: HashMap<String, u32>,
    /// Parsed cgroup paths (0 for host paths), so an event costs one lookup.
    by_path: HashMap<String, u32>,
    /// Live processes in containers, by pid.
    pids: HashMap<u32, u32>,
}

impl Tracker {
    /// A tracker resolving metadata with `resolver`.
    pub fn new(resolver: Resolver) -> Tracker {
        Tracker {
            resolver,
            ..Tracker::default()
        }
    }

    /// The index of the container `cgroup` belongs to (0 for the host), with its record the
    /// first time. Does not count processes; see [`Tracker::observe_pid`].
    pub fn observe(&mut self, cgroup: &str, ts: u64) -> Sighting {
        let mut out = Sighting::default();
        if let Some(&i) = self.by_path.get(cgroup) {
            out.index = i;
            if i != 0 {
                self.retry(i, ts, &mut out.records);
            }
            return out;
        }
        let Some(cref) = parse_cgroup(cgroup) else {
            self.by_path.insert(cgroup.to_string(), 0);
            return out;
        };
        out.index = self.index_for(cref, cgroup, ts, &mut out.records);
        self.by_path.insert(cgroup.to_string(), out.index);
        out
    }

    /// Process `pid` (a thread-group id) was seen in `cgroup`: its container index and the
    /// records to write, counting the process as live in its container.
    pub fn observe_pid(&mut self, pid: u32, cgroup: &str, ts: u64) -> Sighting {
        let mut s = self.observe(cgroup, ts);
        self.enter(pid, s.index, ts, &mut s.records);
        s
    }

    /// Process `pid` was seen in the container at `index` (0: the host), for a recorder that
    /// keeps its own cgroup → index cache: counts it and returns the records to write (a
    /// container that runs again, or the exit of one the process left).
    pub fn enter_pid(&mut self, pid: u32, index: u32, ts: u64) -> Vec<Event<'static>> {
        let mut records = Vec::new();
        self.enter(pid, index, ts, &mut records);
        records
    }

    /// Process `child` was forked by `parent`: it starts in the parent's container.
    pub fn fork(&mut self, parent: u32, child: u32) {
        if parent == child {
            return;
        }
        if let Some(&i) = self.pids.get(&parent)
            && self.pids.insert(child, i) != Some(i)
            && let Some(e) = self.entry_mut(i)
        {
            e.live += 1;
        }
    }

    /// Process `pid` (the whole thread group) exited at `ts`: the container's record with its
    /// exit time when this was the container's last process.
    pub fn exit(&mut self, pid: u32, ts: u64) -> Option<Event<'static>> {
        let i = self.pids.remove(&pid)?;
        self.leave(i, ts)
    }

    /// The container at `index` exited at `ts` (all its processes are gone): its record with
    /// `exit_ts` set, or `None` for an unknown index or one already marked.
    pub fn exited(&mut self, index: u32, ts: u64) -> Option<Event<'static>> {
        let e = self.entry_mut(index)?;
        if e.record.exit_ts != 0 {
            return None;
        }
        e.live = 0;
        e.record.exit_ts = ts.max(1);
        let record = e.record.clone();
        self.pids.retain(|_, i| *i != index);
        Some(container_event(index, ts, record))
    }

    /// The container index a live process was last seen in (0: host or unknown).
    pub fn container_of(&self, pid: u32) -> u32 {
        self.pids.get(&pid).copied().unwrap_or(0)
    }

    /// The index of a container id, if it was seen.
    #[cfg(test)]
    pub fn index_of_id(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    /// Every container seen, with its index and latest record (for keyframes, or the state
    /// of a new file after rotation).
    pub fn containers(&self) -> impl Iterator<Item = (u32, &Container<'static>)> {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (i as u32 + 1, &e.record))
    }

    /// The latest record of every container seen, as events at `ts`: the container part of a
    /// keyframe, or of a new file's state after rotation (the indices stay valid).
    pub fn records(&self, ts: u64) -> Vec<Event<'static>> {
        self.containers()
            .map(|(i, c)| container_event(i, ts, c.clone()))
            .collect()
    }

    /// The number of live processes counted in the container at `index`.
    #[cfg(test)]
    pub fn live(&self, index: u32) -> usize {
        self.entry(index).map_or(0, |e| e.live)
    }

    #[cfg(test)]
    fn entry(&self, index: u32) -> Option<&Entry> {
        self.entries.get((index as usize).checked_sub(1)?)
    }

    fn entry_mut(&mut self, index: u32) -> Option<&mut Entry> {
        self.entries.get_mut((index as usize).checked_sub(1)?)
    }

    fn index_for(
        &mut self,
        cref: ContainerRef,
        cgroup: &str,
        ts: u64,
        records: &mut Vec<Event<'static>>,
    ) -> u32 {
        if let Some(&i) = self.by_id.get(&cref.id) {
            // Another cgroup of a known container (podman's `.../container` sub-cgroup).
            self.retry(i, ts, records);
            return i;
        }
        let record = self.resolver.resolve(&cref, cgroup);
        let index = self.entries.len() as u32 + 1;
        self.by_id.insert(cref.id.clone(), index);
        records.push(container_event(index, ts, record.clone()));
        self.entries.push(Entry {
            cref,
            record,
            live: 0,
            retries: 0,
            last_try: ts,
        });
        index
    }

    /// Looks incomplete metadata up again, now and then; a better record is written again.
    fn retry(&mut self, index: u32, ts: u64, records: &mut Vec<Event<'static>>) {
        let resolver = &self.resolver;
        let Some(e) = (index as usize)
            .checked_sub(1)
            .and_then(|i| self.entries.get_mut(i))
        else {
            return;
        };
        // The first retry comes at the container's next event (a container resolved as its
        // cgroup was made has no start time or init pid yet, and one run with --rm may be gone
        // within the second); later ones at most once a second.
        if e.record.note.is_empty()
            || e.retries >= RETRIES
            || (e.retries > 0 && ts < e.last_try.saturating_add(RETRY_GAP_NS))
        {
            return;
        }
        e.retries += 1;
        e.last_try = ts;
        let cgroup = String::from_utf8_lossy(&e.record.cgroup).into_owned();
        let fresh = fill_in(&e.record, resolver.resolve(&e.cref, &cgroup));
        if fresh != e.record {
            e.record = fresh.clone();
            records.push(container_event(index, ts, fresh));
        }
    }

    fn enter(&mut self, pid: u32, index: u32, ts: u64, records: &mut Vec<Event<'static>>) {
        let before = if index == 0 {
            self.pids.remove(&pid)
        } else {
            self.pids.insert(pid, index)
        };
        if before == Some(index) {
            return;
        }
        if let Some(old) = before {
            // The process moved out of a container (rare: `cgexec`, a runtime's helper).
            records.extend(self.leave(old, ts));
        }
        if index == 0 {
            return;
        }
        let Some(e) = self.entry_mut(index) else {
            return;
        };
        e.live += 1;
        if e.record.exit_ts != 0 {
            // Started again (`podman start`, a restart policy): it runs once more.
            e.record.exit_ts = 0;
            let record = e.record.clone();
            records.push(container_event(index, ts, record));
        }
    }

    fn leave(&mut self, index: u32, ts: u64) -> Option<Event<'static>> {
        let e = self.entry_mut(index)?;
        e.live = e.live.saturating_sub(1);
        if e.live == 0 {
            self.exited(index, ts)
        } else {
            None
        }
    }
}

fn container_event(index: u32, ts: u64, record: Container<'static>) -> Event<'static> {
    Event {
        ts,
        tid: 0,
        pid: 0,
        cpu: 0,
        container: index,
        body: Body::Container(record),
    }
}

/// `known` with what `fresh` adds: a later lookup fills the gaps of an earlier one but never
/// erases what it found (a container's state may be gone by then). The note (what is missing
/// and why) is the fresh one unless the fresh lookup lost the name or image the earlier had.
fn fill_in(known: &Container<'static>, fresh: Container<'static>) -> Container<'static> {
    let lost = (fresh.name.is_empty() && !known.name.is_empty())
        || (fresh.image.is_empty() && !known.image.is_empty());
    let note = if lost {
        known.note.clone()
    } else {
        fresh.note.clone()
    };
    let mut c = known.clone();
    let bytes = |old: &mut Bytes<'static>, new: Bytes<'static>| {
        if old.is_empty() {
            *old = new;
        }
    };
    bytes(&mut c.name, fresh.name);
    bytes(&mut c.image, fresh.image);
    bytes(&mut c.image_id, fresh.image_id);
    bytes(&mut c.runtime, fresh.runtime);
    bytes(&mut c.labels, fresh.labels);
    if c.start_ts == 0 {
        c.start_ts = fresh.start_ts;
    }
    if c.init_pid == 0 {
        c.init_pid = fresh.init_pid;
    }
    c.privileged |= fresh.privileged;
    c.note = note;
    c
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    /// A look after a `--rm` container's state is gone finds its start time from elsewhere but
    /// no name: the name found earlier stays, and so does the note that goes with it.
    #[test]
    fn a_later_lookup_fills_gaps_and_erases_nothing() {
        let known = Container {
            name: Cow::Borrowed(b"web"),
            image: Cow::Borrowed(b"nginx"),
            note: Cow::Borrowed(b"missing start time"),
            ..Container::default()
        };
        let fresh = Container {
            start_ts: 7,
            init_pid: 42,
            note: Cow::Borrowed(b"missing name, image: no container"),
            ..Container::default()
        };
        let c = fill_in(&known, fresh);
        assert_eq!((&c.name[..], &c.image[..]), (&b"web"[..], &b"nginx"[..]));
        assert_eq!((c.start_ts, c.init_pid), (7, 42));
        assert_eq!(&c.note[..], b"missing start time");
        // A fresh lookup that lost nothing brings its own note.
        let full = Container {
            name: Cow::Borrowed(b"web"),
            image: Cow::Borrowed(b"nginx"),
            start_ts: 7,
            ..Container::default()
        };
        assert!(fill_in(&known, full).note.is_empty());
    }
}
