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
    assert_eq!(param(last, "inheritable").as_int(), Some(0));
    assert!(
        param(last, "effective").as_int().is_some_and(|e| e != 0),
        "{last:?}"
    );
}
