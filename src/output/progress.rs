//! Progress of long work on stderr (indicatif): a bar when the total is known, a spinner with
//! a count when not. Hidden when stderr is not a terminal or with `-q`, so scripts and logs
//! see nothing.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static QUIET: AtomicBool = AtomicBool::new(false);

/// `-q`: no progress for the rest of the run.
pub fn set_quiet(q: bool) {
    QUIET.store(q, Ordering::Relaxed);
}

/// Whether progress may show: stderr a terminal, no `-q`.
pub fn shown() -> bool {
    !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal()
}

/// A bar over `total` units of `what` (`events`, `blocks`), or a hidden one.
pub fn bar(total: u64, what: &str) -> ProgressBar {
    if !shown() {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(10));
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{bar:30}} {{percent:>3}}% {{human_pos}}/{{human_len}} {what} {{per_sec}} {{msg}}"
    )) {
        b.set_style(style);
    }
    b
}

/// A spinner counting `what` when the total is unknown (a gzip stream), or a hidden one.
pub fn spinner(what: &str) -> ProgressBar {
    if !shown() {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
    if let Ok(style) =
        ProgressStyle::with_template(&format!("{{spinner}} {{human_pos}} {what} {{per_sec}}"))
    {
        b.set_style(style);
    }
    // Drawn as the count moves (no steady tick), so quick work shows nothing.
    b
}

/// A spinner for work that reports no count (judging a file, merging), or a hidden one.
pub fn busy(what: &str) -> ProgressBar {
    if !shown() {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        b.set_style(style);
    }
    b.set_message(what.to_owned());
    b.enable_steady_tick(Duration::from_millis(100));
    b
}
