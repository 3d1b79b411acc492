//! Puts records from all CPUs back in time order.
//!
//! Records reach the ring buffer in reservation order, which differs from their timestamps by
//! the time a CPU spends between taking the time and reserving (syscall records are stamped
//! and emitted at exit). Records are held until the newest time seen is `window` past them,
//! then released oldest first. A record older than what was already released goes out at once,
//! stamped with the last released time so the output stays ordered, and is counted.
//!
//! Raw probe records are kept as bytes in one arena and decoded only when released: a decoded
//! event is ~300 bytes, and moving those around cost more than decoding them.

use std::collections::VecDeque;

use capture_format::schema::Event;

/// A record released by [`Reorder`].
pub enum Item<'a> {
    /// A raw probe record, to be decoded.
    Raw(&'a [u8]),
    /// An event made by the recorder (loss).
    Event(Box<Event<'static>>),
}

#[derive(Clone, Copy)]
struct Key {
    ts: u64,
    seq: u64,
    /// Arena offset of a raw record, or index into `events`.
    at: u32,
    /// Length of a raw record; `u32::MAX` marks an event.
    len: u32,
}

const EVENT: u32 = u32::MAX;

/// The reorder buffer.
pub struct Reorder {
    arena: Vec<u8>,
    /// The arena compaction copies into, kept with its capacity (and swapped with `arena`):
    /// a fresh one each time grew through reallocations and page faults.
    spare: Vec<u8>,
    events: Vec<Option<Box<Event<'static>>>>,
    keys: VecDeque<Key>,
    window: u64,
    seq: u64,
    newest: u64,
    released: u64,
    late: u64,
}

impl Reorder {
    /// Holds records for `window_ns` of record time.
    pub fn new(window_ns: u64) -> Reorder {
        Reorder {
            arena: Vec::new(),
            spare: Vec::new(),
            events: Vec::new(),
            keys: VecDeque::new(),
            window: window_ns,
            seq: 0,
            newest: 0,
            released: 0,
            late: 0,
        }
    }

    fn key(&mut self, ts: u64, at: u32, len: u32) {
        let ts = if ts < self.released {
            self.late += 1;
            self.released
        } else {
            ts
        };
        // Only the probe's records say how far the stream has come: an event the recorder makes
        // (a loss stamped with the time of the latest drop) may be far ahead of the records
        // still waiting in the ring, and must not release past them.
        if len != EVENT {
            self.newest = self.newest.max(ts);
        }
        self.seq += 1;
        self.keys.push_back(Key {
            ts,
            seq: self.seq,
            at,
            len,
        });
    }

    /// Adds a raw record with its wall-clock time.
    pub fn push_raw(&mut self, ts: u64, raw: &[u8]) {
        let at = self.arena.len() as u32;
        self.arena.extend_from_slice(raw);
        self.key(ts, at, raw.len() as u32);
    }

    /// Adds an event made by the recorder: ordered by its time, which does not move the
    /// window (only the probe's records do).
    pub fn push_event(&mut self, event: Event<'static>) {
        let at = self.events.len() as u32;
        let ts = event.ts;
        self.events.push(Some(Box::new(event)));
        self.key(ts, at, EVENT);
    }

    /// Every record before this time has been released (a later one is raised to it).
    pub fn released(&self) -> u64 {
        self.released
    }

    /// Bytes held in the arena (to release early when it grows large).
    pub fn held_bytes(&self) -> usize {
        self.arena.len()
    }

    /// Releases, oldest first, the records older than the newest time minus the window, or
    /// than `now` minus the window when `now` is later (so an idle stream still drains). The
    /// callback gets the time to stamp on the record with it.
    pub fn pop_ready(&mut self, now: u64, out: impl FnMut(u64, Item<'_>)) {
        let limit = self.newest.max(now).saturating_sub(self.window);
        self.release(limit, out);
    }

    /// The latest time the buffer has seen or released (0 before any record): where a record
    /// made now by the recorder itself belongs in the stream, however far the probe's records
    /// lag behind the clock.
    pub fn latest(&self) -> u64 {
        self.newest.max(self.released)
    }

    /// Releases everything, oldest first.
    pub fn drain(&mut self, out: impl FnMut(u64, Item<'_>)) {
        self.release(u64::MAX, out);
    }

    fn release(&mut self, limit: u64, mut out: impl FnMut(u64, Item<'_>)) {
        // Nearly sorted already: the stable sort finds the runs, so this is close to linear.
        let keys = self.keys.make_contiguous();
        keys.sort_by_key(|k| (k.ts, k.seq));
        let ready = keys.partition_point(|k| k.ts <= limit);
        if ready == 0 {
            return;
        }
        for k in &keys[..ready] {
            self.released = k.ts;
            if k.len == EVENT {
                if let Some(ev) = self.events.get_mut(k.at as usize).and_then(Option::take) {
                    out(k.ts, Item::Event(ev));
                }
            } else if let Some(raw) = self
                .arena
                .get(k.at as usize..k.at as usize + k.len as usize)
            {
                out(k.ts, Item::Raw(raw));
            }
        }
        self.keys.drain(..ready);
        if self.keys.is_empty() {
            self.arena.clear();
            self.events.clear();
        } else if self.arena.len() > 2 * self.live_bytes() {
            self.compact();
        }
    }

    fn live_bytes(&self) -> usize {
        self.keys
            .iter()
            .filter(|k| k.len != EVENT)
            .map(|k| k.len as usize)
            .sum()
    }

    /// Moves what still waits to the front, once released records fill half the arena: each
    /// byte is copied at most about once more.
    fn compact(&mut self) {
        self.spare.clear();
        std::mem::swap(&mut self.arena, &mut self.spare);
        let old_arena = &self.spare;
        let mut old_events = std::mem::take(&mut self.events);
        for k in &mut self.keys {
            if k.len == EVENT {
                let ev = old_events.get_mut(k.at as usize).and_then(Option::take);
                k.at = self.events.len() as u32;
                self.events.push(ev);
            } else {
                let from = k.at as usize;
                k.at = self.arena.len() as u32;
                self.arena.extend_from_slice(
                    old_arena
                        .get(from..from + k.len as usize)
                        .unwrap_or_default(),
                );
            }
        }
    }

    /// Records that arrived after later ones had been released (their time was raised).
    pub fn late(&self) -> u64 {
        self.late
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capture_format::schema::{Body, Exit};

    fn ev(ts: u64, tid: u32) -> Event<'static> {
        Event {
            ts,
            tid,
            pid: tid,
            cpu: 0,
            container: 0,
            body: Body::Exit(Exit::default()),
        }
    }

    fn tag(ts: u64, item: Item<'_>) -> (u64, u32) {
        match item {
            Item::Raw(b) => (ts, u32::from(b[0])),
            Item::Event(e) => (ts, e.tid),
        }
    }

    #[test]
    fn releases_in_time_order_after_the_window() {
        let mut r = Reorder::new(100);
        r.push_raw(1000, &[1]);
        r.push_raw(990, &[2]);
        r.push_event(ev(1050, 3));
        r.push_raw(995, &[4, 4, 4]);
        let mut out = Vec::new();
        r.pop_ready(0, |ts, i| out.push(tag(ts, i)));
        assert_eq!(out, []);
        r.push_raw(1100, &[5]);
        r.pop_ready(0, |ts, i| out.push(tag(ts, i)));
        assert_eq!(out, [(990, 2), (995, 4), (1000, 1)]);
        r.pop_ready(1300, |ts, i| out.push(tag(ts, i)));
        assert_eq!(out, [(990, 2), (995, 4), (1000, 1), (1050, 3), (1100, 5)]);
        assert!(r.keys.is_empty() && r.arena.is_empty() && r.events.is_empty());
    }

    /// A recorder lagging behind a storm writes a loss stamped with the latest drop, ahead of
    /// the records still in the ring: they are not late for it, and it goes out in its place.
    #[test]
    fn an_event_ahead_of_the_records_does_not_release_past_them() {
        let mut r = Reorder::new(10);
        r.push_raw(100, &[1]);
        r.push_event(ev(500, 2));
        let mut out = Vec::new();
        r.pop_ready(0, |ts, i| out.push(tag(ts, i)));
        assert_eq!(out, []);
        r.push_raw(150, &[3]);
        r.pop_ready(0, |ts, i| out.push(tag(ts, i)));
        assert_eq!(out, [(100, 1)]);
        r.push_raw(600, &[4]);
        r.drain(|ts, i| out.push(tag(ts, i)));
        assert_eq!(out, [(100, 1), (150, 3), (500, 2), (600, 4)]);
        assert_eq!(r.late(), 0);
    }

    #[test]
    fn late_records_are_kept_and_counted() {
        let mut r = Reorder::new(10);
        r.push_raw(100, &[1]);
        r.push_raw(200, &[2]);
        let mut out = Vec::new();
        r.pop_ready(0, |ts, i| out.push(tag(ts, i)));
        assert_eq!(out, [(100, 1)]);
        r.push_raw(50, &[3]);
        r.drain(|ts, i| out.push(tag(ts, i)));
        assert_eq!(out, [(100, 1), (100, 3), (200, 2)]);
        assert_eq!(r.late(), 1);
    }
}
