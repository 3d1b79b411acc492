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
/// are formatted twice (once for the widths) rather than held as text. On a terminal the table
/// fits its width (text columns narrowed, widest first, and cut with `…`); elsewhere nothing is
/// cut.
pub fn print_table(out: &mut impl Write, t: &Table, limit: Option<usize>) -> io::Result<()> {
    print_table_within(out, t, limit, super::term::width())
}

/// The narrowest a text column is made to fit a terminal.
const MIN_TEXT: usize = 8;

/// Narrows `widths` (of columns whose `text` is true, widest first, not below their header or
/// [`MIN_TEXT`]) until the row, with two spaces between columns, fits `max`.
pub fn fit(widths: &mut [usize], text: &[bool], heads: &[usize], max: usize) {
    let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
    while total(widths) > max {
        let widest = (0..widths.len())
            .filter(|&i| text[i] && widths[i] > heads[i].max(MIN_TEXT))
            .max_by_key(|&i| (widths[i], i));
        let Some(i) = widest else { break };
        widths[i] -= 1;
    }
}

/// `s` cut to `w` characters, the last one `…` when cut.
fn cut(s: &str, w: usize) -> std::borrow::Cow<'_, str> {
    if s.chars().count() <= w {
        return s.into();
    }
    let mut c: String = s.chars().take(w.saturating_sub(1)).collect();
    c.push('…');
    c.into()
}

/// [`print_table`] fitted to `width` columns when given.
pub fn print_table_within(
    out: &mut impl Write,
    t: &Table,
    limit: Option<usize>,
    width: Option<usize>,
) -> io::Result<()> {
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
    if let Some(max) = width {
        let heads: Vec<usize> = t.columns.iter().map(|c| c.name.chars().count()).collect();
        let text: Vec<bool> = t.columns.iter().map(|c| c.unit == Unit::Text).collect();
        fit(&mut widths, &text, &heads, max);
    }
    let mut line = String::new();
    let mut emit = |out: &mut dyn Write, cells: &[String], head: bool| -> io::Result<()> {
        line.clear();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let c = &*cut(c, widths[i]);
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
        if head {
            writeln!(out, "{}", super::term::bold(line.trim_end()))
        } else {
            writeln!(out, "{}", line.trim_end())
        }
    };
    let head: Vec<String> = t.columns.iter().map(|c| c.name.to_owned()).collect();
    emit(out, &head, true)?;
    for r in rows() {
        row_text(r, t, &mut cells);
        emit(out, &cells, false)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widest_text_columns_give_way_first() {
        // PID, NAME, CWD (110 wide), COMMAND (63 wide): on 80 columns CWD and COMMAND shrink,
        // the wider first, numbers never.
        let mut w = vec![5, 10, 110, 63];
        fit(&mut w, &[false, true, true, true], &[3, 4, 3, 7], 80);
        assert_eq!(w.iter().sum::<usize>() + 6, 80);
        assert_eq!(w[0], 5);
        assert_eq!(w[1], 10);
        assert!((w[2] as i64 - w[3] as i64).abs() <= 1, "{w:?}");
        // Nothing to give: left as it is.
        let mut w = vec![20, 20];
        fit(&mut w, &[false, false], &[3, 3], 10);
        assert_eq!(w, [20, 20]);
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
