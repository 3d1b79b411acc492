//! The overview: Sysdig Inspect's tiles, each a total plus a time series over N buckets of the
//! time range, grouped in Inspect's categories, each naming the view it drills down to.
//!
//! Every tile is a filter and a metric (count the events, sum a field, or count a field's
//! distinct values). All tiles are computed in one pass. Most tiles only concern a few event
//! types; a table from event type to the tiles that can match it (built from each tile's
//! [`Guard`]) keeps the per-event cost to the few filters that can hold.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::time::{Duration, Instant};

use capture_format::schema::syscall_names::SYSCALL_COUNT;
use capture_format::schema::syscalls::{self, io};
use capture_format::schema::{Body, Kind};

use super::eval::{Control, ViewError, compile_filters, resolve_field, session_range};
use super::spec::Unit;
use crate::filter::{Filter, Source, Val};
use crate::replay::context::EventCtx;
use crate::replay::fields::{Field, Fields};
use crate::replay::session::{Flow, Session};
use crate::replay::state::IdHasher;

pub use super::tiles::{Category, Guard, Metric, TILES, Tile};

/// One tile's numbers.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TileResult {
    /// Tile id.
    pub id: &'static str,
    /// Title.
    pub name: &'static str,
    /// Category.
    pub category: Category,
    /// How numbers read.
    pub unit: Unit,
    /// Over the whole range (for distinct metrics: distinct over the range).
    pub total: i64,
    /// One value per bucket.
    pub series: Vec<i64>,
    /// Drill-down view.
    pub target: &'static str,
    /// Filter applied to it.
    pub target_filter: Option<&'static str>,
    /// Column it is sorted by.
    pub target_sort: Option<&'static str>,
}

/// The overview.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Overview {
    /// Start of the range (ns since the epoch).
    pub from: u64,
    /// End of the range.
    pub to: u64,
    /// Start of the first bucket: `from` rounded down to a multiple of `bucket_ns` (bucket
    /// `i` covers `origin + i * bucket_ns` on), so bucket edges fall on the edges of the
    /// index's aggregate cells.
    pub origin: u64,
    /// Number of buckets.
    pub buckets: usize,
    /// Width of a bucket in ns (see [`layout`]).
    pub bucket_ns: u64,
    /// Events seen (those matching the user's filter in the range).
    pub events: u64,
    /// Tiles, in [`TILES`] order.
    pub tiles: Vec<TileResult>,
}

pub(crate) type Set = HashSet<u64, BuildHasherDefault<IdHasher>>;

/// The buckets of a range: `(origin, width)`. The width is the range over `buckets`, rounded
/// up to a multiple of a power of two `g` of at most a sixteenth of it, and the origin is the
/// range's start rounded down to a multiple of `g`: every bucket edge falls on a multiple of
/// `g`, so an aggregate cell of the index no wider than `g` lies in one bucket.
pub fn layout(range: (u64, u64), buckets: usize) -> (u64, u64) {
    let n = buckets.max(1) as u64;
    let span = range.1.saturating_sub(range.0).saturating_add(1);
    let want = span.div_ceil(n).max(1);
    let g = 1u64 << want.ilog2().saturating_sub(4);
    let origin = range.0 / g * g;
    let mut w = want.div_ceil(g).saturating_mul(g);
    while range.1.saturating_sub(origin) / w >= n && w < u64::MAX / 2 {
        w += g;
    }
    (origin, w)
}

/// What a tile takes from one event.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Hit {
    /// One more.
    Count,
    /// A value to add.
    Sum(i64),
    /// A value's hash.
    Distinct(u64),
}

/// Every tile's filter and field, and the table from event slot to the tiles that may match.
pub(crate) struct TileSet {
    filters: Vec<Filter<Field>>,
    fields: Vec<Option<Field>>,
    table: Vec<Vec<u16>>,
}

impl TileSet {
    /// Compiles every tile.
    pub(crate) fn new() -> Result<TileSet, ViewError> {
        let mut table: Vec<Vec<u16>> = vec![Vec::new(); SYSCALL_COUNT + 256];
        let mut filters = Vec::with_capacity(TILES.len());
        let mut fields = Vec::with_capacity(TILES.len());
        for (i, tile) in TILES.iter().enumerate() {
            filters.push(crate::filter::compile(tile.filter, &Fields)?);
            fields.push(match tile.metric {
                Metric::Count => None,
                Metric::Sum(f) | Metric::Distinct(f) => {
                    Some(resolve_field(f).map_err(|_| ViewError::BadField {
                        view: "summary".into(),
                        column: tile.id.into(),
                        field: f.into(),
                        message: "unknown field".into(),
                    })?)
                }
            });
            for s in guard_slots(tile.guard) {
                table[s].push(i as u16);
            }
        }
        Ok(TileSet {
            filters,
            fields,
            table,
        })
    }

