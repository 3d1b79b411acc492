//! Loads the embedded probe with aya, fills its syscall descriptors and attaches its programs.
//!
//! What attaches where is one table, [`ATTACH`]. Only tracepoints are used: this kernel kind
//! refuses fentry and LSM programs and has no kprobes.

use std::path::Path;

use aya::maps::{Array, MapData, PerCpuArray, RingBuf};
use aya::programs::{BtfTracePoint, RawTracePoint};
use aya::{Btf, Ebpf, EbpfLoader};

use super::RecordError;
use super::wire;

/// The probe object, compiled from `probe/` and checked against its sources by `build.rs`.
static PROBE: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/probe.bpf.o"));

/// Where the kernel's BTF lives; tp_btf programs and CO-RE both need it.
pub const BTF_PATH: &str = "/sys/kernel/btf/vmlinux";

/// One entry of the attach table: a tracepoint, the `tp_btf` program tried first and the
/// `raw_tp` program (same code, untyped pointers read through CO-RE) tried when the kernel
/// refuses the first.
#[derive(Clone, Copy, Debug)]
pub struct Hook {
    /// Tracepoint name.
    pub tracepoint: &'static str,
    /// The `tp_btf/` program.
    pub program: &'static str,
    /// The `raw_tp/` program; `None` for a hook only the `tp_btf` syscall programs need,
    /// attached only when they are.
    pub fallback: Option<&'static str>,
    /// Whether the capture is useless without it (the recorder stops) or merely poorer.
    pub required: bool,
}

/// Every program and where it attaches.
pub const ATTACH: &[Hook] = &[
    Hook {
        tracepoint: "sys_enter",
        program: "cf_sys_enter",
        fallback: Some("cf_sys_enter_raw"),
        required: true,
    },
    Hook {
        tracepoint: "sys_exit",
        program: "cf_sys_exit",
        fallback: Some("cf_sys_exit_raw"),
        required: true,
    },
    Hook {
        tracepoint: "sched_process_fork",
        program: "cf_fork",
        fallback: Some("cf_fork_raw"),
        required: true,
    },
    Hook {
        tracepoint: "sched_process_exec",
        program: "cf_exec",
        fallback: Some("cf_exec_raw"),
        required: true,
    },
    Hook {
        tracepoint: "sched_process_exit",
        program: "cf_exit",
        fallback: Some("cf_exit_raw"),
        required: true,
    },
    Hook {
        // Moves a switched-out thread's pending syscall enter from the per-CPU slot into its
        // task storage: without it, a call that blocks would lose its enter.
        tracepoint: "sched_switch",
        program: "cf_spill",
        fallback: None,
        required: true,
    },
    Hook {
        tracepoint: "signal_deliver",
        program: "cf_signal",
        fallback: Some("cf_signal_raw"),
        required: false,
    },
    Hook {
        tracepoint: "cgroup_mkdir",
        program: "cf_cgroup_mkdir",
        fallback: Some("cf_cgroup_mkdir_raw"),
        required: false,
    },
];

/// The programs that keep syscall enters for their exits, left out under `exit_only`.
const ENTER_HOOKS: &[&str] = &["cf_sys_enter", "cf_spill"];

/// Context switches, attached only for `record --sched`.
pub const SCHED: Hook = Hook {
    tracepoint: "sched_switch",
    program: "cf_switch",
    fallback: Some("cf_switch_raw"),
    required: false,
};

/// Load-time settings of the probe.
#[derive(Clone, Copy, Debug)]
pub struct ProbeConfig {
    /// Record only this process and its descendants; 0 for every process.
    pub target_pid: u32,
    /// The recorder's own pid, never recorded.
    pub self_pid: u32,
    /// Payload bytes per buffer; 0 for none.
    pub snaplen: u32,
    /// Ring buffer size in bytes (a power of two, at least a page).
    pub ring_bytes: u32,
    /// Skip tp_btf and attach the raw_tp programs (to exercise the fallback).
    pub force_raw_tp: bool,
    /// Attach no enter hook: the exit reads the arguments from the registers, and records no
    /// latency (`record --no-latency`).
    pub exit_only: bool,
    /// Exec records carry the new program's environment.
    pub capture_env: bool,
    /// Record context switches.
    pub sched: bool,
}

/// A loaded and attached probe and the maps the recorder reads.
pub struct Probe {
    /// The loaded object, kept alive: dropping it detaches everything.
    _ebpf: Ebpf,
    /// The ring buffer.
    pub ring: RingBuf<MapData>,
    /// Per-CPU counters (`wire::counter`).
    pub counters: PerCpuArray<MapData, u64>,
    /// Optional hooks that could not attach, with why.
    pub degraded: Vec<(&'static str, String)>,
    /// Hooks attached through their raw_tp fallback.
    pub fallbacks: Vec<&'static str>,
}

/// Checks the preconditions that give a clearer message than a failed `bpf()` call.
pub fn preflight() -> Result<(), RecordError> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err(RecordError::NotRoot);
    }
    if !Path::new(BTF_PATH).exists() {
        return Err(RecordError::NoBtf { path: BTF_PATH });
    }
    Ok(())
}

