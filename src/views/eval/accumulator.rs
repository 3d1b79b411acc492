//! The per-event part of a view's run: each event keyed into its row and folded into the
//! row's accumulators, then the rows finished into a [`Table`].

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use capture_format::schema::Body;

use super::super::spec::{Agg, Order, ViewKind};
use super::{Acc, Cell, Compiled, Head, Row, Table, encode, hash64, quote};
use crate::filter::{Source, Val};
use crate::replay::context::EventCtx;
use crate::replay::state::IdHasher;

#[derive(Clone)]
pub(in crate::views) struct RowAcc {
    pub(in crate::views) keys: Vec<Cell>,
    pub(in crate::views) accs: Vec<Acc>,
}

/// The per-event part of a run, usable with any event source (the TUI's live view too).
pub struct Accumulator<'c> {
    pub(super) c: &'c Compiled,
    pub(in crate::views) rows: Vec<RowAcc>,
    pub(super) index: HashMap<Box<[u8]>, u32, BuildHasherDefault<IdHasher>>,
    scratch: Vec<u8>,
    /// The key of the last event and its row.
    pub(super) last_key: Vec<u8>,
    pub(super) last_row: Option<usize>,
    conds: Vec<u8>,
    /// For a segment of a parallel run: the value each image column of a row last took from
    /// an exec, by (row, column) (see `merge`).
    pub(in crate::views) exec_images: Option<HashMap<(usize, usize), Cell>>,
}

