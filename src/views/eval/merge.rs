//! A view replayed on several threads: one accumulator per keyframe segment
//! ([`Session::run_parallel`]), merged in segment order into the table the sequential run
//! makes.
//!
//! Rows keep the order they were first seen in (later segments' new rows come after), so ties
//! in the sort come out as they do sequentially. Each column merges exactly: counts, sums and
//! averages add up, minima and maxima compare, percentile samples and distinct sets join, first
//! and last times and values take the earlier or the later segment's. An image column (a
//! process's name, set when its row is made, on an exec, and while empty) takes the later
//! segment's value when the row is new to the run or still empty, else the value of the later
//! segment's last exec, if any: a segment notes those (`Accumulator::exec_images`). Sums
//! saturate per segment, then when added: they differ from the sequential run's only past
//! `i64::MAX`.

use std::collections::HashMap;

use super::{Acc, Accumulator, Cell, Compiled, Control, Flow, Table, ViewError, is_event};
use crate::replay::context::EventCtx;
use crate::replay::fields::Field;
use crate::replay::parallel::{SegmentSink, Take};
use crate::replay::session::Session;
use crate::views::percentile::Samples;
use crate::views::spec::{Agg, ViewKind};

/// One segment's accumulator.
struct Part<'c> {
    c: &'c Compiled,
    acc: Accumulator<'c>,
    n: u64,
    /// The time of the last event counted (for progress).
    last_ts: u64,
    cancel: Option<&'c std::sync::atomic::AtomicBool>,
}

impl<'c> SegmentSink for Part<'c> {
    /// The segment's accumulator, its events and the time of its last one.
    type Out = (Accumulator<'c>, u64, u64);
    type Error = ViewError;

    fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> Result<Flow, ViewError> {
        if !is_event(&ctx.ev.body) {
            return Ok(Flow::Continue);
        }
        if let Some(c) = &self.c.native
            && !c.matches(ctx)
        {
            return Ok(Flow::Continue);
        }
        self.n += 1;
        self.last_ts = ctx.ev.ts;
        self.acc.event(ctx);
        if self.n.is_multiple_of(super::CHECK_EVERY)
            && self
                .cancel
                .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
        {
            return Ok(Flow::Stop);
        }
        Ok(Flow::Continue)
    }

    fn block_done(&mut self) -> Option<Self::Out> {
        None
    }

    fn segment_done(&mut self) -> Option<Self::Out> {
        let mut acc = Accumulator::new(self.c);
        acc.exec_images = Some(HashMap::new());
        Some((
            std::mem::replace(&mut self.acc, acc),
            std::mem::take(&mut self.n),
            self.last_ts,
        ))
    }
}

impl Compiled {
    /// Whether the view's run can be split at keyframes: not when a filter, condition or
    /// column reads what earlier segments decide (the previous match's time, names from DNS
    /// answers), nor when the session cannot split ([`Session::can_split`]).
    pub(super) fn splits(&self, session: &Session) -> bool {
        let ordered = crate::replay::parallel::needs_order;
        let in_filter = |f: &crate::filter::Filter<Field>| f.uses_field(&ordered);
        session.can_split(self.filter.as_ref())
            && !self.filter.as_ref().is_some_and(in_filter)
            && !self
                .cols
                .iter()
                .any(|c| c.field.as_ref().is_some_and(ordered))
            && !(self.conds.iter().chain(&self.native)).any(|c| match c {
                super::Cond::Filter(f) => in_filter(f),
                _ => false,
            })
    }

    /// [`Compiled::run_decoding`] on the session's threads.
    pub(super) fn run_parallel(
        &self,
        session: &mut Session,
        ctl: &mut Control<'_>,
    ) -> Result<Table, ViewError> {
        let cancel = ctl.cancel;
        let new = || {
            let mut acc = Accumulator::new(self);
            acc.exec_images = Some(HashMap::new());
            Part {
                c: self,
                acc,
                n: 0,
                last_ts: 0,
                cancel,
            }
        };
        let mut total = Accumulator::new(self);
        let mut n = 0u64;
        let threads = session.threads();
        let range = super::session_range(session);
        let res = self.with_sides(session, |s| {
            s.run_parallel(
                threads,
                self.filter.as_ref(),
                &new,
                false,
                |_, (acc, k, ts)| {
                    total.merge(acc);
                    n += k;
                    // Progress as each segment is merged, in order.
                    if k > 0 {
                        ctl.report(n, ts, range);
                    }
                    if ctl.cancelled() {
                        return Err(ViewError::Cancelled);
                    }
                    Ok(Take::All)
                },
            )
        });
        match res {
            Err(ViewError::Cancelled) => return Err(ViewError::Cancelled),
            r => r?,
        }
        if ctl.cancelled() {
            return Err(ViewError::Cancelled);
        }
        ctl.done(n);
        total.exec_images = None;
        Ok(total.finish(n))
    }
}

impl Accumulator<'_> {
    /// Adds the accumulator of the segment after the ones merged so far.
    fn merge(&mut self, other: Accumulator<'_>) {
        let c = self.c;
        if c.spec.kind == ViewKind::List {
            self.rows.extend(other.rows);
            return;
        }
        let mut keys: Vec<Option<Box<[u8]>>> = vec![None; other.rows.len()];
        for (k, i) in other.index {
            if let Some(slot) = keys.get_mut(i as usize) {
                *slot = Some(k);
            }
        }
        let images = other.exec_images.unwrap_or_default();
        for (j, (row, key)) in other.rows.into_iter().zip(keys).enumerate() {
            let Some(key) = key else { continue };
            let Some(&i) = self.index.get(&key) else {
                self.index.insert(key, self.rows.len() as u32);
                self.rows.push(row);
                continue;
            };
            let into = &mut self.rows[i as usize];
            for (ci, (a, b)) in into.accs.iter_mut().zip(row.accs).enumerate() {
                merge_acc(a, b, c.cols[ci].spec.agg, images.get(&(j, ci)));
            }
        }
        self.last_row = None;
        self.last_key.clear();
    }
}

