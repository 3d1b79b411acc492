//! Argument resolution shared by the subcommands: capture files and filter words, `-f`,
//! `--from/--to`, the replay session over a selection, progress on stderr, rules files, and
//! what `record` and its flight recorder share (the sealer, the header, CPU time). The
//! subcommand modules are glue and never import each other; what two of them need lives here
//! (or in the parent `cmd` module, for opening and judging captures).

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};

use super::Opened;
use crate::cli::{ColorWhen, Reading, RuleArgs};
use crate::filter::{self, Filter};
use crate::replay::context::EventCtx;
use crate::replay::fields::{Field, Fields};
use crate::replay::session::{Damage, Flow, Options, Session};
use crate::rules::{self, Priority, Ruleset, Selection};
use crate::views::eval::{Control, Progress, Table, run_view};

/// The capture files and filter words of `read FILE [FILE..] [FILTER WORDS]`: the words after
/// the first file that name existing files are files too, up to the first that does not.
pub fn files_and_words<'a>(file: &Path, words: &'a [String]) -> (Vec<PathBuf>, &'a [String]) {
    let n = words.iter().take_while(|w| Path::new(w).is_file()).count();
    let mut files = vec![file.to_path_buf()];
    files.extend(words[..n].iter().map(PathBuf::from));
    (files, &words[n..])
}

/// A reading command's arguments, resolved once: the files, the filter, what to print and how.
/// The time range needs the capture, so [`Resolved::session`] resolves it.
#[derive(Debug)]
pub struct Resolved {
    /// The capture files, in order.
    pub files: Vec<PathBuf>,
    /// The filter as given (`-f` or the trailing words), `None` when neither was.
    pub filter_text: Option<String>,
    /// The filter, compiled.
    pub filter: Option<Filter<Field>>,
    /// `-n`.
    pub count: Option<u64>,
    /// `-j`.
    pub json: bool,
    /// Progress may show on stderr (a terminal, no `-q`).
    pub progress: bool,
    from: Option<String>,
    to: Option<String>,
}

/// Resolves what every reading command shares: sets the print zone (`--tz`, else local on a
/// terminal and UTC otherwise), the `-t` mode and colour for the run, splits files from filter
/// words and compiles the filter.
pub fn resolve(r: &Reading) -> anyhow::Result<Resolved> {
    let tty = io::stdout().is_terminal();
    let zone = match r.tz.as_deref() {
        Some(z) => crate::timefmt::Zone::parse(z)?,
        None if tty => crate::timefmt::Zone::local(),
        None => crate::timefmt::Zone::Utc,
    };
    crate::timefmt::set_zone(zone);
    crate::output::progress::set_quiet(r.quiet);
    if let Some(t) = &r.time_mode {
        crate::timefmt::set_output_time(crate::timefmt::OutputTime::parse(t)?);
    }
    crate::output::term::set_color(match r.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    });
    let (files, words): (Vec<PathBuf>, &[String]) = if r.read.is_empty() {
        match r.words.split_first() {
            Some((first, rest)) => files_and_words(Path::new(first), rest),
            None => bail!(
                "no capture file given: name one (casefile CMD FILE.. [FILTER]) or use -r FILE"
            ),
        }
    } else {
        (r.read.clone(), &r.words[..])
    };
    let filter_text = match (r.filter.as_deref(), words.is_empty()) {
        (Some(_), false) => bail!(
            "give the filter either with -f or as trailing words, not both (or is '{}' a file \
             that does not exist?)",
            words[0]
        ),
        (Some(f), true) => Some(f.to_owned()),
        (None, false) => Some(words.join(" ")),
        (None, true) => None,
    };
    let filter = match &filter_text {
        Some(t) => Some(filter::compile(t, &Fields).map_err(|e| {
            // A word that was meant as a file and does not exist reads as a bad filter:
            // say so.
            match words.first() {
                Some(w) if r.filter.is_none() && looks_like_path(w) => {
                    anyhow!("{e}\n(no file named '{w}': it was read as the start of the filter)")
                }
                _ => anyhow::Error::from(e),
            }
        })?),
        None => None,
    };
    let to = match (r.max_secs, &r.to) {
        (Some(s), _) if s.is_finite() && s >= 0.0 => Some(format!("+{s}s")),
        (Some(s), _) => bail!("-M takes a number of seconds, not {s}"),
        (None, t) => t.clone(),
    };
    if zone != crate::timefmt::Zone::Utc && tty && !r.quiet && r.tz.is_none() {
        let _ = writeln!(
            io::stderr(),
            "{}",
            crate::output::term::dim(&format!(
                "casefile: times in {} (local time); --tz UTC for UTC",
                zone.name()
            ))
        );
    }
    Ok(Resolved {
        files,
        filter_text,
        filter,
        count: r.count,
        json: r.json,
        progress: crate::output::progress::shown(),
        from: r.from.clone(),
        to,
    })
}

