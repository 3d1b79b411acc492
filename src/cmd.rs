//! One module per subcommand. Each exposes `run(args) -> anyhow::Result<ExitCode>`.

pub mod export;
pub mod import;
pub mod info;
pub mod keygen;
pub mod man;
pub mod record;
pub mod verify;
