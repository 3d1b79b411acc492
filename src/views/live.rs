//! A view kept current over a capture that is still being written (`casefile live --top`).
//!
//! The state lives between refreshes: each refresh hands [`LiveView::feed`] the capture as it
//! now is (a growing prefix), and only the blocks past those already taken are read, each
//! replayed once through the same engine, filter and per-event code as `casefile top` when it
//! replays a file, so the table equals what `casefile top VIEW` prints over the same events.
//! (A recorder writes no aggregates blocks, so a live file has no index to take tables from.)
//!
//! - Everything recorded (no window): one [`Accumulator`], as `top` keeps.
//! - With a window (`--last DUR`): partial tables per second of event time (slices aligned to
//!   whole seconds, in the form the index's aggregates take, which merge); a refresh merges
//!   the slices from the one holding `newest − DUR` on, and forgets the older ones. The window
//!   therefore starts at the beginning of that second: it holds the last DUR and at most one
//!   second more, and it is what `top` gives from that time.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use capture_format::{BlockType, CaptureFile, HeaderInfo};

use super::aggregate::{Merged, ViewFold};
use super::eval::{Accumulator, Compiled, EXACT_MAX, Table, ViewError, is_event};
use super::spec::ViewSpec;
use crate::replay::context::EventCtx;
use crate::replay::engine::{Engine, Flow};
use crate::replay::session::{Damage, ReplayError, placeholder};

/// Width of a time slice with a window.
const SLICE_NS: u64 = 1_000_000_000;

/// What a live view keeps.
enum Kept {
    /// Everything: the accumulator `top` uses, and the events it counted.
    All(Accumulator<'static>, u64),
    /// A window: partial tables by slice.
    Window(u64, BTreeMap<u64, Merged>),
}

/// A view over a growing capture, fed block by block.
pub struct LiveView {
    c: &'static Compiled,
    kept: Kept,
    engine: Engine,
    /// File offset of the first block not taken yet (offsets, not index positions, name
    /// blocks across refreshes: the index of a growing file is rebuilt by a scan each time).
    next: u64,
    /// Newest event time taken.
    newest: u64,
    /// Event blocks replayed.
    blocks: u64,
}

impl LiveView {
    /// A live view of `spec` with the user's filter over a capture with this header, of
    /// everything (`window` `None`) or of the last `window`.
    pub fn new(
        spec: &'static ViewSpec,
        user: Option<&str>,
        window: Option<Duration>,
        info: &HeaderInfo,
    ) -> Result<LiveView, ViewError> {
        let per_host = info.hosts.len() > 1;
        // One per live run, alive as long as the process: the accumulator borrows it.
        let c: &'static Compiled = Box::leak(Box::new(Compiled::new(spec, user, per_host)?));
        let mut engine = Engine::default();
        engine.set_hosts(info);
        // A view keyed by fd sees a sendfile's read and write each on its own fd, as
        // `Compiled::run_decoding` has it.
        engine.split_sides = c.by_fd();
        let kept = match window {
            None => Kept::All(Accumulator::new(c), 0),
            Some(d) => Kept::Window(
                u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
                BTreeMap::new(),
            ),
        };
        Ok(LiveView {
            c,
            kept,
            engine,
            next: 0,
            newest: 0,
            blocks: 0,
        })
    }

    /// Time of the newest event taken, 0 before any.
    pub fn newest(&self) -> u64 {
        self.newest
    }

    /// Event blocks replayed so far.
    pub fn blocks(&self) -> u64 {
        self.blocks
    }

    /// Takes the blocks of `cap` past those already taken. `cap` must be the same capture as
    /// before, grown (a recorder only appends). Returns the blocks that could not be read.
    pub fn feed(&mut self, cap: &CaptureFile) -> Damage {
        let mut damage = Damage::default();
        let blocks = cap.blocks();
        if self.engine.first_ts == 0
            && let Some((first, _)) = cap.time_range()
        {
            self.engine.first_ts = first;
        }
        let from = blocks.partition_point(|b| b.offset < self.next);
        for (i, e) in blocks.iter().enumerate().skip(from) {
            self.next = e.offset + u64::from(e.total_len);
            let r = match e.block_type {
                // State blocks are authoritative: the tables reset to each, as in a session.
                BlockType::State => {
                    self.engine.clear_tasks();
                    apply(&mut self.engine, cap, i)
                }
                BlockType::Events => self.replay(cap, i),
                _ => Ok(()),
            };
            if let Err(ReplayError::Capture(e)) = r {
                damage.note(e);
            }
        }
        damage
    }