fn looks_like_path(w: &str) -> bool {
    w.contains('/')
        || Path::new(w).extension().is_some_and(|e| {
            ["case", "scap", "gz"]
                .iter()
                .any(|x| e.eq_ignore_ascii_case(x))
        })
}

impl Resolved {
    /// Refuses a filter on a command that takes none.
    pub fn no_filter(&self, cmd: &str) -> anyhow::Result<()> {
        if let Some(t) = &self.filter_text {
            bail!("casefile {cmd} takes no filter (given: {t}); is a file name misspelt?");
        }
        Ok(())
    }

    /// Whether `--from`, `--to` or `-M` was given.
    pub fn has_range(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }

    /// Refuses `--from/--to/-M` on a command that takes none.
    pub fn no_range(&self, cmd: &str) -> anyhow::Result<()> {
        if self.has_range() {
            bail!("casefile {cmd} takes no --from/--to: it describes whole captures");
        }
        Ok(())
    }

    /// The `--from`/`--to` range in ns against a capture's time range.
    pub fn range(&self, range: (u64, u64)) -> anyhow::Result<(Option<u64>, Option<u64>)> {
        time_args(self.from.as_deref(), self.to.as_deref(), range)
    }

    /// Opens (and merges) the captures.
    pub fn open(&self) -> anyhow::Result<Opened> {
        super::open_all(&self.files)
    }

    /// A replay session over the files limited to the time range, with `opts` otherwise.
    pub fn session(&self, opts: Options) -> anyhow::Result<Session> {
        let opened = self.open()?;
        self.session_of(opened, opts)
    }

    /// A replay session over opened captures limited to the time range; the damage of the
    /// merge that made them is part of its [`Session::damage`].
    pub fn session_of(&self, opened: Opened, mut opts: Options) -> anyhow::Result<Session> {
        if let Some(f) = &self.filter {
            answerable(has_latency(&opened.cap), "the filter", f)?;
        }
        let range = opened.cap.time_range().unwrap_or((0, 0));
        (opts.from, opts.to) = self.range(range)?;
        opts.block_names = Some(crate::views::aggregate::block_names);
        let mut s = Session::new(opened.cap, opts)?;
        s.note_input_damage(&opened.damage);
        Ok(s)
    }

    /// Replays `session` over the filter, handing each matching event to `each` until `-n` is
    /// reached, with a progress bar over the capture's events when `bar`; returns the events
    /// handed over.
    pub fn each_event(
        &self,
        session: &mut Session,
        bar: bool,
        mut each: impl FnMut(&mut EventCtx<'_, '_>) -> anyhow::Result<()>,
    ) -> anyhow::Result<u64> {
        let bar = if bar {
            crate::output::progress::bar(session.capture().event_count(), "events")
        } else {
            indicatif::ProgressBar::hidden()
        };
        let mut n = 0u64;
        if !self.done(0) {
            session.run(self.filter.as_ref(), |ctx| -> anyhow::Result<Flow> {
                each(ctx)?;
                n += 1;
                if n.is_multiple_of(1024) {
                    bar.set_position(ctx.num);
                }
                Ok(if self.done(n) {
                    Flow::Stop
                } else {
                    Flow::Continue
                })
            })?;
        }
        bar.finish_and_clear();
        Ok(n)
    }

    /// Whether `n` events or rows are all `-n` allows.
    pub fn done(&self, n: u64) -> bool {
        self.count.is_some_and(|c| n >= c)
    }

    /// The name of the files for messages.
    pub fn describe(&self) -> String {
        super::describe(&self.files)
    }
}

