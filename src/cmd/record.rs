//! `casefile record`: record the host, or one command and its descendants, into a capture.

use std::process::ExitCode;

use crate::cli::RecordArgs;

/// Runs `casefile record`.
#[cfg(not(target_os = "linux"))]
pub fn run(_args: &RecordArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("recording needs Linux (eBPF); other systems can only read captures")
}

/// Runs `casefile record`.
#[cfg(target_os = "linux")]
pub fn run(args: &RecordArgs) -> anyhow::Result<ExitCode> {
    use std::cell::RefCell;
    use std::io::IsTerminal;
    use std::os::unix::process::ExitStatusExt;
    use std::path::Path;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use anyhow::Context;

    use std::time::Duration;

    use capture_format::seal::Sealer;

    use crate::outfile::{self, OutfileError};
    use crate::record::RecordError;
    use crate::record::destination::{AnchorLog, CaptureOutput, DebugDump, Output};
    use crate::record::session::{self, CaptureMeta, Options};

    // Keys and the anchor log are checked before anything is recorded.
    let sealer = super::args::sealer(args)?;
    let anchors = match &args.anchor {
        Some(p) => Some(
            AnchorLog::open(p)
                .with_context(|| format!("cannot write the anchor log {}", p.display()))?,
        ),
        None => None,
    };
    let checkpoint_every = (sealer.is_some() || anchors.is_some()).then(|| {
        let every = args.checkpoint_every.max(Duration::from_millis(100));
        // At least twice an epoch: a kill loses at most half an epoch of seals.
        match sealer.as_ref().and_then(Sealer::epoch_ns) {
            Some(e) => every.min(Duration::from_nanos(e / 2)),
            None => every,
        }
    });
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("installing the SIGINT/SIGTERM handlers")?;
    }
    let filter = match (&args.filter, args.filter_words.is_empty()) {
        (Some(f), _) => Some(f.clone()),
        (None, false) => Some(args.filter_words.join(" ")),
        (None, true) => None,
    };
    if let Some(f) = &filter {
        // Refused before the probe loads, with the filter's own message.
        let f = crate::filter::compile(f, &crate::replay::fields::Fields)?;
        super::args::answerable(!args.no_latency, "the capture filter", &f)?;
    }
    let opts = Options {
        path: args.file.clone(),
        duration: args.duration,
        snaplen: if args.no_payload { 0 } else { args.snaplen },
        command: args.command.clone(),
        rotate_size: args.rotate_size,
        rotate_count: args.rotate_count,
        ring_bytes: args.ring_mib << 20,
        status: std::io::stderr().is_terminal(),
        force_raw_tp: args.force_raw_tp,
        no_latency: args.no_latency,
        env: args.env,
        checkpoint_every,
        usage_every: args.sampling(),
        sched: args.sched,
        filter,
    };
    if args.rotate_size.is_some() && !args.force {
        // Refused now rather than when the recording reaches it.
        if let Some(p) = rotated_leftover(&args.file) {
            outfile::check_free(&p, false)?;
        }
    }
    let debug = args.debug_dump;
    let rotate_size = args.rotate_size;
    let force = args.force;
    let aggregates = !args.no_aggregates;
    // The first file's lock is held to the end, so that while this recording writes FILE.1,
    // FILE.2... a second recorder is still refused at FILE.
    let first_file = RefCell::new(None);
    let open = |path: &Path, meta: &CaptureMeta| -> std::io::Result<Box<dyn Output>> {
        let file = outfile::create_growing(path, force).map_err(|e| match e {
            OutfileError::Io { source, .. } => source,
            e => e.into(),
        })?;
        if path == args.file {
            *first_file.borrow_mut() = Some(file.try_clone()?);
        }
        if debug {
            return Ok(Box::new(DebugDump::create(file)));
        }
        Ok(Box::new(CaptureOutput::create(
            file,
            &super::args::header_info(meta),
            sealer.clone(),
            anchors.clone(),
            rotate_size,
            aggregates,
        )?))
    };
    let summary = match session::record(&opts, &stop, &open) {
        Ok(s) => s,
        // Like a shell: 127 for a command not found, 126 for one that cannot run.
        Err(e @ RecordError::NotRunnable { status, .. }) => {
            eprintln!("casefile: {e}");
            return Ok(ExitCode::from(status));
        }
        // An existing or locked path: its own message names it.
        Err(RecordError::Output { source, .. })
            if source
                .get_ref()
                .is_some_and(<dyn std::error::Error + Send + Sync>::is::<OutfileError>) =>
        {
            return Err(anyhow::Error::new(
                *source
                    .into_inner()
                    .and_then(|e| e.downcast::<OutfileError>().ok())
                    .context("an output error")?,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    report(&summary, &args.file);
    if let Some(full) = &summary.disk_full {
        eprintln!(
            "casefile: error: the disk holding {} is full: recording stopped early; {} events \
             were not written; the file was closed with its footer and verifies",
            full.display(),
            summary.unwritten
        );
        return Ok(ExitCode::from(2));
    }
    drop(first_file);
    // The recorded command's status, as a shell reports it (none when recording stopped first).
    let code = summary.child.map_or(0, |st| {
        st.code()
            .or_else(|| st.signal().map(|s| 128 + s))
            .unwrap_or(1)
    });
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

/// The recording's summary on stderr: how it attached, what it recorded and lost, what it cost.
#[cfg(target_os = "linux")]
fn report(summary: &crate::record::session::Summary, file: &std::path::Path) {
    if !summary.fallbacks.is_empty() {
        eprintln!(
            "casefile: attached through raw_tp (tp_btf refused): {}",
            summary.fallbacks.join(", ")
        );
    }
    for (program, why) in &summary.degraded {
        eprintln!("casefile: warning: optional probe {program} not attached: {why}");
    }
    eprintln!(
        "casefile: recorded {} events in {:.1} s into {} ({} file{}, {:.1} MiB), {} lost{}",
        summary.events,
        summary.elapsed.as_secs_f64(),
        file.display(),
        summary.files,
        if summary.files == 1 { "" } else { "s" },
        summary.bytes as f64 / f64::from(1 << 20),
        summary.lost,
        if summary.malformed > 0 {
            format!(", {} malformed probe records skipped", summary.malformed)
        } else {
            String::new()
        }
    );
    if summary.late > 0 {
        eprintln!(
            "casefile: {} events arrived after later ones were written; their times were raised",
            summary.late
        );
    }
    if let Some(st) = summary.child.filter(|st| !st.success()) {
        eprintln!("casefile: the recorded command exited with {st}");
    }
    let (user, sys) = super::args::own_cpu();
    eprintln!("casefile: recorder CPU: {user:.2} s user, {sys:.2} s system");
    if summary.samples > 0 {
        eprintln!(
            "casefile: {} resource samples taken in {:.3} s",
            summary.samples,
            summary.sampling.as_secs_f64()
        );
    }
}

/// A `FILE.N` of an earlier rotation left next to `base`, which this recording would reach.
#[cfg(target_os = "linux")]
fn rotated_leftover(base: &std::path::Path) -> Option<std::path::PathBuf> {
    let name = base.file_name()?.to_str()?;
    let dir = match base.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut found: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_prefix(name)?.strip_prefix('.'))
                .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found.into_iter().next()
}
