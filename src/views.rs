//! Views as data: csysdig's views and Sysdig Inspect's overview, evaluated in one pass over the
//! events a filter and a time range select.
//!
//! A [`spec::ViewSpec`] says which events a view looks at (a filter), how rows are keyed (key
//! fields), what each column aggregates (count, sum, average, min, max, latency percentiles,
//! first and last seen, distinct count, or a field's value) and where a row leads on
//! drill-down (a target view and the key field that filters it). [`catalog`] holds the views
//! users of csysdig and Inspect rely on; [`eval`] runs one over a replay session and returns
//! plain data (rows of typed cells); [`overview`] computes the overview tiles as totals plus
//! time series. The CLI (`top`, `spy`, `summary`) and the TUI use the same code; long runs
//! report progress through a callback and stop when a cancel flag is set.
//!
//! ```text
//! Session ──events──► filter(view ∧ user) ──► key fields ──► row ──► column accumulators
//!                                                                 └► Table { columns, rows }
//! ```
//!
//! Nothing here touches the terminal.

#![forbid(unsafe_code)]

pub mod aggregate;
pub mod aggsection;
pub mod alerts;
pub mod catalog;
pub mod chisels;
pub mod echo;
pub mod eval;
pub mod live;
pub mod overview;
pub mod percentile;
pub mod ps;
pub mod spec;
pub mod table;
pub mod tiles;
pub mod timeline;

#[cfg(test)]
mod tests;
