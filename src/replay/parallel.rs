//! Block-parallel replay: a session's blocks cut into segments at its state blocks, each
//! segment replayed by a worker thread with its own engine, the results merged in block order.
//!
//! A state block resets the task tables, so what a segment produces depends only on its own
//! blocks, except for what lives past keyframes:
//! - the container, user and group tables, which every keyframe holds whole (block skipping
//!   already relies on this: a skipped block before a keyframe is never applied);
//! - names learned from DNS answers, which keyframes do not hold: a filter that reads them
//!   cannot be split ([`Session::can_split`]), nor can an output that prints them (the caller's
//!   to check);
//! - the time of the previous match (`evt.deltatime`, `-t D`): the caller's to check;
//! - the tables of the other hosts of a merged capture, made as each host's first record
//!   comes: such a capture is not split.
//!
//! Workers take segments in order from a queue; the main thread reads their results in segment
//! order and hands them to the caller. A worker sends what its sink produced after each block
//! that produced something (and at the end of its segment). Memory stays bounded whatever the
//! capture's size: at most twice as many segments as workers are queued or running, the
//! segment the main thread is reading may have [`HEAD_BYTES`] waiting, and the segments after
//! it [`AHEAD_BYTES`] per worker between them, [`AHEAD_MAX`] at most (a worker past that
//! waits until its segment is read). A filter that matches little runs fully in parallel; full
//! output runs ahead as far as that allows. The counters and damaged blocks of the merged run
//! are those the sequential run would report, `-n` cutting a block part-way included.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use capture_format::BlockType;

use super::context::EventCtx;
use super::dns::is_name_field;
use super::fields::Field;
use super::session::{Flow, RangeSink, ReplayError, Session, Stats};
use crate::filter::Filter;

/// Bytes of output the segment being read may have waiting for the main thread.
pub const HEAD_BYTES: usize = 8 << 20;

/// Bytes of output per worker the segments after it may hold between them, up to
/// [`AHEAD_MAX`].
pub const AHEAD_BYTES: usize = 32 << 20;

/// Bytes of output the segments after the one being read may hold, whatever the workers.
pub const AHEAD_MAX: usize = 256 << 20;

/// What the segments hold that the main thread has not read yet.
struct Budget {
    flight: Mutex<Flight>,
    changed: Condvar,
    /// Bytes the segment being read may hold.
    head: usize,
    /// Bytes the segments after it may hold.
    ahead: usize,
}

struct Flight {
    /// The segment being read.
    head: usize,
    /// Bytes waiting, in all and per segment.
    total: usize,
    per: Vec<usize>,
}

