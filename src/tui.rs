//! `casefile inspect`: Sysdig Inspect's workflow in a terminal.
//!
//! The overview of tiles (a total and a sparkline each, grouped like Inspect's categories) leads
//! to a view table; Enter drills into a row with breadcrumbs, Backspace goes back, `e` shows
//! the I/O of the selection and `d` its raw events. A timeline strip at the top shows the event
//! density from the block index (no decoding) with loss intervals marked; a time range chosen
//! on it applies to every view.
//!
//! State flows one way:
//!
//! ```text
//! input thread ──┐
//! tick thread  ──┼──► one channel of AppEvent ──► App::handle_event(&mut self)
//! job threads  ──┘                                  │
//!                                                   └──► ui::draw(&App) draws
//! ```
//!
//! Opening, scanning and aggregating run on job threads ([`jobs`]) that report progress and
//! results as events; a new request or Esc cancels the running one, so the screen never
//! freezes. [`event`] holds those events and the jobs' messages; [`screen`] the screen stack's
//! model; [`app`] the state and how events change it; [`ui`] draws it. [`term`] owns the terminal: raw mode, the alternate screen and mouse capture are
//! undone on every exit path, panics included.

#![forbid(unsafe_code)]

pub mod app;
pub mod event;
pub mod jobs;
pub mod layout;
pub mod screen;
pub mod term;
pub mod ui;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use crossterm::event::{self as cevent, Event as CEvent};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};

use crate::replay::session::Damage;
use app::App;
use event::AppEvent;

/// Errors of the terminal UI.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// The terminal could not be set up, drawn on or read.
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

/// Runs the UI on the terminal until the user quits; with `rules`, the Alerts view is there.
/// Returns the damaged blocks its views skipped (the screen said so as they were met).
pub fn run(
    path: &Path,
    open: jobs::Opener,
    rules: Option<Arc<crate::views::alerts::Rules>>,
) -> Result<Damage, TuiError> {
    run_app(path, open, rules, false)
}

/// Runs the UI over a capture being recorded (`casefile live --inspect`): it reopens the file
/// each second and follows "now" until the user pauses (`p`) or chooses a time range.
/// Returns the damaged blocks its views skipped.
pub fn run_live(path: &Path, open: jobs::Opener) -> Result<Damage, TuiError> {
    run_app(path, open, None, true)
}

fn run_app(
    path: &Path,
    open: jobs::Opener,
    rules: Option<Arc<crate::views::alerts::Rules>>,
    live: bool,
) -> Result<Damage, TuiError> {
    let (tx, rx) = mpsc::channel();
    let mut guard = term::TerminalGuard::enter()?;
    let size = guard.terminal().size()?;
    let mut app = App::new(
        path.to_path_buf(),
        open,
        tx.clone(),
        (size.width, size.height),
    );
    if let Some(rules) = rules {
        app = app.with_rules(rules);
    }
    if live {
        app = app.with_live();
    }
    // Input: a producer thread; it ends when the channel closes (the app quit).
    let input_tx = tx.clone();
    std::thread::spawn(move || {
        loop {
            let ev = match cevent::read() {
                Ok(CEvent::Key(k)) => AppEvent::Key(k),
                Ok(CEvent::Mouse(m)) => AppEvent::Mouse(m),
                Ok(CEvent::Resize(w, h)) => AppEvent::Resize(w, h),
                Ok(_) => continue,
                Err(_) => break,
            };
            if input_tx.send(ev).is_err() {
                break;
            }
        }
    });
    // Ticks: drive the spinner while jobs run.
    let tick_tx = tx;
    std::thread::spawn(move || {
        while tick_tx.send(AppEvent::Tick).is_ok() {
            std::thread::sleep(Duration::from_millis(250));
        }
    });
    // SIGTERM, SIGHUP, SIGINT and SIGQUIT end the UI like `q` does, so the terminal is
    // restored (the tick below wakes the loop to notice).
    let signalled = Arc::new(AtomicBool::new(false));
    for sig in [SIGTERM, SIGHUP, SIGINT, SIGQUIT] {
        signal_hook::flag::register(sig, Arc::clone(&signalled))?;
    }
    app.start();
    loop {
        guard.terminal().draw(|f| ui::draw(&app, f))?;
        let Ok(ev) = rx.recv() else { break };
        app.handle_event(ev);
        // Fold whatever else is queued before drawing again.
        while let Ok(ev) = rx.try_recv() {
            app.handle_event(ev);
        }
        if app.quit || signalled.load(Ordering::Relaxed) {
            break;
        }
    }
    app.cancel_job();
    drop(rx);
    guard.restore();
    Ok(app.damage)
}
