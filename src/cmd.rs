//! One module per subcommand. Each exposes `run(args) -> anyhow::Result<ExitCode>`.

pub mod import;
pub mod info;
