//! Test harness for the `casefile` binary: a unique temp directory per test, a command builder,
//! and `eqnice!` for readable output comparisons.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A unique, empty directory for one test, removed when dropped.
pub struct Dir {
    pub path: PathBuf,
}

impl Dir {
    /// Creates `target/cli-tests/<name>-<n>`.
    pub fn new(name: &str) -> Dir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
        let path = root.join(format!(
            "{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create test dir");
        Dir { path }
    }

    /// A path inside the directory.
    pub fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.path.join(p)
    }

    /// Writes a file inside the directory.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(name);
        std::fs::write(&p, bytes).expect("write test file");
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The repository root (for fixtures).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `fixtures/`.
pub fn fixture(p: &str) -> PathBuf {
    repo().join("fixtures").join(p)
}

/// Builds and runs `casefile` with arguments.
pub struct TestCommand {
    cmd: Command,
}

impl TestCommand {
    /// `casefile ARGS...`.
    pub fn new<I, S>(args: I) -> TestCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_casefile"));
        cmd.args(args);
        cmd.env_remove("RUST_BACKTRACE");
        TestCommand { cmd }
    }

    /// The underlying command, to set the directory or environment.
    pub fn cmd(&mut self) -> &mut Command {
        &mut self.cmd
    }

    /// Adds a path argument, then more arguments.
    pub fn cmd_args(&mut self, path: &Path, args: &[&str]) -> &mut TestCommand {
        self.cmd.arg(path).args(args);
        self
    }

    /// Runs it.
    pub fn output(&mut self) -> Output {
        self.cmd.output().expect("run casefile")
    }

    /// Runs it, asserts exit status `code`, and returns stdout.
    pub fn expect_code(&mut self, code: i32) -> (String, String) {
        let o = self.output();
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(
            o.status.code(),
            Some(code),
            "\n--- exit status {:?}, wanted {code}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            o.status.code()
        );
        (stdout, stderr)
    }

    /// Runs it, asserts success, and returns stdout.
    pub fn stdout(&mut self) -> String {
        self.expect_code(0).0
    }
}

/// Like `assert_eq!` for multi-line text, printing both sides in blocks.
#[macro_export]
macro_rules! eqnice {
    ($expected:expr, $got:expr) => {{
        let expected: &str = &$expected;
        let got: &str = &$got;
        if expected != got {
            panic!(
                "\n===== expected =====\n{}\n===== got =====\n{}\n====================\n",
                expected, got
            );
        }
    }};
}

/// A test that cannot run here (a tool or kernel feature missing): under `CI=true` a failure
/// naming `why`; elsewhere a loud line on the real stderr, past the test harness's capture, so
/// a skipped test never passes as a silent `ok`.
pub fn skip(why: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true, so this test must run, but: {why}"
    );
    use std::io::Write as _;
    let name = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n*** SKIPPED {name}: {why} (it passes as `ok`, but it did not run)\n"
    );
}

/// Whether the tests run as root (the recorder needs it).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|u| u.split_whitespace().next() == Some("0"))
        })
        .unwrap_or(false)
}
