//! The recording's index: each events block's aggregates (`views::aggregate`), computed on a
//! thread at idle priority behind the writer (`views::aggregate::deferred`), so that `summary`,
//! `top` and filters on process names answer from the index on a recording as on an import.

use capture_format::HeaderInfo;

use crate::views::aggregate::Aggregator;
use crate::views::aggregate::deferred::{Deferred, Mode};

/// Attaches a [`Deferred`] aggregator behind a recorder's writer (one host only, as
/// `views::aggregate::attach`). An error says why the recording will have no aggregates (it
/// is readable all the same).
pub fn attach_deferred<W: std::io::Write>(
    w: &mut capture_format::Writer<W>,
    info: &HeaderInfo,
) -> Result<(), String> {
    if info.hosts.len() <= 1 {
        let agg = Aggregator::new(info).map_err(|e| e.to_string())?;
        let mode = Mode::Behind {
            lower: lower_priority,
            raise: raise_priority,
        };
        let d = Deferred::start(agg, mode)
            .map_err(|e| format!("cannot start the index thread: {e}"))?;
        w.set_aggregator(Box::new(d));
    }
    Ok(())
}

/// SCHED_IDLE for the calling thread: the index is built from time nobody else wants. Returns
/// the thread's id.
fn lower_priority() -> i32 {
    set_policy(0, libc::SCHED_IDLE)
}

/// Back to normal priority (the file is being finished).
fn raise_priority(tid: i32) {
    set_policy(tid, libc::SCHED_OTHER);
}

/// Sets the scheduling policy of thread `tid` (0: the calling one); returns the calling
/// thread's id. A refusal leaves the thread as it was: the index is best effort.
fn set_policy(tid: libc::pid_t, policy: libc::c_int) -> libc::pid_t {
    let p = libc::sched_param { sched_priority: 0 };
    // SAFETY: plain system calls on a thread id; the parameter lives on this stack.
    unsafe {
        libc::sched_setscheduler(tid, policy, &raw const p);
        libc::gettid()
    }
}
