//! The terminal: raw mode, the alternate screen and mouse capture, undone on drop, on error
//! and from a panic hook.

use std::io::{self, Stdout};
use std::sync::Once;

use crossterm::cursor::Show;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Owns the terminal while the UI runs; dropping it restores the terminal.
pub struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    restored: bool,
}

/// Puts the terminal back: leaves the alternate screen, stops mouse capture, shows the cursor
/// and leaves raw mode. Safe to call more than once.
pub fn restore_terminal() {
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        Show
    );
    let _ = disable_raw_mode();
}

static HOOK: Once = Once::new();

impl TerminalGuard {
    /// Enters raw mode, the alternate screen and mouse capture, and installs the panic hook:
    /// a panic of the UI thread restores the terminal before its message prints; one of a
    /// worker thread prints nothing over the screen (the job catches it and the UI shows it,
    /// see `jobs::spawn`).
    pub fn enter() -> io::Result<TerminalGuard> {
        HOOK.call_once(|| {
            let ui = std::thread::current().id();
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if std::thread::current().id() == ui {
                    restore_terminal();
                    previous(info);
                }
            }));
        });
        enable_raw_mode()?;
        let setup = execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)
            .and_then(|()| Terminal::new(CrosstermBackend::new(io::stdout())));
        match setup {
            Ok(terminal) => Ok(TerminalGuard {
                terminal,
                restored: false,
            }),
            Err(e) => {
                restore_terminal();
                Err(e)
            }
        }
    }

    /// The terminal to draw on.
    pub fn terminal(&mut self) -> &mut Terminal<CrosstermBackend<Stdout>> {
        &mut self.terminal
    }

    /// Restores the terminal now (drop does it too).
    pub fn restore(&mut self) {
        if !self.restored {
            restore_terminal();
            self.restored = true;
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        self.restore();
    }
}
