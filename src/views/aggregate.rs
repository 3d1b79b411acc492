//! The index's aggregates: computed per events block while a capture is written, merged when
//! the overview or an unfiltered view is asked for, so neither decompresses a block.
//!
//! Writing: [`Aggregator`] rides along with the capture writer. It replays the events it is
//! handed with the same engine and the same tile and view code as a reader, and for each block
//! keeps the tiles' counts, sums and distinct values per time cell (at most
//! [`super::aggsection::MAX_CELLS`] cells of a power-of-two width) and the partial
//! tables of the views in [`VIEWS`] (the accumulators of every row, in a form that merges:
//! an image column keeps its first value and its value at the last exec, percentiles keep
//! their samples while few and a histogram after).
//!
//! Reading: [`summary_from_index`] and [`view_from_index`] take the blocks wholly inside the
//! time range whose aggregates are there and usable; every other block is replayed (with the
//! state caught up across the blocks taken from the index), and the parts are merged in block
//! order. The result is what replaying every event gives (a test compares both).

#![expect(
    clippy::many_single_char_names,
    clippy::single_match_else,
    reason = "merging accumulators pairs short names; a row found or made reads best as a match"
)]

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::IpAddr;

use capture_format::schema::{Body, Event};
use capture_format::{BlockAggregator, BlockType, HeaderInfo};

use super::aggsection::{
    AccPart, CellAgg, FLAG_UNUSABLE, MAX_CELLS, RowPart, Section, TileVal, ViewPart,
};
use super::catalog;
use super::eval::{
    Acc, Accumulator, Cell, Compiled, Control, EXACT_MAX, HIST_BUCKETS, Samples, Table, ViewError,
    bucket_of, encode, hash64, is_event,
};
use super::spec::{Agg, ViewKind, ViewSpec};
use super::summary::{Hit, Metric, TILES, TileSet, Totals};
use crate::filter::{Source, Val};
use crate::replay::context::{EventCtx, Side};
use crate::replay::engine::{Engine, Flow};
use crate::replay::render::BufMode;
use crate::replay::session::{ReplayError, Session};

/// The views whose partial tables each block carries.
pub const VIEWS: [&str; 4] = ["procs", "files", "containers", "syscalls"];

/// Percentile samples kept exactly per block and row, past which a block keeps a histogram.
const PCT_EXACT: usize = 256;

/// Names the tiles and views an aggregate section was computed for: a reader whose catalog
/// differs (another version of casefile) decodes instead.
pub fn fingerprint() -> [u8; 16] {
    let mut d = format!("casefile aggregates v{}\n", super::aggsection::VERSION);
    for t in TILES {
        let _ = writeln!(d, "{}|{}|{:?}|{:?}", t.id, t.filter, t.metric, t.guard);
    }
    for id in VIEWS {
        if let Some(v) = catalog::view(id) {
            let _ = writeln!(d, "{}|{:?}", v.id, v.filter);
            for c in v.columns {
                let _ = writeln!(d, "{}|{:?}|{:?}|{:?}", c.name, c.agg, c.field, c.when);
            }
        }
    }
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&hash64(d.as_bytes()).to_le_bytes());
    d.push('2');
    out[8..].copy_from_slice(&hash64(d.as_bytes()).to_le_bytes());
    out
}

fn views() -> Vec<&'static ViewSpec> {
    VIEWS.iter().filter_map(|id| catalog::view(id)).collect()
}

/// Attaches an [`Aggregator`] to `w` when the capture is of one host (a merged capture's
/// views key rows by host, which the aggregates do not).
pub fn attach<W: std::io::Write>(
    w: &mut capture_format::Writer<W>,
    info: &HeaderInfo,
) -> Result<(), ViewError> {
    if info.hosts.len() <= 1 {
        w.set_aggregator(Box::new(Aggregator::new(info)?));
    }
    Ok(())
}

/// Computes each block's aggregates as the writer fills it.
pub struct Aggregator {
    engine: Engine,
    fold: Fold,
    num: u64,
}

/// The per-block part, apart from the engine (so the engine's sink can borrow it).
struct Fold {
    tiles: TileSet,
    views: Vec<(Compiled, ViewFold)>,
    fingerprint: [u8; 16],
    unusable: bool,
    /// Times of the block's events.
    events: Vec<u64>,
    /// The block's tile hits: time, tile, what (a distinct value: its index in `values`).
    hits: Vec<(u64, u16, Hit)>,
    /// The block's distinct values (identity bytes) and their indices.
    values: HashMap<Vec<u8>, u32>,
    scratch: Vec<u8>,
}

