//! One module per subcommand. Each exposes `run(args) -> anyhow::Result<ExitCode>`.

pub mod check;
pub mod export;
pub mod fields;
pub mod import;
pub mod info;
pub mod keygen;
pub mod man;
pub mod read;
pub mod verify;
