//! An [`Aggregator`] on a thread of its own. The writer hands it each block's raw body as it
//! writes the block, and asks for the section before it writes anything after an events block
//! (`BlockAggregator::written` and `ready`), so the aggregates of one block are computed while
//! the writer fills the next. Two ways to run it ([`Mode`]): beside a writer that waits for
//! every section (import, export, merge: every block gets its aggregates, two cores work), or
//! behind a recorder that never waits (a section not ready when the recorder moves on is not
//! written, and that block is read by decoding).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::time::{Duration, Instant};

use capture_format::schema::Event;
use capture_format::{BlockAggregator, BlockType};

use super::Aggregator;

/// How the thread runs next to its writer.
#[derive(Clone, Copy)]
pub enum Mode {
    /// The writer waits for every section: each events block gets one.
    Beside,
    /// The writer never waits but when sealing a checkpoint or finishing the file, and gives
    /// up on a section not ready by then. The thread runs at a priority `lower` sets (it
    /// returns the thread's id), and `raise` lifts it while the file is finished. When the
    /// thread falls behind, it skips ahead to the next keyframe.
    Behind {
        /// Lowers the calling thread's priority; returns its id.
        lower: fn() -> i32,
        /// Raises the priority of the thread with this id.
        raise: fn(i32),
    },
}

/// The aggregating thread, seen from the writer.
pub struct Deferred {
    mode: Mode,
    jobs: Option<SyncSender<Job>>,
    done: Receiver<(u64, Vec<u8>)>,
    /// Set when the writer is done: the thread stops at its next block.
    quit: Arc<AtomicBool>,
    /// The first event of the newest block the writer has asked a section for: a block before
    /// it comes too late.
    asked: Arc<AtomicU64>,
    /// The thread's id, once it has lowered its priority.
    tid: Arc<AtomicI32>,
    /// A block was not handed over: events blocks are not sent until the next state block.
    stale: bool,
    /// The first event of the last events block handed over.
    sent: Option<u64>,
}

/// A block for the thread: type, first event number, record count, raw body.
type Job = (BlockType, u64, u32, Vec<u8>);

/// Blocks queued for the thread at most (each about a block's raw size).
const QUEUE: usize = 4;

/// A long wait, that lifts a thread behind a recorder to normal priority.
const LONG_WAIT: Duration = Duration::from_millis(500);

impl Deferred {
    /// Starts the thread.
    pub fn start(agg: Aggregator, mode: Mode) -> std::io::Result<Deferred> {
        let (jobs, rx) = sync_channel::<Job>(QUEUE);
        let (tx, done) = channel();
        let quit = Arc::new(AtomicBool::new(false));
        let asked = Arc::new(AtomicU64::new(0));
        let tid = Arc::new(AtomicI32::new(0));
        std::thread::Builder::new()
            .name("casefile-index".into())
            .spawn({
                let (quit, asked, tid) = (Arc::clone(&quit), Arc::clone(&asked), Arc::clone(&tid));
                move || {
                    if let Mode::Behind { lower, .. } = mode {
                        tid.store(lower(), Ordering::Relaxed);
                    }
                    run(agg, &rx, &tx, &quit, &asked);
                }
            })?;
        Ok(Deferred {
            mode,
            jobs: Some(jobs),
            done,
            quit,
            asked,
            tid,
            stale: false,
            sent: None,
        })
    }
}

/// The thread: each block in order; a section (empty: none is coming) per events block.
fn run(
    mut agg: Aggregator,
    jobs: &Receiver<Job>,
    done: &Sender<(u64, Vec<u8>)>,
    quit: &AtomicBool,
    asked: &AtomicU64,
) {
    // After a block that would not decode or came too late, events blocks wait for the next
    // state block (which resets the state they would have carried on).
    let mut lost = false;
    for (kind, first, count, raw) in jobs {
        if quit.load(Ordering::Relaxed) {
            return;
        }
        let dec = capture_format::codec::Decoder::new(&raw, count, 0)
            .map(|d| d.with_schema(capture_format::schema::SCHEMA_VERSION));
        if kind == BlockType::State {
            match dec.and_then(Iterator::collect::<Result<Vec<_>, _>>) {
                Ok(records) => {
                    agg.state(&records);
                    lost = false;
                }
                Err(_) => lost = true,
            }
            continue;
        }
        lost |= first < asked.load(Ordering::Relaxed);
        let mut section = Vec::new();
        if !lost {
            agg.set_next_event(first);
            match dec {
                Ok(mut dec) => {
                    // Into one event, as replay decodes: no allocation per event.
                    let mut ev = crate::replay::session::placeholder();
                    while let Some(r) = dec.next_into(&mut ev) {
                        if r.is_err() {
                            lost = true;
                            break;
                        }
                        agg.event(&ev);
                    }
                }
                Err(_) => lost = true,
            }
            // Also clears what a block cut short left.
            section = agg.finish_block();
            if lost {
                section.clear();
            }
        }
        if done.send((first, section)).is_err() {
            return;
        }
    }
}