// The writer may run on another thread than the one that made it: `Aggregator` must be
// `Send` (checked here, at compile time).
const _: fn() = || {
    fn send<T: Send>() {}
    send::<Aggregator>();
};

impl Aggregator {
    /// An aggregator for a capture with this header.
    pub fn new(info: &HeaderInfo) -> Result<Aggregator, ViewError> {
        let mut engine = Engine::default();
        engine.buf_mode = BufMode::default();
        engine.set_hosts(info);
        let views = views()
            .into_iter()
            .map(|v| Ok((Compiled::new(v, None, false)?, ViewFold::default())))
            .collect::<Result<Vec<_>, ViewError>>()?;
        Ok(Aggregator {
            engine,
            fold: Fold {
                tiles: TileSet::new()?,
                views,
                fingerprint: fingerprint(),
                unusable: false,
                events: Vec::new(),
                hits: Vec::new(),
                values: HashMap::new(),
                scratch: Vec::new(),
            },
            num: 0,
        })
    }
}

impl BlockAggregator for Aggregator {
    fn state(&mut self, records: &[Event<'_>]) {
        // As a reader loads a state block: the tables reset to it.
        self.engine.clear_tasks();
        for r in records {
            self.engine.apply(r);
        }
    }

    fn event(&mut self, ev: &Event<'_>) {
        self.num += 1;
        let low = ev.container & 0x00ff_ffff;
        if low != 0 && !self.engine.state.containers.contains_key(&ev.container) {
            // A reader knows every container from the footer from the start; this writer
            // does not know this one yet, so what it computes could differ.
            self.fold.unusable = true;
        }
        let fold = &mut self.fold;
        let _ = self
            .engine
            .event(ev, self.num, true, None, &mut |ctx: &mut EventCtx<
                '_,
                '_,
            >|
             -> Result<
                Flow,
                ReplayError,
            > {
                fold.event(ctx);
                Ok(Flow::Continue)
            });
    }

    fn finish_block(&mut self) -> Vec<u8> {
        self.fold.finish().encode()
    }
}

impl Fold {
    fn event(&mut self, ctx: &mut EventCtx<'_, '_>) {
        if !is_event(&ctx.ev.body) {
            return;
        }
        let ts = ctx.ev.ts;
        self.events.push(ts);
        let (hits, values) = (&mut self.hits, &mut self.values);
        self.tiles.event(ctx, &mut self.scratch, |ti, h, bytes| {
            let h = match h {
                Hit::Distinct(_) => {
                    let n = values.len() as u32;
                    Hit::Distinct(u64::from(*values.entry(bytes.to_vec()).or_insert(n)))
                }
                h => h,
            };
            hits.push((ts, ti as u16, h));
        });
        let sides = ctx.has_sides();
        for (c, f) in &mut self.views {
            // As replay hands such a view each side of a call that moves data between two fds
            // (see `Compiled::run_decoding`), so the index and decoding agree.
            let passes: &[Side] = if sides && c.by_fd() {
                &[Side::Read, Side::Write]
            } else {
                &[Side::Both]
            };
            for &side in passes {
                ctx.side = side;
                let wanted = c.filter.as_ref().is_none_or(|x| x.matches(ctx))
                    && c.native.as_ref().is_none_or(|n| n.matches(ctx));
                if wanted {
                    f.event(c, ctx);
                }
            }
            ctx.side = Side::Both;
        }
    }

