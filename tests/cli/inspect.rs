//! `casefile inspect` under a real terminal: tmux runs the binary in a detached session of fixed
//! size, the test reads the screen with capture-pane, sends keys, quits, and checks that the
//! process exited 0 and left the terminal as it found it (no alternate screen, no mouse
//! reporting, canonical mode and echo back on).

use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::{Dir, TestCommand, repo};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs (install it: apt-get install tmux)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "'{text}' did not appear; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Tmux {
    fn wait_gone(&self, text: &str) {
        let start = Instant::now();
        while self.screen().contains(text) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "'{text}' did not go away"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// Runs `casefile inspect` on the synthetic fixture in a 100x30 tmux session, through a script
/// that writes the inspect process's pid to `dir/pid` and, once it exits, prints its exit
/// status and the terminal's modes.
fn inspect_in_tmux(dir: &Dir) -> Tmux {
    inspect_in_tmux_with(dir, &[repo().join("fixtures/replay/synth.case")])
}

/// Like [`inspect_in_tmux`], with these arguments to `casefile inspect`.
fn inspect_in_tmux_with(dir: &Dir, args: &[std::path::PathBuf]) -> Tmux {
    let args: Vec<String> = args
        .iter()
        .map(|a| format!("\"{}\"", a.display()))
        .collect();
    let script = dir.write(
        "run.sh",
        format!(
            "sh -c 'echo $$ > \"{pid}\"; exec \"{bin}\" inspect {args}'\necho EXIT=$?\necho MODES: $(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)')\nsleep 60\n",
            pid = dir.join("pid").display(),
            bin = env!("CARGO_BIN_EXE_casefile"),
            args = args.join(" ")
        ),
    );
    let t = Tmux {
        socket: format!(
            "casefile-test-{}-{}",
            std::process::id(),
            dir.path.display().to_string().len()
        ),
    };
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "100",
        "-y",
        "30",
        &format!("sh '{}'", script.display()),
    ]);
    t
}

/// After the UI ended: the exit status `code`, and the terminal as it was before (canonical
/// mode and echo, no alternate screen, no mouse reporting).
fn assert_restored(t: &Tmux, code: i32) {
    let s = t.wait_for("EXIT=");
    assert!(s.contains(&format!("EXIT={code}")), "{s}");
    let s = t.wait_for("MODES:");
    assert!(
        s.contains("MODES: icanon echo"),
        "terminal left in raw mode:\n{s}"
    );
    for (what, want) in [("#{alternate_on}", "0"), ("#{mouse_any_flag}", "0")] {
        assert_eq!(
            t.run(&["display", "-p", "-t", "t", what]).trim(),
            want,
            "{what}"
        );
    }
}

#[test]
fn inspect_runs_in_a_terminal_and_restores_it_on_quit() {
    let dir = Dir::new("inspect-tmux");
    let t = inspect_in_tmux(&dir);
    let s = t.wait_for("events scanned");
    assert!(s.contains("casefile inspect · synth.case"), "{s}");
    assert!(s.contains("Running Processes"), "{s}");
    assert_eq!(
        t.run(&["display", "-p", "-t", "t", "#{alternate_on}"])
            .trim(),
        "1"
    );
    // Open the first tile (Running Processes) and drill into the busiest process.
    t.run(&["send-keys", "-t", "t", "Enter"]);
    let s = t.wait_for("Overview › Processes [Running Processes]");
    assert!(s.contains("PID"), "{s}");
    t.wait_for("40 rows");
    t.run(&["send-keys", "-t", "t", "Enter"]);
    t.wait_for("› Threads [");
    t.run(&["send-keys", "-t", "t", "?"]);
    t.wait_for(" Keys ");
    t.run(&["send-keys", "-t", "t", "Escape"]);
    // A key sent right after Escape would read as Alt+key: wait for the help to close first.
    t.wait_gone(" Keys ");
    t.run(&["send-keys", "-t", "t", "q"]);
    assert_restored(&t, 0);
}