impl Budget {
    fn lock(&self) -> MutexGuard<'_, Flight> {
        self.flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until segment `seg` may hand over `w` more bytes; false when the run stops.
    fn acquire(&self, seg: usize, w: usize, cancel: &AtomicBool) -> bool {
        let mut f = self.lock();
        loop {
            if cancel.load(Ordering::Relaxed) {
                return false;
            }
            let fits = w == 0
                || if seg == f.head {
                    f.per[seg] == 0 || f.per[seg] + w <= self.head
                } else {
                    f.total == 0 || f.total + w <= self.ahead
                };
            if fits {
                f.per[seg] += w;
                f.total += w;
                return true;
            }
            f = self
                .changed
                .wait(f)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// The main thread read `w` bytes of segment `seg`.
    fn release(&self, seg: usize, w: usize) {
        let mut f = self.lock();
        f.per[seg] -= w;
        f.total -= w;
        self.changed.notify_all();
    }

    /// The main thread reads segment `seg` now.
    fn advance(&self, seg: usize) {
        self.lock().head = seg;
        self.changed.notify_all();
    }

    /// Wakes every waiting worker (the run stops).
    fn wake(&self) {
        let _f = self.lock();
        self.changed.notify_all();
    }
}

/// The per-segment side of a parallel run: made once per segment by the caller's factory, it
/// sees the segment's matching events and hands back what they produced.
pub trait SegmentSink: Send {
    /// What it hands back.
    type Out: Send;
    /// The error a run stops with.
    type Error: From<ReplayError> + Send;
    /// A matching event, as [`Session::run`]'s sink sees it.
    fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> Result<Flow, Self::Error>;
    /// After each evaluated block: what its events produced, or `None` to hand it back later.
    fn block_done(&mut self) -> Option<Self::Out>;
    /// At the end of the segment: what is left.
    fn segment_done(&mut self) -> Option<Self::Out>;
    /// The bytes `out` holds, for the bound on what waits for the main thread (0: not counted,
    /// for what comes once per segment).
    fn weight(_out: &Self::Out) -> usize {
        0
    }
}

/// How much of a piece the merge used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Take {
    /// All of it; go on.
    All,
    /// What the first `k` calls of the sink produced (at least one); the run stops there, as
    /// a sink that returned `Stop` on the `k`-th call stops a sequential run. Needs marks.
    First(usize),
}

/// What a worker sends: a piece of a segment, or the error it stopped with.
enum Msg<T, E> {
    Piece(Piece<T>),
    Failed(E),
}

/// A piece of a segment: one evaluated block (with the skips, catch-ups and keyframes before
/// it), or what is left at the segment's end.
struct Piece<T> {
    /// The block evaluated, `None` for the end of the segment.
    block: Option<usize>,
    /// Counters before the block's events.
    before: Stats,
    damage_before: Vec<capture_format::Error>,
    /// Counters of the block's events, and the damage that ended them.
    during: Stats,
    damage_during: Vec<capture_format::Error>,
    /// The counters (evaluated, matched) at each call of the sink, from the block's start.
    marks: Vec<(u64, u64)>,
    out: Option<T>,
    /// Its weight in the budget.
    weight: usize,
    /// The sink stopped the run in this block.
    stopped: bool,
}

fn add(a: &mut Stats, b: &Stats) {
    a.blocks_evaluated += b.blocks_evaluated;
    a.blocks_skipped += b.blocks_skipped;
    a.blocks_caught_up += b.blocks_caught_up;
    a.events_evaluated += b.events_evaluated;
    a.events_matched += b.events_matched;
    a.blocks_damaged += b.blocks_damaged;
}

fn sub(a: &Stats, b: &Stats) -> Stats {
    Stats {
        blocks_evaluated: a.blocks_evaluated - b.blocks_evaluated,
        blocks_skipped: a.blocks_skipped - b.blocks_skipped,
        blocks_caught_up: a.blocks_caught_up - b.blocks_caught_up,
        events_evaluated: a.events_evaluated - b.events_evaluated,
        events_matched: a.events_matched - b.events_matched,
        blocks_damaged: a.blocks_damaged - b.blocks_damaged,
    }
}

/// A worker's [`RangeSink`]: feeds the caller's sink and sends a piece after each block.
struct Feed<'a, S: SegmentSink> {
    sink: S,
    seg: usize,
    tx: &'a Sender<Msg<S::Out, S::Error>>,
    cancel: &'a AtomicBool,
    budget: &'a Budget,
    marks: bool,
    /// Counters and damage count when the last piece was sent, and when the block began.
    sent: (Stats, usize),
    began: (Stats, usize),
    stopped: bool,
    block: usize,
}

impl<S: SegmentSink> Feed<'_, S> {
    fn piece(&mut self, s: &mut Session, block: Option<usize>, out: Option<S::Out>) -> bool {
        let now = (s.stats(), s.damage().iter().count());
        let (before, during) = match block {
            Some(_) => (sub(&self.began.0, &self.sent.0), sub(&now.0, &self.began.0)),
            None => (sub(&now.0, &self.sent.0), Stats::default()),
        };
        let split = if block.is_some() { self.began.1 } else { now.1 };
        let damage: Vec<_> = s.damage().iter().skip(self.sent.1).cloned().collect();
        let (damage_before, damage_during) = damage.split_at(split - self.sent.1);
        let base = (self.began.0.events_evaluated, self.began.0.events_matched);
        let marks = match s.take_marks(false) {
            Some(m) => m
                .into_iter()
                .map(|(e, m)| (e - base.0, m - base.1))
                .collect(),
            None => Vec::new(),
        };
        self.sent = now;
        let weight = out.as_ref().map_or(0, S::weight);
        if !self.budget.acquire(self.seg, weight, self.cancel) {
            return false;
        }
        let p = Piece {
            block,
            before,
            damage_before: damage_before.to_vec(),
            during,
            damage_during: damage_during.to_vec(),
            marks,
            out,
            weight,
            stopped: self.stopped,
        };
        self.tx.send(Msg::Piece(p)).is_ok() && !self.cancel.load(Ordering::Relaxed)
    }
}