    /// Calls `hit` for every tile the event counts in (with a distinct value's identity
    /// bytes; empty for the others).
    pub(crate) fn event(
        &self,
        ctx: &mut EventCtx<'_, '_>,
        scratch: &mut Vec<u8>,
        mut hit: impl FnMut(usize, Hit, &[u8]),
    ) {
        for &ti in &self.table[slot(&ctx.ev.body)] {
            let ti = ti as usize;
            if !self.filters[ti].matches(ctx) {
                continue;
            }
            match TILES[ti].metric {
                Metric::Count => hit(ti, Hit::Count, &[]),
                Metric::Sum(_) => {
                    if let Some(f) = &self.fields[ti]
                        && let Some(Val::Num(v)) = ctx.get(f)
                    {
                        hit(ti, Hit::Sum(v), &[]);
                    }
                }
                Metric::Distinct(_) => {
                    if let Some(f) = &self.fields[ti]
                        && let Some(v) = ctx.get(f)
                    {
                        scratch.clear();
                        super::eval::encode(&v, scratch);
                        hit(ti, Hit::Distinct(super::eval::hash64(scratch)), scratch);
                    }
                }
            }
        }
    }
}

/// The tiles' numbers as they are being added up: totals, and per bucket the sums or the
/// distinct values.
pub(crate) struct Totals {
    pub(crate) events: u64,
    total: Vec<i64>,
    series: Vec<Vec<i64>>,
    all: Vec<Set>,
    sets: Vec<Vec<Set>>,
}

