//! `casefile record`: trigger a known workload under the real probe, then expect each action in
//! the capture with the right process, path, tuple, bytes and return value.
//!
//! These tests need root and a kernel that loads the probe. Where BPF cannot load they skip
//! with a message, except under `CI=true`, where that is a failure.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread;

use capture_format::CaptureFile;
use capture_format::schema::{Body, Event, Process, Syscall, Value, syscalls};

use crate::util::{Dir, TestCommand, is_root};

/// Whether the failure means "this machine cannot load BPF" rather than a bug.
fn bpf_unavailable(out: &Output) -> bool {
    let err = String::from_utf8_lossy(&out.stderr);
    out.status.code() == Some(2)
        && [
            "needs root",
            "BTF",
            "loading the eBPF probe",
            "refused eBPF program",
        ]
        .iter()
        .any(|m| err.contains(m))
}

/// Whether the probe loaded for this run of `casefile record`. When this machine cannot load
/// BPF the test is skipped with a message, except under `CI=true`, where that is a failure.
pub fn probe_loaded(out: &Output) -> bool {
    if !bpf_unavailable(out) {
        return true;
    }
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "BPF must load in CI, but: {why}"
    );
    crate::util::skip(&format!("the probe cannot load here: {why}"));
    false
}

/// Records `cmd` into `file`; `None` when BPF is unavailable here (and not in CI). In CI
/// (this machine kind loads tp_btf programs) a program that fell back to raw_tp without
/// `--force-raw-tp` is a failure: the verifier refused it, and the fallback would hide that.
pub fn record(file: &Path, flags: &[&str], cmd: &[&str]) -> Option<Output> {
    let mut rec = TestCommand::new(["record", "-w"]);
    rec.cmd().arg(file).args(flags).arg("--").args(cmd);
    let out = rec.output();
    if !probe_loaded(&out) {
        return None;
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "casefile record failed: {err}");
    assert!(
        flags.contains(&"--force-raw-tp")
            || std::env::var("CI").as_deref() != Ok("true")
            || !err.contains("tp_btf refused"),
        "a tp_btf program was refused: {err}"
    );
    Some(out)
}

/// Every event of a recorded capture (which must have its footer).
pub fn events(file: &Path) -> Vec<Event<'static>> {
    let cap = CaptureFile::read(file).expect("open capture");
    assert!(cap.recovery().is_none(), "capture has no footer");
    let mut out = Vec::new();
    for i in 0..cap.blocks().len() {
        let block = cap.read_block(i).expect("read block");
        if !block.is_events() {
            continue;
        }
        for ev in block.events().expect("decode block") {
            out.push(ev.expect("decode event").into_owned());
        }
    }
    out
}

fn syscalls_named<'a>(
    evs: &'a [Event<'static>],
    names: &[&str],
) -> impl Iterator<Item = (&'a Event<'static>, &'a Syscall<'static>)> {
    evs.iter().filter_map(move |e| match &e.body {
        Body::Syscall(s) if syscalls::name(s.nr).is_some_and(|n| names.contains(&n)) => {
            Some((e, s))
        }
        _ => None,
    })
}

fn param<'a>(s: &'a Syscall<'static>, name: &str) -> &'a Value<'static> {
    let i = syscalls::param_index(s.nr, name)
        .unwrap_or_else(|| panic!("{} has no parameter {name}", syscalls::spec(s.nr).name));
    &s.params[i]
}

fn bytes_end_with(v: &Value<'_>, suffix: &str) -> bool {
    v.as_bytes().is_some_and(|b| b.ends_with(suffix.as_bytes()))
}

