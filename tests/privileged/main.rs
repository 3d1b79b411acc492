//! Privileged integration tests of the `casefile` binary: the real probe (root, a kernel that
//! loads it) and real podman containers. Each test triggers an action and expects its records.
//! Where BPF or podman is unavailable a test says it is skipped; under `CI=true` that is a
//! failure, never a silent pass. The unprivileged tests are the `cli` test binary.

#[path = "../cli/util.rs"]
#[allow(
    dead_code,
    reason = "shared with the cli tests: this binary uses part of it"
)]
mod util;

mod decode;
mod faults;
mod flight;
mod identity;
mod record;
mod rules_live;
