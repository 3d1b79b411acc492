//! Containers at record time: which container a process runs in, and what the runtime knows
//! about it.
//!
//! - `parse_cgroup` / [`proc_cgroup`]: the container id and runtime from a cgroup path
//!   (docker, containerd with and without CRI, cri-o, podman, runc, systemd scopes; cgroup v1
//!   and v2).
//! - [`Resolver::resolve`]: a `Body::Container` record from the runtime's own state on disk
//!   (OCI runtime state, bundle `config.json`, docker's and containers/storage's files). What
//!   cannot be read is left empty and said in `note`.
//! - [`Tracker`]: the capture's container table for the recorder: 1-based indices, the record
//!   to write on first sighting, and the exit time when a container's last process exits.
//!
//! Pure Rust over files, and a runtime's API socket when its files do not answer: no BPF, no
//! subprocesses.
//!
//! ```ignore
//! use crate::containers::{Resolver, Roots, Tracker};
//! let mut t = Tracker::new(Resolver::new(Roots::default()));
//! let ts = 0;
//! let mut state = t.records(ts); // known containers, e.g. after the /proc snapshot
//! let s = t.observe_pid(1234, "/libpod_parent/libpod-<id>", ts); // per event
//! state.extend(s.records); // write these first, then the event with `container = s.index`
//! ```
#![forbid(unsafe_code)]

mod bolt;
mod cgroup;
mod resolve;
mod socket;
mod state_files;
mod tracker;

#[cfg(test)]
mod real_tests;
#[cfg(test)]
mod resolve_tests;

pub use cgroup::proc_cgroup;
pub use resolve::{Resolver, Roots};
pub use tracker::Tracker;
