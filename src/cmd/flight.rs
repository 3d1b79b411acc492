//! `casefile record --keep`: the flight recorder (see `record::flight`), and `casefile trigger`.

use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::{RecordArgs, TriggerArgs};

/// Runs `casefile trigger PID`: sends SIGUSR1 to a flight recorder, after checking it is one.
pub fn trigger(args: &TriggerArgs) -> anyhow::Result<ExitCode> {
    let pid = args.pid;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
        .with_context(|| format!("no process {pid}"))?;
    let argv: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
    let is_casefile = argv
        .first()
        .and_then(|a| a.rsplit(|&b| b == b'/').next())
        .is_some_and(|n| n.starts_with(b"casefile"));
    let records = argv.iter().any(|a| *a == b"record");
    let keeps = argv
        .iter()
        .any(|a| *a == b"--keep" || a.starts_with(b"--keep="));
    if !(is_casefile && records && keeps) {
        bail!(
            "process {pid} is not a flight recorder (`casefile record --keep ...`); SIGUSR1 would \
             end it, so it was not sent"
        );
    }
    let pid = libc::pid_t::try_from(pid).context("pid out of range")?;
    // Queued, so the recorder knows `casefile trigger` sent it (a plain kill is SIGUSR1 alone).
    let value = libc::sigval {
        sival_ptr: std::ptr::null_mut(),
    };
    // SAFETY: sigqueue with a pid, a signal number and a value holding no pointer.
    if unsafe { libc::sigqueue(pid, libc::SIGUSR1, value) } != 0 {
        return Err(std::io::Error::last_os_error())
            .with_context(|| format!("signalling process {pid}"));
    }
    eprintln!("casefile: asked flight recorder {pid} to write its window");
    Ok(ExitCode::SUCCESS)
}

/// Runs `casefile record --keep DUR`.
#[cfg(not(target_os = "linux"))]
pub fn run(_args: &RecordArgs) -> anyhow::Result<ExitCode> {
    bail!("recording needs Linux (eBPF); other systems can only read captures")
}

