//! `casefile top`: one of csysdig's views over a capture, as a table or JSON.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};

use super::args::{run_with_progress, session};
use crate::cli::TopArgs;
use crate::output::table::{print_table, table_json};
use crate::views::catalog::{PSEUDO_VIEWS, VIEWS, view};
use crate::views::spec::{Order, ViewKind};

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
