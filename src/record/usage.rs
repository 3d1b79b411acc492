//! Resource samples: about once a second the recorder reads every recorded thread's CPU time
//! and page faults (`/proc/PID/task/TID/stat`) and its process's memory (`/proc/PID/statm`,
//! `VmSwap` of `/proc/PID/status`), and writes a `Usage` record for each thread whose figures
//! moved since its last sample (and once more when it goes idle, so replay sees its CPU% drop
//! to 0). The recorder itself is never sampled; under `record -- CMD` only the command's
//! process tree is.

use std::collections::{HashMap, HashSet};
use std::fs;

use capture_format::schema::{Body, Event, Usage};

/// What the last sample of a thread wrote.
#[derive(Clone, Copy, Default)]
struct Last {
    cpu_ticks: u64,
    faults: u64,
    rss: u64,
    /// Whether the last record showed CPU use (then an idle sample is written once).
    busy: bool,
    /// The sample round it was last seen in.
    round: u64,
}

/// Samples threads' resource use from /proc.
pub struct Sampler {
    ns_per_tick: u64,
    page_kib: u64,
    self_pid: u32,
    /// Under `record -- CMD`: the command's pid; only its process tree is sampled.
    root: Option<u32>,
    last: HashMap<u32, Last>,
    round: u64,
}

