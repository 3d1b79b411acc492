//! Integration tests of the `casefile` binary.

mod import;
mod util;
