//! One module per subcommand. Each exposes `run(args) -> anyhow::Result<ExitCode>`.

pub mod check;
pub mod echo;
pub mod export;
pub mod fields;
pub mod import;
pub mod info;
pub mod inspect;
pub mod keygen;
pub mod man;
pub mod ps;
pub mod read;
pub mod spy;
pub mod summary;
pub mod top;
pub mod verify;
