//! The floor under the recorder: attaches the bare counter pair of `probe/floor.bpf.o` to
//! sys_enter and sys_exit (tp_btf, as the recorder attaches its own), says "attached" on
//! stderr, and on SIGINT or SIGTERM prints the counts and exits. bench/run times a syscall
//! storm under it next to the same storm under `casefile record`.
//!
//!     cargo run --release --example probe_floor [probe/floor.bpf.o]
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aya::maps::PerCpuArray;
use aya::programs::BtfTracePoint;
use aya::{Btf, EbpfLoader};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "probe/floor.bpf.o".into());
    let btf = Btf::from_sys_fs()?;
    let mut ebpf = EbpfLoader::new()
        .btf(Some(&btf))
        .load_file(&path)
        .map_err(|e| format!("{path}: {e}"))?;
    for (prog, tp) in [("floor_enter", "sys_enter"), ("floor_exit", "sys_exit")] {
        let p: &mut BtfTracePoint = ebpf
            .program_mut(prog)
            .ok_or_else(|| format!("{path}: no program {prog}"))?
            .try_into()?;
        p.load(tp, &btf)?;
        p.attach()?;
    }
    eprintln!("attached");
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))?;
    }
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let counts: PerCpuArray<_, u64> = PerCpuArray::try_from(
        ebpf.map("FLOOR")
            .ok_or_else(|| format!("{path}: no map FLOOR"))?,
    )?;
    let total =
        |slot: u32| -> Result<u64, aya::maps::MapError> { Ok(counts.get(&slot, 0)?.iter().sum()) };
    println!("sys_enter {} sys_exit {}", total(0)?, total(1)?);
    Ok(())
}