/// One thread's figures from its `stat` line: (utime, stime, minflt, majflt) in ticks and
/// counts. `None` when the line does not parse.
fn thread_stat(line: &str) -> Option<(u64, u64, u64, u64)> {
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    let rest = &line[line.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_ascii_whitespace().collect();
    // rest starts at field 3 (state): flags are field 9, minflt 10, majflt 12, utime 14,
    // stime 15.
    let n = |i: usize| f.get(i - 3)?.parse::<u64>().ok();
    // A task already exiting (a zombie too) has recorded its exit, or is about to: a sample
    // of it would come after its exit, without its memory and its container.
    if n(9)? & PF_EXITING != 0 {
        return None;
    }
    Some((n(14)?, n(15)?, n(10)?, n(12)?))
}

/// The kernel's task flag of a task in `do_exit` (`include/linux/sched.h`).
const PF_EXITING: u64 = 0x4;

/// The parent pid from a `stat` line.
fn ppid_of(line: &str) -> Option<u32> {
    let rest = &line[line.rfind(')')? + 2..];
    rest.split_ascii_whitespace().nth(1)?.parse().ok()
}

/// `VmSwap` of a `status` file, KiB.
fn vm_swap(status: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmSwap:"))
        .and_then(|v| v.split_ascii_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn numeric_entries(dir: &str) -> Vec<u32> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

impl Sampler {
    /// A sampler that leaves `self_pid` out and, with `root`, samples only that process and
    /// its descendants.
    pub fn new(self_pid: u32, root: Option<u32>) -> Sampler {
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        // SAFETY: as above.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        Sampler {
            ns_per_tick: 1_000_000_000 / u64::try_from(hz).ok().filter(|&h| h > 0).unwrap_or(100),
            page_kib: u64::try_from(page).ok().filter(|&p| p > 0).unwrap_or(4096) / 1024,
            self_pid,
            root,
            last: HashMap::new(),
            round: 0,
        }
    }

    /// The processes to sample now.
    fn pids(&self) -> Vec<u32> {
        let all = numeric_entries("/proc");
        let Some(root) = self.root else {
            return all.into_iter().filter(|&p| p != self.self_pid).collect();
        };
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        for &p in &all {
            if let Some(pp) = fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|l| ppid_of(&l))
            {
                children.entry(pp).or_default().push(p);
            }
        }
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut todo = vec![root];
        while let Some(p) = todo.pop() {
            if p == self.self_pid || !seen.insert(p) {
                continue;
            }
            out.push(p);
            todo.extend(children.get(&p).into_iter().flatten());
        }
        out
    }

    /// Samples every thread to sample, calling `emit` with a `Usage` record (time `ts`, ns
    /// since the epoch) for each one whose figures moved.
    pub fn sample(&mut self, ts: u64, mut emit: impl FnMut(Event<'static>)) {
        self.round += 1;
        for pid in self.pids() {
            let Ok(statm) = fs::read_to_string(format!("/proc/{pid}/statm")) else {
                continue;
            };
            let mut m = statm
                .split_ascii_whitespace()
                .map(|v| v.parse::<u64>().ok());
            let (Some(Some(size)), Some(Some(resident))) = (m.next(), m.next()) else {
                continue;
            };
            let mut swap = None;
            for tid in numeric_entries(&format!("/proc/{pid}/task")) {
                let Some((utime, stime, minflt, majflt)) =
                    fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat"))
                        .ok()
                        .and_then(|l| thread_stat(&l))
                else {
                    continue;
                };
                let cpu = utime + stime;
                let rss = resident * self.page_kib;
                let prev = self.last.get(&tid).copied();
                // Memory is the process's: a change of it moves the main thread only.
                let moved = prev.is_none_or(|l| {
                    l.cpu_ticks != cpu
                        || l.faults != minflt + majflt
                        || (tid == pid && l.rss != rss)
                });
                let busy = prev.is_some_and(|l| l.cpu_ticks != cpu);
                let round = self.round;
                let entry = self.last.entry(tid).or_default();
                entry.round = round;
                if !moved && !entry.busy {
                    continue;
                }
                *entry = Last {
                    cpu_ticks: cpu,
                    faults: minflt + majflt,
                    rss,
                    busy,
                    round,
                };
                let vm_swap = *swap.get_or_insert_with(|| {
                    fs::read_to_string(format!("/proc/{pid}/status")).map_or(0, |s| vm_swap(&s))
                });
                emit(Event {
                    ts,
                    tid,
                    pid,
                    cpu: u16::MAX,
                    container: 0,
                    body: Body::Usage(Usage {
                        user_ns: utime * self.ns_per_tick,
                        sys_ns: stime * self.ns_per_tick,
                        vm_size: size * self.page_kib,
                        vm_rss: rss,
                        vm_swap,
                        pf_major: majflt,
                        pf_minor: minflt,
                    }),
                });
            }
        }
        // Threads gone since the last round.
        let round = self.round;
        self.last.retain(|_, l| l.round == round);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_spaces_and_parentheses_in_the_name() {
        let l =
            "1234 (a (b) c) S 1 1234 1234 0 -1 4194560 500 0 7 0 33 12 0 0 20 0 1 0 100 1000 50";
        assert_eq!(thread_stat(l), Some((33, 12, 500, 7)));
        assert_eq!(ppid_of(l), Some(1));
        assert_eq!(thread_stat("garbage"), None);
        // The same task exiting (flags 4194564 = 4194560 | PF_EXITING): no sample.
        let exiting = l.replace(" 4194560 ", " 4194564 ");
        assert_eq!(thread_stat(&exiting), None);
    }

    #[test]
    fn samples_this_process_and_writes_again_only_what_moved() {
        let me = std::process::id();
        let mut s = Sampler::new(0, Some(me));
        let mut first = Vec::new();
        s.sample(1, |e| first.push(e));
        assert!(
            first.iter().any(|e| e.tid == me && e.pid == me),
            "the main thread is sampled"
        );
        let Body::Usage(u) = &first[0].body else {
            panic!("not a usage record")
        };
        assert!(u.vm_size > 0 && u.vm_rss > 0, "{u:?}");
        // Burn 50 ms of this thread's CPU (several clock ticks, however loaded the machine)
        // so the next round sees it move.
        let cpu_ns = || {
            let mut t = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: a valid timespec to write to.
            unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut t) };
            t.tv_sec * 1_000_000_000 + t.tv_nsec
        };
        let start = cpu_ns();
        let wall = std::time::Instant::now();
        let mut x = 0u64;
        while cpu_ns() - start < 50_000_000 && wall.elapsed() < std::time::Duration::from_secs(20) {
            x = x.wrapping_mul(31).wrapping_add(1);
        }
        std::hint::black_box(x);
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() } as u32;
        let mut second = Vec::new();
        s.sample(2, |e| second.push(e));
        assert!(second.iter().any(|e| e.tid == tid), "the busy thread again");
        // Left out: the recorder itself.
        let mut none = Vec::new();
        Sampler::new(me, Some(me)).sample(3, |e| none.push(e));
        assert!(none.is_empty());
    }
}
