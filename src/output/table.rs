//! Views' tables as aligned text and as JSON (`top`, `spy`).

use std::io::{self, Write};

use crate::views::eval::{Cell, Table, display};
use crate::views::spec::Unit;

/// The cells of a row as printed.
fn row_text(r: &crate::views::eval::Row, t: &Table, out: &mut Vec<String>) {
    out.clear();
    out.extend(r.cells.iter().zip(&t.columns).map(|(c, h)| match c {
        Cell::None => "-".to_owned(),
        c => display(c, h.unit),
    }));
}

/// Prints a table with aligned columns: numbers right-aligned, the last column unpadded. Rows
/// are formatted twice (once for the widths) rather than held as text.
pub fn print_table(out: &mut impl Write, t: &Table, limit: Option<usize>) -> io::Result<()> {
    let rows = || t.rows.iter().take(limit.unwrap_or(usize::MAX));
    let mut widths: Vec<usize> = t.columns.iter().map(|c| c.name.chars().count()).collect();
    let mut cells = Vec::new();
    for r in rows() {
        row_text(r, t, &mut cells);
        for (w, c) in widths.iter_mut().zip(&cells) {
            *w = (*w).max(c.chars().count());
        }
    }
    let right: Vec<bool> = t
        .columns
        .iter()
        .map(|c| !matches!(c.unit, Unit::Text | Unit::Time))
        .collect();
    let last = t.columns.len().saturating_sub(1);
    let mut line = String::new();
    let mut emit = |out: &mut dyn Write, cells: &[String]| -> io::Result<()> {
        line.clear();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = widths[i].saturating_sub(c.chars().count());
            if right[i] {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(c);
            } else {
                line.push_str(c);
                if i != last {
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
        }
        writeln!(out, "{}", line.trim_end())
    };
    let head: Vec<String> = t.columns.iter().map(|c| c.name.to_owned()).collect();
    emit(out, &head)?;
    for r in rows() {
        row_text(r, t, &mut cells);
        emit(out, &cells)?;
    }
    Ok(())
}

/// The table as JSON: column list, one object per row keyed by column name, the drill-down.
pub fn table_json(t: &Table, limit: Option<usize>) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = t
        .rows
        .iter()
        .take(limit.unwrap_or(usize::MAX))
        .map(|r| {
            let mut o = serde_json::Map::new();
            for (c, h) in r.cells.iter().zip(&t.columns) {
                o.insert(
                    h.name.to_owned(),
                    serde_json::to_value(c).unwrap_or(serde_json::Value::Null),
                );
            }
            if let Some(d) = &r.drill {
                o.insert("drill".into(), serde_json::Value::String(d.clone()));
            }
            serde_json::Value::Object(o)
        })
        .collect();
    serde_json::json!({
        "view": t.view,
        "events": t.events,
        "columns": t.columns,
        "drill_view": t.drill_view,
        "rows": rows,
    })
}