impl BlockAggregator for Deferred {
    fn state(&mut self, _: &[Event<'_>]) {}
    fn event(&mut self, _: &Event<'_>) {}
    fn finish_block(&mut self) -> Vec<u8> {
        Vec::new()
    }

    fn written(&mut self, kind: BlockType, first_event: u64, count: u32, raw: &[u8]) {
        if kind == BlockType::Events && self.stale {
            return;
        }
        let Some(jobs) = &self.jobs else { return };
        let job = (kind, first_event, count, raw.to_vec());
        let sent = match self.mode {
            Mode::Beside => jobs.send(job).is_ok(),
            Mode::Behind { .. } => jobs.try_send(job).is_ok(),
        };
        match (sent, kind) {
            (true, BlockType::State) => self.stale = false,
            (true, _) => self.sent = Some(first_event),
            (false, _) => self.stale = true,
        }
    }

    fn ready(&mut self, first_event: u64, wait: Duration) -> Option<Vec<u8>> {
        self.asked.fetch_max(first_event, Ordering::Relaxed);
        if self.sent != Some(first_event) {
            return None;
        }
        let until = match self.mode {
            Mode::Beside => None,
            Mode::Behind { raise, .. } => {
                // Finishing the file: a busy host would never give an idle thread its turn.
                let tid = self.tid.load(Ordering::Relaxed);
                if wait >= LONG_WAIT && tid > 0 {
                    raise(tid);
                }
                Some(Instant::now() + wait)
            }
        };
        loop {
            let (first, section) = match until {
                None => self.done.recv().ok()?,
                Some(t) => {
                    let left = t.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        self.done.try_recv().ok()?
                    } else {
                        self.done.recv_timeout(left).ok()?
                    }
                }
            };
            // Sections come in block order; older ones were given up on.
            match first.cmp(&first_event) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => return Some(section),
                std::cmp::Ordering::Greater => return None,
            }
        }
    }
}

impl Drop for Deferred {
    fn drop(&mut self) {
        // The thread ends at its next block, or when the queue is empty and closed. It is not
        // waited for: behind a recorder on a busy host, it may not run again for a while.
        self.quit.store(true, Ordering::Relaxed);
        self.jobs = None;
    }
}

#[cfg(test)]
mod tests {
    use capture_format::CaptureFile;

    use super::*;
    use crate::replay::testutil::{rewrite, synth_fixture};

    /// Beside a writer that waits, the thread computes what the writer's own aggregator does,
    /// byte for byte, and every section lands right behind its events block.
    #[test]
    fn sections_beside_the_writer_equal_its_own() {
        let cap = CaptureFile::read(synth_fixture()).expect("open");
        let info = cap.header().info.clone();
        let own = rewrite(&cap, 4096, Box::new(Aggregator::new(&info).expect("agg")));
        let agg = Aggregator::new(&info).expect("agg");
        let off = rewrite(
            &cap,
            4096,
            Box::new(Deferred::start(agg, Mode::Beside).expect("thread")),
        );
        let kinds = |c: &CaptureFile| c.blocks().iter().map(|b| b.block_type).collect::<Vec<_>>();
        assert_eq!(kinds(&own), kinds(&off));
        let mut sections = 0;
        for (i, b) in own.blocks().iter().enumerate() {
            if b.block_type == BlockType::Events {
                let a = own.aggregates(i).expect("own");
                assert!(a.is_some(), "block {i} has aggregates");
                assert_eq!(a, off.aggregates(i).expect("deferred"), "block {i}");
                sections += 1;
            }
        }
        assert!(sections > 50, "{sections} sections");
    }

    /// Behind a writer that does not wait, a section comes only if the thread beat the writer;
    /// whatever is written is the writer's own, behind its block, and the file verifies.
    #[test]
    fn behind_a_writer_only_finished_sections_are_written() {
        let cap = CaptureFile::read(synth_fixture()).expect("open");
        let info = cap.header().info.clone();
        let own = rewrite(&cap, 4096, Box::new(Aggregator::new(&info).expect("agg")));
        let agg = Aggregator::new(&info).expect("agg");
        let mode = Mode::Behind {
            lower: || 0,
            raise: |_| {},
        };
        let off = rewrite(
            &cap,
            4096,
            Box::new(Deferred::start(agg, mode).expect("thread")),
        );
        let v = off.verify();
        assert!(v.sealed && v.failure.is_none(), "{v:?}");
        let events = |c: &CaptureFile| {
            (c.blocks().iter())
                .filter(|b| b.block_type == BlockType::Events)
                .map(|b| b.first_event)
                .collect::<Vec<_>>()
        };
        assert_eq!(events(&own), events(&off));
        for (i, b) in off.blocks().iter().enumerate() {
            if b.block_type == BlockType::Events
                && let Some(s) = off.aggregates(i).expect("read")
            {
                let j = (own.blocks().iter())
                    .position(|o| {
                        o.block_type == BlockType::Events && o.first_event == b.first_event
                    })
                    .expect("same block");
                assert_eq!(Some(s), own.aggregates(j).expect("own"), "block {i}");
            }
        }
    }
}
