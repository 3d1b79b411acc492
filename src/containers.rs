//! Containers at record time: which container a process runs in, and what the runtime knows
//! about it.
//!
//! - [`parse_cgroup`] / [`parse_proc_cgroup`]: the container id and runtime from a cgroup path
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
//! let mut state = t.scan_proc(std::path::Path::new("/proc"), ts); // running containers
//! let s = t.observe_pid(1234, "/libpod_parent/libpod-<id>", ts); // per event
//! state.extend(s.records); // write these first, then the event with `container = s.index`
//! ```
#![forbid(unsafe_code)]
#![allow(
    dead_code,
    unused_imports,
    reason = "a library for record/ and replay/, which wire it in on their branches"
)]

mod bolt;
mod cgroup;
mod resolve;
mod socket;
mod tracker;

#[cfg(test)]
mod real_tests;
#[cfg(test)]
mod resolve_tests;

pub use crate::timefmt::parse_rfc3339;
pub use cgroup::{
    ContainerRef, Runtime, is_full_id, parse_cgroup, parse_proc_cgroup, proc_cgroup_path,
};
pub use resolve::{Resolver, Roots, StateError};
pub use tracker::{Sighting, Tracker};

use capture_format::schema::Container;

/// [`Resolver::resolve`] with the standard state locations.
pub fn resolve(cref: &ContainerRef, cgroup: &str) -> Container<'static> {
    Resolver::default().resolve(cref, cgroup)
}
