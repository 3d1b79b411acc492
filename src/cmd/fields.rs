//! `casefile fields`: list the fields of filters and `-p` formats; with `--man`, print the
//! casefile-filter(7) man page (committed as `man/casefile-filter.7`, checked by a test).

use std::io::{self, Write};
use std::process::ExitCode;

use crate::cli::FieldsArgs;
use crate::replay::fields::list_text;
use crate::replay::fields::man::filter_man_page;

/// Runs `casefile fields`.
pub fn run(args: &FieldsArgs) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    if args.man {
        out.write_all(filter_man_page().as_bytes())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let text = list_text();
    match &args.prefix {
        None => out.write_all(text.as_bytes())?,
        Some(p) => {
            for line in text.lines() {
                if line.trim_start().starts_with(p.as_str()) {
                    writeln!(out, "{line}")?;
                }
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn the_examples_compile() {
        for (f, _) in crate::replay::fields::man::EXAMPLES {
            crate::filter::compile(f, &crate::replay::fields::Fields)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }

    /// Compares a generated file under `man/` with the committed one; outside CI a stale
    /// file is rewritten (then the test fails once, asking for a commit).
    pub fn check_generated(name: &str, content: &[u8]) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("man")
            .join(name);
        let committed = std::fs::read(&path).unwrap_or_default();
        if committed != content {
            if std::env::var_os("CI").is_none() {
                std::fs::create_dir_all(path.parent().expect("man dir")).expect("mkdir man");
                std::fs::write(&path, content).expect("write man page");
            }
            panic!("man/{name} was stale; regenerated it (commit the change)");
        }
    }

    #[test]
    fn the_committed_man_page_is_current() {
        check_generated("casefile-filter.7", filter_man_page().as_bytes());
    }
}