fn exec_of<'a>(evs: &'a [Event<'static>], prog: &str) -> &'a Process<'static> {
    evs.iter()
        .find_map(|e| match &e.body {
            Body::Exec(p) if p.exe_path.ends_with(format!("/{prog}").as_bytes()) => Some(p),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no exec of {prog} recorded"))
}

#[test]
fn record_sees_files_network_exec_and_errors_of_a_command() {
    workload_appears_in_the_capture("tp-btf", &[]);
}

/// The same through the attach table's raw_tp fallback programs.
#[test]
fn record_through_the_raw_tp_fallback() {
    workload_appears_in_the_capture("raw-tp", &["--force-raw-tp"]);
}

fn workload_appears_in_the_capture(name: &str, flags: &[&str]) {
    let dir = Dir::new(name);
    let file = dir.path.join("cap.case");
    let server = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = server.local_addr().expect("addr").port();
    let received = thread::spawn(move || {
        let (mut conn, _) = server.accept().expect("accept");
        let mut got = Vec::new();
        conn.read_to_end(&mut got).expect("read");
        got
    });
    let script = format!(
        "cd {dir} && echo hello-casefile > a.txt && mv a.txt b.txt && rm b.txt; \
         cat missing.txt 2>/dev/null; \
         exec 3<>/dev/tcp/127.0.0.1/{port}; printf ping-casefile >&3; exec 3>&-; \
         /bin/echo child-ran >/dev/null; trap : USR1; kill -USR1 $$",
        dir = dir.path.display()
    );
    let Some(_) = record(&file, flags, &["bash", "-c", &script]) else {
        return;
    };
    assert_eq!(received.join().expect("server"), b"ping-casefile");
    let evs = events(&file);

    // Events come out in time order.
    assert!(
        evs.windows(2).all(|w| w[0].ts <= w[1].ts),
        "events out of order"
    );

    let bash = exec_of(&evs, "bash");
    assert!(bash.args.starts_with(b"-c\0"), "bash args: {:?}", bash.args);
    let shell = bash.pid;

    // The shell creates a.txt and writes the line into it.
    let (_, open) = syscalls_named(&evs, &["openat", "open"])
        .find(|(e, s)| e.pid == shell && bytes_end_with(param(s, "name"), "a.txt"))
        .expect("openat a.txt by the shell");
    assert!(open.ret >= 0, "open a.txt returned {}", open.ret);
    let o_creat = 0o100;
    assert_ne!(
        param(open, "flags").as_int().unwrap_or(0) & o_creat,
        0,
        "O_CREAT"
    );
    let (_, write) = syscalls_named(&evs, &["write"])
        .find(|(e, s)| e.pid == shell && param(s, "data").as_bytes() == Some(b"hello-casefile\n"))
        .expect("write of the line by the shell");
    assert_eq!(write.ret, 15);
    assert!(param(write, "fd").as_int().is_some_and(|fd| fd >= 0));

    // mv renames, rm unlinks, each in its own process.
    let mv = exec_of(&evs, "mv");
    assert_eq!(mv.ppid, shell);
    // Its working directory comes from the probe's dentry walk (mv is gone long before
    // /proc could be asked).
    let cwd = std::fs::canonicalize(&dir.path).expect("canonical test dir");
    assert_eq!(
        String::from_utf8_lossy(&mv.cwd),
        cwd.to_string_lossy(),
        "cwd of mv"
    );
    let (_, rename) = syscalls_named(&evs, &["rename", "renameat", "renameat2"])
        .find(|(e, _)| e.pid == mv.pid)
        .expect("rename by mv");
    assert_eq!(rename.ret, 0);
    assert!(bytes_end_with(param(rename, "oldpath"), "a.txt"));
    assert!(bytes_end_with(param(rename, "newpath"), "b.txt"));
    let rm = exec_of(&evs, "rm");
    let (_, unlink) = syscalls_named(&evs, &["unlink", "unlinkat"])
        .find(|(e, _)| e.pid == rm.pid)
        .expect("unlink by rm");
    assert_eq!(unlink.ret, 0);
    let name = if syscalls::name(unlink.nr) == Some("unlinkat") {
        "name"
    } else {
        "path"
    };
    assert!(bytes_end_with(param(unlink, name), "b.txt"));

    // A failing open: ENOENT.
    let cat = exec_of(&evs, "cat");
    let (_, failed) = syscalls_named(&evs, &["openat", "open"])
        .find(|(e, s)| e.pid == cat.pid && bytes_end_with(param(s, "name"), "missing.txt"))
        .expect("open of missing.txt by cat");
    assert_eq!(failed.ret, -2, "ENOENT");

    // connect to the test's server, with the address and the kernel socket's tuple.
    // (The shell may connect elsewhere first: name-service lookups try unix sockets, nscd's or
    // systemd's userdb, which fail with ENOENT where no such daemon runs, as in CI.)
    let (_, connect) = syscalls_named(&evs, &["connect"])
        .find(|(e, s)| {
            e.pid == shell && matches!(param(s, "addr"), Value::Sock(a) if a.dport == port)
        })
        .unwrap_or_else(|| {
            let seen: Vec<_> = syscalls_named(&evs, &["connect"])
                .filter(|(e, _)| e.pid == shell)
                .map(|(_, s)| (param(s, "addr").clone(), s.ret))
                .collect();
            panic!("no connect to port {port} by the shell; its connects: {seen:?}")
        });
    assert_eq!(connect.ret, 0);
    let Value::Sock(addr) = param(connect, "addr") else {
        unreachable!()
    };
    assert_eq!(addr.dst[..4], [127, 0, 0, 1]);
    let Value::Sock(tuple) = param(connect, "tuple") else {
        panic!("connect tuple: {:?}", param(connect, "tuple"))
    };
    assert_eq!(tuple.dport, port);
    assert_eq!(tuple.dst[..4], [127, 0, 0, 1], "tuple {tuple:?}");
    assert_eq!(tuple.src[..4], [127, 0, 0, 1], "tuple {tuple:?}");
    assert_eq!(tuple.proto, capture_format::schema::l4::TCP);
    assert_ne!(tuple.sport, 0, "local port assigned");
    // bash moves the socket to fd 3 and its printf writes it through fd 1.
    let (_, send) = syscalls_named(&evs, &["write", "sendto"])
        .find(|(e, s)| e.pid == shell && param(s, "data").as_bytes() == Some(&b"ping-casefile"[..]))
        .expect("bytes sent on the socket");
    assert_eq!(send.ret, 13);

    // The child exec'd from the shell, then exited.
    let echo = exec_of(&evs, "echo");
    assert_eq!(echo.ppid, shell);
    assert!(echo.args.starts_with(b"child-ran"));
    assert!(evs.iter().any(
        |e| e.pid == echo.pid && matches!(e.body, Body::Exit(x) if x.group_dead && x.code == 0)
    ));
    let fork = evs
        .iter()
        .find_map(|e| match e.body {
            Body::Fork(f) if e.pid == shell && f.child_pid == echo.pid => Some(f),
            _ => None,
        })
        .expect("the shell forked the child");
    // A new process, not a thread: SIGCHLD as exit signal, no CLONE_THREAD (0x10000).
    assert_eq!(fork.flags & 0xff, 17, "clone flags {:#x}", fork.flags);
    assert_eq!(fork.flags & 0x10000, 0, "clone flags {:#x}", fork.flags);

    // The shell signalled itself.
    assert!(
        evs.iter().any(|e| e.pid == shell
            && matches!(e.body, Body::Signal(sg) if sg.sig == 10 && sg.sender == shell)),
        "SIGUSR1 delivered to the shell"
    );

    // Every event belongs to the command's tree.
    let tree: Vec<u32> = evs
        .iter()
        .filter_map(|e| match &e.body {
            Body::Fork(f) => Some(f.child_pid),
            _ => None,
        })
        .chain([shell])
        .collect();
    assert!(
        evs.iter()
            .filter(|e| e.pid != 0)
            .all(|e| tree.contains(&e.pid)),
        "events from outside the recorded command"
    );
}

/// Opens a capture and returns (events, state blocks, has footer).
fn shape(file: &Path) -> (u64, usize, bool) {
    let cap = CaptureFile::read(file).expect("open capture");
    let states = (cap.blocks().iter())
        .filter(|b| b.block_type == capture_format::BlockType::State)
        .count();
    (cap.event_count(), states, cap.recovery().is_none())
}

#[test]
fn sigterm_stops_a_host_wide_recording_cleanly() {
    stops_cleanly_on("-TERM");
}

/// Ctrl+C on a terminal.
#[test]
fn sigint_stops_a_host_wide_recording_cleanly() {
    stops_cleanly_on("-INT");
}

fn stops_cleanly_on(signal: &str) {
    let dir = Dir::new(&format!("signal{signal}"));
    let file = dir.path.join("host.case");
    let mut rec = TestCommand::new(["record", "-w"]);
    let child = rec
        .cmd()
        .arg(&file)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start casefile record");
    // Let it load, snapshot and record a little, then ask it to stop.
    thread::sleep(std::time::Duration::from_millis(1500));
    let recorder = child.id();
    let status = Command::new("kill")
        .args([signal, &recorder.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    if !probe_loaded(&out) {
        return;
    }
    assert!(
        out.status.success(),
        "record exited with {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let (count, states, footer) = shape(&file);
    assert!(footer, "the footer was written");
    assert!(states >= 1, "the /proc snapshot was written");
    assert!(count > 0, "a host always makes some system calls");
    assert!(
        events(&file).iter().all(|e| e.pid != recorder),
        "the recorder recorded itself"
    );
}

#[test]
fn rotation_keeps_the_newest_files_each_a_whole_capture() {
    let dir = Dir::new("rotate");
    let file = dir.path.join("rot.case");
    // The command writes far more than one small file's worth of payload.
    let Some(out) = record(
        &file,
        &[
            "--rotate-size",
            "1M",
            "--rotate-count",
            "2",
            "--snaplen",
            "4096",
        ],
        &[
            "sh",
            "-c",
            "i=0; while [ $i -lt 1000 ]; do head -c 4096 /dev/urandom >/dev/null; i=$((i+1)); done",
        ],
    ) else {
        return;
    };
    let err = String::from_utf8_lossy(&out.stderr);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir.path)
        .expect("list")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "kept the newest two of: {err}");
    assert!(!file.exists(), "the oldest file was removed");
    // Each file stands alone (its own snapshot and footer). The newest may hold no events when
    // the command ended right after a rotation.
    let mut total = 0;
    for f in &files {
        let (events, states, footer) = shape(f);
        assert!(
            footer && states >= 1,
            "{} is not a whole capture",
            f.display()
        );
        total += events;
    }
    assert!(total > 0, "the kept files hold the command's last events");
}

/// A process moved into a cgroup laid out the way docker's systemd driver names containers is
/// recorded with a container index, and the capture holds that container's record.
#[test]
fn processes_in_a_container_cgroup_get_a_container() {
    let root = Path::new("/sys/fs/cgroup/unified");
    let root = if root.join("cgroup.procs").exists() {
        root
    } else {
        Path::new("/sys/fs/cgroup")
    };
    if !root.join("cgroup.controllers").exists() {
        crate::util::skip("no cgroup v2 hierarchy here");
        return;
    }
    let id = format!("{:064x}", u128::from(std::process::id()) << 64 | 0xcafe);
    let parent = root.join(format!("casefile-test-{}", std::process::id()));
    let cg = parent.join(format!("docker-{id}.scope"));
    if let Err(e) = std::fs::create_dir_all(&cg) {
        crate::util::skip(&format!("cannot create a cgroup ({e})"));
        return;
    }
    let dir = Dir::new("container");
    let file = dir.path.join("ctr.case");
    let script = format!(
        "echo $$ > {}/cgroup.procs && cat /etc/hostname >/dev/null",
        cg.display()
    );
    let out = record(&file, &[], &["sh", "-c", &script]);
    let _ = std::fs::remove_dir(&cg);
    let _ = std::fs::remove_dir(&parent);
    if out.is_none() {
        return;
    }
    let evs = events(&file);
    let container = evs
        .iter()
        .find_map(|e| match &e.body {
            Body::Container(c) if c.id.as_ref() == id.as_bytes() => Some((e.container, c)),
            _ => None,
        })
        .expect("a container record for the cgroup");
    // Other containers on the host may have been indexed first (from the /proc snapshot).
    let index = container.0;
    assert!(index >= 1, "containers are numbered from 1");
    assert_eq!(container.1.runtime.as_ref(), b"docker");
    assert!(
        container
            .1
            .cgroup
            .ends_with(format!("docker-{id}.scope").as_bytes())
    );
    let cat = exec_of(&evs, "cat");
    let outside: Vec<_> = (evs.iter())
        .filter(|e| e.pid == cat.pid && e.container != index)
        .collect();
    assert!(
        outside.is_empty(),
        "cat ran inside the container (index {index}), these records did not: {outside:?}"
    );
    let (opened, _) = syscalls_named(&evs, &["openat", "open"])
        .find(|(e, s)| e.pid == cat.pid && bytes_end_with(param(s, "name"), "/etc/hostname"))
        .expect("cat opened /etc/hostname");
    assert_eq!(opened.container, index);
    // When its last process is gone, the container's record comes again with its exit time.
    assert!(
        evs.iter().any(|e| e.container == index
            && matches!(&e.body, Body::Container(c) if c.id.as_ref() == id.as_bytes() && c.exit_ts != 0)),
        "the container's exit is recorded"
    );
}

/// With a ring buffer too small for a syscall storm, every system call is either in the
/// capture or counted in its loss records: loss is never silent.
#[test]
fn a_starved_ring_buffer_loses_nothing_silently() {
    let dir = Dir::new("loss");
    let file = dir.path.join("loss.case");
    let n = 200_000;
    let Some(out) = record(
        &file,
        &["--ring-mib", "1"],
        &[
            "dd",
            "if=/dev/zero",
            "of=/dev/null",
            "bs=1",
            &format!("count={n}"),
        ],
    ) else {
        return;
    };
    let evs = events(&file);
    let lost: u64 = evs
        .iter()
        .map(|e| match e.body {
            Body::Loss(l) => {
                assert!(l.from <= l.to, "loss interval {l:?}");
                l.count
            }
            _ => 0,
        })
        .sum();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!(", {lost} lost")), "stderr: {err}");
    let dd = exec_of(&evs, "dd").pid;
    let io = syscalls_named(&evs, &["read", "write"])
        .filter(|(e, _)| e.pid == dd)
        .count() as u64;
    // dd makes n reads and n writes of one byte, plus a few of its own.
    assert!(
        io + lost >= 2 * n,
        "{io} reads/writes recorded + {lost} lost < {}",
        2 * n
    );
}

/// `--env` keeps each new program's environment; by default none is kept.
#[test]
fn environments_are_kept_only_on_request() {
    let dir = Dir::new("env");
    for (flags, kept) in [(&["--env"][..], true), (&[][..], false)] {
        let file = dir.path.join(format!("env-{kept}.case"));
        let Some(_) = record(&file, flags, &["sh", "-c", "CF_TEST_VAR=hunter2 /bin/true"]) else {
            return;
        };
        let evs = events(&file);
        let env = &exec_of(&evs, "true").env;
        let has = env
            .split(|&b| b == 0)
            .any(|kv| kv == b"CF_TEST_VAR=hunter2");
        assert_eq!(
            has,
            kept,
            "flags {flags:?}: env {:?}",
            String::from_utf8_lossy(env)
        );
        if !kept {
            assert!(env.is_empty());
        }
    }
}

/// A program started on a terminal carries it (as `tty_nr`), one without carries 0.
#[test]
fn exec_records_carry_the_controlling_terminal() {
    let dir = Dir::new("tty");
    let file = dir.join("tty.case");
    // `script` gives the recorded command a pseudo-terminal.
    let line = format!(
        "{} record -w {} -- sh -c /bin/true",
        env!("CARGO_BIN_EXE_casefile"),
        file.display()
    );
    let out = match Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            crate::util::skip(&format!("no script(1) for a pseudo-terminal ({e})"));
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.contains("recording needs root") || text.contains("eBPF") || text.contains("BTF") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "BPF must load in CI, but: {text}"
        );
        crate::util::skip(&format!("the probe cannot load here: {text}"));
        return;
    }
    assert!(out.status.success(), "script/record failed: {text}");
    let evs = events(&file);
    let tty = exec_of(&evs, "true").tty;
    assert_eq!(
        tty >> 8 & 0xfff,
        136,
        "a Unix98 pty (major 136): tty_nr {tty:#x}"
    );

    // A new session has no controlling terminal, whatever the test runs under.
    let file = dir.join("notty.case");
    let Some(_) = record(&file, &[], &["setsid", "-w", "/bin/true"]) else {
        return;
    };
    assert_eq!(exec_of(&events(&file), "true").tty, 0);
}

