//! Integration tests of the `casefile` binary: one test binary, one module per command.

mod util;

mod check;
mod decode;
mod export;
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
mod reading;
mod record;
mod rules;
mod rules_live;
mod timeline;
mod views;
