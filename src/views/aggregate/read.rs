//! Reading the index's aggregates: the sections a session can take (wholly inside its time
//! range, of this catalog, usable), added up into the overview or a view's table.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use capture_format::BlockType;

use super::super::aggsection::{AccPart, FLAG_UNUSABLE, RowPart, Section, TileVal, ViewPart};
use super::super::eval::{
    Acc, Accumulator, Cell, Compiled, Control, EXACT_MAX, HIST_BUCKETS, Samples, Table, ViewError,
    bucket_of, hash64, is_event,
};
use super::super::overview::{Hit, Metric, TILES, Totals};
use super::super::spec::{Agg, ViewKind};
use super::{VIEWS, ViewFold, fingerprint};
use crate::filter::Val;
use crate::replay::engine::Flow;
use crate::replay::render::BufMode;
use crate::replay::session::Session;

/// The sections of the event blocks a session can take from the index: wholly inside its
/// time range, present, of this catalog, usable. A section that does not decode is reported
/// (file and offset) and its block replayed.
#[cfg(test)]
pub(super) fn sections(session: &Session) -> Vec<(usize, Section)> {
    let mut out = Vec::new();
    each_section(session, None, &mut |i, s| out.push((i, s)));
    out
}

/// Hands each section the index can answer for (wholly inside the session's time range,
/// present, of this catalog, usable) to `f`, in block order, keeping of the views only `view`
/// (`Some("")`: none); decoded on the session's threads (see [`each_section_mapped`]).
pub(super) fn each_section(
    session: &Session,
    view: Option<&str>,
    f: &mut dyn FnMut(usize, Section),
) {
    each_section_mapped(session, view, &|_, s| Some(s), f);
}

/// The event blocks whose sections a session may take: followed by a section, wholly inside
/// its time range (none for a merged capture or a view of payloads in another form).
fn candidates(session: &Session) -> Vec<usize> {
    let cap = session.capture();
    let o = session.options();
    if o.buf_mode != BufMode::default() || cap.header().info.hosts.len() > 1 {
        return Vec::new();
    }
    let blocks = cap.blocks();
    (0..blocks.len())
        .filter(|&i| {
            let e = &blocks[i];
            e.block_type == BlockType::Events
                && blocks.get(i + 1).map(|n| n.block_type) == Some(BlockType::Aggregates)
                && o.from.is_none_or(|f| e.first_ts >= f)
                && o.to.is_none_or(|t| e.last_ts <= t)
        })
        .collect()
}

/// The section of event block `i` (of the views only `view`), when it is there, decodes, is
/// of this catalog and usable. One that does not decode is reported (file and offset).
fn section(session: &Session, i: usize, view: Option<&str>) -> Option<Section> {
    static FP: std::sync::OnceLock<[u8; 16]> = std::sync::OnceLock::new();
    let cap = session.capture();
    let raw = match cap.aggregates(i) {
        Ok(raw) => raw?,
        Err(err) => {
            eprintln!("casefile: {err}; replaying that block instead");
            return None;
        }
    };
    match Section::decode_part(&raw, view) {
        Ok(s) if s.fingerprint == *FP.get_or_init(fingerprint) && s.flags & FLAG_UNUSABLE == 0 => {
            Some(s)
        }
        Ok(_) => None,
        Err(err) => {
            let file = cap
                .path()
                .map_or_else(String::new, |p| format!("{}: ", p.display()));
            eprintln!(
                "casefile: {file}offset {}: {err}; replaying that block instead",
                cap.blocks()[i + 1].offset
            );
            None
        }
    }
}

