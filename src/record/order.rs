//! Puts events from all CPUs back in time order.
//!
//! Records reach the ring buffer in reservation order, which differs from their timestamps by
//! up to the time a CPU spends between taking the time and reserving, and (for syscalls, stamped
//! at exit) no more. Events are held until the newest time seen is `window` past them, then
//! released oldest first. An event older than what was already released is released at once
//! (and counted), so nothing is dropped.

use capture_format::schema::Event;

/// The reorder buffer. Events wait in arrival order; releasing sorts their keys (nearly sorted
/// already, so the sort is close to linear) and moves each event out once, which is far
/// cheaper than a heap of ~300-byte events.
pub struct Reorder {
    pending: Vec<Option<Event<'static>>>,
    keys: Vec<(u64, u32)>,
    window: u64,
    newest: u64,
    released: u64,
    late: u64,
}

impl Reorder {
    /// Holds events for `window_ns` of event time.
    pub fn new(window_ns: u64) -> Reorder {
        Reorder {
            pending: Vec::new(),
            keys: Vec::new(),
            window: window_ns,
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
            event.ts = self.released;
        }
        self.newest = self.newest.max(event.ts);
        self.pending.push(Some(event));
    }

    /// Releases, oldest first, the events older than the newest time minus the window, or than
    /// `now` minus the window when `now` is later (so an idle stream still drains).
    pub fn pop_ready(&mut self, now: u64, out: impl FnMut(Event<'static>)) {
        let limit = self.newest.max(now).saturating_sub(self.window);
        self.release(limit, out);
    }

    /// Releases everything, oldest first.
    pub fn drain(&mut self, out: impl FnMut(Event<'static>)) {
        self.release(u64::MAX, out);
    }

    fn release(&mut self, limit: u64, mut out: impl FnMut(Event<'static>)) {
        if self.pending.is_empty() {
            return;
        }
        self.keys.clear();
        self.keys.extend(
            self.pending
                .iter()
                .enumerate()
                .map(|(i, e)| (e.as_ref().map_or(0, |e| e.ts), i as u32)),
        );
        // Stable by arrival for equal times: (ts, index) keys are unique.
        self.keys.sort_unstable();
        let ready = self.keys.partition_point(|&(ts, _)| ts <= limit);
        if ready == 0 {
            return;
        }
        for &(ts, i) in &self.keys[..ready] {
            if let Some(ev) = self.pending[i as usize].take() {
                self.released = ts;
                out(ev);
            }
        }
        self.pending.retain(Option::is_some);
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
        assert!(r.pending.is_empty());
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