/// The busybox image the real-container tests run (built from busybox-static when missing).
pub const IMAGE: &str = "localhost/casefile-test:1";

/// The containers.conf podman needs here (its default rlimits cannot be set in this
/// sandbox), written into `dir`, with the busybox image imported when missing. `None` (a skip,
/// or a failure under `CI=true`) when podman, runc or busybox-static is missing.
pub fn podman_conf(dir: &Dir) -> Option<PathBuf> {
    let missing: Vec<&str> = ["/usr/bin/podman", "/usr/sbin/runc", "/bin/busybox"]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if !missing.is_empty() || !is_root() {
        let why = format!("missing {missing:?} or not root");
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the real-container test must run in CI: {why}"
        );
        crate::util::skip(&why);
        return None;
    }
    let conf = dir.path.join("containers.conf");
    std::fs::write(&conf, "[containers]\ndefault_ulimits = []\n").expect("containers.conf");
    let script = format!(
        "podman image exists {IMAGE} && exit 0; set -e; \
         r={rootfs}; mkdir -p $r/bin $r/tmp $r/proc $r/sys $r/dev $r/etc; \
         cp /bin/busybox $r/bin/busybox; \
         for a in sh ls cat echo sleep wget nc; do ln -s busybox $r/bin/$a; done; \
         tar -C $r -c . | podman import --quiet - {IMAGE} >/dev/null",
        rootfs = dir.path.join("rootfs").display()
    );
    let st = Command::new("sh")
        .args(["-c", &script])
        .env("CONTAINERS_CONF", &conf)
        .status()
        .expect("sh");
    assert!(st.success(), "importing the busybox image failed");
    Some(conf)
}