    /// The section of the block folded so far, and a fresh start for the next.
    fn finish(&mut self) -> Section {
        let views = self
            .views
            .iter_mut()
            .map(|(c, f)| std::mem::take(f).finish(c.spec.id))
            .collect();
        let events = std::mem::take(&mut self.events);
        let hits = std::mem::take(&mut self.hits);
        let flags = if std::mem::take(&mut self.unusable) {
            FLAG_UNUSABLE
        } else {
            0
        };
        let (lo, hi) = events
            .iter()
            .fold((u64::MAX, 0), |(lo, hi), &t| (lo.min(t), hi.max(t)));
        let mut shift = 0u8;
        while lo <= hi && (hi >> shift) - (lo >> shift) >= MAX_CELLS {
            shift += 1;
        }
        #[derive(Default)]
        struct Build {
            events: u64,
            nums: BTreeMap<u16, i64>,
            sets: BTreeMap<u16, Vec<u32>>,
        }
        let mut cells: BTreeMap<u64, Build> = BTreeMap::new();
        for t in &events {
            cells.entry(t >> shift).or_default().events += 1;
        }
        // The values sorted, and each first-seen index to its sorted one.
        let mut values: Vec<(Vec<u8>, u32)> =
            std::mem::take(&mut self.values).into_iter().collect();
        values.sort_unstable();
        let mut remap = vec![0u32; values.len()];
        for (k, (_, first)) in values.iter().enumerate() {
            remap[*first as usize] = k as u32;
        }
        let values: Vec<Vec<u8>> = values.into_iter().map(|(v, _)| v).collect();
        for (t, ti, h) in hits {
            let c = cells.entry(t >> shift).or_default();
            match h {
                Hit::Count => {
                    let v = c.nums.entry(ti).or_default();
                    *v = v.saturating_add(1);
                }
                Hit::Sum(x) => {
                    let v = c.nums.entry(ti).or_default();
                    *v = v.saturating_add(x);
                }
                Hit::Distinct(x) => {
                    let i = remap[x as usize];
                    let s = c.sets.entry(ti).or_default();
                    if !s.contains(&i) {
                        s.push(i);
                    }
                }
            }
        }
        let cells = cells
            .into_iter()
            .map(|(cell, b)| {
                let mut tiles: Vec<(u16, TileVal)> = b
                    .nums
                    .into_iter()
                    .map(|(t, v)| (t, TileVal::Num(v)))
                    .chain(b.sets.into_iter().map(|(t, mut s)| {
                        s.sort_unstable();
                        (t, TileVal::Set(s))
                    }))
                    .collect();
                tiles.sort_by_key(|(t, _)| *t);
                CellAgg {
                    cell,
                    events: b.events,
                    tiles,
                }
            })
            .collect();
        Section {
            fingerprint: self.fingerprint,
            flags,
            shift,
            base_ts: if lo <= hi { lo } else { 0 },
            values,
            cells,
            views,
        }
    }
}

/// One view's partial table being folded.
#[derive(Default)]
pub(super) struct ViewFold {
    events: u64,
    rows: Vec<RowBuild>,
    index: HashMap<Vec<u8>, usize>,
    scratch: Vec<u8>,
}

struct RowBuild {
    key: Vec<u8>,
    accs: Vec<AccBuild>,
}

/// A column's accumulator while folding (distinct values and samples as lists).
enum AccBuild {
    Part(AccPart),
    Distinct(std::collections::HashSet<Vec<u8>>),
    Samples(Vec<i64>),
}

impl ViewFold {
    /// Folds one event that passed the view's filter (as [`Accumulator::event`] does, in a
    /// form that merges across blocks).
    pub(super) fn event(&mut self, c: &Compiled, ctx: &mut EventCtx<'_, '_>) {
        self.events += 1;
        self.scratch.clear();
        for &k in &c.keys {
            let Some(f) = &c.cols[k].field else {
                return;
            };
            match ctx.get(f) {
                Some(v) => encode(&v, &mut self.scratch),
                None => return,
            }
        }
        // A list has a row per event.
        let found = if c.spec.kind == ViewKind::List {
            None
        } else {
            self.index.get(&self.scratch).copied()
        };
        let row = match found {
            Some(r) => r,
            None => {
                let accs = c
                    .cols
                    .iter()
                    .map(|col| {
                        if col.pct_of.is_some() {
                            return AccBuild::Part(AccPart::None);
                        }
                        match col.spec.agg {
                            Agg::Key => AccBuild::Part(AccPart::None),
                            Agg::Count => AccBuild::Part(AccPart::Count(0)),
                            Agg::Sum => AccBuild::Part(AccPart::Sum(Some(0))),
                            Agg::Avg => AccBuild::Part(AccPart::Avg(0, 0)),
                            Agg::Min => AccBuild::Part(AccPart::Min(None)),
                            Agg::Max => AccBuild::Part(AccPart::Max(None)),
                            Agg::P50 | Agg::P95 | Agg::P99 => AccBuild::Samples(Vec::new()),
                            Agg::FirstSeen | Agg::LastSeen => AccBuild::Part(AccPart::Seen(0)),
                            Agg::Distinct => {
                                AccBuild::Distinct(std::collections::HashSet::default())
                            }
                            Agg::Image => AccBuild::Part(AccPart::Image {
                                first: None,
                                exec: None,
                            }),
                            Agg::First | Agg::Last | Agg::Value => {
                                AccBuild::Part(AccPart::Val(None))
                            }
                        }
                    })
                    .collect();
                self.rows.push(RowBuild {
                    key: self.scratch.clone(),
                    accs,
                });
                if c.spec.kind != ViewKind::List {
                    self.index.insert(self.scratch.clone(), self.rows.len() - 1);
                }
                self.rows.len() - 1
            }
        };
        let exec = c.images && matches!(ctx.ev.body, Body::Exec(_));
        let mut conds = vec![0u8; c.conds.len()];
        let ts = ctx.ev.ts;
        for (ci, col) in c.cols.iter().enumerate() {
            if let Some(w) = col.when {
                if conds[w] == 0 {
                    conds[w] = if c.conds[w].matches(ctx) { 1 } else { 2 };
                }
                if conds[w] == 2 {
                    continue;
                }
            }
            let value = |ctx: &mut EventCtx<'_, '_>| -> Option<Vec<u8>> {
                let v = ctx.get(col.field.as_ref()?)?;
                let mut b = Vec::new();
                encode(&v, &mut b);
                Some(b)
            };
            let num = |ctx: &mut EventCtx<'_, '_>| match ctx.get(col.field.as_ref()?) {
                Some(Val::Num(n)) => Some(n),
                Some(Val::Bool(b)) => Some(i64::from(b)),
                _ => None,
            };
            match &mut self.rows[row].accs[ci] {
                AccBuild::Part(p) => match p {
                    AccPart::None | AccPart::Distinct(_) | AccPart::Pct { .. } => {}
                    AccPart::Count(n) => *n += 1,
                    AccPart::Seen(t) => {
                        if col.spec.agg == Agg::LastSeen || *t == 0 {
                            *t = ts;
                        }
                    }
                    AccPart::Val(v) => {
                        let want = col.spec.agg != Agg::First || v.is_none();
                        if want && let Some(b) = value(ctx) {
                            *v = Some(b);
                        }
                    }
                    AccPart::Image { first, exec: at } => {
                        if (first.is_none() || exec)
                            && let Some(b) = value(ctx)
                        {
                            if first.is_none() {
                                *first = Some(b.clone());
                            }
                            if exec {
                                *at = Some(b);
                            }
                        }
                    }
                    AccPart::Sum(s) => {
                        if let Some(v) = num(ctx) {
                            *s = Some(s.unwrap_or(0).saturating_add(v));
                        }
                    }
                    AccPart::Avg(s, n) => {
                        if let Some(v) = num(ctx) {
                            *s = s.saturating_add(v);
                            *n += 1;
                        }
                    }
                    AccPart::Min(m) => {
                        if let Some(v) = num(ctx) {
                            *m = Some(m.map_or(v, |m| m.min(v)));
                        }
                    }
                    AccPart::Max(m) => {
                        if let Some(v) = num(ctx) {
                            *m = Some(m.map_or(v, |m| m.max(v)));
                        }
                    }
                },
                AccBuild::Distinct(set) => {
                    if let Some(b) = value(ctx) {
                        set.insert(b);
                    }
                }
                AccBuild::Samples(s) => {
                    if let Some(v) = num(ctx) {
                        s.push(v);
                    }
                }
            }
        }
    }

