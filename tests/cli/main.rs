//! Integration tests of the `casefile` binary.

mod check;
mod read;