/// A container that lives a fraction of a second (`podman run --rm`) writes a file, connects
/// to a loopback server, runs a shell and exits; once podman has removed it, the capture alone
/// still names it, its image and every one of those actions.
#[test]
fn a_short_lived_container_is_named_after_it_is_removed() {
    let dir = Dir::new("podman");
    let Some(conf) = podman_conf(&dir) else {
        return;
    };
    let podman = || {
        let mut c = Command::new("podman");
        c.env("CONTAINERS_CONF", &conf);
        c
    };
    let file = dir.path.join("ctr.case");
    let server = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = server.local_addr().expect("addr").port();
    let received = thread::spawn(move || {
        let (mut conn, _) = server.accept().expect("accept");
        let mut got = Vec::new();
        conn.read_to_end(&mut got).expect("read");
        got
    });
    let name = format!("casefile-rec-{}", std::process::id());
    let script = format!(
        "echo secret-data > /tmp/f; echo ping | nc 127.0.0.1 {port}; sh -c 'echo child'; exit 0"
    );
    let conf_env = format!("CONTAINERS_CONF={}", conf.display());
    let run = [
        "env",
        &conf_env,
        "podman",
        "run",
        "--rm",
        "--name",
        &name,
        "--network",
        "host",
        "--runtime",
        "/usr/sbin/runc",
        IMAGE,
        "/bin/sh",
        "-c",
        &script,
    ];
    // --rm: podman deletes the container's state as soon as it exits, milliseconds after it
    // started; the recorder must have named it before that.
    let recorded = record(&file, &[], &run);
    let Some(_) = recorded else { return };
    assert!(
        !podman()
            .args(["container", "exists", &name])
            .status()
            .expect("podman")
            .success(),
        "the container is gone"
    );
    assert_eq!(received.join().expect("server"), b"ping\n");

    let out = TestCommand::new([
        "timeline",
        file.to_str().expect("utf8"),
        "--container",
        &name,
    ])
    .stdout();
    for want in [
        format!("container {name} ("),
        format!("image {IMAGE} runtime podman"),
        "  start".to_owned(),
        format!("exec      /bin/sh -c {script}"),
        "write     /tmp/f (12 bytes in 1 writes)".to_owned(),
        format!("->127.0.0.1:{port} (sent 5 bytes"),
        "-c echo child (parent sh".to_owned(),
        "procexit  exit status 0".to_owned(),
        "  exit".to_owned(),
    ] {
        assert!(out.contains(&want), "missing {want:?} in\n{out}");
    }
    let out = TestCommand::new([
        "read",
        file.to_str().expect("utf8"),
        "-f",
        &format!(
            "container.name={name} and evt.type=procexec and proc.name=sh and proc.cmdline != 'sh -c echo child'"
        ),
        "-p",
        "%container.name|%container.image|%proc.cmdline",
    ])
    .stdout();
    assert_eq!(
        out.trim(),
        format!("{name}|{IMAGE}|sh -c {script}"),
        "{out}"
    );
}

