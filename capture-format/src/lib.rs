//! The casefile capture file format.
//!
//! A capture holds a header, state blocks (the snapshot at start and periodic keyframes), event
//! blocks (zstd-compressed, each with a summary for skipping), a footer with the block index and
//! the container/process tables, and a trailer. See `FORMAT.md` beside this crate.

pub mod schema;
