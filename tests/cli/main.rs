//! Integration tests of the `casefile` binary.