/// [`each_section`] on the session's threads: `map` turns each section into a `T` on a worker
/// (decompressing and decoding it there), `f` takes them on this thread in block order.
/// At most a few results per worker wait for `f`.
fn each_section_mapped<T: Send>(
    session: &Session,
    view: Option<&str>,
    map: &(dyn Fn(usize, Section) -> Option<T> + Sync),
    f: &mut dyn FnMut(usize, T),
) {
    let blocks = candidates(session);
    let threads = session.threads().min(blocks.len());
    if threads <= 1 {
        for i in blocks {
            if let Some(t) = section(session, i, view).and_then(|s| map(i, s)) {
                f(i, t);
            }
        }
        return;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    // Each worker takes the next block; the main thread puts results back in block order.
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Option<T>)>(threads * 4);
        for _ in 0..threads {
            let (tx, next, blocks) = (tx.clone(), &next, &blocks);
            scope.spawn(move || {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&i) = blocks.get(k) else { break };
                    let t = section(session, i, view).and_then(|s| map(i, s));
                    if tx.send((k, t)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting: BTreeMap<usize, Option<T>> = BTreeMap::new();
        let mut want = 0;
        for (k, t) in rx {
            waiting.insert(k, t);
            while let Some(t) = waiting.remove(&want) {
                if let Some(t) = t {
                    f(blocks[want], t);
                }
                want += 1;
            }
        }
    });
}

/// The process names of events block `i` from its aggregates (the [`super::NAMES`] table), when
/// it has aggregates of this catalog and they decode; `None` otherwise, and the block is
/// judged without them. (Flag bit 0 does not matter: it is about container values, and
/// names do not depend on them.) A section that does not decode is
/// reported when a view or the overview reads it; here the block is simply read.
pub(crate) fn block_names(cap: &capture_format::CaptureFile, i: usize) -> Option<Vec<Vec<u8>>> {
    if cap.header().info.hosts.len() > 1 {
        return None;
    }
    let raw = cap.aggregates(i).ok()??;
    let s = Section::decode_part(&raw, Some(super::NAMES)).ok()?;
    static FP: std::sync::OnceLock<[u8; 16]> = std::sync::OnceLock::new();
    if s.fingerprint != *FP.get_or_init(fingerprint) {
        return None;
    }
    let table = s.views.into_iter().next()?;
    Some(table.rows.into_iter().map(|r| r.key).collect())
}

/// Adds the tiles of every block the index can answer for into `tot` (buckets of `bucket_ns`
/// from `origin`; `bucket` maps a time to its bucket). Returns those blocks' indices,
/// ascending.
pub(crate) fn overview_from_index(
    session: &Session,
    (origin, bucket_ns): (u64, u64),
    tot: &mut Totals,
    bucket: &(dyn Fn(u64) -> usize + Sync),
) -> Vec<usize> {
    let mut used = Vec::new();
    let map = |_: usize, s: Section| -> Option<BlockTiles> {
        // A cell must fall in one bucket: its width must divide the origin and the width.
        if u32::from(s.shift) > origin.trailing_zeros().min(bucket_ns.trailing_zeros()) {
            return None;
        }
        Some(BlockTiles::of(&s, bucket))
    };
    each_section_mapped(session, Some(""), &map, &mut |i, t| {
        tot.events += t.events;
        for (ti, b, n) in t.sums {
            tot.add(ti, b, n);
        }
        for (ti, b, h) in t.distinct {
            tot.hit(ti, b, Hit::Distinct(h));
        }
        used.push(i);
    });
    used
}

/// One block's part of the overview's tiles, read from its section.
struct BlockTiles {
    events: u64,
    /// Tile, bucket, what to add.
    sums: Vec<(usize, usize, i64)>,
    /// Tile, bucket, a distinct value's hash: once per block each.
    distinct: Vec<(usize, usize, u64)>,
}

impl BlockTiles {
    fn of(s: &Section, bucket: &dyn Fn(u64) -> usize) -> BlockTiles {
        let mut t = BlockTiles {
            events: 0,
            sums: Vec::new(),
            distinct: Vec::new(),
        };
        let hashes: Vec<u64> = s.values.iter().map(|v| hash64(v)).collect();
        // A value goes into a tile's bucket once per block, not once per cell: `seen[ti][k]`
        // is one past the last bucket value `k` went into (cells come in time order, so their
        // buckets never go down).
        let mut seen: Vec<Vec<u32>> = vec![Vec::new(); TILES.len()];
        for c in &s.cells {
            let b = bucket(c.cell << s.shift);
            t.events += c.events;
            for (ti, v) in &c.tiles {
                let ti = *ti as usize;
                if ti >= TILES.len() {
                    continue;
                }
                let distinct = matches!(TILES[ti].metric, Metric::Distinct(_));
                match v {
                    TileVal::Num(n) if !distinct => t.sums.push((ti, b, *n)),
                    TileVal::Set(ix) if distinct => {
                        let seen = &mut seen[ti];
                        seen.resize(hashes.len(), 0);
                        for &k in ix {
                            let Some(mark) = seen.get_mut(k as usize) else {
                                continue;
                            };
                            if *mark != b as u32 + 1 {
                                *mark = b as u32 + 1;
                                t.distinct.push((ti, b, hashes[k as usize]));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        t
    }
}

/// Runs view `c` from the index where it can: `None` when it cannot at all (a user filter, a
/// merged capture, a view the index does not hold, no aggregates), else the table, from the
/// aggregates of the blocks that have them and the replay of the rest.
pub(crate) fn view_from_index(
    c: &Compiled,
    session: &mut Session,
    ctl: &mut Control<'_>,
) -> Option<Result<Table, ViewError>> {
    if !c.plain || c.per_host || !VIEWS.contains(&c.spec.id) {
        return None;
    }
    let mut parts: Vec<(usize, ViewPart)> = Vec::new();
    each_section(session, Some(c.spec.id), &mut |i, s| {
        if let Some(v) = s.views.into_iter().find(|v| v.id == c.spec.id) {
            parts.push((i, v));
        }
    });
    if parts.is_empty() {
        return None;
    }
    let used: Vec<usize> = parts.iter().map(|(i, _)| *i).collect();
    // The other blocks are replayed into partial tables of their own, one per block.
    let cap = session.capture();
    let starts: Vec<(u64, usize)> = cap
        .blocks()
        .iter()
        .enumerate()
        .filter(|(_, b)| b.block_type == BlockType::Events)
        .map(|(i, b)| (b.first_event, i))
        .collect();
    let range = super::super::eval::session_range(session);
    let mut decoded: BTreeMap<usize, ViewFold> = BTreeMap::new();
    let mut n = parts.iter().map(|(_, p)| p.events).sum::<u64>();
    let skip = |i: usize| used.binary_search(&i).is_ok();
    // As `Compiled::run_decoding` and the sections: each side of a call between two fds.
    let r = c.with_sides(session, |s| {
        s.run_except(&skip, c.filter.as_ref(), |ctx| -> Result<Flow, ViewError> {
            if !is_event(&ctx.ev.body) {
                return Ok(Flow::Continue);
            }
            if let Some(nc) = &c.native
                && !nc.matches(ctx)
            {
                return Ok(Flow::Continue);
            }
            n += 1;
            let k = starts.partition_point(|(f, _)| *f < ctx.num);
            let block = starts.get(k.wrapping_sub(1)).map_or(0, |(_, i)| *i);
            decoded.entry(block).or_default().event(c, ctx);
            Ok(ctl.tick(n, ctx.ev.ts, range))
        })
    });
    if let Err(e) = r {
        return Some(Err(e));
    }
    if ctl.cancelled() {
        return Some(Err(ViewError::Cancelled));
    }
    ctl.done(n);
    parts.extend(decoded.into_iter().map(|(i, f)| (i, f.finish(c.spec.id))));
    parts.sort_by_key(|(i, _)| *i);
    let mut m = Merged::default();
    for (_, p) in parts {
        m.add(c, p)?;
    }
    Some(Ok(m.table(c, n)?))
}

/// Partial tables merged in block order: the running state of a view that grows block by
/// block (`casefile live --top` keeps one per time slice and merges them on each refresh).
#[derive(Clone, Debug, Default)]
pub(crate) struct Merged {
    /// Events counted.
    pub(crate) events: u64,
    rows: Vec<RowPart>,
    /// Distinct columns gather value hashes in sets (merging sorted lists block by block would
    /// sort the same values again and again).
    sets: Vec<Vec<Option<super::super::overview::Set>>>,
    index: HashMap<Vec<u8>, usize>,
}

impl Merged {
    /// Merges a later part of view `c`; `None` when it does not fit the view.
    pub(crate) fn add(&mut self, c: &Compiled, p: ViewPart) -> Option<()> {
        self.events += p.events;
        for r in p.rows {
            self.add_row(c, r.key, r.accs, None)?;
        }
        Some(())
    }

    /// Merges a later `Merged` of the same view.
    pub(crate) fn add_merged(&mut self, c: &Compiled, o: &Merged) -> Option<()> {
        self.events += o.events;
        for (r, sets) in o.rows.iter().zip(&o.sets) {
            self.add_row(c, r.key.clone(), r.accs.clone(), Some(sets))?;
        }
        Some(())
    }

    fn add_row(
        &mut self,
        c: &Compiled,
        key: Vec<u8>,
        accs: Vec<AccPart>,
        from: Option<&[Option<super::super::overview::Set>]>,
    ) -> Option<()> {
        if accs.len() != c.cols.len() {
            return None;
        }
        // A list has a row per event: none merge.
        let existing = if c.spec.kind == ViewKind::List {
            None
        } else {
            self.index.get(&key).copied()
        };
        let k = existing.unwrap_or(self.rows.len());
        if existing.is_none() {
            if c.spec.kind != ViewKind::List {
                self.index.insert(key.clone(), k);
            }
            self.sets.push(vec![None; c.cols.len()]);
            self.rows.push(RowPart {
                key,
                accs: Vec::with_capacity(c.cols.len()),
            });
        }
        for (ci, (b, col)) in accs.into_iter().zip(&c.cols).enumerate() {
            let b = match b {
                AccPart::Distinct(v) => {
                    let set = self.sets[k][ci].get_or_insert_with(Default::default);
                    set.extend(v.iter().map(|x| hash64(x)));
                    if let Some(o) = from.and_then(|f| f.get(ci)).and_then(Option::as_ref) {
                        set.extend(o.iter().copied());
                    }
                    AccPart::Distinct(Vec::new())
                }
                b => b,
            };
            if existing.is_none() {
                self.rows[k].accs.push(b);
            } else {
                merge(col.spec.agg, &mut self.rows[k].accs[ci], b)?;
            }
            // Past what a replay keeps exactly, samples go to the histogram it would use.
            if let AccPart::Pct { exact, hist, .. } = &mut self.rows[k].accs[ci]
                && exact.as_ref().is_some_and(|x| x.len() > EXACT_MAX)
            {
                let mut all: BTreeMap<u32, u64> = hist.drain(..).collect();
                for v in exact.take().unwrap_or_default() {
                    *all.entry(bucket_of(v.max(0) as u64) as u32).or_default() += 1;
                }
                *hist = all.into_iter().collect();
            }
        }
        Some(())
    }

    /// The table of what was merged, `events` named as the events it counts.
    pub(crate) fn table(&self, c: &Compiled, events: u64) -> Option<Table> {
        let mut acc = Accumulator::new(c);
        for (r, rs) in self.rows.iter().zip(&self.sets) {
            let keys = key_cells(&r.key, c.keys.len())?;
            let mut accs = Vec::with_capacity(c.cols.len());
            for ((col, a), set) in c.cols.iter().zip(&r.accs).zip(rs) {
                accs.push(match (a, set) {
                    (AccPart::Distinct(_), set) => {
                        Acc::Distinct(Box::new(set.clone().unwrap_or_default()))
                    }
                    (a, _) => to_acc(col.spec.agg, col.pct_of.is_some(), a.clone())?,
                });
            }
            acc.rows.push(super::super::eval::RowAcc { keys, accs });
        }
        Some(acc.finish(events))
    }
}

/// Merges a later block's accumulator `b` into `a`; `None` when they do not go together.
pub(super) fn merge(agg: Agg, a: &mut AccPart, b: AccPart) -> Option<()> {
    match (a, b) {
        (AccPart::None, AccPart::None) => {}
        (AccPart::Count(x), AccPart::Count(y)) => *x += y,
        (AccPart::Sum(x), AccPart::Sum(y)) => {
            *x = match (*x, y) {
                (Some(p), Some(q)) => Some(p.saturating_add(q)),
                (p, q) => p.or(q),
            }
        }
        (AccPart::Avg(s, n), AccPart::Avg(t, m)) => {
            *s = s.saturating_add(t);
            *n += m;
        }
        (AccPart::Min(x), AccPart::Min(y)) => *x = opt(*x, y, i64::min),
        (AccPart::Max(x), AccPart::Max(y)) => *x = opt(*x, y, i64::max),
        // First seen: the earlier block's unless it had none; last seen: the later's.
        (AccPart::Seen(x), AccPart::Seen(y)) => {
            if y != 0 && (*x == 0 || agg == Agg::LastSeen) {
                *x = y;
            }
        }
        (AccPart::Distinct(x), AccPart::Distinct(y)) => {
            x.extend(y);
            x.sort_unstable();
            x.dedup();
        }
        (AccPart::Val(x), AccPart::Val(y)) => {
            if y.is_some() && (x.is_none() || agg != Agg::First) {
                *x = y;
            }
        }
        (AccPart::Image { first, exec }, AccPart::Image { first: f, exec: e }) => {
            if first.is_none() {
                *first = f;
            }
            if e.is_some() {
                *exec = e;
            }
        }
        (
            AccPart::Pct { n, exact, hist },
            AccPart::Pct {
                n: m,
                exact: e,
                hist: h,
            },
        ) => {
            *n += m;
            match (exact.as_mut(), e) {
                (Some(x), Some(y)) => x.extend(y),
                (_, e) => {
                    let mut all: BTreeMap<u32, u64> = hist.drain(..).collect();
                    for v in exact
                        .take()
                        .unwrap_or_default()
                        .into_iter()
                        .chain(e.unwrap_or_default())
                    {
                        *all.entry(bucket_of(v.max(0) as u64) as u32).or_default() += 1;
                    }
                    for (k, c) in h {
                        *all.entry(k).or_default() += c;
                    }
                    *hist = all.into_iter().collect();
                }
            }
        }
        _ => return None,
    }
    Some(())
}

pub(super) fn opt(x: Option<i64>, y: Option<i64>, f: fn(i64, i64) -> i64) -> Option<i64> {
    match (x, y) {
        (Some(a), Some(b)) => Some(f(a, b)),
        (a, b) => a.or(b),
    }
}

/// The accumulator a replay would hold, from a merged part.
pub(super) fn to_acc(agg: Agg, shared: bool, p: AccPart) -> Option<Acc> {
    if shared {
        return Some(Acc::PctShared);
    }
    Some(match (agg, p) {
        (Agg::Key, _) => Acc::Key,
        (Agg::Count, AccPart::Count(n)) => Acc::Count(n),
        (Agg::Sum, AccPart::Sum(s)) => Acc::Sum(s),
        (Agg::Avg, AccPart::Avg(s, n)) => Acc::Avg(s, n),
        (Agg::Min, AccPart::Min(m)) => Acc::Min(m),
        (Agg::Max, AccPart::Max(m)) => Acc::Max(m),
        (Agg::FirstSeen | Agg::LastSeen, AccPart::Seen(t)) => Acc::Seen(t),
        (Agg::Distinct, AccPart::Distinct(v)) => {
            Acc::Distinct(Box::new(v.iter().map(|b| hash64(b)).collect()))
        }
        (Agg::First | Agg::Last | Agg::Value, AccPart::Val(v)) => {
            Acc::Val(v.as_deref().map_or(Some(Cell::None), value_cell)?)
        }
        (Agg::Image, AccPart::Image { first, exec }) => Acc::Val(
            exec.or(first)
                .as_deref()
                .map_or(Some(Cell::None), value_cell)?,
        ),
        (Agg::P50 | Agg::P95 | Agg::P99, AccPart::Pct { n, exact, hist }) => {
            let n_us = usize::try_from(n).ok()?;
            if n_us <= EXACT_MAX {
                // A replay keeps every value: the parts must have too.
                Acc::Pct(Box::new(Samples {
                    exact: exact?,
                    hist: None,
                    n,
                }))
            } else {
                let mut h = vec![0u64; HIST_BUCKETS].into_boxed_slice();
                for v in exact.unwrap_or_default() {
                    h[bucket_of(v.max(0) as u64)] += 1;
                }
                for (k, c) in hist {
                    *h.get_mut(k as usize)? += c;
                }
                Acc::Pct(Box::new(Samples {
                    exact: Vec::new(),
                    hist: Some(h),
                    n,
                }))
            }
        }
        _ => return None,
    })
}

/// A cell from a value's identity bytes (as `eval::encode` wrote them).
pub(super) fn value_cell(b: &[u8]) -> Option<Cell> {
    let mut at = 0;
    let v = decode_val(b, &mut at)?;
    (at == b.len()).then(|| Cell::from_val(&v))
}

/// The key cells from a row key (the key values' identity bytes, back to back).
pub(super) fn key_cells(b: &[u8], n: usize) -> Option<Vec<Cell>> {
    let mut at = 0;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(Cell::from_val(&decode_val(b, &mut at)?));
    }
    (at == b.len()).then_some(out)
}

pub(super) fn decode_val<'a>(b: &'a [u8], at: &mut usize) -> Option<Val<'a>> {
    let take = |at: &mut usize, n: usize| -> Option<&'a [u8]> {
        let s = b.get(*at..at.checked_add(n)?)?;
        *at += n;
        Some(s)
    };
    let tag = take(at, 1)?[0];
    Some(match tag {
        1 => Val::Num(i64::from_le_bytes(take(at, 8)?.try_into().ok()?)),
        2 => {
            let n = u32::from_le_bytes(take(at, 4)?.try_into().ok()?) as usize;
            Val::Str(std::borrow::Cow::Borrowed(take(at, n)?))
        }
        3 => Val::Bool(take(at, 1)?[0] != 0),
        4 => {
            let o: [u8; 4] = take(at, 4)?.try_into().ok()?;
            Val::Ip(IpAddr::from(o))
        }
        6 => {
            let o: [u8; 16] = take(at, 16)?.try_into().ok()?;
            Val::Ip(IpAddr::from(o))
        }
        5 => {
            let n = u32::from_le_bytes(take(at, 4)?.try_into().ok()?) as usize;
            let mut items = Vec::with_capacity(n.min(b.len()));
            for _ in 0..n {
                items.push(decode_val(b, at)?);
            }
            Val::List(items)
        }
        _ => return None,
    })
}