    /// Replays events block `i` into what is kept.
    fn replay(&mut self, cap: &CaptureFile, index: usize) -> Result<(), ReplayError> {
        let block = cap.read_block(index)?;
        let mut dec = block.events()?;
        self.blocks += 1;
        let first = block.header.first_event;
        let c = self.c;
        let mut folds: HashMap<u64, ViewFold> = HashMap::new();
        let mut ev = placeholder();
        let mut k = 0u64;
        while let Some(r) = dec.next_into(&mut ev) {
            r?;
            k += 1;
            self.newest = self.newest.max(ev.ts);
            let kept = &mut self.kept;
            self.engine.event(
                &ev,
                first + k,
                true,
                c.filter.as_ref(),
                &mut |ctx: &mut EventCtx<'_, '_>| -> Result<Flow, ReplayError> {
                    if !is_event(&ctx.ev.body) {
                        return Ok(Flow::Continue);
                    }
                    if let Some(n) = &c.native
                        && !n.matches(ctx)
                    {
                        return Ok(Flow::Continue);
                    }
                    match kept {
                        Kept::All(acc, n) => {
                            *n += 1;
                            acc.event(ctx);
                        }
                        Kept::Window(..) => {
                            (folds.entry(ctx.ev.ts / SLICE_NS).or_default()).event(c, ctx);
                        }
                    }
                    Ok(Flow::Continue)
                },
            )?;
        }
        if let Kept::Window(_, slices) = &mut self.kept {
            let mut folds: Vec<(u64, ViewFold)> = folds.into_iter().collect();
            folds.sort_unstable_by_key(|(s, _)| *s);
            for (s, f) in folds {
                // Every sample kept exactly, as a replay keeps them (up to where it would not).
                let part = f.finish_with(c.spec.id, EXACT_MAX);
                if slices.entry(s).or_default().add(c, part).is_none() {
                    return Err(bad_part());
                }
            }
        }
        Ok(())
    }

