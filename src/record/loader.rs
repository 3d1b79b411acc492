//! Loads the embedded probe with aya, fills its syscall descriptors and attaches its programs.
//!
//! What attaches where is one table, [`ATTACH`]. Only tracepoints are used: this kernel kind
//! refuses fentry and LSM programs and has no kprobes.

use std::path::Path;

use aya::maps::{Array, MapData, PerCpuArray, RingBuf};
use aya::programs::BtfTracePoint;
use aya::{Btf, Ebpf, EbpfLoader};

use super::RecordError;
use super::wire;

/// The probe object, compiled from `probe/` and checked against its sources by `build.rs`.
static PROBE: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/probe.bpf.o"));

/// Where the kernel's BTF lives; tp_btf programs and CO-RE both need it.
pub const BTF_PATH: &str = "/sys/kernel/btf/vmlinux";

/// How a program attaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attach {
    /// A BTF-typed raw tracepoint (`tp_btf/NAME`).
    TpBtf,
}

/// One entry of the attach table.
#[derive(Clone, Copy, Debug)]
pub struct Hook {
    /// Program (function) name in the object.
    pub program: &'static str,
    /// Tracepoint name.
    pub tracepoint: &'static str,
    /// How it attaches.
    pub attach: Attach,
    /// Whether the capture is useless without it (the recorder stops) or merely poorer.
    pub required: bool,
}

/// Every program and where it attaches.
pub const ATTACH: &[Hook] = &[
    Hook {
        program: "cf_sys_enter",
        tracepoint: "sys_enter",
        attach: Attach::TpBtf,
        required: true,
    },
    Hook {
        program: "cf_sys_exit",
        tracepoint: "sys_exit",
        attach: Attach::TpBtf,
        required: true,
    },
    Hook {
        program: "cf_fork",
        tracepoint: "sched_process_fork",
        attach: Attach::TpBtf,
        required: true,
    },
    Hook {
        program: "cf_exec",
        tracepoint: "sched_process_exec",
        attach: Attach::TpBtf,
        required: true,
    },
    Hook {
        program: "cf_exit",
        tracepoint: "sched_process_exit",
        attach: Attach::TpBtf,
        required: true,
    },
    Hook {
        program: "cf_signal",
        tracepoint: "signal_deliver",
        attach: Attach::TpBtf,
        required: false,
    },
];

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
    /// Wake the reader once this many bytes are pending; 0 wakes it for every record.
    pub wakeup_batch: u32,
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
        .override_global("wakeup_batch", &cfg.wakeup_batch, true)
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
    for hook in ATTACH {
        if let Err(reason) = attach(&mut ebpf, &btf, hook) {
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
    })
}

fn attach(ebpf: &mut Ebpf, btf: &Btf, hook: &Hook) -> Result<(), String> {
    let prog = ebpf
        .program_mut(hook.program)
        .ok_or_else(|| "not in the probe object".to_string())?;
    match hook.attach {
        Attach::TpBtf => {
            let p: &mut BtfTracePoint = prog.try_into().map_err(|e| format!("{e}"))?;
            p.load(hook.tracepoint, btf).map_err(|e| format!("{e}"))?;
            p.attach().map(|_| ()).map_err(|e| format!("{e}"))
        }
    }
}

impl Probe {
    /// Sums of the per-CPU counters: (per CPU emitted, per CPU dropped, per CPU last-drop time).
    pub fn counters(&self) -> Result<Vec<(u64, u64, u64)>, RecordError> {
        let get = |slot: u32| {
            self.counters
                .get(&slot, 0)
                .map_err(|e| RecordError::Load(format!("reading COUNTERS: {e}")))
        };
        let (e, d, t) = (
            get(wire::counter::EMITTED)?,
            get(wire::counter::DROPPED)?,
            get(wire::counter::LAST_DROP_TS)?,
        );
        Ok(e.iter()
            .zip(d.iter())
            .zip(t.iter())
            .map(|((e, d), t)| (*e, *d, *t))
            .collect())
    }
}
