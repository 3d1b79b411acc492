//! `casefile top`: one of csysdig's views over a capture, as a table or JSON.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::{SelectArgs, TopArgs};
use crate::replay::session::{Options, Session};
use crate::views::catalog::{PSEUDO_VIEWS, VIEWS, view};
use crate::views::eval::{Cell, Control, Progress, Table, display, run_view};
use crate::views::spec::{Order, Unit, ViewKind};

/// A replay session over `files` (merged when several) limited to the selection's time range.
pub fn session(files: &[PathBuf], select: &SelectArgs) -> anyhow::Result<Session> {
    let cap = super::open_all(files)?;
    let range = cap.time_range().unwrap_or((0, 0));
    let (from, to) = super::read::time_args(select.from.as_deref(), select.to.as_deref(), range)?;
    let opts = Options {
        from,
        to,
        ..Options::default()
    };
    Ok(Session::new(cap, opts)?)
}

/// A progress line on stderr when it is a terminal (cleared at the end).
pub fn progress_printer() -> Option<impl FnMut(Progress)> {
    let err = io::stderr();
    if !err.is_terminal() {
        return None;
    }
    Some(move |p: Progress| {
        let mut e = io::stderr().lock();
        if p.fraction >= 1.0 {
            let _ = write!(e, "\r\x1b[K");
        } else {
            let _ = write!(e, "\r{:3.0}% {} events", p.fraction * 100.0, p.events);
        }
        let _ = e.flush();
    })
}

/// Runs a view with progress on stderr.
pub fn run_with_progress(
    spec: &'static crate::views::spec::ViewSpec,
    session: &mut Session,
    filter: Option<&str>,
) -> anyhow::Result<Table> {
    let mut pp = progress_printer();
    let mut ctl = Control {
        progress: pp.as_mut().map(|p| p as &mut dyn FnMut(Progress)),
        cancel: None,
    };
    Ok(run_view(spec, session, filter, &mut ctl)?)
}

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

fn list(json: bool) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if json {
        serde_json::to_writer_pretty(&mut out, VIEWS)?;
        writeln!(out)?;
    } else {
        let w = VIEWS.iter().map(|v| v.id.len()).max().unwrap_or(0);
        for v in VIEWS {
            let kind = match v.kind {
                ViewKind::Table => "table",
                ViewKind::List => "list ",
            };
            writeln!(out, "{:w$}  {kind}  {}: {}", v.id, v.name, v.description)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `casefile top`.
pub fn run(args: &TopArgs) -> anyhow::Result<ExitCode> {
    if args.list {
        return list(args.json);
    }
    let (Some(id), false) = (&args.view, args.files.is_empty()) else {
        bail!("give a view and a capture file (casefile top VIEW FILE), or --list");
    };
    if PSEUDO_VIEWS.contains(&id.as_str()) {
        bail!(
            "'{id}' is not a table: use `casefile {}` for it",
            if id == "dig" {
                "read FILE -f FILTER"
            } else {
                "echo FILE -f FILTER"
            }
        );
    }
    let Some(spec) = view(id) else {
        return Err(crate::views::eval::ViewError::UnknownView(id.clone()).into());
    };
    let mut session = session(&args.files, &args.select)?;
    let mut table = run_with_progress(spec, &mut session, args.select.filter.as_deref())
        .with_context(|| format!("view {id} of {}", super::describe(&args.files)))?;
    if let Some(col) = &args.sort {
        let Some(i) = table.column(col) else {
            return Err(crate::views::eval::ViewError::UnknownColumn {
                view: spec.id.to_owned(),
                name: col.clone(),
                columns: spec
                    .columns
                    .iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            }
            .into());
        };
        table.sort(i, if args.asc { Order::Asc } else { Order::Desc });
    } else if args.asc
        && let Some(i) = spec.column(spec.sort.0)
    {
        table.sort(i, Order::Asc);
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer(&mut out, &table_json(&table, args.limit))?;
        writeln!(out)?;
    } else {
        print_table(&mut out, &table, args.limit)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
