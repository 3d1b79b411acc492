//! The terminal around the output: colour (`--color`, `NO_COLOR`) and the width tables fit.

use std::sync::atomic::{AtomicBool, Ordering};

static COLOR: AtomicBool = AtomicBool::new(false);

/// Turns colour on or off for the rest of the run (resolved from `--color` and `NO_COLOR`).
pub fn set_color(on: bool) {
    COLOR.store(on, Ordering::Relaxed);
}

/// Whether output is coloured.
pub fn color() -> bool {
    COLOR.load(Ordering::Relaxed)
}

fn paint(code: &str, s: &str) -> String {
    if color() {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_owned()
    }
}

/// Dim text (notes).
pub fn dim(s: &str) -> String {
    paint("2", s)
}

/// Bold text (table headers).
pub fn bold(s: &str) -> String {
    paint("1", s)
}

/// The width of the terminal on stdout, `None` when stdout is not one (then nothing is cut).
pub fn width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    if let Some(c) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(c);
    }
    crossterm::terminal::size()
        .ok()
        .map(|(w, _)| usize::from(w))
}
