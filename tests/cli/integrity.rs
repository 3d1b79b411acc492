//! `casefile verify`, `keygen` and `export --redact`.

use capture_format::CaptureFile;
use capture_format::schema::syscalls::{ParamType, spec};
use capture_format::schema::{Body, Value};

use crate::util::{Dir, TestCommand, fixture};

fn s(p: &std::path::Path) -> &str {
    p.to_str().expect("utf8 path")
}

#[test]
fn verify_exit_codes_follow_the_chain() {
    let (out, _) =
        TestCommand::new(["verify", s(&fixture("captures/v1/synthetic.case"))]).expect_code(0);
    assert!(
        out.contains(": OK")
            && out.contains("complete and sealed")
            && out.contains("hash chain intact over 11 blocks"),
        "{out}"
    );
    let (out, _) =
        TestCommand::new(["verify", s(&fixture("captures/v1/corrupt-middle.case"))]).expect_code(1);
    assert!(
        out.contains("FAILED")
            && out.contains("CHANGED at byte 18118")
            && out.contains("The 5 blocks before it are intact"),
        "{out}"
    );
    // A recorder that died: intact as far as it goes, but nothing proves the end (3).
    let (out, _) =
        TestCommand::new(["verify", s(&fixture("captures/v1/recovered.case"))]).expect_code(3);
    assert!(
        out.contains("UNSEALED") && out.contains("NOT SEALED") && out.contains("the last at"),
        "{out}"
    );
    let d = Dir::new("verify-missing");
    let (_, err) = TestCommand::new(["verify", s(&d.join("nope.case"))]).expect_code(2);
    assert!(err.contains("nope.case"), "{err}");
    // A changed file header is a change like any other (1), not an unreadable file (2).
    let mut bytes = std::fs::read(fixture("captures/v1/synthetic.case")).expect("read");
    bytes[40] ^= 1;
    let hdr = d.write("header.case", &bytes);
    let (out, _) = TestCommand::new(["verify", s(&hdr)]).expect_code(1);
    assert!(
        out.contains("header.case: FAILED") && out.contains("CHANGED") && out.contains("header"),
        "{out}"
    );
}

#[test]
fn signed_redacted_export_verifies_with_the_right_key_only() {
    let d = Dir::new("export-signed");
    let (key, other, out) = (d.join("k"), d.join("other"), d.join("red.case"));
    TestCommand::new(["keygen", "-o", s(&key)]).stdout();
    TestCommand::new(["keygen", "-o", s(&other)]).stdout();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("key").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "private key must be private");
    }
    TestCommand::new([
        "export",
        s(&fixture("captures/v1/synthetic.case")),
        "-o",
        s(&out),
        "--redact",
        "--hash",
        "fd.name",
        "--hash",
        "fd.ip",
        "--sign-key",
        s(&key),
    ])
    .expect_code(0);
    let (o, _) = TestCommand::new(["verify", s(&out), "--pubkey", &format!("{}.pub", s(&key))])
        .expect_code(0);
    assert!(
        o.contains("sealed by ed25519 key") && o.contains("the trusted key"),
        "{o}"
    );
    let (o, _) = TestCommand::new(["verify", s(&out), "--pubkey", &format!("{}.pub", s(&other))])
        .expect_code(1);
    assert!(o.contains("NOT the trusted key"), "{o}");
    let (o, _) = TestCommand::new([
        "verify",
        s(&fixture("captures/v1/synthetic.case")),
        "--pubkey",
        &format!("{}.pub", s(&key)),
    ])
    .expect_code(1);
    assert!(o.contains("NOT signed"), "{o}");

    // What redaction promised is what the file holds.
    let cap = CaptureFile::read(&out).expect("open export");
    assert!(
        cap.header()
            .info
            .redacted
            .contains("hashed: fd.ip, fd.name")
    );
    assert_eq!(cap.event_count(), 3000);
    let (mut paths, mut socks) = (0, 0);
    for i in 0..cap.blocks().len() {
        if !cap.blocks()[i].block_type.holds_records() {
            // Aggregates blocks (import and export write them) hold no records.
            continue;
        }
        let b = cap.read_block(i).expect("block");
        for ev in b.events().expect("events") {
            match ev.expect("event").body {
                Body::Syscall(sc) => {
                    for (p, v) in spec(sc.nr).params.iter().zip(sc.params.iter()) {
                        match (p.ty, v) {
                            (ParamType::Buffer, v) => assert_eq!(*v, Value::None, "payload left"),
                            (ParamType::Path, Value::Bytes(b)) => {
                                assert!(
                                    b.starts_with(b"h:"),
                                    "path left: {}",
                                    String::from_utf8_lossy(b)
                                );
                                paths += 1;
                            }
                            (_, Value::Sock(k)) => {
                                assert_eq!(k.dst[0], 10, "address mapped into 10/8");
                                socks += 1;
                            }
                            _ => {}
                        }
                    }
                }
                Body::Exec(p) | Body::Process(p) => assert!(p.env.is_empty()),
                _ => {}
            }
        }
    }
    assert!(
        paths > 100 && socks > 100,
        "{paths} paths, {socks} tuples checked"
    );
}

