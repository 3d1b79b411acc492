//! `casefile spy`: interactive commands (programs a shell ran), csysdig's spy_users.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;

use super::args::{resolve, run_with_progress};
use crate::cli::SpyArgs;
use crate::output::table::table_json;
use crate::views::catalog::{EXECS, SPY_USERS};
use crate::views::eval::{Cell, Table, display};

fn cell<'t>(t: &'t Table, row: &'t [Cell], name: &str) -> Option<&'t Cell> {
    t.column(name).and_then(|i| row.get(i))
}

/// Runs `casefile spy`.
pub fn run(args: &SpyArgs) -> anyhow::Result<ExitCode> {
    let spec = if args.all { &EXECS } else { &SPY_USERS };
    let r = resolve(&args.reading)?;
    let mut s = r.session(crate::replay::session::Options::default())?;
    s.set_threads(super::args::threads(None));
    let t = run_with_progress(spec, &mut s, r.filter_text.as_deref(), r.progress)
        .with_context(|| format!("reading {}", r.describe()))?;
    let limit = r.count.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if r.json {
        serde_json::to_writer(&mut out, &table_json(&t, limit))?;
        writeln!(out)?;
        out.flush()?;
        return Ok(super::args::report_damage(s.damage(), ExitCode::SUCCESS));
    }
    let text = |row: &[Cell], name: &str| -> String {
        match cell(&t, row, name) {
            None | Some(Cell::None) => "?".to_owned(),
            Some(c) => display(c, crate::views::spec::Unit::Text),
        }
    };
    for row in t.rows.iter().take(limit.unwrap_or(usize::MAX)) {
        let row = &row.cells[..];
        let time = cell(&t, row, "TIME")
            .map_or_else(String::new, |c| display(c, crate::views::spec::Unit::Time));
        let user = match (cell(&t, row, "USER"), cell(&t, row, "UID")) {
            (Some(Cell::Text(u)), _) => u.clone(),
            (_, Some(Cell::Num(uid))) => format!("uid {uid}"),
            _ => "?".to_owned(),
        };
        let parent = if args.all { "PARENT" } else { "SHELL" };
        let container = match cell(&t, row, "CONTAINER") {
            Some(Cell::Text(c)) if c != "host" => format!(" [{c}]"),
            _ => String::new(),
        };
        writeln!(
            out,
            "{time} {user}{container} {}({}) {} {}$ {}",
            text(row, parent),
            text(row, if args.all { "PPID" } else { "SHELL PID" }),
            text(row, "PID"),
            text(row, "CWD"),
            text(row, "COMMAND"),
        )?;
    }
    out.flush()?;
    Ok(super::args::report_damage(s.damage(), ExitCode::SUCCESS))
}
