//! One module per subcommand. Each exposes `run(args) -> anyhow::Result<ExitCode>` and is
//! glue: it resolves its arguments, calls the room that owns the analysis (`views`, `replay`,
//! `import`, `record`, `fleet`...) and prints. Subcommand modules never import one another;
//! what two of them need lives in [`args`] (or here, for opening and judging captures).

pub mod args;
pub mod check;
pub mod echo;
pub mod export;
pub mod fields;
pub mod flight;
pub mod import;
pub mod info;
pub mod inspect;
pub mod keygen;
pub mod live;
pub mod man;
pub mod merge;
pub mod ps;
pub mod read;
pub mod record;
pub mod rules;
pub mod spy;
pub mod summary;
pub mod timeline;
pub mod top;
pub mod verify;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use capture_format::{CaptureFile, Writer, WriterOptions};

use crate::fleet::clock::ms;
use crate::fleet::merge::{self as fleet_merge, Input};
use crate::replay::session::Damage;

/// Opens a capture for any reading command: a casefile capture is memory-mapped; a sysdig
/// `.scap` (plain or gzip) is converted in memory first, so every command reads both.
pub fn open(path: &Path) -> anyhow::Result<CaptureFile> {
    regular(path)?;
    if crate::import::scap::is_scap(path).unwrap_or(false) {
        return import::in_memory(path).with_context(|| format!("reading {}", path.display()));
    }
    // SAFETY: captures are only ever appended to; a reader of a file that someone truncates
    // while it is mapped may fault, which `casefile` documents rather than guards against.
    let cap = unsafe { CaptureFile::open_mmap(path) }?;
    if let Some(r) = cap.recovery() {
        eprintln!(
            "casefile: note: {}: recovered ({}); every complete block is read",
            path.display(),
            r.reason
        );
    }
    Ok(cap)
}

/// Fails unless `path` is a regular file: a FIFO would block an open and a directory fail with
/// an odd errno, so say what it is.
pub fn regular(path: &Path) -> anyhow::Result<std::fs::Metadata> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        bail!(
            "{}: {}, not a capture file",
            path.display(),
            crate::outfile::describe(meta.file_type())
        );
    }
    Ok(meta)
}

/// Judges one file, reading it whole through a map.
pub fn judge(
    file: &std::path::Path,
    trust: &capture_format::verdict::Trust<'_>,
) -> anyhow::Result<capture_format::verdict::Verdict> {
    let meta = regular(file)?;
    if crate::import::scap::is_scap(file).unwrap_or(false) {
        bail!(
            "{}: a sysdig .scap file has no hash chain; nothing to verify (`casefile import` makes a capture that has one)",
            file.display()
        );
    }
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let map;
    let bytes: &[u8] = if meta.len() == 0 {
        &[]
    } else {
        // SAFETY: captures are only ever appended to (see `cmd::open`).
        map = unsafe { memmap2::Mmap::map(&f) }
            .with_context(|| format!("mapping {}", file.display()))?;
        &map
    };
    let v = capture_format::verdict::judge(bytes, trust);
    if v.status == capture_format::verdict::Status::Unreadable {
        let p = v.problem.as_ref();
        bail!(
            "{}: at byte {}: {}",
            file.display(),
            p.map_or(0, |p| p.offset),
            p.map_or("", |p| p.what.as_str())
        );
    }
    Ok(v)
}

/// Opens `files` and groups them into merge inputs (see [`fleet_merge::group`]): the pieces of a
/// rotated recording join up; every other file is a host of its own.
pub fn open_inputs(files: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
    let mut caps = Vec::with_capacity(files.len());
    for f in files {
        caps.push((
            open(f).with_context(|| format!("opening {}", f.display()))?,
            f.display().to_string(),
        ));
    }
    Ok(fleet_merge::group(caps))
}

/// The captures a reading command was given, opened as one.
pub struct Opened {
    /// The capture (merged in memory when several were given).
    pub cap: CaptureFile,
    /// Damaged input blocks the merge skipped (their events are not in `cap`).
    pub damage: Damage,
}

