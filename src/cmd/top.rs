//! `casefile top`: one of csysdig's views over a capture, as a table or JSON.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};

use super::args::{resolve, run_with_progress};
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
        return list(args.reading.json);
    }
    let Some(id) = &args.view else {
        bail!("give a view and a capture file (casefile top VIEW FILE), or --list");
    };
    let r = resolve(&args.reading)?;
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
    let mut session = r.session(crate::replay::session::Options::default())?;
    if !super::args::has_latency(session.capture()) {
        let latency = |f: Option<&str>| f.is_some_and(|f| f.contains("evt.latency"));
        if latency(spec.filter) {
            bail!(
                "view {id} selects calls by their latency, but {} was recorded with \
                 --no-latency: no call has one",
                r.describe()
            );
        }
        if spec.columns.iter().any(|c| latency(c.field)) {
            eprintln!(
                "casefile: {} was recorded with --no-latency: the time columns read 0",
                r.describe()
            );
        }
    }
    session.set_threads(super::args::threads(args.threads));
    let mut table = run_with_progress(spec, &mut session, r.filter_text.as_deref(), r.progress)
        .with_context(|| format!("view {id} of {}", r.describe()))?;
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
    let limit = args
        .limit
        .or(r.count.map(|n| usize::try_from(n).unwrap_or(usize::MAX)));
    if r.json {
        serde_json::to_writer(&mut out, &table_json(&table, limit))?;
        writeln!(out)?;
    } else {
        print_table(&mut out, &table, limit)?;
    }
    out.flush()?;
    Ok(super::args::report_damage(
        session.damage(),
        ExitCode::SUCCESS,
    ))
}
