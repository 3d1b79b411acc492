//! A view's result: rows of typed cells under their heads, sortable, and how cells print.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::spec::{Agg, Order, Unit};
use crate::filter::Val;

use crate::replay::context::val_text;

/// One cell of a result row.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Cell {
    /// No value (the field was absent in every event of the row).
    None,
    /// A number (counts, bytes, nanoseconds, times, ids).
    Num(i64),
    /// Text.
    Text(String),
    /// An address.
    Ip(IpAddr),
    /// A boolean.
    Bool(bool),
}

impl Cell {
    pub(crate) fn from_val(v: &Val<'_>) -> Cell {
        match v {
            Val::Num(n) => Cell::Num(*n),
            Val::Bool(b) => Cell::Bool(*b),
            Val::Ip(ip) => Cell::Ip(*ip),
            Val::Str(b) => Cell::Text(String::from_utf8_lossy(b).into_owned()),
            Val::List(_) => {
                let mut t = String::new();
                val_text(v, &mut t);
                Cell::Text(t)
            }
        }
    }

    /// Becomes `v`, without allocating when it already holds that text.
    pub(super) fn set(&mut self, v: &Val<'_>) {
        match (&mut *self, v) {
            (Cell::Text(t), Val::Str(b)) if t.as_bytes() == &b[..] => {}
            (Cell::Text(t), Val::Str(b)) if std::str::from_utf8(b).is_ok() => {
                t.clear();
                t.push_str(&String::from_utf8_lossy(b));
            }
            (c, v) => *c = Cell::from_val(v),
        }
    }

    /// Plain text (numbers unformatted; `None` empty).
    pub fn text(&self) -> String {
        match self {
            Cell::None => String::new(),
            Cell::Num(n) => n.to_string(),
            Cell::Text(t) => t.clone(),
            Cell::Ip(ip) => ip.to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }

    /// Orders cells of one column: absent values first, then by value.
    fn cmp(&self, other: &Cell) -> std::cmp::Ordering {
        use std::cmp::Ordering as O;
        fn rank(c: &Cell) -> u8 {
            match c {
                Cell::None => 0,
                Cell::Bool(_) => 1,
                Cell::Num(_) => 2,
                Cell::Ip(_) => 3,
                Cell::Text(_) => 4,
            }
        }
        match (self, other) {
            (Cell::Num(a), Cell::Num(b)) => a.cmp(b),
            (Cell::Text(a), Cell::Text(b)) => a.cmp(b),
            (Cell::Ip(a), Cell::Ip(b)) => a.cmp(b),
            (Cell::Bool(a), Cell::Bool(b)) => a.cmp(b),
            (a, b) => match rank(a).cmp(&rank(b)) {
                O::Equal => O::Equal,
                o => o,
            },
        }
    }
}

/// A column of a result.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Head {
    /// Header.
    pub name: &'static str,
    /// Aggregation.
    pub agg: Agg,
    /// Field read.
    pub field: Option<&'static str>,
    /// How numbers read.
    pub unit: Unit,
}

/// One result row.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Row {
    /// One cell per column.
    pub cells: Vec<Cell>,
    /// The filter that selects this row's events in the drill-down target view
    /// (`fd.name = "/etc/passwd"`), when the view has a drill-down.
    pub drill: Option<String>,
}

/// A view's result.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Table {
    /// View id.
    pub view: &'static str,
    /// Columns.
    pub columns: Vec<Head>,
    /// Rows, in the view's default order until [`Table::sort`] changes it.
    pub rows: Vec<Row>,
    /// Drill-down target view, if any.
    pub drill_view: Option<&'static str>,
    /// Events that matched the view's filter (and the user's) in the time range.
    pub events: u64,
}

impl Table {
    /// Sorts by column `col` (ties broken by the other columns left to right, ascending).
    pub fn sort(&mut self, col: usize, order: Order) {
        // Unstable is enough: the comparison is total (equal rows are identical).
        self.rows.sort_unstable_by(|a, b| {
            let mut o = a.cells[col].cmp(&b.cells[col]);
            if order == Order::Desc {
                o = o.reverse();
            }
            o.then_with(|| {
                a.cells
                    .iter()
                    .zip(&b.cells)
                    .map(|(x, y)| x.cmp(y))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
        });
    }

    /// The index of the column named `name` (case-insensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// Human-readable text of a cell in its unit: bytes as `12.3K`, durations as `1.50ms`, times
/// as `HH:MM:SS.nnnnnnnnn`.
pub fn display(cell: &Cell, unit: Unit) -> String {
    match (cell, unit) {
        (Cell::Num(n), Unit::Bytes) => human_bytes(*n),
        (Cell::Num(n), Unit::Ns) => human_ns(*n),
        (Cell::Num(n), Unit::Time) => {
            let mut t = String::new();
            crate::replay::render::time_of_day(*n as u64, &mut t);
            t
        }
        (Cell::Num(n), Unit::Priority) => {
            super::alerts::priority_name(*n).map_or_else(|| n.to_string(), str::to_owned)
        }
        (c, _) => c.text(),
    }
}

/// `1536` → `1.5K`.
pub fn human_bytes(n: i64) -> String {
    let units = ["", "K", "M", "G", "T", "P"];
    let mut v = n as f64;
    let mut u = 0;
    while v.abs() >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n}")
    } else {
        let mut s = String::new();
        let _ = write!(s, "{v:.1}{}", units[u]);
        s
    }
}

/// `1500000` → `1.50ms`.
pub fn human_ns(n: i64) -> String {
    let v = n as f64;
    if n.abs() < 1_000 {
        format!("{n}ns")
    } else if n.abs() < 1_000_000 {
        format!("{:.2}us", v / 1e3)
    } else if n.abs() < 1_000_000_000 {
        format!("{:.2}ms", v / 1e6)
    } else {
        format!("{:.2}s", v / 1e9)
    }
}
