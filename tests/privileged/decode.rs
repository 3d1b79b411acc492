//! Every system call decoded with its argument types, as the recorder captures them under the
//! real probe: sendfile as a read of its source and a write of its destination, readlink's
//! path and target, every iovec of writev, capset's capability sets, no arguments for calls
//! that take none. Needs root and BPF (see `record.rs`).

use std::path::Path;

use capture_format::CaptureFile;
use capture_format::schema::{Body, Event, Syscall, Value, syscalls};

use crate::record::record;
use crate::util::{Dir, TestCommand};

fn events(file: &Path) -> Vec<Event<'static>> {
    let cap = CaptureFile::read(file).expect("open capture");
    let mut out = Vec::new();
    for i in 0..cap.blocks().len() {
        let block = cap.read_block(i).expect("read block");
        if block.is_events() {
            out.extend(
                block
                    .events()
                    .expect("decode")
                    .map(|e| e.expect("event").into_owned()),
            );
        }
    }
    out
}

fn calls<'a>(evs: &'a [Event<'static>], name: &str) -> Vec<&'a Syscall<'static>> {
    evs.iter()
        .filter_map(|e| match &e.body {
            Body::Syscall(s) if syscalls::name(s.nr) == Some(name) => Some(s),
            _ => None,
        })
        .collect()
}

fn param<'a>(s: &'a Syscall<'static>, name: &str) -> &'a Value<'static> {
    let i = syscalls::param_index(s.nr, name).expect(name);
    &s.params[i]
}

fn read(file: &Path, filter: &str) -> String {
    TestCommand::new(["read"])
        .cmd_args(file, &[filter])
        .stdout()
}