/// Payload snippets: 80 bytes by default, what `--snaplen` says, none with `--no-payload`;
/// the system call itself is recorded the same in each case.
#[test]
fn payload_snippets_follow_snaplen_and_no_payload() {
    let dir = Dir::new("snaplen");
    let script = format!("printf %0200d 0 > {}/out", dir.path.display());
    let mut lens = Vec::new();
    for (name, flags) in [
        ("default", &[][..]),
        ("4096", &["--snaplen", "4096"][..]),
        ("none", &["--no-payload"][..]),
    ] {
        let file = dir.path.join(format!("{name}.case"));
        let Some(_) = record(&file, flags, &["sh", "-c", &script]) else {
            return;
        };
        let evs = events(&file);
        let (_, write) = syscalls_named(&evs, &["write"])
            .find(|(_, s)| s.ret == 200)
            .expect("the 200-byte write");
        lens.push(param(write, "data").as_bytes().map_or(0, <[u8]>::len));
        let info = CaptureFile::read(&file)
            .expect("open")
            .header()
            .info
            .clone();
        lens.push(info.snaplen as usize);
    }
    // (payload kept, header snaplen) per run.
    assert_eq!(lens, [80, 80, 200, 4096, 0, 0]);
}

/// `--duration` stops a host-wide recording by itself, cleanly, and the header keeps the
/// options it ran with.
#[test]
fn duration_stops_a_recording_and_is_kept_in_the_header() {
    let dir = Dir::new("duration");
    let file = dir.path.join("d.case");
    let started = std::time::Instant::now();
    let mut rec = TestCommand::new(["record", "-w"]);
    rec.cmd().arg(&file).args(["--duration", "1"]);
    let out = rec.output();
    if !probe_loaded(&out) {
        return;
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let took = started.elapsed();
    assert!(
        took >= std::time::Duration::from_secs(1) && took < std::time::Duration::from_secs(20),
        "{took:?}"
    );
    let (count, _, footer) = shape(&file);
    assert!(footer && count > 0);
    let info = CaptureFile::read(&file)
        .expect("open")
        .header()
        .info
        .clone();
    assert!(
        info.options.contains("duration=1s") && info.options.contains("snaplen=80"),
        "{}",
        info.options
    );
}

/// `record -w FILE` where someone planted a link: refused, the link's target untouched; with
/// `--force` the link is replaced by a new capture, its target still untouched.
#[test]
fn record_refuses_a_planted_link_and_replaces_it_only_with_force() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new("record-link");
    let victim = dir.write("victim", b"not yours\n");
    let file = dir.join("cap.case");
    std::os::unix::fs::symlink(&victim, &file).expect("plant link");
    let mut rec = TestCommand::new(["record", "-w"]);
    rec.cmd().arg(&file).args(["--", "true"]);
    let out = rec.output();
    if !probe_loaded(&out) {
        return;
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{} exists (a symbolic link)", file.display())),
        "{err}"
    );
    assert_eq!(std::fs::read(&victim).expect("victim"), b"not yours\n");

    let Some(_) = record(&file, &["--force"], &["true"]) else {
        return;
    };
    let meta = std::fs::symlink_metadata(&file).expect("stat");
    assert!(meta.file_type().is_file(), "the link was replaced");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read(&victim).expect("victim"), b"not yours\n");
    assert!(!events(&file).is_empty());
}

