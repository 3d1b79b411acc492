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