/// Refuses `filter` (`what` names it) when it reads a field the events cannot answer: without
/// `latency` (a capture recorded with `--no-latency`, or such a recording) evt.latency would
/// read 0 everywhere, and a verdict drawn from it would be false.
pub fn answerable(latency: bool, what: &str, filter: &Filter<Field>) -> anyhow::Result<()> {
    let reads_latency = |f: &Field| f.fid == crate::replay::fields::Fid::EvtLatency;
    if !latency && filter.uses_field(&reads_latency) {
        bail!("{what} reads evt.latency, but calls recorded with --no-latency have none");
    }
    Ok(())
}

/// Whether the capture's calls have latencies (it was not recorded with `--no-latency`).
pub fn has_latency(cap: &capture_format::CaptureFile) -> bool {
    !cap.header()
        .info
        .options
        .split_ascii_whitespace()
        .any(|o| o == "latency=none")
}

/// The threads `--threads` asks for: every core when not given.
pub fn threads(n: Option<usize>) -> usize {
    n.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Names on stderr each damaged block that was skipped (the rest was read), after the output,
/// and turns a success into exit status 2: the output lacks those blocks' events. Other
/// statuses (a `check` match, a rule that fired) stand.
pub fn report_damage(damage: &Damage, code: ExitCode) -> ExitCode {
    let mut err = io::stderr().lock();
    for d in damage.iter() {
        let _ = writeln!(
            err,
            "casefile: warning: {d}; that block's events were skipped, the rest was read"
        );
    }
    if !damage.is_empty() && code == ExitCode::SUCCESS {
        ExitCode::from(2)
    } else {
        code
    }
}

/// The `--from`/`--to` pair, parsed (see [`parse_time`]); an empty range is refused rather
/// than answered with nothing.
pub fn time_args(
    from: Option<&str>,
    to: Option<&str>,
    range: (u64, u64),
) -> anyhow::Result<(Option<u64>, Option<u64>)> {
    let from_ns = from.map(|t| parse_time(t, range)).transpose()?;
    let to_ns = to.map(|t| parse_time(t, range)).transpose()?;
    if let (Some(f), Some(t)) = (from_ns, to_ns)
        && f > t
    {
        bail!(
            "--from {} is after --to {}: no time is in both",
            from.unwrap_or_default(),
            to.unwrap_or_default()
        );
    }
    Ok((from_ns, to_ns))
}

pub use crate::timefmt::parse_time;

/// A progress bar on stderr when `show` (stderr a terminal, no `-q`; cleared at the end),
/// over the fraction of the time range covered.
pub fn progress_printer(show: bool) -> Option<impl FnMut(Progress)> {
    if !show {
        return None;
    }
    let bar = crate::output::progress::bar(1000, "of the time range");
    Some(move |p: Progress| {
        if p.fraction >= 1.0 {
            bar.finish_and_clear();
        } else {
            bar.set_position((p.fraction * 1000.0) as u64);
            bar.set_message(format!("{} events", p.events));
        }
    })
}

/// Runs a view with progress on stderr.
pub fn run_with_progress(
    spec: &'static crate::views::spec::ViewSpec,
    session: &mut Session,
    filter: Option<&str>,
    show_progress: bool,
) -> anyhow::Result<Table> {
    let mut pp = progress_printer(show_progress);
    let mut ctl = Control {
        progress: pp.as_mut().map(|p| p as &mut dyn FnMut(Progress)),
        cancel: None,
    };
    Ok(run_view(spec, session, filter, &mut ctl)?)
}

/// Stack for compiling rules: conditions of a few hundred KiB nest `and`s thousands deep.
const COMPILE_STACK: usize = 256 << 20;

/// The rules files to read: each path, or the `.yaml`/`.yml` files of a directory by name.
pub fn rules_files(paths: &[PathBuf]) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for p in paths {
        let mut files = Vec::new();
        if p.is_dir() {
            for e in std::fs::read_dir(p).with_context(|| format!("reading {}", p.display()))? {
                let path = e?.path();
                if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                    files.push(path);
                }
            }
            files.sort();
        } else {
            files.push(p.clone());
        }
        for f in files {
            let text = std::fs::read_to_string(&f)
                .with_context(|| format!("reading rules file {}", f.display()))?;
            out.push((f.display().to_string(), text));
        }
    }
    Ok(out)
}