impl Totals {
    pub(crate) fn new(buckets: usize) -> Totals {
        let distinct = |t: &Tile| matches!(t.metric, Metric::Distinct(_));
        Totals {
            events: 0,
            total: vec![0; TILES.len()],
            series: vec![vec![0; buckets]; TILES.len()],
            all: (0..TILES.len()).map(|_| Set::default()).collect(),
            sets: TILES
                .iter()
                .map(|t| {
                    if distinct(t) {
                        (0..buckets).map(|_| Set::default()).collect()
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
        }
    }

    /// Adds one hit of tile `ti` in bucket `b`.
    pub(crate) fn hit(&mut self, ti: usize, b: usize, hit: Hit) {
        match hit {
            Hit::Count => {
                self.total[ti] += 1;
                self.series[ti][b] += 1;
            }
            Hit::Sum(v) => self.add(ti, b, v),
            Hit::Distinct(h) => {
                self.all[ti].insert(h);
                self.sets[ti][b].insert(h);
            }
        }
    }

    /// Adds a count or a sum of tile `ti` in bucket `b`.
    pub(crate) fn add(&mut self, ti: usize, b: usize, v: i64) {
        self.total[ti] = self.total[ti].saturating_add(v);
        self.series[ti][b] = self.series[ti][b].saturating_add(v);
    }

    pub(crate) fn result(&self, range: (u64, u64), origin: u64, bucket_ns: u64) -> Overview {
        let buckets = self.series.first().map_or(0, Vec::len);
        Overview {
            from: range.0,
            to: range.1,
            origin,
            buckets,
            bucket_ns,
            events: self.events,
            tiles: TILES
                .iter()
                .enumerate()
                .map(|(i, tile)| {
                    let distinct = matches!(tile.metric, Metric::Distinct(_));
                    TileResult {
                        id: tile.id,
                        name: tile.name,
                        category: tile.category,
                        unit: tile.unit,
                        total: if distinct {
                            self.all[i].len() as i64
                        } else {
                            self.total[i]
                        },
                        series: if distinct {
                            self.sets[i].iter().map(|s| s.len() as i64).collect()
                        } else {
                            self.series[i].clone()
                        },
                        target: tile.target,
                        target_filter: tile.drill_filter(),
                        target_sort: tile.target_sort,
                    }
                })
                .collect(),
        }
    }
}

/// The slot of an event in the guard table: its syscall number, or past them its record kind.
fn slot(body: &Body<'_>) -> usize {
    match body {
        Body::Syscall(sc) if (sc.nr as usize) < SYSCALL_COUNT => sc.nr as usize,
        Body::Syscall(_) => SYSCALL_COUNT + 255,
        b => SYSCALL_COUNT + b.kind_u8() as usize,
    }
}

fn guard_slots(g: Guard) -> Vec<usize> {
    match g {
        Guard::Any => (0..SYSCALL_COUNT + 256).collect(),
        Guard::Syscalls => (0..SYSCALL_COUNT).chain([SYSCALL_COUNT + 255]).collect(),
        Guard::Io => (0..SYSCALL_COUNT)
            .filter(|&nr| syscalls::spec(nr as u16).io & (io::READ | io::WRITE) != 0)
            .collect(),
        Guard::Types(names) => names
            .iter()
            .filter_map(|n| {
                if let Some(nr) = syscalls::by_name(n) {
                    return Some(nr as usize);
                }
                (1..=u8::MAX)
                    .filter_map(Kind::from_u8)
                    .find(|k| k.name() == *n)
                    .map(|k| SYSCALL_COUNT + k as usize)
            })
            .collect(),
    }
}

/// Computes the overview over `session` with `buckets` time buckets, for the events matching
/// `user_filter` (all when `None`).
pub fn run_overview(
    session: &mut Session,
    user_filter: Option<&str>,
    buckets: usize,
    ctl: &mut Control<'_>,
) -> Result<Overview, ViewError> {
    run_overview_live(
        session,
        user_filter,
        buckets,
        ctl,
        (Duration::MAX, &mut |_| {}),
    )
}

/// [`run_overview`], handing the tiles as they stand to `partial.1` at most every `partial.0`
/// of the scan, so a screen can fill them in as it goes (distinct counts are those seen so
/// far).
///
/// Without a user filter, the event blocks whose aggregates the index holds (wholly inside the
/// time range) are added up from those, without decompressing them; only the others are
/// replayed. The result is the same either way (a test holds this).
pub fn run_overview_live(
    session: &mut Session,
    user_filter: Option<&str>,
    buckets: usize,
    ctl: &mut Control<'_>,
    partial: (Duration, &mut dyn FnMut(Overview)),
) -> Result<Overview, ViewError> {
    run_overview_with(session, user_filter, buckets, ctl, partial, true)
}

/// [`run_overview_live`], with or without the index's aggregates.
pub(crate) fn run_overview_with(
    session: &mut Session,
    user_filter: Option<&str>,
    buckets: usize,
    ctl: &mut Control<'_>,
    partial: (Duration, &mut dyn FnMut(Overview)),
    use_aggregates: bool,
) -> Result<Overview, ViewError> {
    let (every, partial) = partial;
    let buckets = buckets.max(1);
    let range = session_range(session);
    let (origin, bucket_ns) = layout(range, buckets);
    let user = compile_filters(None, user_filter)?;
    let tiles = TileSet::new()?;
    let mut tot = Totals::new(buckets);
    let bucket = |ts: u64| ((ts.saturating_sub(origin) / bucket_ns) as usize).min(buckets - 1);
    let mut from_index = Vec::new();
    if use_aggregates && user.is_none() {
        from_index =
            super::aggregate::overview_from_index(session, (origin, bucket_ns), &mut tot, &bucket);
    }
    let mut n = tot.events;
    let mut scratch = Vec::new();
    let mut last_partial = Instant::now();
    if !from_index.is_empty() {
        partial(tot.result(range, origin, bucket_ns));
    }
    let skip = |i: usize| from_index.binary_search(&i).is_ok();
    session.run_except(&skip, user.as_ref(), |ctx| -> Result<Flow, ViewError> {
        if !super::eval::is_event(&ctx.ev.body) {
            return Ok(Flow::Continue);
        }
        n += 1;
        tot.events = n;
        if n.is_multiple_of(1 << 12) && last_partial.elapsed() >= every {
            partial(tot.result(range, origin, bucket_ns));
            last_partial = Instant::now();
        }
        let b = bucket(ctx.ev.ts);
        tiles.event(ctx, &mut scratch, |ti, hit, _| tot.hit(ti, b, hit));
        Ok(ctl.tick(n, ctx.ev.ts, range))
    })?;
    if ctl.cancelled() {
        return Err(ViewError::Cancelled);
    }
    ctl.done(n);
    tot.events = n;
    Ok(tot.result(range, origin, bucket_ns))
}

/// A sparkline of `series` with Unicode block characters (`▁▂▃▄▅▆▇█`; a space for zero).
pub fn sparkline(series: &[i64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = series.iter().copied().max().unwrap_or(0).max(1);
    series
        .iter()
        .map(|&v| {
            if v <= 0 {
                ' '
            } else {
                BARS[((v as u128 * 7) / max as u128) as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn every_tile_compiles_and_guards_resolve() {
        for tile in TILES {
            crate::filter::compile(tile.filter, &Fields)
                .unwrap_or_else(|e| panic!("{}: {e}", tile.id));
            if let Some(f) = tile.drill_filter() {
                crate::filter::compile(f, &Fields).unwrap_or_else(|e| panic!("{}: {e}", tile.id));
            }
            if let Guard::Types(names) = tile.guard {
                assert_eq!(guard_slots(tile.guard).len(), names.len(), "{}", tile.id);
            }
            assert!(
                super::super::catalog::view(tile.target).is_some()
                    || super::super::catalog::PSEUDO_VIEWS.contains(&tile.target),
                "{} → {}",
                tile.id,
                tile.target
            );
        }
    }

    #[test]
    fn sparkline_scales_to_the_maximum() {
        assert_eq!(sparkline(&[0, 1, 4, 8]), " ▁▄█");
        assert_eq!(sparkline(&[]), "");
    }
}
