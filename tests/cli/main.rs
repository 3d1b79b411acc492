//! Integration tests of the `casefile` binary: one test binary, one module per command.

mod util;

mod import;
mod info;
mod integrity;
mod man;
mod record;
