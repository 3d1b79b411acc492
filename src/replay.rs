//! Replay: read a capture, rebuild the system's state event by event, and see each event with
//! its context (process, thread, fd, container, user).
//!
//! - [`session`]: a capture file replayed block by block (keyframes, seeking, block skipping);
//! - [`parallel`]: a session replayed on several threads, one keyframe segment each;
//! - [`engine`]: the per-event part every source shares (state, evaluation, the sink);
//! - [`skip`]: what block summaries say about a filter;
//! - [`calls`]: per-syscall facts computed once;
//! - [`fields`]: the field registry (sysdig/Falco names, types, docs);
//! - [`state`]: thread, process, fd, container and user tables and how events change them;
//! - [`path`]: joining and normalising paths (shared with the .scap importer);
//! - [`context`]: field values of one event in its state;
//! - [`render`]: sysdig-style rendering of arguments, results and times.

pub mod calls;
pub mod caps;
pub mod context;
pub mod dns;
pub mod engine;
pub mod fields;
pub mod idmap;
pub mod parallel;
pub mod path;
pub mod render;
pub mod session;
pub mod skip;
pub mod state;
pub mod stream;
pub mod usage;

#[cfg(test)]
mod origin_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub mod testutil;