/// Runs `casefile record --keep DUR`.
#[cfg(target_os = "linux")]
pub fn run(args: &RecordArgs) -> anyhow::Result<ExitCode> {
    use std::path::Path;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    use crate::filter;
    use crate::record::destination::Output;
    use crate::record::flight::{self, FlightConfig, FlightOutput, TriggerSpec};
    use crate::record::session::{self, CaptureMeta, Options};
    use crate::replay::fields::Fields;

    let fa = &args.flight;
    let keep = fa.keep.context("--keep is required")?;
    // Everything is checked before recording starts.
    if keep.is_zero() {
        bail!("--keep must be longer than 0 s");
    }
    let need = flight::min_memory(keep);
    if fa.keep_memory < need {
        bail!(
            "--keep {} s does not fit in --keep-memory {} MiB: it needs at least {} MiB \
             ({} MiB plus {} KiB per second kept, what an idle host's recording takes)",
            keep.as_secs(),
            fa.keep_memory >> 20,
            need.div_ceil(1 << 20),
            flight::MIN_RING_BYTES >> 20,
            flight::MIN_BYTES_PER_SEC >> 10
        );
    }
    let dir = &args.file;
    let meta = std::fs::metadata(dir)
        .with_context(|| format!("the incident directory {} (-w)", dir.display()))?;
    if !meta.is_dir() {
        bail!(
            "with --keep, -w names the directory incident files go to; {} is not a directory",
            dir.display()
        );
    }
    let probe = dir.join(format!(".casefile-probe-{}", std::process::id()));
    crate::outfile::create_growing(&probe, false)
        .with_context(|| format!("cannot create files in {}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    let trigger = match (&fa.trigger, fa.trigger_rules.is_empty()) {
        (Some(text), _) => {
            let f = filter::compile(text, &Fields)
                .map_err(|e| anyhow::anyhow!("the --trigger filter does not compile:\n{e}"))?;
            super::args::answerable(!args.no_latency, "the --trigger filter", &f)?;
            TriggerSpec::Filter(text.clone(), f)
        }
        (None, false) => {
            let files = super::args::rules_files(&fa.trigger_rules)?;
            let set = super::args::compile(files, crate::rules::Selection::default())
                .context("the --trigger-rules files cannot be used")?;
            for w in &set.warnings {
                eprintln!("casefile: warning: {w}");
            }
            if set.rules.is_empty() {
                bail!("the --trigger-rules files hold no rule that can run");
            }
            for rule in &set.rules {
                let what = format!("the --trigger-rules rule '{}'", rule.name);
                super::args::answerable(!args.no_latency, &what, &rule.filter)?;
            }
            TriggerSpec::Rules(Box::new(set))
        }
        (None, true) => TriggerSpec::None,
    };
    let sealer = super::args::sealer(args)?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("installing the SIGINT/SIGTERM handlers")?;
    }
    let manual = Arc::new(AtomicBool::new(false));
    let manual_by = Arc::new(std::sync::atomic::AtomicU32::new(0));
    {
        let (flag, by) = (Arc::clone(&manual), Arc::clone(&manual_by));
        let action = move |info: &libc::siginfo_t| {
            // `casefile trigger` queues the signal (SI_QUEUE); a plain kill does not.
            let from = if info.si_code == libc::SI_QUEUE {
                // SAFETY: the sender's pid is set for a queued signal.
                u32::try_from(unsafe { info.si_pid() }).unwrap_or(0)
            } else {
                0
            };
            by.store(from, Ordering::SeqCst);
            flag.store(true, Ordering::SeqCst);
        };
        // SAFETY: the action only stores to atomics, which is async-signal-safe.
        unsafe { signal_hook_registry::register_sigaction(libc::SIGUSR1, action) }
            .context("installing the SIGUSR1 handler")?;
    }
    let opts = Options {
        path: dir.clone(),
        duration: args.duration,
        snaplen: if args.no_payload { 0 } else { args.snaplen },
        command: args.command.clone(),
        rotate_size: None,
        rotate_count: 0,
        ring_bytes: args.ring_mib << 20,
        status: false,
        force_raw_tp: args.force_raw_tp,
        no_latency: args.no_latency,
        env: args.env,
        checkpoint_every: None,
        usage_every: args.sampling(),
        sched: args.sched,
        filter: None,
    };
    let cfg = Mutex::new(Some((trigger, sealer)));
    let open = |_: &Path, meta: &CaptureMeta| -> std::io::Result<Box<dyn Output>> {
        let (trigger, sealer) = cfg
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .take()
            .ok_or_else(|| std::io::Error::other("the flight recorder opens one output"))?;
        let header = super::args::header_info(meta);
        Ok(Box::new(FlightOutput::new(FlightConfig {
            keep,
            after: fa.after,
            memory: fa.keep_memory,
            dir: dir.clone(),
            trigger,
            manual: Arc::clone(&manual),
            manual_by: Arc::clone(&manual_by),
            header,
            sealer,
        })?))
    };
    eprintln!(
        "casefile: flight recorder (pid {}): keeping the last {} s in memory (at most {} MiB); \
         incidents go to {}",
        std::process::id(),
        keep.as_secs_f64(),
        fa.keep_memory >> 20,
        dir.display()
    );
    let summary = session::record(&opts, &stop, &open)?;
    for (program, why) in &summary.degraded {
        eprintln!("casefile: warning: optional probe {program} not attached: {why}");
    }
    let (user, sys) = super::args::own_cpu();
    eprintln!(
        "casefile: flight recorder saw {} events in {:.1} s, {} lost; recorder CPU: {user:.2} s \
         user, {sys:.2} s system",
        summary.events,
        summary.elapsed.as_secs_f64(),
        summary.lost
    );
    Ok(ExitCode::SUCCESS)
}
