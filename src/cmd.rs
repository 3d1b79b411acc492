//! One module per subcommand. Each exposes `run(args) -> anyhow::Result<ExitCode>`.

pub mod info;
pub mod record;
