//! Integration tests of the `casefile` binary that need no privileges: one module per command.
//! What needs BPF or podman is in the `privileged` test binary (`tests/privileged/`).

mod util;

mod check;
mod export;
mod files;
mod fleet;
mod import;
mod info;
mod inspect;
mod integrity;
mod man;
mod read;
mod reading;
mod record;
mod rules;
mod threads;
mod timeline;
mod views;