impl<'c> Accumulator<'c> {
    /// An empty accumulator for a compiled view.
    pub fn new(c: &'c Compiled) -> Accumulator<'c> {
        Accumulator {
            c,
            rows: Vec::new(),
            index: HashMap::default(),
            scratch: Vec::with_capacity(64),
            last_key: Vec::with_capacity(64),
            last_row: None,
            conds: vec![0; c.conds.len()],
            exec_images: None,
        }
    }

    /// Folds one event that matched the view's filter.
    pub fn event(&mut self, ctx: &mut EventCtx<'_, '_>) {
        let c = self.c;
        let (row, fresh) = if c.spec.kind == ViewKind::List {
            self.rows.push(RowAcc {
                keys: Vec::new(),
                accs: c.cols.iter().map(Acc::for_col).collect(),
            });
            (self.rows.len() - 1, true)
        } else {
            if !c.row_key(ctx, &mut self.scratch) {
                return;
            }
            if let Some(r) = self.last_row
                && self.scratch == self.last_key
            {
                // Events come in runs from one thread: skip the hash lookup.
                (r, false)
            } else if let Some(&i) = self.index.get(&self.scratch[..]) {
                self.last_key.clone_from(&self.scratch);
                self.last_row = Some(i as usize);
                (i as usize, false)
            } else {
                let keys = c
                    .keys
                    .iter()
                    .map(|&k| {
                        c.cols[k]
                            .field
                            .as_ref()
                            .and_then(|f| ctx.get(f).map(|v| Cell::from_val(&v)))
                            .unwrap_or(Cell::None)
                    })
                    .collect();
                let i = self.rows.len();
                self.rows.push(RowAcc {
                    keys,
                    accs: c.cols.iter().map(Acc::for_col).collect(),
                });
                self.index
                    .insert(self.scratch.clone().into_boxed_slice(), i as u32);
                self.last_key.clone_from(&self.scratch);
                self.last_row = Some(i);
                (i, true)
            }
        };
        let exec = c.images && matches!(ctx.ev.body, Body::Exec(_));
        self.conds.iter_mut().for_each(|s| *s = 0);
        let ts = ctx.ev.ts;
        for (ci, col) in c.cols.iter().enumerate() {
            if let Some(w) = col.when {
                if self.conds[w] == 0 {
                    self.conds[w] = if c.conds[w].matches(ctx) { 1 } else { 2 };
                }
                if self.conds[w] == 2 {
                    continue;
                }
            }
            let acc = &mut self.rows[row].accs[ci];
            match acc {
                Acc::Key | Acc::PctShared => {}
                Acc::Count(n) => *n += 1,
                Acc::Seen(t) => {
                    if col.spec.agg == Agg::LastSeen || *t == 0 {
                        *t = ts;
                    }
                }
                Acc::Val(cell) => {
                    let want = match col.spec.agg {
                        Agg::First => matches!(cell, Cell::None),
                        Agg::Image => fresh || exec || matches!(cell, Cell::None),
                        _ => true,
                    };
                    if want
                        && let Some(f) = &col.field
                        && let Some(v) = ctx.get(f)
                    {
                        cell.set(&v);
                        if exec
                            && col.spec.agg == Agg::Image
                            && let Some(m) = &mut self.exec_images
                        {
                            m.insert((row, ci), cell.clone());
                        }
                    }
                }
                Acc::Distinct(set) => {
                    if let Some(f) = &col.field
                        && let Some(v) = ctx.get(f)
                    {
                        self.scratch.clear();
                        encode(&v, &mut self.scratch);
                        set.insert(hash64(&self.scratch));
                    }
                }
                Acc::Sum(_) | Acc::Avg(..) | Acc::Min(_) | Acc::Max(_) | Acc::Pct(_) => {
                    let Some(v) = col.field.as_ref().and_then(|f| match ctx.get(f) {
                        Some(Val::Num(n)) => Some(n),
                        Some(Val::Bool(b)) => Some(i64::from(b)),
                        _ => None,
                    }) else {
                        continue;
                    };
                    match acc {
                        Acc::Sum(s) => *s = Some(s.unwrap_or(0).saturating_add(v)),
                        Acc::Avg(s, n) => {
                            *s = s.saturating_add(v);
                            *n += 1;
                        }
                        Acc::Min(m) => *m = Some(m.map_or(v, |m| m.min(v))),
                        Acc::Max(m) => *m = Some(m.map_or(v, |m| m.max(v))),
                        Acc::Pct(s) => s.push(v),
                        _ => {}
                    }
                }
            }
        }
    }

    /// The result so far, leaving the accumulator to go on (a live view redraws it).
    pub fn snapshot(&self, events: u64) -> Table {
        Accumulator {
            c: self.c,
            rows: self.rows.clone(),
            index: HashMap::default(),
            scratch: Vec::new(),
            last_key: Vec::new(),
            last_row: None,
            conds: Vec::new(),
            exec_images: None,
        }
        .finish(events)
    }

    /// The result, in the view's default order.
    pub fn finish(self, events: u64) -> Table {
        let c = self.c;
        let spec = c.spec;
        let drill_key = spec.drill.and_then(|d| {
            c.cols
                .iter()
                .position(|k| k.spec.field == Some(d.key) && k.spec.agg != Agg::Count)
        });
        let rows = self
            .rows
            .into_iter()
            .map(|mut r| {
                let mut keys = r.keys.into_iter();
                let mut cells: Vec<Cell> = Vec::with_capacity(c.cols.len());
                for (i, col) in c.cols.iter().enumerate() {
                    let cell = if col.spec.agg == Agg::Key {
                        keys.next().unwrap_or(Cell::None)
                    } else if let Some(o) = col.pct_of {
                        let mut a = std::mem::replace(&mut r.accs[o], Acc::Key);
                        let cell = match &mut a {
                            Acc::Pct(_) => a.finish(col.spec.agg),
                            _ => Cell::None,
                        };
                        r.accs[o] = a;
                        cell
                    } else {
                        r.accs[i].finish(col.spec.agg)
                    };
                    cells.push(cell);
                }
                for (i, col) in c.cols.iter().enumerate() {
                    let bound = |b: Option<usize>| match b.map(|b| &cells[b]) {
                        Some(Cell::Num(v)) => Some(*v),
                        _ => None,
                    };
                    let (lo, hi) = (bound(col.bounds.0), bound(col.bounds.1));
                    if let Cell::Num(v) = &mut cells[i] {
                        *v = (*v).min(hi.unwrap_or(i64::MAX)).max(lo.unwrap_or(i64::MIN));
                    }
                }
                let drill = match (spec.drill, drill_key) {
                    (Some(d), Some(k)) if cells[k] != Cell::None => {
                        let key = format!("{} = {}", d.key, quote(&cells[k]));
                        Some(if c.per_host {
                            format!("host.name = {} and {key}", quote(&cells[0]))
                        } else {
                            key
                        })
                    }
                    _ => None,
                };
                Row { cells, drill }
            })
            .collect();
        let mut t = Table {
            view: spec.id,
            columns: c
                .cols
                .iter()
                .map(|k| Head {
                    name: k.spec.name,
                    agg: k.spec.agg,
                    field: k.spec.field,
                    unit: k.spec.unit,
                })
                .collect(),
            rows,
            drill_view: spec.drill.map(|d| d.view),
            events,
        };
        if let Some(i) = t.columns.iter().position(|h| h.name == spec.sort.0) {
            // A capture without what the sort column shows (CPU% of one taken without resource
            // samples) sorts by events instead.
            let events = t.columns.iter().position(|h| h.name == "EVENTS");
            match events {
                Some(e) if t.rows.iter().all(|r| r.cells[i] == Cell::None) => {
                    t.sort(e, Order::Desc);
                }
                _ => t.sort(i, spec.sort.1),
            }
        }
        t
    }
}
