//! casefile: forensics capture and replay for Linux hosts that run containers.
//!
//! `main` parses the command line, runs one subcommand and maps its outcome to an exit code:
//! 0 success, 1 a meaningful "no" (e.g. `check` found a match), 2 an error. A closed output
//! pipe (`casefile read ... | head`) is a success. Damaged blocks a replay skipped are
//! reported by the command that read them (`cmd::args::report_damage`), after its output,
//! and turn a success into 2.
//!
//! Names that could be taken for one another, one concept each:
//! - a block's *summary* (`capture_format::Summary`): which record kinds, system calls,
//!   processes and containers a block holds, read to skip blocks a filter cannot match;
//! - the *overview* (`views::overview`): Sysdig Inspect's tiles, totals and time series, that
//!   the `summary` command prints and the TUI opens on;
//! - a *report*: what a command tells when it is done (`record`'s attach, event, loss and cost
//!   lines on stderr, `import`'s counts); the recorder hands its figures to `cmd/record.rs` as
//!   `record::session::Summary`, the one type still named for it;
//! - *output* (`output`): replay's printers; the recorder writes to a *destination*
//!   (`record::destination`);
//! - *state* (`replay::state`): the process, fd and container tables replay rebuilds from
//!   records; the recorder's `/proc` reader that writes the first of those records is
//!   `record::procfs`.

mod cli;
mod cmd;
mod containers;
mod filter;
mod fleet;
mod import;
mod keys;
mod outfile;
mod output;
mod record;
mod replay;
mod rules;
mod timefmt;
mod tui;
mod views;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let argv = cli::sysdig::rewrite(std::env::args_os().collect());
    let cli = match cli::Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => {
            let hint = cli::sysdig::hint(&e, &argv);
            let code = e.exit_code();
            let _ = e.print();
            if let Some(h) = hint {
                let _ = writeln!(io::stderr(), "\nhint: {h}");
            }
            return ExitCode::from(u8::try_from(code).unwrap_or(2));
        }
    };
    let result = match &cli.command {
        cli::Command::Info(a) => cmd::info::run(a),
        cli::Command::Read(a) if a.chisel.is_some() => cmd::chisel(a),
        // `read -l` lists the fields (a snaplen is refused by `read` first).
        cli::Command::Read(a) if a.list_fields && a.snaplen.is_none() => {
            cmd::fields::run(&cli::FieldsArgs {
                prefix: None,
                man: false,
            })
        }
        cli::Command::Read(a) => cmd::read::run(a),
        cli::Command::Check(a) => cmd::check::run(a),
        cli::Command::Fields(a) => cmd::fields::run(a),
        cli::Command::Record(a) if a.flight.keep.is_some() => cmd::flight::run(a),
        cli::Command::Record(a) => cmd::record::run(a),
        cli::Command::Verify(a) => cmd::verify::run(a),
        cli::Command::Keygen(a) => cmd::keygen::run(a),
        cli::Command::Export(a) => cmd::export::run(a),
        cli::Command::Top(a) => cmd::top::run(a),
        cli::Command::Ps(a) => cmd::ps::run(a),
        cli::Command::Spy(a) => cmd::spy::run(a),
        cli::Command::Echo(a) => cmd::echo::run(a),
        cli::Command::Summary(a) => cmd::summary::run(a),
        cli::Command::Inspect(a) => cmd::inspect::run(a),
        cli::Command::Man(a) => cmd::man::run(a),
        cli::Command::Timeline(a) => cmd::timeline::run(a),
        cli::Command::Import(a) => cmd::import::run(a),
        cli::Command::Merge(a) => cmd::merge::run(a),
        cli::Command::Rules(a) => cmd::rules::run(a),
        cli::Command::Completions(a) => Ok(cmd::man::completions(a)),
        cli::Command::Trigger(a) => cmd::flight::trigger(a),
        cli::Command::Live(a) => cmd::live::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "casefile: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether the error chain holds an `EPIPE`: the reader of our output went away.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(io::ErrorKind::BrokenPipe))
    })
}