impl<S: SegmentSink> RangeSink<S::Error> for Feed<'_, S> {
    fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> Result<Flow, S::Error> {
        let f = self.sink.event(ctx)?;
        self.stopped |= f == Flow::Stop;
        Ok(f)
    }

    fn before_block(&mut self, s: &mut Session, i: usize) {
        self.began = (s.stats(), s.damage().iter().count());
        self.block = i;
        s.take_marks(self.marks);
    }

    fn after_block(&mut self, s: &mut Session) -> Result<Flow, S::Error> {
        let out = self.sink.block_done();
        if out.is_none() && !self.stopped {
            // Nothing to hand over: its counters and damage go with the next piece (no call
            // of the sink to stop part-way at, so they come before it either way).
            return Ok(if self.cancel.load(Ordering::Relaxed) {
                Flow::Stop
            } else {
                Flow::Continue
            });
        }
        let block = Some(self.block);
        Ok(if self.piece(s, block, out) && !self.stopped {
            Flow::Continue
        } else {
            Flow::Stop
        })
    }
}

/// Whether a field's value depends on what came before a segment, which a worker replaying the
/// segment on its own does not see: the time since the previous match (`evt.deltatime`) and
/// names learned from DNS answers. A run whose filter or output reads one stays on one thread.
pub fn needs_order(f: &Field) -> bool {
    f.fid == super::fields::Fid::EvtDeltatime || is_name_field(f.fid)
}

impl Session {
    /// Whether a run over `filter` can be split at keyframes: not when the filter reads names
    /// learned from DNS answers (they live past keyframes), nor for a merged capture of several
    /// hosts (each host's tables are made as its first record comes).
    pub fn can_split(&self, filter: Option<&Filter<Field>>) -> bool {
        self.capture().header().info.hosts.len() <= 1
            && !filter.is_some_and(|f| f.uses_field(&|f: &Field| is_name_field(f.fid)))
    }

    /// Replays the capture as [`Session::run`] does, on `threads` worker threads, one segment
    /// (a state block and the blocks up to the next) at a time each: every segment gets a sink
    /// from `new_sink`, and what the sinks hand back goes to `merge` in block order, with the
    /// evaluated block it came from (`None` for a segment's end). With `marks`, `merge` may
    /// stop part-way through a piece ([`Take::First`]). The counters ([`Session::stats`]) and
    /// damaged blocks are the sequential run's. The caller checks [`Session::can_split`] and
    /// what its output needs first.
    pub fn run_parallel<S: SegmentSink>(
        &mut self,
        threads: usize,
        filter: Option<&Filter<Field>>,
        new_sink: &(dyn Fn() -> S + Sync),
        marks: bool,
        merge: impl FnMut(Option<usize>, S::Out) -> Result<Take, S::Error>,
    ) -> Result<(), S::Error> {
        let ahead = AHEAD_BYTES.saturating_mul(threads).min(AHEAD_MAX);
        let filters = (filter, filter);
        self.run_bounded(
            threads,
            (HEAD_BYTES, ahead),
            filters,
            new_sink,
            marks,
            merge,
        )
    }