#[test]
fn export_refuses_unknown_hash_fields() {
    let d = Dir::new("export-bad");
    let (_, err) = TestCommand::new([
        "export",
        s(&fixture("captures/v1/synthetic.case")),
        "-o",
        s(&d.join("x.case")),
        "--redact",
        "--hash",
        "proc.secret",
    ])
    .expect_code(2);
    assert!(err.contains("--hash proc.secret"), "{err}");
}

#[test]
fn forward_secure_keys_are_private_and_wrong_keys_or_logs_are_refused_up_front() {
    use std::os::unix::fs::PermissionsExt;
    let d = Dir::new("fss-keys");
    let k = d.join("fs");
    let (out, _) = TestCommand::new(["keygen", "--forward-secure", "--epoch", "1s", "-o", s(&k)])
        .expect_code(0);
    assert!(out.contains("MOVE IT OFF THIS HOST"), "{out}");
    let vk = d.join("fs.verify");
    for p in [&k, &vk] {
        let mode = std::fs::metadata(p).expect("key").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
    }
    assert!(
        std::fs::read_to_string(&vk)
            .expect("read")
            .starts_with("casefile-fss-verify-v1 ")
    );
    let (_, err) = TestCommand::new([
        "keygen",
        "--forward-secure",
        "--epoch",
        "500ms",
        "-o",
        s(&d.join("short")),
    ])
    .expect_code(2);
    assert!(err.contains("between 1s and 60s"), "{err}");
    // A file sealed by nothing fails a demand for a forward-secure seal.
    let syn = fixture("captures/v1/synthetic.case");
    let (o, _) = TestCommand::new(["verify", s(&syn), "--verify-key", s(&vk)]).expect_code(1);
    assert!(o.contains("NOT sealed with a forward-secure key"), "{o}");
    // The wrong kind of key, each a one-line error before anything is judged or recorded.
    let (_, err) = TestCommand::new(["verify", s(&syn), "--verify-key", s(&k)]).expect_code(2);
    assert!(err.contains("forward-secure sealing key"), "{err}");
    let cap = d.join("never.case");
    let (_, err) = TestCommand::new(["record", "-w", s(&cap), "--sign-key", s(&k)]).expect_code(2);
    assert!(err.contains("forward-secure sealing key"), "{err}");
    assert!(!cap.exists(), "nothing was recorded");
    // Keys others can read are refused, as ssh refuses them.
    std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (_, err) = TestCommand::new(["record", "-w", s(&cap), "--seal-key", s(&k)]).expect_code(2);
    assert!(err.contains("permissions 0644 are too open"), "{err}");
    assert!(!cap.exists(), "nothing was recorded");
    std::fs::set_permissions(&vk, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let (_, err) = TestCommand::new(["verify", s(&syn), "--verify-key", s(&vk)]).expect_code(2);
    assert!(err.contains("too open"), "{err}");
    // An anchor log with a line that is not an anchor, and one of another file.
    let log = d.write("bad.log", "casefile-anchor v1 file=00 pos=x\nmore\n");
    let (_, err) = TestCommand::new(["verify", s(&syn), "--anchor", s(&log)]).expect_code(2);
    assert!(err.contains("bad.log:1: not an anchor line"), "{err}");
    let other = d.write(
        "other.log",
        format!(
            "casefile-anchor v1 file={} pos=1 offset=1 time=1 events=0 link={}\n",
            "00".repeat(16),
            "11".repeat(32)
        ),
    );
    let (_, err) = TestCommand::new(["verify", s(&syn), "--anchor", s(&other)]).expect_code(2);
    assert!(err.contains("no anchor of this file"), "{err}");
}
