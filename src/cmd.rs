//! One module per subcommand. Each exposes `run(args) -> anyhow::Result<ExitCode>`.

pub mod check;
pub mod fields;
pub mod info;
pub mod read;
