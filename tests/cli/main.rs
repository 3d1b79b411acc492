//! Integration tests of the `casefile` binary: one test binary, one module per command.

mod util;

mod check;
mod faults;
mod files;
mod fleet;
mod flight;
mod import;
mod info;
mod inspect;
mod integrity;
mod man;
mod read;
mod record;
mod rules;
mod timeline;
mod views;