/// Opens the captures a reading command was given, as one: a single file as [`open`] does;
/// several are merged in memory, as `casefile merge` would write them (pieces of one rotated
/// recording continue each other; other files become hosts, their clocks corrected where
/// TCP connections allow, and each correction is stated on stderr).
pub fn open_all(files: &[PathBuf]) -> anyhow::Result<Opened> {
    let whole = |cap| Opened {
        cap,
        damage: Damage::default(),
    };
    match files {
        [] => bail!("no capture file given"),
        [one] => open(one).map(whole),
        _ => {
            let inputs = open_inputs(files)?;
            if let [input] = &inputs[..]
                && input.pieces.len() == 1
            {
                return Ok(whole(input.pieces[0].clone()));
            }
            let hosts = fleet_merge::plan(&inputs)?;
            for h in hosts.iter().filter(|h| h.offset_ns != 0) {
                eprintln!(
                    "casefile: host {} ({}): clock corrected by {}: {}",
                    h.hostname,
                    h.source,
                    ms(h.offset_ns),
                    h.offset_basis
                );
            }
            let info = fleet_merge::header(&inputs, &hosts, args::now_ns());
            // Damaged input blocks are skipped; the command names them after its output.
            let mut w = Writer::new(Vec::new(), &info, by_size())?;
            let stats = fleet_merge::merge(&inputs, &hosts, &mut w)?;
            Ok(Opened {
                cap: CaptureFile::from_bytes(w.finish()?)?,
                damage: stats.damage,
            })
        }
    }
}

/// Writer options for a capture made from other data (a conversion, a merge): blocks are cut
/// by size only, since the wall clock of the work says nothing about the data.
pub fn by_size() -> WriterOptions {
    WriterOptions {
        max_age: std::time::Duration::from_secs(u64::from(u32::MAX)),
        ..WriterOptions::default()
    }
}

/// How several captures are named in messages: the one path, or the first and a count.
pub fn describe(files: &[PathBuf]) -> String {
    match files {
        [one] => one.display().to_string(),
        [first, rest @ ..] => format!("{} and {} more", first.display(), rest.len()),
        [] => String::new(),
    }
}

/// `casefile read -c CHISEL` (sysdig's `-c`): runs the command that answers the chisel's
/// question with the same files, filter and options; `-c list` lists the chisels.
pub fn chisel(args: &crate::cli::ReadArgs) -> anyhow::Result<std::process::ExitCode> {
    use std::io::Write as _;

    use crate::views::chisels::{CHISELS, Chisel, chisel};
    let name = args.chisel.as_deref().unwrap_or_default();
    if matches!(name, "list" | "l") {
        let mut out = std::io::stdout().lock();
        for (n, c, what) in CHISELS {
            let to = match c {
                Chisel::View(v, sort, filter) => format!(
                    "casefile top {v}{}{}",
                    sort.map_or(String::new(), |c| format!(" --sort '{c}'")),
                    filter.map_or(String::new(), |f| format!(" -f '{f}'"))
                ),
                Chisel::Spy(true) => "casefile spy --all".to_owned(),
                Chisel::Spy(false) => "casefile spy".to_owned(),
                Chisel::Echo(Some(f)) => format!("casefile echo FILE {f}"),
                Chisel::Echo(None) => "casefile echo".to_owned(),
                Chisel::Ps => "casefile ps".to_owned(),
                Chisel::Hint(h) => format!("(no equivalent) {h}"),
            };
            let what = if what.is_empty() {
                String::new()
            } else {
                format!(": {what}")
            };
            writeln!(out, "{n:<20} {to}{what}")?;
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let found = chisel(name);
    let extra = match found {
        Some(Chisel::View(_, _, f) | Chisel::Echo(f)) => f,
        _ => None,
    };
    let mut reading = args.reading.clone();
    if let Some(extra) = extra {
        // The chisel's own selection joins the one given, on the same files.
        let r = args::resolve(&reading)?;
        reading.filter = Some(match r.filter_text {
            Some(f) => format!("({f}) and {extra}"),
            None => extra.to_owned(),
        });
        reading.read = r.files;
        reading.words.clear();
    }
    match found {
        Some(Chisel::View(view, sort, _)) => top::run(&crate::cli::TopArgs {
            view: Some(view.to_owned()),
            reading,
            sort: sort.map(str::to_owned),
            asc: false,
            limit: None,
            list: false,
            threads: args.threads,
        }),
        Some(Chisel::Spy(all)) => spy::run(&crate::cli::SpyArgs { reading, all }),
        Some(Chisel::Ps) => ps::run(&crate::cli::PsArgs {
            reading,
            tree: false,
        }),
        Some(Chisel::Echo(_)) => echo::run(&crate::cli::EchoArgs {
            reading,
            ascii: args.ascii,
            hex: args.hex,
        }),
        Some(Chisel::Hint(h)) => bail!("casefile has no chisel {name}; use: {h}"),
        None => bail!(
            "unknown chisel '{name}'; `casefile read -c list` lists those casefile answers with \
             its views"
        ),
    }
}
