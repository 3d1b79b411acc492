//! The recording's index: each events block's aggregates (`views::aggregate`), computed on a
//! thread of its own at idle priority, so that `summary`, `top` and filters on process names
//! answer from the index on a recording as on an import.

use capture_format::schema::Event;
use capture_format::{BlockAggregator, BlockType, HeaderInfo};

use crate::views::aggregate::Aggregator;

/// Attaches a [`Deferred`] aggregator to a recorder's writer (one host only, as
/// `views::aggregate::attach`).
/// An error says why the recording will have no aggregates (it is readable all the same).
pub fn attach_deferred<W: std::io::Write>(
    w: &mut capture_format::Writer<W>,
    info: &HeaderInfo,
) -> Result<(), String> {
    if info.hosts.len() <= 1 {
        let agg = Aggregator::new(info).map_err(|e| e.to_string())?;
        let d = Deferred::start(agg, std::time::Duration::ZERO)
            .map_err(|e| format!("cannot start the index thread: {e}"))?;
        w.set_aggregator(Box::new(d));
    }
    Ok(())
}

/// An [`Aggregator`] (the one import, export and merge use) on a thread of its own, at idle priority, for a recorder: the writer hands
/// it each block's raw body and never waits for it. A section not done by the time the writer
/// moves on is not written, and that block is read by decoding; when the thread falls behind
/// (a busy host), blocks go unaggregated until the next keyframe resets its state.
pub struct Deferred {
    jobs: Option<std::sync::mpsc::SyncSender<Job>>,
    done: std::sync::mpsc::Receiver<(u64, Vec<u8>)>,
    /// Set when the writer is done: the thread stops at its next block.
    quit: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The first event of the newest block the writer has asked a section for: a block before
    /// it comes too late, and the thread skips ahead to the next state block.
    asked: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The thread's id, to lift it from idle priority when the file is being finished.
    tid: std::sync::Arc<std::sync::atomic::AtomicI32>,
    /// A block was not handed over: events blocks are not sent until the next state block.
    stale: bool,
    /// The first event of the last events block handed over.
    sent: Option<u64>,
    /// The least time to wait for a section before the writer moves on (tests wait for all).
    wait: std::time::Duration,
}

/// A block for the aggregating thread: type, first event number, record count, raw body.
type Job = (BlockType, u64, u32, Vec<u8>);

/// Blocks queued for the aggregating thread at most (each about a block's raw size).
const DEFERRED_QUEUE: usize = 4;

impl Deferred {
    /// Starts the thread; the writer waits at least `wait` for each block's section (zero for a
    /// recorder, longer in tests that want every block aggregated).
    pub fn start(agg: Aggregator, wait: std::time::Duration) -> std::io::Result<Deferred> {
        let (jobs, rx) = std::sync::mpsc::sync_channel::<Job>(DEFERRED_QUEUE);
        let (tx, done) = std::sync::mpsc::channel();
        let quit = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let tid = std::sync::Arc::new(std::sync::atomic::AtomicI32::new(0));
        std::thread::Builder::new()
            .name("casefile-index".into())
            .spawn({
                let (quit, asked) = (std::sync::Arc::clone(&quit), std::sync::Arc::clone(&asked));
                let tid = std::sync::Arc::clone(&tid);
                move || deferred_loop(agg, &rx, &tx, &quit, &asked, &tid)
            })?;
        Ok(Deferred {
            jobs: Some(jobs),
            done,
            quit,
            asked,
            tid,
            stale: false,
            sent: None,
            wait,
        })
    }
}

/// Sets the scheduling policy of thread `tid` (0: the calling one); returns the calling
/// thread's id. A refusal leaves the thread as it was: the index is best effort.
fn set_policy(tid: libc::pid_t, policy: libc::c_int) -> libc::pid_t {
    let p = libc::sched_param { sched_priority: 0 };
    // SAFETY: plain system calls on a thread id; the parameter lives on this stack.
    unsafe {
        libc::sched_setscheduler(tid, policy, &raw const p);
        libc::gettid()
    }
}

