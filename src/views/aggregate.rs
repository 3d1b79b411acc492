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
//! Reading: [`overview_from_index`] and [`view_from_index`] take the blocks wholly inside the
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

use capture_format::schema::{Body, Event};
use capture_format::{BlockAggregator, HeaderInfo};

use super::aggsection::{
    AccPart, CellAgg, FLAG_UNUSABLE, MAX_CELLS, RowPart, Section, TileVal, ViewPart,
};
use super::catalog;
use super::eval::{Compiled, ViewError, bucket_of, encode, hash64, is_event};
use super::overview::{Hit, TILES, TileSet};
use super::spec::{Agg, ViewKind, ViewSpec};
use crate::filter::{Source, Val};
use crate::replay::context::{EventCtx, Side};
use crate::replay::engine::{Engine, Flow};
use crate::replay::render::BufMode;
use crate::replay::session::ReplayError;

pub mod deferred;
mod read;

#[cfg(test)]
use read::sections;
pub(crate) use read::{Merged, block_names, overview_from_index, view_from_index};

/// The views whose partial tables each block carries.
pub const VIEWS: [&str; 4] = ["procs", "files", "containers", "syscalls"];

/// The id of the table of a block's distinct process names: a table without columns whose
/// row keys are every value `proc.name` has on the block's records, raw (not identity bytes),
/// ascending. Readers skip blocks for filters no name can match (`replay::skip`).
pub const NAMES: &str = "proc.name";

/// `proc.name`, as the names table reads it.
const PROC_NAME: crate::replay::fields::Field = crate::replay::fields::Field {
    fid: crate::replay::fields::Fid::ProcName,
    arg: crate::replay::fields::FieldArg::None,
};

/// Percentile samples kept exactly per block and row, past which a block keeps a histogram:
/// what a replay keeps exactly per row (see [`super::percentile::EXACT_MAX`]).
const PCT_EXACT: usize = super::percentile::EXACT_MAX;

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
/// views key rows by host, which the aggregates do not), on a thread beside the writer: each
/// block's aggregates are computed while the writer fills the next.
pub fn attach<W: std::io::Write>(
    w: &mut capture_format::Writer<W>,
    info: &HeaderInfo,
) -> Result<(), ViewError> {
    if info.hosts.len() <= 1 {
        let d = deferred::Deferred::start(Aggregator::new(info)?, deferred::Mode::Beside)
            .map_err(|e| ViewError::Thread(e.to_string()))?;
        w.set_aggregator(Box::new(d));
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
    /// Every `proc.name` of the block's records (the ones a reader's filter sees), for
    /// skipping blocks no name of which can match (see [`NAMES`]).
    names: std::collections::HashSet<Vec<u8>>,
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
                names: std::collections::HashSet::new(),
            },
            num: 0,
        })
    }
}

impl Aggregator {
    /// Numbers the next event handed over `n + 1` (a block's first event number is `n`), for
    /// an aggregator fed whole blocks that may skip some.
    pub fn set_next_event(&mut self, n: u64) {
        self.num = n;
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
        // Before the events-only test: a filter is evaluated on every record.
        if let Some(Val::Str(name)) = ctx.get(&PROC_NAME)
            && !self.names.contains(name.as_ref())
        {
            self.names.insert(name.into_owned());
        }
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
        let mut views: Vec<ViewPart> = self
            .views
            .iter_mut()
            .map(|(c, f)| std::mem::take(f).finish(c.spec.id))
            .collect();
        let mut names: Vec<Vec<u8>> = self.names.drain().collect();
        names.sort_unstable();
        views.push(ViewPart {
            id: NAMES.into(),
            events: names.len() as u64,
            rows: (names.into_iter())
                .map(|key| RowPart {
                    key,
                    accs: Vec::new(),
                })
                .collect(),
        });
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
    /// A column's value, encoded (reused from event to event).
    value: Vec<u8>,
    /// The view's conditions on the event being folded: 0 not judged yet, 1 true, 2 false.
    conds: Vec<u8>,
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
    /// Folds one event that passed the view's filter (as [`Accumulator::event`](super::eval::Accumulator::event) does, in a
    /// form that merges across blocks).
    pub(super) fn event(&mut self, c: &Compiled, ctx: &mut EventCtx<'_, '_>) {
        self.events += 1;
        if !c.row_key(ctx, &mut self.scratch) {
            return;
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
        let conds = &mut self.conds;
        conds.clear();
        conds.resize(c.conds.len(), 0);
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
            // The column's value, encoded into `buf` (false without one).
            let encoded = |ctx: &mut EventCtx<'_, '_>, buf: &mut Vec<u8>| -> bool {
                buf.clear();
                let Some(v) = col.field.as_ref().and_then(|f| ctx.get(f)) else {
                    return false;
                };
                encode(&v, buf);
                true
            };
            let value = |ctx: &mut EventCtx<'_, '_>| -> Option<Vec<u8>> {
                let mut b = Vec::new();
                encoded(ctx, &mut b).then_some(b)
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
                    AccPart::Val(v) => match v {
                        // The last value: into the row's own buffer, without allocating.
                        Some(b) if col.spec.agg != Agg::First => {
                            if encoded(ctx, &mut self.value) {
                                b.clear();
                                b.extend_from_slice(&self.value);
                            }
                        }
                        Some(_) => {}
                        None => *v = value(ctx),
                    },
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
                    if encoded(ctx, &mut self.value) && !set.contains(&self.value) {
                        set.insert(self.value.clone());
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

#[cfg(test)]
mod tests;

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