/// SIGTERM (a closed session, `kill`, a supervisor) ends the UI as `q` does: the terminal is
/// put back before the process exits.
#[test]
fn inspect_restores_the_terminal_on_sigterm() {
    let dir = Dir::new("inspect-sigterm");
    let t = inspect_in_tmux(&dir);
    t.wait_for("events scanned");
    let pid = std::fs::read_to_string(dir.join("pid")).expect("pid file");
    let st = Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .expect("kill");
    assert!(st.success());
    assert_restored(&t, 0);
}

#[test]
fn inspect_needs_a_terminal_and_a_readable_capture() {
    let fixture = repo().join("fixtures/replay/synth.case");
    let (_, err) = TestCommand::new(["inspect", fixture.to_str().expect("utf-8")]).expect_code(2);
    assert!(err.contains("needs a terminal"), "{err}");
}

/// `casefile inspect -r RULES.yaml`: the Alerts view of the real binary, drilled into a rule's
/// events and on to the process; the terminal is restored on quit.
#[test]
fn inspect_shows_the_alerts_of_a_rules_file() {
    let dir = Dir::new("inspect-alerts");
    let t = inspect_in_tmux_with(
        &dir,
        &[
            "-r".into(),
            repo().join("fixtures/rules/basic.yaml"),
            repo().join("fixtures/replay/state.case"),
        ],
    );
    let s = t.wait_for("events scanned");
    assert!(s.contains("Security"), "{s}");
    t.wait_for("  Alerts ");
    // The view picker lists Alerts first.
    t.run(&["send-keys", "-t", "t", "F2"]);
    t.wait_for("Views (F2)");
    t.run(&["send-keys", "-t", "t", "Enter"]);
    let s = t.wait_for("5 of 6 rules fired · 5 alerts");
    assert!(s.contains("Overview › Alerts"), "{s}");
    assert!(s.contains("Write to a passwd file"), "{s}");
    // The first row (the most severe): its event, with the alert text.
    t.run(&["send-keys", "-t", "t", "Enter"]);
    let s = t.wait_for("Alert events [Write to a passwd file]");
    t.wait_for("1 of 1 alerts");
    let s = if s.contains("Write to /etc/passwd by bash") {
        s
    } else {
        t.wait_for("Write to /etc/passwd by bash")
    };
    assert!(s.contains("bash"), "{s}");
    t.run(&["send-keys", "-t", "t", "Enter"]);
    t.wait_for("› Processes [proc.pid = 100]");
    t.run(&["send-keys", "-t", "t", "q"]);
    assert_restored(&t, 0);
}

/// A rules file that cannot be used stops inspect with the message `casefile rules` gives
/// (file and line), before it looks for a terminal; rule flags need -r.
#[test]
fn inspect_reports_rules_errors_plainly() {
    let state = repo().join("fixtures/replay/state.case");
    let state = state.to_str().expect("utf-8");
    let rules = |n: &str| {
        repo()
            .join(format!("fixtures/rules/{n}.yaml"))
            .display()
            .to_string()
    };
    let (_, err) = TestCommand::new(["inspect", "-r", &rules("broken"), state]).expect_code(2);
    assert!(
        err.contains("broken.yaml:8: illegal placement of ':' indicator"),
        "{err}"
    );
    let (_, err) = TestCommand::new(["inspect", "-r", &rules("unsupported"), state]).expect_code(2);
    assert!(
        err.contains("unsupported.yaml:5: rule 'Admin writes below etc'"),
        "{err}"
    );
    // --skip-unsupported: the rules load (with their warnings); only the terminal is missing.
    let (_, err) = TestCommand::new([
        "inspect",
        "--skip-unsupported",
        "-r",
        &rules("unsupported"),
        state,
    ])
    .expect_code(2);
    assert!(err.contains("2 rules skipped"), "{err}");
    assert!(err.contains("needs a terminal"), "{err}");
    let (_, err) = TestCommand::new(["inspect", "--skip-unsupported", state]).expect_code(2);
    assert!(err.contains("--rules <RULES.yaml>"), "{err}");
}