fn deferred_loop(
    mut agg: Aggregator,
    jobs: &std::sync::mpsc::Receiver<Job>,
    done: &std::sync::mpsc::Sender<(u64, Vec<u8>)>,
    quit: &std::sync::atomic::AtomicBool,
    asked: &std::sync::atomic::AtomicU64,
    tid: &std::sync::atomic::AtomicI32,
) {
    // SCHED_IDLE: the index is built from time nobody else wants.
    tid.store(
        set_policy(0, libc::SCHED_IDLE),
        std::sync::atomic::Ordering::Relaxed,
    );
    // After a block that would not decode, events blocks wait for the next state block.
    let mut lost = false;
    for (kind, first, count, raw) in jobs {
        if quit.load(std::sync::atomic::Ordering::Relaxed) {
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
        // Too late for the writer: no use computing it, nor the blocks up to the next
        // keyframe (which resets the state this one would have carried on).
        lost |= first < asked.load(std::sync::atomic::Ordering::Relaxed);
        let mut section = Vec::new();
        if !lost {
            agg.set_next_event(first);
            match dec {
                Ok(dec) => {
                    for ev in dec {
                        let Ok(ev) = ev else {
                            lost = true;
                            break;
                        };
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
        // An empty section tells the writer none is coming for this block.
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
        match jobs.try_send((kind, first_event, count, raw.to_vec())) {
            Ok(()) => match kind {
                BlockType::State => self.stale = false,
                _ => self.sent = Some(first_event),
            },
            Err(_) => self.stale = true,
        }
    }

    fn ready(&mut self, first_event: u64, wait: std::time::Duration) -> Option<Vec<u8>> {
        self.asked
            .fetch_max(first_event, std::sync::atomic::Ordering::Relaxed);
        if self.sent != Some(first_event) {
            return None;
        }
        // Finishing the file (a long wait): a busy host would never give an idle thread its
        // turn, so the last block's section is computed at normal priority.
        let tid = self.tid.load(std::sync::atomic::Ordering::Relaxed);
        if wait >= std::time::Duration::from_millis(500) && tid > 0 {
            set_policy(tid, libc::SCHED_OTHER);
        }
        let wait = wait.max(self.wait);
        let until = std::time::Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(std::time::Instant::now());
            let (first, section) = if left.is_zero() {
                self.done.try_recv().ok()?
            } else {
                self.done.recv_timeout(left).ok()?
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
        // waited for: at idle priority on a busy host, it may not run again for a while.
        self.quit.store(true, std::sync::atomic::Ordering::Relaxed);
        self.jobs = None;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use capture_format::CaptureFile;

    use super::*;
    use crate::replay::testutil::rewrite;

    /// Given the time, the thread computes what the writer's own aggregator does, byte for
    /// byte, and every section lands right behind its events block.
    #[test]
    fn deferred_sections_equal_the_writers_own() {
        let cap = CaptureFile::read(crate::replay::testutil::synth_fixture()).expect("open");
        let info = cap.header().info.clone();
        let own = rewrite(&cap, 4096, Box::new(Aggregator::new(&info).expect("agg")));
        let agg = Aggregator::new(&info).expect("agg");
        let deferred = Deferred::start(agg, Duration::from_mins(1)).expect("thread");
        let off = rewrite(&cap, 4096, Box::new(deferred));
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

    /// Without waiting, a section comes only if the thread beat the writer; whatever is
    /// written is the writer's own, behind its block, and the file verifies.
    #[test]
    fn a_writer_that_does_not_wait_writes_only_finished_sections() {
        let cap = CaptureFile::read(crate::replay::testutil::synth_fixture()).expect("open");
        let info = cap.header().info.clone();
        let own = rewrite(&cap, 4096, Box::new(Aggregator::new(&info).expect("agg")));
        let agg = Aggregator::new(&info).expect("agg");
        let off = rewrite(
            &cap,
            4096,
            Box::new(Deferred::start(agg, Duration::ZERO).expect("thread")),
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
