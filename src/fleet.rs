//! Past one host: captures of several machines in one timeline, and in formats that query
//! engines read.
//!
//! - [`merge`]: a k-way merge by time of several captures into one, each event keeping its
//!   host, with each host's clock corrected;
//! - [`clock`]: the clock corrections, estimated from TCP connections seen on both sides.

pub mod clock;
pub mod merge;
