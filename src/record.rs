//! The recorder: loads the eBPF probe, drains its ring buffer, orders events by time, accounts
//! for loss, snapshots `/proc` at start and writes everything through `capture_format::Writer`.
//!
//! ```text
//! probe/ (C, CO-RE) ──ring buffer──► session::drain_ring ──raw bytes──► order::Reorder
//!   ▲ DESCS from the syscall table (wire::descriptors)                      │ oldest first
//!   │ loader: tp_btf, else raw_tp                                            ▼
//! procfs::snapshot (/proc, /etc) ──► destination (state block) ◄── wire::Decoder + containers::Tracker
//! ```
//!
//! The probe is table-driven: what each syscall parameter captures (strings, buffers, socket
//! addresses, socket tuples...) comes from `capture_format::schema::syscalls`, loaded into the
//! probe's `DESCS` map before attaching, and the decoder reads records back in the same
//! table's parameter order. Only this module and `cmd/record.rs` use aya, and only on Linux.
//! [`wire`] and [`order`] build everywhere. Container ids, metadata and the capture's
//! container table come from `crate::containers`; [`cgroup_dirs`] maps the probe's cgroup ids
//! to the paths it reads.

pub mod incident;
pub mod order;
pub mod wire;

#[cfg(target_os = "linux")]
pub mod cgroup_dirs;
#[cfg(target_os = "linux")]
pub mod child;
#[cfg(target_os = "linux")]
pub mod destination;
#[cfg(target_os = "linux")]
pub mod flight;
#[cfg(target_os = "linux")]
pub mod index;
#[cfg(target_os = "linux")]
pub mod loader;
#[cfg(target_os = "linux")]
mod placement;
#[cfg(target_os = "linux")]
pub mod procfs;
#[cfg(target_os = "linux")]
pub mod session;
#[cfg(target_os = "linux")]
pub mod usage;

use std::io;
use std::path::PathBuf;

/// Why recording failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Loading BPF programs, reading every process's /proc and the runtimes' state need root.
    #[error("recording needs root: run casefile record as root (e.g. with sudo)")]
    NotRoot,
    /// The kernel has no BTF, which tp_btf programs and CO-RE need.
    #[error("kernel BTF is missing ({path}): the kernel needs CONFIG_DEBUG_INFO_BTF=y")]
    NoBtf {
        /// Where it was looked for.
        path: &'static str,
    },
    /// BTF exists but could not be parsed.
    #[error("cannot read kernel BTF at {path}: {reason}")]
    Btf {
        /// Path.
        path: &'static str,
        /// Why.
        reason: String,
    },
    /// The capture filter does not compile.
    #[error("capture filter: {0}")]
    Filter(String),
    /// The probe object could not be loaded.
    #[error("loading the eBPF probe failed: {0}")]
    Load(String),
    /// The kernel refused a required program.
    #[error("the kernel refused eBPF program {program} (tracepoint {tracepoint}): {reason}")]
    Refused {
        /// Program name.
        program: &'static str,
        /// Tracepoint.
        tracepoint: &'static str,
        /// The kernel's answer (verifier log included).
        reason: String,
    },
    /// A map the recorder needs is not in the probe object.
    #[error("the probe object has no map {0}")]
    MissingMap(&'static str),
    /// The output file could not be created or written.
    #[error("cannot write {path}")]
    Output {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The command to record could not be started.
    #[error("cannot start {command}")]
    Spawn {
        /// The command.
        command: String,
        /// Why.
        source: io::Error,
    },
    /// The command to record cannot run. Its exit status is the one a shell gives: 127 when it
    /// is not found, 126 when it is found but cannot be executed.
    #[error("cannot run {command}: {reason}")]
    NotRunnable {
        /// The command as given.
        command: String,
        /// Why it cannot run.
        reason: String,
        /// 127 or 126.
        status: u8,
    },
    /// Polling the ring buffer failed.
    #[error("polling the ring buffer: {0}")]
    Poll(io::Error),
}