/// Loads the probe, fills `DESCS` from the syscall table and attaches every hook.
pub fn load(cfg: &ProbeConfig) -> Result<Probe, RecordError> {
    preflight()?;
    let btf = Btf::from_sys_fs().map_err(|e| RecordError::Btf {
        path: BTF_PATH,
        reason: e.to_string(),
    })?;
    let snaplen = cfg.snaplen.min(wire::SNAPLEN_MAX);
    let mut ebpf = EbpfLoader::new()
        .btf(Some(&btf))
        .allow_unsupported_maps()
        .override_global("target_tgid", &cfg.target_pid, true)
        .override_global("self_tgid", &cfg.self_pid, true)
        .override_global("snaplen", &snaplen, true)
        .override_global("capture_env", &u32::from(cfg.capture_env), true)
        .override_global("exit_only", &u32::from(cfg.exit_only), true)
        .map_max_entries("EVENTS", cfg.ring_bytes)
        .load(PROBE)
        .map_err(|e| RecordError::Load(format!("{e:#}")))?;

    let descs = wire::descriptors().map_err(|e| RecordError::Load(e.to_string()))?;
    {
        let map = ebpf
            .map_mut("DESCS")
            .ok_or(RecordError::MissingMap("DESCS"))?;
        let mut arr: Array<&mut MapData, [u8; 16]> =
            Array::try_from(map).map_err(|e| RecordError::Load(e.to_string()))?;
        for (nr, d) in &descs {
            arr.set(*nr, d.to_bytes(), 0)
                .map_err(|e| RecordError::Load(format!("DESCS[{nr}]: {e}")))?;
        }
    }

    let mut degraded = Vec::new();
    let mut fallbacks = Vec::new();
    let sched = cfg.sched.then_some(&SCHED);
    for hook in ATTACH.iter().chain(sched) {
        if hook.fallback.is_none() && (cfg.force_raw_tp || fallbacks.contains(&"sys_enter")) {
            continue;
        }
        // Exit-only: no enters to keep, so neither their hook nor the spill of pending ones.
        if cfg.exit_only && ENTER_HOOKS.contains(&hook.program) {
            continue;
        }
        let typed = if cfg.force_raw_tp {
            Err("tp_btf not tried (forced raw_tp)".to_string())
        } else {
            attach_tp_btf(&mut ebpf, &btf, hook)
        };
        let result = typed.or_else(|why| {
            attach_raw_tp(&mut ebpf, hook)
                .map(|()| fallbacks.push(hook.tracepoint))
                .map_err(|raw| format!("tp_btf: {why}; raw_tp: {raw}"))
        });
        if let Err(reason) = result.map_err(|r| tail(&r, 4000)) {
            if hook.required {
                return Err(RecordError::Refused {
                    program: hook.program,
                    tracepoint: hook.tracepoint,
                    reason,
                });
            }
            degraded.push((hook.program, reason));
        }
    }
    let ring = RingBuf::try_from(
        ebpf.take_map("EVENTS")
            .ok_or(RecordError::MissingMap("EVENTS"))?,
    )
    .map_err(|e| RecordError::Load(e.to_string()))?;
    let counters = PerCpuArray::try_from(
        ebpf.take_map("COUNTERS")
            .ok_or(RecordError::MissingMap("COUNTERS"))?,
    )
    .map_err(|e| RecordError::Load(e.to_string()))?;
    Ok(Probe {
        _ebpf: ebpf,
        ring,
        counters,
        degraded,
        fallbacks,
    })
}

/// The end of a long kernel message (verifier logs run to megabytes; the cause is at the end).
fn tail(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &s[start..])
}

fn attach_tp_btf(ebpf: &mut Ebpf, btf: &Btf, hook: &Hook) -> Result<(), String> {
    let prog = ebpf
        .program_mut(hook.program)
        .ok_or_else(|| format!("{} is not in the probe object", hook.program))?;
    let p: &mut BtfTracePoint = prog.try_into().map_err(|e| format!("{e}"))?;
    p.load(hook.tracepoint, btf).map_err(|e| format!("{e}"))?;
    p.attach().map(|_| ()).map_err(|e| format!("{e}"))
}

fn attach_raw_tp(ebpf: &mut Ebpf, hook: &Hook) -> Result<(), String> {
    let name = hook
        .fallback
        .ok_or("no raw_tp program: the tp_btf one is required")?;
    let prog = ebpf
        .program_mut(name)
        .ok_or_else(|| format!("{name} is not in the probe object"))?;
    let p: &mut RawTracePoint = prog.try_into().map_err(|e| format!("{e}"))?;
    p.load().map_err(|e| format!("{e}"))?;
    p.attach(hook.tracepoint)
        .map(|_| ())
        .map_err(|e| format!("{e}"))
}

impl Probe {
    /// The per-CPU loss counters: (records dropped, boot-clock time of the latest drop).
    pub fn counters(&self) -> Result<Vec<(u64, u64)>, RecordError> {
        let get = |slot: u32| {
            self.counters
                .get(&slot, 0)
                .map_err(|e| RecordError::Load(format!("reading COUNTERS: {e}")))
        };
        let (d, t) = (
            get(wire::counter::DROPPED)?,
            get(wire::counter::LAST_DROP_TS)?,
        );
        Ok(d.iter().zip(t.iter()).map(|(d, t)| (*d, *t)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_kernel_messages_keep_their_end() {
        assert_eq!(tail("short", 10), "short");
        assert_eq!(tail("0123456789abc", 3), "…abc");
        assert_eq!(tail("ééé", 3), "…é");
    }

    #[test]
    fn every_hook_has_its_programs_in_the_object() {
        let has = |needle: &str| PROBE.windows(needle.len()).any(|w| w == needle.as_bytes());
        for h in ATTACH.iter().chain([&SCHED]) {
            assert!(
                has(&format!("tp_btf/{}\0", h.tracepoint)),
                "{}",
                h.tracepoint
            );
            assert!(has(&format!("{}\0", h.program)), "{}", h.program);
            if let Some(raw) = h.fallback {
                assert!(
                    has(&format!("raw_tp/{}\0", h.tracepoint)),
                    "{}",
                    h.tracepoint
                );
                assert!(has(&format!("{raw}\0")), "{raw}");
            }
        }
    }
}