/// A second recorder on a path a recorder is writing is refused, with and without `--force`,
/// and the first one's capture comes out whole.
#[test]
fn a_second_recorder_on_the_same_path_is_refused() {
    let dir = Dir::new("record-twice");
    let file = dir.join("cap.case");
    let mut first = TestCommand::new(["record", "-w"]);
    let mut first = first
        .cmd()
        .arg(&file)
        .args(["--", "sleep", "3"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the first recorder");
    // It creates its file before loading the probe.
    let started = std::time::Instant::now();
    while !file.exists() && started.elapsed() < std::time::Duration::from_secs(20) {
        if first.try_wait().expect("poll").is_some() {
            break;
        }
        thread::sleep(std::time::Duration::from_millis(20));
    }
    if first.try_wait().expect("poll").is_some() {
        let out = first.wait_with_output().expect("wait");
        if !probe_loaded(&out) {
            return;
        }
        panic!(
            "the first recorder stopped early: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (_, err) = TestCommand::new(["record", "-w"])
        .cmd_args(&file, &["--", "true"])
        .expect_code(2);
    assert!(
        err.contains(&format!("{} exists (a file)", file.display())),
        "{err}"
    );
    let (_, err) = TestCommand::new(["record", "-w"])
        .cmd_args(&file, &["--force", "--", "true"])
        .expect_code(2);
    assert!(
        err.contains(&format!(
            "another recorder (pid {}) is writing {}",
            first.id(),
            file.display()
        )),
        "{err}"
    );
    let out = first.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    TestCommand::new(["verify"]).cmd_args(&file, &[]).stdout();
    assert!(!events(&file).is_empty());
}

/// `record -- CMD` exits as a shell would after running CMD.
#[test]
fn record_exits_with_the_command_s_status() {
    let dir = Dir::new("record-status");
    let not_executable = dir.write("script", b"#!/bin/sh\n");
    let cases: [(&[&str], i32); 5] = [
        (&["/nonexistent"], 127),
        (&["casefile-no-such-command"], 127),
        (&[not_executable.to_str().expect("utf8")], 126),
        (&["sh", "-c", "exit 3"], 3),
        (&["sh", "-c", "kill -9 $$"], 128 + 9),
    ];
    for (i, (cmd, code)) in cases.into_iter().enumerate() {
        let file = dir.join(format!("{i}.case"));
        let mut rec = TestCommand::new(["record", "-w"]);
        rec.cmd().arg(&file).arg("--").args(cmd);
        let out = rec.output();
        if !probe_loaded(&out) {
            return;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{cmd:?}: {err}");
        if (126..128).contains(&code) {
            assert!(err.contains(&format!("cannot run {}", cmd[0])), "{err}");
            assert!(!file.exists(), "{cmd:?}: nothing was recorded");
        } else {
            assert!(!events(&file).is_empty(), "{cmd:?}");
        }
    }
}

/// Every offset where a block (or the trailer) starts.
fn block_starts(b: &[u8]) -> Vec<usize> {
    let hl = u32::from_le_bytes([b[12], b[13], b[14], b[15]]) as usize;
    let mut out = vec![hl];
    let mut p = hl;
    while let Ok(h) = capture_format::BlockHeader::parse(&b[p..], p as u64) {
        p += h.total_len() as usize;
        out.push(p);
    }
    out
}

fn wall_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
}

/// The promise: a signed, forward-secure recording killed at any moment still proves
/// what it holds, sealed through a time at most one epoch (here 2 s: a checkpoint every second)
/// before the kill.
#[test]
fn killed_forward_secure_recordings_are_sealed_through_the_last_epoch() {
    use capture_format::verdict::{Status, Trust, judge};
    let d = Dir::new("fss-kill");
    let key = d.join("key");
    TestCommand::new(["keygen", "--forward-secure", "--epoch", "2s", "-o"])
        .cmd_args(&key, &[])
        .expect_code(0);
    let vk = capture_format::seal::FsVerifyKey::from_text(
        &std::fs::read_to_string(d.join("key.verify")).expect("verify key"),
    )
    .expect("parse");
    let trust = Trust {
        fs_key: Some(&vk),
        ..Trust::default()
    };
    let mut worst = 0u64;
    for i in 0..30u64 {
        let file = d.join(format!("k{i}.case"));
        let mut rec = TestCommand::new(["record", "-w"]);
        let mut child = rec
            .cmd()
            .arg(&file)
            .arg("--seal-key")
            .arg(&key)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start casefile record");
        // Wait for the first seal (the probe is loaded and the snapshot written).
        let t0 = std::time::Instant::now();
        loop {
            if child.try_wait().expect("wait").is_some() {
                let out = child.wait_with_output().expect("output");
                if !probe_loaded(&out) {
                    return;
                }
                panic!("record exited: {}", String::from_utf8_lossy(&out.stderr));
            }
            let sealed = std::fs::read(&file)
                .is_ok_and(|b| b.len() > 20 && judge(&b, &trust).seals.checkpoints > 0);
            if sealed {
                break;
            }
            if t0.elapsed().as_secs() >= 20 {
                child.kill().expect("kill");
                let out = child.wait_with_output().expect("output");
                let v = std::fs::read(&file)
                    .map(|b| judge(&b, &trust).lines(&capture_format::verdict::format_ns));
                panic!(
                    "kill {i}: no seal after 20 s: {v:?}; {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            thread::sleep(std::time::Duration::from_millis(20));
        }
        // Kill at a different point of the epoch each time.
        thread::sleep(std::time::Duration::from_millis(300 + i * 53 % 1400));
        let killed_at = wall_ns();
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let bytes = std::fs::read(&file).expect("read");
        let v = judge(&bytes, &trust);
        let lines = v.lines(&capture_format::verdict::format_ns);
        assert_eq!(v.status, Status::Unsealed, "kill {i}: {lines:?}");
        assert!(v.seals.trusted, "kill {i}: {lines:?}");
        let (_, through, _) = v.seals.last.expect("sealed");
        let gap = killed_at.saturating_sub(through);
        assert!(
            gap <= 2_000_000_000,
            "kill {i}: sealed through {gap} ns before the kill"
        );
        worst = worst.max(gap);
        if i == 0 {
            let (o, _) = TestCommand::new(["verify", "--verify-key"])
                .cmd_args(&d.join("key.verify"), &[file.to_str().expect("utf8")])
                .expect_code(3);
            assert!(
                o.contains("UNSEALED")
                    && o.contains("sealed through")
                    && o.contains("the trusted key"),
                "{o}"
            );
        }
    }
    eprintln!(
        "30 kills: sealed through at most {} ms before the kill",
        worst / 1_000_000
    );
}

/// An anchor log kept elsewhere catches a recording cut at a block boundary, which alone is
/// indistinguishable from a crash.
#[test]
fn an_anchor_log_catches_a_cut_recording() {
    use capture_format::verdict::{Status, Trust, judge};
    let d = Dir::new("anchor");
    let (file, log, key) = (d.join("a.case"), d.join("anchors.log"), d.join("k"));
    TestCommand::new(["keygen", "-o"])
        .cmd_args(&key, &[])
        .expect_code(0);
    let missing = d.join("no/such/dir/log");
    let (_, err) = TestCommand::new(["record", "-w"])
        .cmd_args(
            &d.join("b.case"),
            &["--anchor", missing.to_str().expect("utf8")],
        )
        .expect_code(2);
    assert!(err.contains("cannot write the anchor log"), "{err}");
    let flags = [
        "--sign-key",
        key.to_str().expect("utf8"),
        "--anchor",
        log.to_str().expect("utf8"),
        "--checkpoint-every",
        "200ms",
    ];
    if record(
        &file,
        &flags,
        &[
            "sh",
            "-c",
            "for i in 1 2 3 4 5 6; do cat /etc/hostname; sleep 0.2; done",
        ],
    )
    .is_none()
    {
        return;
    }
    let anchors = capture_format::anchor::parse_log(&std::fs::read_to_string(&log).expect("log")).0;
    assert!(anchors.len() >= 4, "{} anchors", anchors.len());
    assert!(anchors.last().expect("one").sealed);
    let (o, _) = TestCommand::new(["verify", "--anchor"])
        .cmd_args(&log, &[file.to_str().expect("utf8")])
        .expect_code(0);
    assert!(
        o.contains("reaches its last anchor") && o.contains("final seal"),
        "{o}"
    );
    let bytes = std::fs::read(&file).expect("read");
    let plain = Trust::default();
    let anchored = Trust {
        anchors: Some(&anchors),
        ..Trust::default()
    };
    let starts = block_starts(&bytes);
    for &cut in &starts[1..starts.len() - 1] {
        let c = &bytes[..cut];
        assert_eq!(judge(c, &plain).status, Status::Unsealed, "cut at {cut}");
        assert_eq!(
            judge(c, &anchored).status,
            Status::Changed,
            "anchored cut at {cut}"
        );
    }
    let cut = d.write("cut.case", &bytes[..starts[starts.len() / 2]]);
    TestCommand::new(["verify"])
        .cmd_args(&cut, &[])
        .expect_code(3);
    let (o, _) = TestCommand::new(["verify", "--anchor"])
        .cmd_args(&log, &[cut.to_str().expect("utf8")])
        .expect_code(1);
    assert!(o.contains("the file was cut"), "{o}");
}

/// `record -w FILE FILTER` (sysdig's capture filter): only matching events are written, what
/// the others changed stays as state so replay still names the kept events' files, and the
/// number left out shows in `info` beside the loss.
#[test]
fn a_capture_filter_keeps_matching_events_and_counts_the_rest() {
    let dir = Dir::new("capture-filter");
    let file = dir.path.join("f.case");
    let target = dir.write("secret.txt", "hello\n");
    let script = format!("ls / > /dev/null; cat {}", target.display());
    let Some(_) = record(
        &file,
        &["-s", "200", "proc.name=cat", "and", "evt.type=read"],
        &["sh", "-c", &script],
    ) else {
        return;
    };
    let evs = events(&file);
    // In the file itself, every system call record is a read: the rest were left out.
    let calls: Vec<&str> = evs
        .iter()
        .filter_map(|e| match &e.body {
            Body::Syscall(s) => syscalls::name(s.nr),
            _ => None,
        })
        .collect();
    assert!(
        !calls.is_empty() && calls.iter().all(|n| *n == "read"),
        "{calls:?}"
    );
    // Every event printed is a read by cat (state records are not events; the drop records
    // that count what was left out are skipped).
    let mut reads = 0;
    let text = TestCommand::new(["read"])
        .cmd_args(&file, &["-p", "%proc.name %evt.type %fd.name"])
        .stdout();
    for line in text.lines() {
        if line.contains(" drop ") || line.starts_with("<NA> drop") {
            continue;
        }
        assert!(
            line.starts_with("cat read "),
            "an event the filter does not match was written: {line}"
        );
        reads += 1;
    }
    assert!(reads > 0, "no read by cat was kept:\n{text}");
    // The read of the file still names it: its openat was left out but kept as state.
    assert!(
        text.contains(&format!("cat read {}", target.display())),
        "the kept read lost its file name:\n{text}"
    );
    let info = TestCommand::new(["info"]).cmd_args(&file, &[]).stdout();
    let filtered = info
        .lines()
        .find_map(|l| l.strip_prefix("filtered:"))
        .unwrap_or_else(|| panic!("info does not say what was filtered:\n{info}"));
    let n: u64 = filtered
        .split_whitespace()
        .next()
        .and_then(|w| w.replace(',', "").parse().ok())
        .unwrap_or(0);
    assert!(n > 10, "too few events counted as filtered: {filtered}");
    assert!(
        info.contains("filter=\"proc.name=cat and evt.type=read\""),
        "{info}"
    );
    // A filter that does not compile is refused before anything is recorded.
    let (_, err) = TestCommand::new(["record", "-w"])
        .cmd_args(&dir.path.join("bad.case"), &["proc.nme=cat", "--", "true"])
        .expect_code(2);
    assert!(err.contains("proc.nme"), "{err}");
    assert!(!dir.path.join("bad.case").exists());
}