    pub(super) fn finish(self, id: &str) -> ViewPart {
        self.finish_with(id, PCT_EXACT)
    }

    /// Like [`ViewFold::finish`], keeping up to `exact` percentile samples per row exactly.
    pub(super) fn finish_with(self, id: &str, exact: usize) -> ViewPart {
        ViewPart {
            id: id.to_owned(),
            events: self.events,
            rows: self
                .rows
                .into_iter()
                .map(|r| RowPart {
                    key: r.key,
                    accs: r
                        .accs
                        .into_iter()
                        .map(|a| match a {
                            AccBuild::Part(p) => p,
                            AccBuild::Distinct(s) => {
                                let mut v: Vec<Vec<u8>> = s.into_iter().collect();
                                v.sort_unstable();
                                AccPart::Distinct(v)
                            }
                            AccBuild::Samples(s) => samples_part(s, exact),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

fn samples_part(s: Vec<i64>, exact: usize) -> AccPart {
    let n = s.len() as u64;
    if s.len() <= exact {
        return AccPart::Pct {
            n,
            exact: Some(s),
            hist: Vec::new(),
        };
    }
    let mut h: BTreeMap<u32, u64> = BTreeMap::new();
    for v in s {
        *h.entry(bucket_of(v.max(0) as u64) as u32).or_default() += 1;
    }
    AccPart::Pct {
        n,
        exact: None,
        hist: h.into_iter().collect(),
    }
}

// --- reading ---------------------------------------------------------------------------------

/// The sections of the event blocks a session can take from the index: wholly inside its
/// time range, present, of this catalog, usable. A section that does not decode is reported
/// (file and offset) and its block replayed.
#[cfg(test)]
fn sections(session: &Session) -> Vec<(usize, Section)> {
    let mut out = Vec::new();
    each_section(session, None, &mut |i, s| out.push((i, s)));
    out
}

/// Hands each section the index can answer for (wholly inside the session's time range,
/// present, of this catalog, usable) to `f`, in block order, one at a time, keeping
/// of the views only `view` (`Some("")`: none).
fn each_section(session: &Session, view: Option<&str>, f: &mut dyn FnMut(usize, Section)) {
    let cap = session.capture();
    let o = session.options();
    if o.buf_mode != BufMode::default() || cap.header().info.hosts.len() > 1 {
        return;
    }
    let fp = fingerprint();
    let blocks = cap.blocks();
    for (i, e) in blocks.iter().enumerate() {
        if e.block_type != BlockType::Events
            || blocks.get(i + 1).map(|n| n.block_type) != Some(BlockType::Aggregates)
        {
            continue;
        }
        if o.from.is_some_and(|f| e.first_ts < f) || o.to.is_some_and(|t| e.last_ts > t) {
            continue;
        }
        let raw = match cap.aggregates(i) {
            Ok(Some(raw)) => raw,
            Ok(None) => continue,
            Err(err) => {
                eprintln!("casefile: {err}; replaying that block instead");
                continue;
            }
        };
        match Section::decode_part(&raw, view) {
            Ok(s) if s.fingerprint == fp && s.flags & FLAG_UNUSABLE == 0 => f(i, s),
            Ok(_) => {}
            Err(err) => {
                let file = cap
                    .path()
                    .map_or_else(String::new, |p| format!("{}: ", p.display()));
                eprintln!(
                    "casefile: {file}offset {}: {err}; replaying that block instead",
                    blocks[i + 1].offset
                );
            }
        }
    }
}

/// Adds the tiles of every block the index can answer for into `tot` (buckets of `bucket_ns`
/// from `origin`; `bucket` maps a time to its bucket). Returns those blocks' indices,
/// ascending.
pub(crate) fn summary_from_index(
    session: &Session,
    (origin, bucket_ns): (u64, u64),
    tot: &mut Totals,
    bucket: &dyn Fn(u64) -> usize,
) -> Vec<usize> {
    let mut used = Vec::new();
    each_section(session, Some(""), &mut |i, s| {
        // A cell must fall in one bucket: its width must divide the origin and the width.
        if u32::from(s.shift) > origin.trailing_zeros().min(bucket_ns.trailing_zeros()) {
            return;
        }
        let hashes: Vec<u64> = s.values.iter().map(|v| hash64(v)).collect();
        for c in &s.cells {
            let b = bucket(c.cell << s.shift);
            tot.events += c.events;
            for (ti, v) in &c.tiles {
                let ti = *ti as usize;
                if ti >= TILES.len() {
                    continue;
                }
                match v {
                    TileVal::Num(n) => {
                        if !matches!(TILES[ti].metric, Metric::Distinct(_)) {
                            tot.add(ti, b, *n);
                        }
                    }
                    TileVal::Set(ix) => {
                        if matches!(TILES[ti].metric, Metric::Distinct(_)) {
                            for &k in ix {
                                tot.hit(ti, b, Hit::Distinct(hashes[k as usize]));
                            }
                        }
                    }
                }
            }
        }
        used.push(i);
    });
    used
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
    let range = super::eval::session_range(session);
    let mut decoded: BTreeMap<usize, ViewFold> = BTreeMap::new();
    let mut n = parts.iter().map(|(_, p)| p.events).sum::<u64>();
    let skip = |i: usize| used.binary_search(&i).is_ok();
    let r = session.run_except(&skip, c.filter.as_ref(), |ctx| -> Result<Flow, ViewError> {
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
    sets: Vec<Vec<Option<super::summary::Set>>>,
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
        from: Option<&[Option<super::summary::Set>]>,
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
            acc.rows.push(super::eval::RowAcc { keys, accs });
        }
        Some(acc.finish(events))
    }
}

/// Merges a later block's accumulator `b` into `a`; `None` when they do not go together.
fn merge(agg: Agg, a: &mut AccPart, b: AccPart) -> Option<()> {
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

fn opt(x: Option<i64>, y: Option<i64>, f: fn(i64, i64) -> i64) -> Option<i64> {
    match (x, y) {
        (Some(a), Some(b)) => Some(f(a, b)),
        (a, b) => a.or(b),
    }
}

/// The accumulator a replay would hold, from a merged part.
fn to_acc(agg: Agg, shared: bool, p: AccPart) -> Option<Acc> {
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

/// A cell from a value's identity bytes (as [`encode`] wrote them).
fn value_cell(b: &[u8]) -> Option<Cell> {
    let mut at = 0;
    let v = decode_val(b, &mut at)?;
    (at == b.len()).then(|| Cell::from_val(&v))
}

/// The key cells from a row key (the key values' identity bytes, back to back).
fn key_cells(b: &[u8], n: usize) -> Option<Vec<Cell>> {
    let mut at = 0;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(Cell::from_val(&decode_val(b, &mut at)?));
    }
    (at == b.len()).then_some(out)
}

fn decode_val<'a>(b: &'a [u8], at: &mut usize) -> Option<Val<'a>> {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use capture_format::{CaptureFile, Writer, WriterOptions};

    use super::*;
    use crate::replay::session::Options;
    use crate::views::eval::run_view;
    use crate::views::summary::{run_summary, run_summary_with};

    /// A copy of `cap` written with aggregates, in blocks of about `block_bytes`.
    fn with_aggregates(cap: &CaptureFile, block_bytes: usize) -> CaptureFile {
        let info = cap.header().info.clone();
        let opts = WriterOptions {
            block_bytes,
            ..WriterOptions::default()
        };
        let mut w = Writer::new(Vec::new(), &info, opts).expect("writer");
        attach(&mut w, &info).expect("attach");
        for i in 0..cap.blocks().len() {
            let e = cap.blocks()[i];
            if !e.block_type.holds_records() {
                continue;
            }
            let b = cap.read_block(i).expect("block");
            let recs: Vec<Event<'_>> = b
                .events()
                .expect("events")
                .map(|r| r.expect("ev"))
                .collect();
            if e.block_type == BlockType::State {
                w.write_state(&recs).expect("state");
            } else {
                for ev in &recs {
                    w.append(ev).expect("append");
                }
            }
        }
        CaptureFile::from_bytes(w.finish().expect("finish")).expect("reopen")
    }

    fn session(cap: &CaptureFile, from: Option<u64>, to: Option<u64>) -> Session {
        let opts = Options {
            from,
            to,
            ..Options::default()
        };
        Session::new(cap.clone(), opts).expect("session")
    }

    fn captures() -> Vec<(String, CaptureFile)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        for (name, p) in [
            ("synth", crate::replay::testutil::synth_fixture()),
            ("state", crate::replay::testutil::state_fixture()),
            ("views", crate::views::tests::fixture()),
        ] {
            out.push((name.to_owned(), CaptureFile::read(&p).expect("open")));
        }
        out.push(("sendfile".to_owned(), sendfile_capture()));
        for scap in ["falco_run_as_user_0_container.scap", "curl_google.scap"] {
            let cap = crate::cmd::import::in_memory(&root.join("fixtures/scap").join(scap))
                .expect("import");
            out.push((scap.to_owned(), cap));
        }
        out
    }

    /// busybox `cat FILE > /dev/null`: one sendfile reads FILE and writes /dev/null, a view
    /// keyed by fd counts it on each.
    fn sendfile_capture() -> CaptureFile {
        use crate::replay::testutil::{Cap, P, int};
        use capture_format::schema::FdType;
        let mut c = Cap::new();
        c.process(&P {
            pid: 300,
            ppid: 1,
            comm: "cat",
            exe: "/bin/busybox",
            args: "/etc/os-release\0",
            cwd: "/",
            uid: 0,
            container: 0,
        });
        c.fd(300, 1, FdType::File, "/dev/null");
        c.fd(300, 3, FdType::File, "/etc/os-release");
        for _ in 0..3 {
            c.sys(
                300,
                300,
                "sendfile",
                267,
                vec![int(1), int(3), int(0), int(16_777_216)],
            );
            c.sys(300, 300, "read", 12, vec![int(3)]);
        }
        let dir = std::env::temp_dir().join(format!("cf-sendfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("sendfile.case");
        let _ = std::fs::remove_file(&path);
        c.write(&path);
        let cap = CaptureFile::read(&path).expect("open");
        let _ = std::fs::remove_dir_all(&dir);
        cap
    }

    /// The overview and the views from the index equal those of a full replay, over the
    /// whole capture and over time ranges that cut blocks, for several bucket counts.
    #[test]
    fn the_index_answers_as_a_replay_does() {
        for (name, plain) in captures() {
            let mut used_somewhere = false;
            for block_bytes in [2048, 1 << 20] {
                let cap = with_aggregates(&plain, block_bytes);
                let (lo, hi) = cap.time_range().expect("events");
                let third = (hi - lo) / 3;
                let ranges = [
                    (None, None),
                    (Some(lo + third), Some(hi - third)),
                    (Some(lo + 1), None),
                ];
                for (from, to) in ranges {
                    for buckets in [1, 9, 40] {
                        let fast = run_summary_with(
                            &mut session(&cap, from, to),
                            None,
                            buckets,
                            &mut Control::default(),
                            (std::time::Duration::MAX, &mut |_| {}),
                            true,
                        )
                        .expect("summary");
                        let slow = run_summary_with(
                            &mut session(&plain, from, to),
                            None,
                            buckets,
                            &mut Control::default(),
                            (std::time::Duration::MAX, &mut |_| {}),
                            false,
                        )
                        .expect("summary");
                        assert_eq!(
                            fast, slow,
                            "{name}, {block_bytes} B blocks, {from:?}..{to:?}, {buckets} buckets"
                        );
                        let (origin, w) = crate::views::summary::layout(
                            crate::views::eval::session_range(&session(&cap, from, to)),
                            buckets,
                        );
                        let mut t = Totals::new(buckets);
                        let used = summary_from_index(
                            &session(&cap, from, to),
                            (origin, w),
                            &mut t,
                            &|ts| ((ts - origin) / w) as usize,
                        );
                        used_somewhere |= !used.is_empty();
                    }
                    for id in VIEWS {
                        let spec = catalog::view(id).expect("view");
                        let c = Compiled::new(spec, None, false).expect("compile");
                        let fast = c
                            .run(&mut session(&cap, from, to), &mut Control::default())
                            .expect("view");
                        let slow = c
                            .run_decoding(&mut session(&plain, from, to), &mut Control::default())
                            .expect("view");
                        assert_eq!(
                            fast, slow,
                            "{name}, {block_bytes} B blocks, {from:?}..{to:?}, {id}"
                        );
                        used_somewhere |= from.is_none()
                            && view_from_index(
                                &c,
                                &mut session(&cap, from, to),
                                &mut Control::default(),
                            )
                            .is_some();
                    }
                }
            }
            assert!(used_somewhere, "{name}: the index answered nothing");
        }
    }

    /// A user filter goes through replay; files without aggregates read as before.
    #[test]
    fn filtered_views_and_files_without_aggregates_replay() {
        let plain = CaptureFile::read(crate::views::tests::fixture()).expect("open");
        let cap = with_aggregates(&plain, 4096);
        let spec = catalog::view("procs").expect("procs");
        let c = Compiled::new(spec, Some("proc.name = nginx"), false).expect("compile");
        assert!(
            view_from_index(&c, &mut session(&cap, None, None), &mut Control::default()).is_none()
        );
        let a = run_view(
            spec,
            &mut session(&cap, None, None),
            Some("proc.name = nginx"),
            &mut Control::default(),
        )
        .expect("view");
        let b = run_view(
            spec,
            &mut session(&plain, None, None),
            Some("proc.name = nginx"),
            &mut Control::default(),
        )
        .expect("view");
        assert_eq!(a, b);
        assert!(!a.rows.is_empty());
        let c = Compiled::new(spec, None, false).expect("compile");
        assert!(
            view_from_index(
                &c,
                &mut session(&plain, None, None),
                &mut Control::default()
            )
            .is_none()
        );
        let s = run_summary(
            &mut session(&plain, None, None),
            None,
            9,
            &mut Control::default(),
        )
        .expect("sum");
        assert!(s.events > 0);
    }

    /// A section that does not decode (written by something else) is replayed instead, with
    /// the same result; a section of another catalog likewise.
    #[test]
    fn a_bad_section_is_replayed_not_trusted() {
        let mut s = Section::decode(&Section::default().encode()).expect("empty decodes");
        s.fingerprint = [9; 16];
        assert_ne!(s.fingerprint, fingerprint());
        for bad in [vec![1u8, 2, 3], s.encode()] {
            let plain = CaptureFile::read(crate::views::tests::fixture()).expect("open");
            let info = plain.header().info.clone();
            struct Fixed(Vec<u8>);
            impl BlockAggregator for Fixed {
                fn state(&mut self, _: &[Event<'_>]) {}
                fn event(&mut self, _: &Event<'_>) {}
                fn finish_block(&mut self) -> Vec<u8> {
                    self.0.clone()
                }
            }
            let mut w = Writer::new(Vec::new(), &info, WriterOptions::default()).expect("writer");
            w.set_aggregator(Box::new(Fixed(bad)));
            for i in 0..plain.blocks().len() {
                let b = plain.read_block(i).expect("block");
                let recs: Vec<Event<'_>> =
                    b.events().expect("ev").map(|r| r.expect("ev")).collect();
                if b.header.block_type == BlockType::State {
                    w.write_state(&recs).expect("state");
                } else {
                    for e in &recs {
                        w.append(e).expect("append");
                    }
                }
            }
            let cap = CaptureFile::from_bytes(w.finish().expect("finish")).expect("open");
            assert!(
                cap.blocks()
                    .iter()
                    .any(|b| b.block_type == BlockType::Aggregates)
            );
            assert!(sections(&session(&cap, None, None)).is_empty());
            let spec = catalog::view("files").expect("files");
            let a = run_view(
                spec,
                &mut session(&cap, None, None),
                None,
                &mut Control::default(),
            )
            .expect("v");
            let b = run_view(
                spec,
                &mut session(&plain, None, None),
                None,
                &mut Control::default(),
            )
            .expect("v");
            assert_eq!(a, b);
        }
    }
}

#[cfg(test)]
mod breakdown {
    /// Where the bytes of a capture's aggregates go (run by hand:
    /// `CASEFILE_AGG=FILE cargo test --bin casefile aggregate_breakdown -- --ignored --nocapture`).
    #[test]
    #[ignore = "a measuring aid"]
    fn aggregate_breakdown() {
        use super::*;
        let Ok(path) = std::env::var("CASEFILE_AGG") else {
            return;
        };
        let cap = capture_format::CaptureFile::read(path).expect("open");
        let (mut values, mut cells, mut total, mut stored) = (0usize, 0usize, 0usize, 0u64);
        let mut per_view: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        let mut per_tile: BTreeMap<u16, usize> = BTreeMap::new();
        for i in 0..cap.blocks().len() {
            let Ok(Some(raw)) = cap.aggregates(i) else {
                continue;
            };
            stored += u64::from(cap.blocks()[i + 1].total_len);
            total += raw.len();
            let s = Section::decode(&raw).expect("decodes");
            values += s.values.len();
            for c in &s.cells {
                cells += 1;
                for (t, v) in &c.tiles {
                    *per_tile.entry(*t).or_default() += match v {
                        TileVal::Num(_) => 1,
                        TileVal::Set(x) => x.len(),
                    };
                }
            }
            for v in &s.views {
                let e = per_view.entry(v.id.clone()).or_default();
                e.0 += v.rows.len();
                e.1 += Section {
                    views: vec![v.clone()],
                    ..Section::default()
                }
                .encode()
                .len();
            }
        }
        eprintln!("raw {total} B, stored {stored} B, {values} values, {cells} cells");
        eprintln!("views (rows, raw bytes): {per_view:?}");
        eprintln!(
            "tile entries: {:?}",
            per_tile
                .iter()
                .map(|(t, n)| (TILES[*t as usize].id, *n))
                .collect::<Vec<_>>()
        );
    }
}