/// Folds `b`, a later segment's state of a column, into `a`.
fn merge_acc(into: &mut Acc, later: Acc, agg: Agg, exec_image: Option<&Cell>) {
    let opt = |x: Option<i64>, y: Option<i64>, f: fn(i64, i64) -> i64| match (x, y) {
        (Some(x), Some(y)) => Some(f(x, y)),
        (x, y) => x.or(y),
    };
    match (into, later) {
        (Acc::Count(x), Acc::Count(y)) => *x += y,
        (Acc::Sum(x), Acc::Sum(y)) => *x = opt(*x, y, i64::saturating_add),
        (Acc::Avg(sum, n), Acc::Avg(more, m)) => {
            *sum = sum.saturating_add(more);
            *n += m;
        }
        (Acc::Min(x), Acc::Min(y)) => *x = opt(*x, y, i64::min),
        (Acc::Max(x), Acc::Max(y)) => *x = opt(*x, y, i64::max),
        (Acc::Pct(x), Acc::Pct(y)) => join(x, *y),
        (Acc::Seen(x), Acc::Seen(y)) if *x == 0 || (agg == Agg::LastSeen && y != 0) => *x = y,
        (Acc::Distinct(x), Acc::Distinct(y)) => x.extend(y.iter()),
        (Acc::Val(x), Acc::Val(y)) => {
            let take = match agg {
                Agg::First => *x == Cell::None,
                Agg::Image if *x != Cell::None => {
                    if let Some(v) = exec_image {
                        *x = v.clone();
                    }
                    false
                }
                _ => y != Cell::None,
            };
            if take || *x == Cell::None {
                *x = y;
            }
        }
        _ => {}
    }
}

/// Adds `b`'s samples to `a`, as pushing them one by one would.
fn join(a: &mut Samples, b: Samples) {
    match b.hist {
        None => {
            for v in b.exact {
                a.push(v);
            }
        }
        Some(h) => {
            a.switch_to_hist();
            if let Some(ah) = a.hist.as_mut() {
                for (x, y) in ah.iter_mut().zip(h.iter()) {
                    *x += y;
                }
            }
            a.n += b.n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::percentile::EXACT_MAX;

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }

    fn merged(agg: Agg, a: Cell, b: Cell, exec: Option<&Cell>) -> Cell {
        let mut acc = Acc::Val(a);
        merge_acc(&mut acc, Acc::Val(b), agg, exec);
        match acc {
            Acc::Val(c) => c,
            _ => unreachable!(),
        }
    }

    #[test]
    fn values_take_the_earlier_or_the_later_segment() {
        assert_eq!(merged(Agg::First, text("a"), text("b"), None), text("a"));
        assert_eq!(merged(Agg::First, Cell::None, text("b"), None), text("b"));
        assert_eq!(merged(Agg::Last, text("a"), text("b"), None), text("b"));
        assert_eq!(merged(Agg::Last, text("a"), Cell::None, None), text("a"));
        // An image keeps the name it was first seen with, unless the later segment execs.
        assert_eq!(
            merged(Agg::Image, text("bash"), text("cat"), None),
            text("bash")
        );
        let exec = text("cat");
        assert_eq!(
            merged(Agg::Image, text("bash"), text("x"), Some(&exec)),
            text("cat")
        );
        assert_eq!(
            merged(Agg::Image, Cell::None, text("cat"), None),
            text("cat")
        );
    }

    #[test]
    fn times_and_numbers_combine() {
        let mut first = Acc::Seen(5);
        merge_acc(&mut first, Acc::Seen(9), Agg::FirstSeen, None);
        assert!(matches!(first, Acc::Seen(5)));
        let mut last = Acc::Seen(5);
        merge_acc(&mut last, Acc::Seen(9), Agg::LastSeen, None);
        assert!(matches!(last, Acc::Seen(9)));
        merge_acc(&mut last, Acc::Seen(0), Agg::LastSeen, None);
        assert!(matches!(last, Acc::Seen(9)));
        let mut min = Acc::Min(None);
        merge_acc(&mut min, Acc::Min(Some(3)), Agg::Min, None);
        merge_acc(&mut min, Acc::Min(Some(7)), Agg::Min, None);
        assert!(matches!(min, Acc::Min(Some(3))));
        let mut avg = Acc::Avg(10, 2);
        merge_acc(&mut avg, Acc::Avg(20, 3), Agg::Avg, None);
        assert!(matches!(avg, Acc::Avg(30, 5)));
    }

    #[test]
    fn samples_join_as_if_pushed_in_order() {
        // Across the switch to the histogram, on either side of the merge.
        for (na, nb) in [
            (10, 20),
            (EXACT_MAX, 10),
            (10, EXACT_MAX + 5),
            (EXACT_MAX + 3, EXACT_MAX + 7),
        ] {
            let vals: Vec<i64> = (0..(na + nb) as i64)
                .map(|i| (i * 7919) % 100_003)
                .collect();
            let mut seq = Samples::default();
            for &v in &vals {
                seq.push(v);
            }
            let (mut a, mut b) = (Samples::default(), Samples::default());
            for &v in &vals[..na] {
                a.push(v);
            }
            for &v in &vals[na..] {
                b.push(v);
            }
            join(&mut a, b);
            for q in [50, 95, 99] {
                assert_eq!(a.percentile(q), seq.percentile(q), "{na}+{nb} p{q}");
            }
            assert_eq!(a.n, seq.n);
        }
    }
}