    /// [`Session::run_parallel`] as [`Session::run_blocks`] runs: `blocks` only decides which
    /// blocks to skip, and every event of the others goes to the sinks.
    pub fn run_parallel_blocks<S: SegmentSink>(
        &mut self,
        threads: usize,
        blocks: Option<&Filter<Field>>,
        new_sink: &(dyn Fn() -> S + Sync),
        merge: impl FnMut(Option<usize>, S::Out) -> Result<Take, S::Error>,
    ) -> Result<(), S::Error> {
        let ahead = AHEAD_BYTES.saturating_mul(threads).min(AHEAD_MAX);
        let filters = (blocks, None);
        self.run_bounded(
            threads,
            (HEAD_BYTES, ahead),
            filters,
            new_sink,
            false,
            merge,
        )
    }

    /// [`Session::run_parallel`] with the bytes that may wait for the main thread: `(head,
    /// ahead)` for the segment being read and for those after it, and the filters that skip
    /// blocks and that pick events.
    pub(super) fn run_bounded<S: SegmentSink>(
        &mut self,
        threads: usize,
        (head, ahead): (usize, usize),
        (skip, filter): (Option<&Filter<Field>>, Option<&Filter<Field>>),
        new_sink: &(dyn Fn() -> S + Sync),
        marks: bool,
        mut merge: impl FnMut(Option<usize>, S::Out) -> Result<Take, S::Error>,
    ) -> Result<(), S::Error> {
        self.begin_run();
        let Some(start) = self.start_block() else {
            return Ok(());
        };
        let blocks = self.capture().blocks();
        // The sequential run stops at the first event block after `to`.
        let to = self.options().to;
        let end = (start..blocks.len())
            .find(|&i| {
                blocks[i].block_type == BlockType::Events
                    && to.is_some_and(|to| blocks[i].first_ts > to)
            })
            .unwrap_or(blocks.len());
        let mut cuts: Vec<usize> = vec![start];
        cuts.extend((start + 1..end).filter(|&i| blocks[i].block_type == BlockType::State));
        cuts.push(end);
        let segments: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
        let threads = threads.clamp(1, segments.len().max(1));
        let template = self.worker();
        let budget = Budget {
            flight: Mutex::new(Flight {
                head: 0,
                total: 0,
                per: vec![0; segments.len()],
            }),
            changed: Condvar::new(),
            head,
            ahead,
        };
        let (job_tx, job_rx) = mpsc::channel::<(usize, Sender<Msg<S::Out, S::Error>>)>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let cancel = AtomicBool::new(false);
        let mut total = Stats::default();
        let result = std::thread::scope(|scope| -> Result<(), S::Error> {
            // Owned here: dropped when the main thread is done, which lets idle workers end.
            let job_tx = job_tx;
            for _ in 0..threads {
                let job_rx = Arc::clone(&job_rx);
                let (template, cancel, segments, budget) = (&template, &cancel, &segments, &budget);
                scope.spawn(move || {
                    loop {
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok((seg, tx)) = job else { return };
                        if cancel.load(Ordering::Relaxed) {
                            continue;
                        }
                        let (first, end) = segments[seg];
                        let mut w = template.worker();
                        let mut feed = Feed {
                            sink: new_sink(),
                            seg,
                            tx: &tx,
                            cancel,
                            budget,
                            marks,
                            sent: Default::default(),
                            began: Default::default(),
                            stopped: false,
                            block: 0,
                        };
                        match w.run_range(first, end, skip, filter, None, &mut feed) {
                            Ok(Flow::Continue) => {
                                let out = feed.sink.segment_done();
                                feed.piece(&mut w, None, out);
                            }
                            Ok(Flow::Stop) => {}
                            Err(err) => {
                                let _ = tx.send(Msg::Failed(err));
                            }
                        }
                    }
                });
            }
            let mut queue: VecDeque<Receiver<Msg<S::Out, S::Error>>> = VecDeque::new();
            let mut next = 0;
            let mut dispatch = |queue: &mut VecDeque<_>| {
                while next < segments.len() && queue.len() < 2 * threads {
                    let (tx, rx) = mpsc::channel();
                    if job_tx.send((next, tx)).is_err() {
                        break;
                    }
                    queue.push_back(rx);
                    next += 1;
                }
            };
            let stop = || {
                cancel.store(true, Ordering::Relaxed);
                budget.wake();
            };
            dispatch(&mut queue);
            let mut seg = 0;
            'segments: while let Some(rx) = queue.pop_front() {
                budget.advance(seg);
                for msg in &rx {
                    let p = match msg {
                        Msg::Piece(p) => p,
                        Msg::Failed(e) => {
                            stop();
                            return Err(e);
                        }
                    };
                    budget.release(seg, p.weight);
                    add(&mut total, &p.before);
                    for d in p.damage_before {
                        self.note_damage(d);
                    }
                    let take = match p.out {
                        Some(out) => match merge(p.block, out) {
                            Ok(t) => t,
                            Err(e) => {
                                stop();
                                return Err(e);
                            }
                        },
                        None => Take::All,
                    };
                    match take {
                        Take::All => {
                            add(&mut total, &p.during);
                            for d in p.damage_during {
                                self.note_damage(d);
                            }
                            if p.stopped {
                                stop();
                                break 'segments;
                            }
                        }
                        Take::First(k) => {
                            let (e, m) = p.marks.get(k.max(1) - 1).copied().unwrap_or_default();
                            total.events_evaluated += e;
                            total.events_matched += m;
                            stop();
                            break 'segments;
                        }
                    }
                }
                seg += 1;
                dispatch(&mut queue);
            }
            Ok(())
        });
        self.set_run_stats(total);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::compile;
    use crate::output::{DEFAULT_FORMAT, Format, Sink, TextSink};
    use crate::replay::fields::Fields;
    use crate::replay::session::Options;
    use crate::replay::testutil::{lines, synth_fixture};