/// The rules the flags select.
pub fn selection(args: &RuleArgs) -> anyhow::Result<Selection> {
    let min_priority = match &args.min_priority {
        None => None,
        Some(p) => Some(Priority::parse(p).ok_or_else(|| {
            anyhow!(
                "unknown priority '{p}' (emergency, alert, critical, error, warning, notice, \
                 informational, debug)"
            )
        })?),
    };
    Ok(Selection {
        tags: args.tags.clone(),
        disable_tags: args.disable_tags.clone(),
        disable_names: args.disable.clone(),
        min_priority,
        skip_unsupported: args.skip_unsupported,
    })
}

/// Compiles the rules on a thread with a stack large enough for any accepted condition.
pub fn compile(files: Vec<(String, String)>, sel: Selection) -> anyhow::Result<Ruleset> {
    let handle = std::thread::Builder::new()
        .name("rules-compile".into())
        .stack_size(COMPILE_STACK)
        .spawn(move || rules::compile(&files, &sel))
        .context("starting the rules compiler")?;
    match handle.join() {
        Ok(r) => Ok(r?),
        Err(_) => bail!("the rules compiler failed"),
    }
}

/// Reads, compiles and reports on the rules the flags name: loading warnings, skipped rules
/// and rules with unknown output fields go to stderr; a file that cannot be used is an error.
pub fn load_rules(args: &RuleArgs) -> anyhow::Result<Ruleset> {
    let files = rules_files(&args.rules)?;
    let set = compile(files, selection(args)?)?;
    let mut err = io::stderr().lock();
    for w in &set.warnings {
        writeln!(err, "casefile: warning: {w}")?;
    }
    if !set.skipped.is_empty() {
        writeln!(
            err,
            "casefile: warning: {} rule{} skipped: {} what casefile cannot evaluate:",
            set.skipped.len(),
            if set.skipped.len() == 1 { "" } else { "s" },
            if set.skipped.len() == 1 {
                "it uses"
            } else {
                "they use"
            }
        )?;
        for s in &set.skipped {
            writeln!(err, "  {s}")?;
        }
    }
    for p in &set.partial {
        writeln!(err, "casefile: warning: {p}; shown as <NA>")?;
    }
    Ok(set)
}

/// The current time, ns since the epoch.
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The sealer `--sign-key` or `--seal-key` asks for, checked before anything is recorded.
#[cfg(target_os = "linux")]
pub fn sealer(
    args: &crate::cli::RecordArgs,
) -> anyhow::Result<Option<capture_format::seal::Sealer>> {
    use anyhow::Context;
    use capture_format::seal::Sealer;
    Ok(match (&args.sign_key, &args.seal_key) {
        (Some(p), _) => Some(Sealer::ed25519(crate::keys::read_signing_key(p)?)),
        (None, Some(p)) => {
            let key = crate::keys::read_sealing_key(p)?;
            // Forward security needs the old key erased: prove the file can be rewritten.
            key.persist().with_context(|| {
                format!(
                    "cannot rewrite the sealing key {} (the recorder erases each epoch's key as it steps)",
                    p.display()
                )
            })?;
            let s = Sealer::forward_secure(key);
            s.advance(crate::record::procfs::Clock::wall_now())
                .with_context(|| format!("stepping the sealing key {}", p.display()))?;
            Some(s)
        }
        (None, None) => None,
    })
}

/// This process's user and system CPU seconds so far.
#[cfg(target_os = "linux")]
pub fn own_cpu() -> (f64, f64) {
    // SAFETY: an all-zero rusage is a valid value for getrusage to overwrite.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid rusage to write.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &raw mut ru) } != 0 {
        return (0.0, 0.0);
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(ru.ru_utime), secs(ru.ru_stime))
}

/// The capture header of a recording.
#[cfg(target_os = "linux")]
pub fn header_info(meta: &crate::record::session::CaptureMeta) -> capture_format::HeaderInfo {
    capture_format::HeaderInfo {
        created_ns: meta.created_ns,
        hostname: meta.hostname.clone(),
        kernel: meta.kernel.clone(),
        boot_ns: meta.boot_ns,
        cpus: meta.cpus,
        recorder: format!("casefile {}", env!("CARGO_PKG_VERSION")),
        options: meta.options.clone(),
        user: meta.user.clone(),
        source: "ebpf".into(),
        machine_id: meta.machine_id.clone(),
        snaplen: meta.snaplen,
        ..capture_format::HeaderInfo::default()
    }
}
