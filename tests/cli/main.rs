//! Integration tests of the `casefile` binary.
mod record;