#[test]
fn sendfile_readlink_writev_capset_and_argumentless_calls_are_decoded() {
    let dir = Dir::new("decode");
    let secret = dir.write("secret.txt", "x".repeat(3000));
    let file = dir.join("d.case");
    let script = format!(
        "busybox cat {s} >/dev/null; busybox readlink /proc/self/exe; id -u; \
         setpriv --inh-caps=-all true; \
         python3 -c 'import os; os.writev(1, [b\"one-\", b\"two-\", b\"three\"])' >/dev/null",
        s = secret.display()
    );
    let Some(_) = record(&file, &["--snaplen", "256"], &["sh", "-c", &script]) else {
        return;
    };
    let evs = events(&file);

    // busybox cat copies with sendfile: a read of the file and a write of stdout.
    let sf = calls(&evs, "sendfile");
    assert!(sf.iter().any(|s| s.ret == 3000), "sendfile of 3000 bytes");
    let out = read(
        &file,
        &format!("fd.name={} and evt.is_io_read=true", secret.display()),
    );
    assert!(
        out.contains("sendfile"),
        "read side of sendfile matches:\n{out}"
    );
    let out = read(
        &file,
        "fd.name=/dev/null and evt.is_io_write=true and evt.type=sendfile",
    );
    assert!(out.contains("sendfile"), "write side matches:\n{out}");
    let out = read(
        &file,
        &format!("fd.name={} and evt.is_io_write=true", secret.display()),
    );
    assert!(!out.contains("sendfile"), "the file is not written:\n{out}");
    let top = TestCommand::new(["top", "files"])
        .cmd_args(&file, &["--json"])
        .stdout();
    let rows: serde_json::Value = serde_json::from_str(&top).expect("json");
    let row = rows["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["FILE"].as_str() == Some(&secret.display().to_string()))
        .unwrap_or_else(|| panic!("{} in top files: {top}", secret.display()));
    assert_eq!(row["BYTES IN"].as_i64(), Some(3000), "{row}");

    // readlink: the path asked and the target the kernel wrote.
    let rl = calls(&evs, "readlink");
    let rl = rl
        .iter()
        .find(|s| param(s, "path").as_bytes() == Some(b"/proc/self/exe"))
        .expect("readlink of /proc/self/exe");
    assert!(
        param(rl, "buf")
            .as_bytes()
            .is_some_and(|b| b.ends_with(b"busybox")),
        "{rl:?}"
    );

    // getuid takes no argument and has none.
    let g = calls(&evs, "getuid");
    assert!(!g.is_empty());
    assert!(g.iter().all(|s| s.params.is_empty()), "{g:?}");

    // writev: every iovec, in order.
    let wv = calls(&evs, "writev");
    assert!(
        wv.iter()
            .any(|s| param(s, "data").as_bytes() == Some(b"one-two-three")),
        "{wv:?}"
    );

    // capset: the sets setpriv installs (root keeps its effective set, inheritable cleared).
    let cs = calls(&evs, "capset");
    let last = cs.last().expect("capset");
    assert_eq!(param(last, "cap_inheritable").as_int(), Some(0));
    assert!(
        param(last, "cap_effective")
            .as_int()
            .is_some_and(|e| e != 0),
        "{last:?}"
    );
}

/// A busybox container (a real podman container, recorded under the real probe): its shell
/// runs `cat` and `wget` (busybox re-executes them through `/proc/self/exe`) and `id` (through
/// `env`); each appears by its own name in every view, with the file `cat` copied by sendfile
/// and the connection `wget` made.
#[test]
fn a_busybox_container_s_applets_are_named_in_every_view_with_their_files_and_connections() {
    use std::io::{Read as _, Write as _};

    let dir = Dir::new("applets");
    let Some(conf) = crate::record::podman_conf(&dir) else {
        return;
    };
    let server = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = server.local_addr().expect("addr").port();
    let served = std::thread::spawn(move || {
        let (mut conn, _) = server.accept().expect("accept");
        let mut req = [0u8; 512];
        let _ = conn.read(&mut req).expect("request");
        conn.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n")
            .expect("reply");
    });
    let name = format!("casefile-applets-{}", std::process::id());
    let script = format!(
        "cat /etc/hostname; mkdir -p /root/.ssh; echo key > /root/.ssh/id_rsa; \
         cat /root/.ssh/id_rsa; wget -q -O - http://127.0.0.1:{port}/x; exec /bin/busybox env id"
    );
    let conf_env = format!("CONTAINERS_CONF={}", conf.display());
    let file = dir.join("applets.case");
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
        crate::record::IMAGE,
        "/bin/sh",
        "-c",
        &script,
    ];
    let Some(_) = record(&file, &[], &run) else {
        return;
    };
    served.join().expect("server");
    let f = file.to_str().expect("utf8");
    let ctr = format!("container.name={name}");
    let run = |args: &[&str]| TestCommand::new(args).stdout();

    let procs = run(&["top", "procs", f, "-f", &ctr]);
    let execs = run(&["top", "execs", f, "-f", &ctr]);
    let ps = run(&["ps", f]);
    let timeline = run(&["timeline", f, "--container", &name]);
    let names = run(&["read", f, "-f", &ctr, "-p", "%proc.name"]);
    for applet in ["cat", "wget", "id"] {
        assert!(
            procs.contains(&format!("  {applet} ")),
            "{applet} in top procs:\n{procs}"
        );
        assert!(
            names.lines().any(|l| l == applet),
            "{applet} as proc.name:\n{names}"
        );
        assert!(
            timeline.contains(&format!("[{applet} ")),
            "{applet}:\n{timeline}"
        );
    }
    for cmd in ["cat /etc/hostname", "wget -q -O -", "id"] {
        assert!(execs.contains(cmd), "{cmd} in top execs:\n{execs}");
        assert!(ps.contains(cmd), "{cmd} in ps:\n{ps}");
    }
    // The runtime's setup is one line; the key read is shown.
    assert!(timeline.contains("runtime   setup: "), "{timeline}");
    assert!(!timeline.contains("[runc "), "{timeline}");
    assert!(
        timeline.contains("read      /root/.ssh/id_rsa [cat "),
        "{timeline}"
    );
    let full = run(&["timeline", f, "--container", &name, "--runtime-setup"]);
    assert!(full.contains("[runc "), "{full}");
    let spy = run(&["spy", f, "-f", &ctr]);
    assert!(spy.contains("/$ cat /etc/hostname"), "{spy}");
    assert!(spy.contains("/$ wget -q -O -"), "{spy}");
    assert!(
        !names.lines().any(|l| l == "exe"),
        "no process named exe:\n{names}"
    );
    assert!(!procs.contains("  exe "), "{procs}");
    assert!(!spy.contains("/$ exe "), "{spy}");

    // cat copies the file with sendfile: a read of /etc/hostname by cat.
    let reads = run(&[
        "read",
        f,
        "-f",
        "fd.name=/etc/hostname and evt.is_io_read=true and proc.name=cat",
    ]);
    assert!(reads.contains("sendfile"), "{reads}");
    let files = run(&["top", "files", f, "-f", "proc.name=cat", "--json"]);
    let files: serde_json::Value = serde_json::from_str(&files).expect("json");
    let host = files["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["FILE"] == "/etc/hostname")
        .expect("/etc/hostname in cat's files");
    assert!(host["BYTES IN"].as_i64().is_some_and(|b| b > 0), "{host}");

    // wget's connection, by name.
    let conns = run(&["top", "connections", f, "-f", &ctr]);
    assert!(
        conns.contains(&format!("127.0.0.1:{port}")) && conns.contains(" wget "),
        "{conns}"
    );
}
