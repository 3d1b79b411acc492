//! CPU time, memory and page faults of threads, from the recorder's samples and sysdig's
//! `procinfo` events (`Usage` records) and the memory figures `switch` events carry: what
//! `thread.cpu`, `proc.cpu`, `thread.vmrss`... and the CPU% and memory columns of views read.

use capture_format::schema::{Switch, Usage};

use super::state::State;

/// What replay knows of one thread's resource use.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ThreadUsage {
    /// The latest figures (CPU times from the latest sample, memory from it or a later switch).
    pub last: Usage,
    /// Time of the latest sample (ns since the epoch); 0 before one.
    pub ts: u64,
    /// CPU time used between the two latest samples, ns (user, kernel).
    pub delta_user: u64,
    /// Kernel part of the same.
    pub delta_sys: u64,
    /// Length of that interval, ns (0: one sample so far).
    pub interval: u64,
}

impl ThreadUsage {
    /// CPU% over the last interval (100 = one CPU), user plus kernel.
    pub fn cpu_pct(&self) -> Option<f64> {
        self.pct(self.delta_user + self.delta_sys)
    }

    /// User-mode CPU% over the last interval.
    pub fn user_pct(&self) -> Option<f64> {
        self.pct(self.delta_user)
    }

    /// Kernel-mode CPU% over the last interval.
    pub fn sys_pct(&self) -> Option<f64> {
        self.pct(self.delta_sys)
    }

    fn pct(&self, ns: u64) -> Option<f64> {
        (self.interval > 0).then(|| ns as f64 * 100.0 / self.interval as f64)
    }

    /// CPU time used so far, ns.
    pub fn total_ns(&self) -> u64 {
        self.last.user_ns + self.last.sys_ns
    }
}

/// Takes a sample of thread `tid` at `ts` (the caller made sure the task is in the tables).
pub fn sample(state: &mut State, tid: u32, ts: u64, u: &Usage) {
    let Some(t) = state.threads.get_mut(&tid) else {
        return;
    };
    let cur = t.usage.get_or_insert_with(Default::default);
    if cur.ts > 0 && ts > cur.ts {
        cur.delta_user = u.user_ns.saturating_sub(cur.last.user_ns);
        cur.delta_sys = u.sys_ns.saturating_sub(cur.last.sys_ns);
        cur.interval = ts - cur.ts;
    }
    // A source that knows CPU times only (sysdig's procinfo) keeps the memory figures that
    // switch events brought.
    let keep_mem = u.vm_size == 0 && u.vm_rss == 0;
    let mem = cur.last;
    cur.last = *u;
    if keep_mem {
        cur.last.vm_size = mem.vm_size;
        cur.last.vm_rss = mem.vm_rss;
        cur.last.vm_swap = mem.vm_swap;
        cur.last.pf_major = cur.last.pf_major.max(mem.pf_major);
        cur.last.pf_minor = cur.last.pf_minor.max(mem.pf_minor);
    }
    cur.ts = ts;
}

/// Takes the memory and fault figures of the thread a switch event moves off its CPU.
pub fn switch(state: &mut State, tid: u32, s: &Switch) {
    if s.vm_size == 0 && s.vm_rss == 0 && s.pf_major == 0 && s.pf_minor == 0 {
        return;
    }
    let Some(t) = state.threads.get_mut(&tid) else {
        return;
    };
    let cur = t.usage.get_or_insert_with(Default::default);
    cur.last.vm_size = s.vm_size;
    cur.last.vm_rss = s.vm_rss;
    cur.last.vm_swap = s.vm_swap;
    cur.last.pf_major = s.pf_major;
    cur.last.pf_minor = s.pf_minor;
}

/// CPU% of process `pid`: the sum over its threads (100 = one CPU).
pub fn proc_cpu_pct(state: &State, pid: u32) -> Option<f64> {
    let mut any = false;
    let mut sum = 0.0;
    for t in state.threads.values().filter(|t| t.pid == pid) {
        if let Some(p) = t.usage.as_ref().and_then(|u| u.cpu_pct()) {
            any = true;
            sum += p;
        }
    }
    any.then_some(sum)
}