    /// Default-format lines of a segment, handed back per block.
    struct Lines(TextSink<Vec<u8>>);

    impl SegmentSink for Lines {
        type Out = Vec<u8>;
        type Error = ReplayError;

        fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> Result<Flow, ReplayError> {
            self.0.event(ctx).expect("into memory");
            Ok(Flow::Continue)
        }

        fn block_done(&mut self) -> Option<Vec<u8>> {
            let b = std::mem::take(self.0.writer());
            (!b.is_empty()).then_some(b)
        }

        fn segment_done(&mut self) -> Option<Vec<u8>> {
            None
        }

        fn weight(out: &Vec<u8>) -> usize {
            out.len()
        }
    }

    /// The lines of a parallel run with `threads` and the given byte bounds.
    fn parallel(filter: Option<&str>, threads: usize, bounds: (usize, usize)) -> Vec<String> {
        let cap = capture_format::CaptureFile::read(synth_fixture()).expect("open");
        let mut s = Session::new(cap, Options::default()).expect("session");
        let f = filter.map(|t| compile(t, &Fields).expect("filter"));
        let new = || {
            let format = Format::parse(DEFAULT_FORMAT).expect("format");
            Lines(TextSink::new(
                Vec::new(),
                format,
                Options::default().buf_mode,
            ))
        };
        let mut out = Vec::new();
        s.run_bounded(
            threads,
            bounds,
            (f.as_ref(), f.as_ref()),
            &new,
            false,
            |_, b| {
                out.extend(b);
                Ok(Take::All)
            },
        )
        .expect("run");
        String::from_utf8(out)
            .expect("utf8")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn tiny_bounds_make_workers_wait_and_keep_the_order() {
        for filter in [None, Some("evt.type = openat")] {
            let (want, _) = lines(&synth_fixture(), filter, Options::default());
            assert!(want.len() > 100);
            // One byte: every piece waits for its segment to be read and for the one before
            // it to be taken; a few KiB: later segments run a few blocks ahead.
            for bounds in [(1, 1), (4096, 8192), (HEAD_BYTES, AHEAD_BYTES)] {
                for threads in [2, 3, 8] {
                    assert_eq!(
                        parallel(filter, threads, bounds),
                        want,
                        "{filter:?} {bounds:?} on {threads} threads"
                    );
                }
            }
        }
    }
}
