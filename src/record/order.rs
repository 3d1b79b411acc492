//! Puts events from all CPUs back in time order.
//!
//! Records reach the ring buffer in reservation order, which differs from their timestamps by
//! up to the time a CPU spends between taking the time and reserving, and (for syscalls, stamped
//! at exit) no more. Events are held until the newest time seen is `window` past them, then
//! released oldest first. An event older than what was already released is released at once
//! (and counted), so nothing is dropped.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use capture_format::schema::Event;

/// A heap entry ordered by (time, arrival).
struct Entry {
    ts: u64,
    seq: u64,
    event: Event<'static>,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        (self.ts, self.seq) == (o.ts, o.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.ts, self.seq).cmp(&(o.ts, o.seq))
    }
}

/// The reorder buffer.
pub struct Reorder {
    heap: BinaryHeap<Reverse<Entry>>,
    window: u64,
    seq: u64,
    newest: u64,
    released: u64,
    late: u64,
}

impl Reorder {
    /// Holds events for `window_ns` of event time.
    pub fn new(window_ns: u64) -> Reorder {
        Reorder {
            heap: BinaryHeap::new(),
            window: window_ns,
            seq: 0,
            newest: 0,
            released: 0,
            late: 0,
        }
    }

    /// Adds an event.
    pub fn push(&mut self, mut event: Event<'static>) {
        if event.ts < self.released {
            // Too late for its place: it goes out next, stamped with the last released time
            // so the output stays in order, and is counted.
            self.late += 1;
            event.ts = event.ts.max(self.released);
        }
        self.newest = self.newest.max(event.ts);
        self.seq += 1;
        self.heap.push(Reverse(Entry {
            ts: event.ts,
            seq: self.seq,
            event,
        }));
    }

    /// Releases, oldest first, the events older than the newest time minus the window, or than
    /// `now` minus the window when `now` is later (so an idle stream still drains).
    pub fn pop_ready(&mut self, now: u64, mut out: impl FnMut(Event<'static>)) {
        let limit = self.newest.max(now).saturating_sub(self.window);
        while self.heap.peek().is_some_and(|Reverse(e)| e.ts <= limit) {
            if let Some(Reverse(e)) = self.heap.pop() {
                self.released = e.ts;
                out(e.event);
            }
        }
    }

    /// Releases everything, oldest first.
    pub fn drain(&mut self, mut out: impl FnMut(Event<'static>)) {
        while let Some(Reverse(e)) = self.heap.pop() {
            self.released = e.ts;
            out(e.event);
        }
    }

    /// Events that arrived after later ones had been released (their time was raised).
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

    #[test]
    fn releases_in_time_order_after_the_window() {
        let mut r = Reorder::new(100);
        for (ts, tid) in [(1000, 1), (990, 2), (1050, 3), (995, 4)] {
            r.push(ev(ts, tid));
        }
        let mut out = Vec::new();
        r.pop_ready(0, |e| out.push((e.ts, e.tid)));
        assert_eq!(out, []);
        r.push(ev(1100, 5));
        r.pop_ready(0, |e| out.push((e.ts, e.tid)));
        assert_eq!(out, [(990, 2), (995, 4), (1000, 1)]);
        r.pop_ready(1300, |e| out.push((e.ts, e.tid)));
        assert_eq!(out, [(990, 2), (995, 4), (1000, 1), (1050, 3), (1100, 5)]);
        assert!(r.heap.is_empty());
    }

    #[test]
    fn late_events_are_kept_and_counted() {
        let mut r = Reorder::new(10);
        r.push(ev(100, 1));
        r.push(ev(200, 2));
        let mut out = Vec::new();
        r.pop_ready(0, |e| out.push(e.ts));
        assert_eq!(out, [100]);
        r.push(ev(50, 3));
        r.drain(|e| out.push(e.ts));
        assert_eq!(out, [100, 100, 200]);
        assert_eq!(r.late(), 1);
    }
}
