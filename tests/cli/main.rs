//! Integration tests of the `casefile` binary: one test binary, one module per command.

mod util;

mod check;
mod import;
mod info;
mod integrity;
mod man;
mod read;
mod record;
mod timeline;
mod views;