    /// The table now: everything taken, or the slices of the window (older ones are
    /// forgotten). Returns it with the time its window starts at (`None`: everything).
    pub fn table(&mut self) -> Result<(Table, Option<u64>), ViewError> {
        match &mut self.kept {
            Kept::All(acc, n) => Ok((acc.snapshot(*n), None)),
            Kept::Window(w, slices) => {
                let s = self.newest.saturating_sub(*w) / SLICE_NS;
                *slices = slices.split_off(&s);
                let mut all = Merged::default();
                for m in slices.values() {
                    all.add_merged(self.c, m)
                        .ok_or_else(|| ViewError::from(bad_part()))?;
                }
                let events = all.events;
                let t = (all.table(self.c, events)).ok_or_else(|| ViewError::from(bad_part()))?;
                Ok((t, Some(s * SLICE_NS)))
            }
        }
    }
}

/// Partial tables of one view always merge; this names the bug if they did not.
fn bad_part() -> ReplayError {
    ReplayError::Capture(capture_format::Error::at(
        0,
        capture_format::ErrorKind::Corrupt {
            what: "live view",
            detail: "partial tables that do not merge (a bug)".to_owned(),
        },
    ))
}

/// Applies a block's records to the state without evaluating them.
fn apply(engine: &mut Engine, cap: &CaptureFile, i: usize) -> Result<(), ReplayError> {
    let b = cap.read_block(i)?;
    let mut dec = b.events()?;
    let mut ev = placeholder();
    while let Some(r) = dec.next_into(&mut ev) {
        r?;
        engine.apply(&ev);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use capture_format::schema::Event;
    use capture_format::{BlockType, CaptureFile, Writer, WriterOptions};

    use super::*;
    use crate::replay::session::{Options, Session};
    use crate::views::catalog::VIEWS as CATALOG;
    use crate::views::eval::{Control, run_view};

    /// `cap` written again as a recorder writes it: small blocks, each with its aggregates, a
    /// keyframe now and then; its times stretched over about ten seconds, so windows and
    /// slices cut it.
    fn rewritten(cap: &CaptureFile) -> Vec<u8> {
        let (lo, hi) = cap.time_range().expect("events");
        let factor = (10_000_000_000 / (hi - lo).max(1)).max(1);
        let stretch = |ts: u64| lo + ts.saturating_sub(lo) * factor;
        let info = cap.header().info.clone();
        let opts = WriterOptions {
            block_bytes: 2048,
            keyframe_every: 4,
            ..WriterOptions::default()
        };
        let mut w = Writer::new(Vec::new(), &info, opts).expect("writer");
        crate::views::aggregate::attach(&mut w, &info).expect("attach");
        for i in 0..cap.blocks().len() {
            let e = cap.blocks()[i];
            if !e.block_type.holds_records() {
                continue;
            }
            let b = cap.read_block(i).expect("block");
            let recs: Vec<Event<'_>> = b
                .events()
                .expect("ev")
                .map(|r| {
                    let mut e = r.expect("ev");
                    e.ts = stretch(e.ts);
                    e
                })
                .collect();
            if e.block_type == BlockType::State {
                w.write_state(&recs).expect("state");
            } else {
                for ev in &recs {
                    w.append(ev).expect("append");
                }
            }
        }
        w.finish().expect("finish")
    }

    fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
        [
            ("synth", crate::replay::testutil::synth_fixture()),
            ("state", crate::replay::testutil::state_fixture()),
            ("views", crate::views::tests::fixture()),
        ]
        .into_iter()
        .map(|(n, p)| (n, rewritten(&CaptureFile::read(p).expect("open"))))
        .collect()
    }

    /// Feeds `bytes` to a live view as a growing file: prefixes cut anywhere (mid-block
    /// too), then the whole file with its footer, the writer stopped.
    fn grow(v: &mut LiveView, bytes: &[u8], steps: usize) {
        let header = CaptureFile::from_bytes(bytes.to_vec()).expect("open");
        let start = header.header().len as usize + 1;
        for k in 1..steps {
            let n = start + (bytes.len() - start) * k / steps;
            let cap = CaptureFile::from_bytes(bytes[..n].to_vec()).expect("prefix");
            v.feed(&cap);
        }
        v.feed(&header);
    }

    /// Fed a growing file piece by piece, a live view shows what `top` shows over the whole
    /// file, for every view of the catalog, with and without a user filter.
    #[test]
    fn a_growing_file_gives_the_table_top_gives() {
        for (name, bytes) in fixtures() {
            let full = CaptureFile::from_bytes(bytes.clone()).expect("open");
            for spec in CATALOG {
                for user in [None, Some("proc.name != nothing-by-this-name")] {
                    let want = run_view(
                        spec,
                        &mut Session::new(full.clone(), Options::default()).expect("session"),
                        user,
                        &mut Control::default(),
                    )
                    .expect("top");
                    for steps in [1, 7, 40] {
                        let mut v =
                            LiveView::new(spec, user, None, &full.header().info).expect("live");
                        grow(&mut v, &bytes, steps);
                        let (got, start) = v.table().expect("table");
                        assert_eq!(start, None);
                        assert_eq!(got, want, "{name}, {}, {user:?}, {steps} steps", spec.id);
                    }
                }
            }
        }
    }

    /// With a window, the table is `top`'s from the start of the second that holds
    /// `newest − window`.
    #[test]
    fn a_window_gives_top_from_its_start() {
        let mut cut = 0;
        for (name, bytes) in fixtures() {
            let full = CaptureFile::from_bytes(bytes.clone()).expect("open");
            let (lo, hi) = full.time_range().expect("events");
            let span = Duration::from_nanos(hi - lo);
            for spec in CATALOG {
                for window in [span / 3, span / 2, span * 2] {
                    let mut v =
                        LiveView::new(spec, None, Some(window), &full.header().info).expect("live");
                    grow(&mut v, &bytes, 9);
                    let (got, start) = v.table().expect("table");
                    let start = start.expect("a window starts somewhere");
                    let opts = Options {
                        from: Some(start),
                        ..Options::default()
                    };
                    let want = run_view(
                        spec,
                        &mut Session::new(full.clone(), opts).expect("session"),
                        None,
                        &mut Control::default(),
                    )
                    .expect("top");
                    assert_eq!(got, want, "{name}, {}, window {window:?}", spec.id);
                    cut += usize::from(start > lo && !got.rows.is_empty());
                }
            }
        }
        assert!(cut > 0, "no window cut a capture");
    }
}
