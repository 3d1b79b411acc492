//! Tests of `wire`.

use super::*;

fn hdr(kind: u16, size: u16) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(kind.to_le_bytes());
    b.extend(size.to_le_bytes());
    b.extend(1u16.to_le_bytes()); // cpu
    b.extend(0u16.to_le_bytes()); // flags
    b.extend(4242u32.to_le_bytes()); // tid
    b.extend(4240u32.to_le_bytes()); // pid
    b.extend(2_000u64.to_le_bytes()); // ts
    b.extend(77u64.to_le_bytes()); // cgroup
    b
}

fn blob(b: &mut Vec<u8>, param: u8, kind: u8, data: &[u8]) {
    b.push(param);
    b.push(kind);
    b.extend((data.len() as u16).to_le_bytes());
    b.extend(0i32.to_le_bytes());
    b.extend(data);
    while !b.len().is_multiple_of(8) {
        b.push(0);
    }
}

#[test]
fn decodes_a_hand_built_openat_record() {
    let mut b = hdr(kind::SYSCALL, 0);
    b.extend(1_500u64.to_le_bytes()); // enter_ts
    b.extend(3i64.to_le_bytes()); // ret
    for a in [0xffff_ff9c_u64, 0x7fff_0000, 0o1101, 0o644, 0, 0] {
        b.extend(a.to_le_bytes());
    }
    b.extend(257u16.to_le_bytes());
    b.extend(1u16.to_le_bytes());
    b.extend(0u32.to_le_bytes());
    assert_eq!(b.len(), size_of::<CfSyscall>());
    blob(&mut b, 1, blob::STR, b"/tmp/x");
    let mut d = Decoder::new(1_000_000);
    let got = d.decode(&b).expect("decodes");
    assert_eq!(got.cgroup_id, 77);
    let want = Event {
        ts: 1_002_000,
        tid: 4242,
        pid: 4240,
        cpu: 1,
        container: 0,
        body: Body::Syscall(Syscall {
            nr: 257,
            ret: 3,
            latency: 500,
            params: [
                Value::Int(-100),
                Value::Bytes(Cow::Borrowed(b"/tmp/x")),
                Value::Int(0o1101),
                Value::Int(0o644),
            ]
            .into_iter()
            .collect(),
        }),
    };
    assert_eq!(got.event, want);
}

/// A record of `record --no-latency` (no enter hook): its arguments are decoded as any
/// other's, and it has no latency, where the same record without the flag has one; a record
/// with no enter at all has neither.
#[test]
fn an_exit_only_record_has_its_arguments_and_no_latency() {
    let flags_at = offset_of!(CfHdr, flags);
    let close = |flags: u16, enter_ts: u64| {
        let mut b = sys(3, 0, [7, 0, 0, 0, 0, 0], &[]);
        b[flags_at..flags_at + 2].copy_from_slice(&flags.to_le_bytes());
        b[size_of::<CfHdr>()..size_of::<CfHdr>() + 8].copy_from_slice(&enter_ts.to_le_bytes());
        let mut d = Decoder::new(0);
        match d.decode(&b).expect("decodes").event.body {
            Body::Syscall(s) => (s.latency, s.params.first().and_then(Value::as_int)),
            other => panic!("not a syscall: {other:?}"),
        }
    };
    assert_eq!(close(0, 1_500), (500, Some(7)));
    assert_eq!(close(F_NO_LATENCY, 0), (0, Some(7)));
    assert_eq!(close(F_NO_ENTER, 0), (0, None));
}

#[test]
fn decodes_connect_with_sockaddr_and_tuple() {
    let mut b = hdr(kind::SYSCALL, 0);
    b.extend(1_900u64.to_le_bytes());
    b.extend(0i64.to_le_bytes());
    for a in [5u64, 0x1000, 16, 0, 0, 0] {
        b.extend(a.to_le_bytes());
    }
    b.extend(42u16.to_le_bytes());
    b.extend(2u16.to_le_bytes());
    b.extend(0u32.to_le_bytes());
    let mut sa = vec![2, 0, 0x1f, 0x90, 127, 0, 0, 1];
    sa.extend([0; 8]);
    blob(&mut b, 1, blob::SOCKADDR, &sa);
    let mut t = Vec::new();
    t.extend(2u16.to_le_bytes());
    t.extend(6u16.to_le_bytes());
    t.extend(40000u16.to_le_bytes());
    t.extend(8080u16.to_le_bytes());
    t.extend([127, 0, 0, 1]);
    t.extend([0; 12]);
    t.extend([127, 0, 0, 1]);
    t.extend([0; 12]);
    blob(&mut b, 2, blob::TUPLE, &t);
    let got = Decoder::new(0).decode(&b).expect("decodes");
    let Body::Syscall(s) = got.event.body else {
        panic!("not a syscall")
    };
    assert_eq!(s.params[0], Value::Int(5));
    let mut addr = Sock {
        family: af::INET,
        dport: 8080,
        ..Sock::default()
    };
    addr.dst[..4].copy_from_slice(&[127, 0, 0, 1]);
    assert_eq!(s.params[1], Value::Sock(addr));
    let tuple = Sock::v4(schema::l4::TCP, [127, 0, 0, 1], 40000, [127, 0, 0, 1], 8080);
    assert_eq!(s.params[2], Value::Sock(tuple));
}

#[test]
fn working_directory_walks_become_paths() {
    assert_eq!(cwd_path(b""), b"");
    assert_eq!(cwd_path(b"\0"), b"/");
    assert_eq!(cwd_path(b"tmp\0\0"), b"/tmp");
    assert_eq!(cwd_path(b"c\0b\0a\0\0"), b"/a/b/c");
    assert_eq!(cwd_path(b"c\0b\0"), "/…/b/c".as_bytes());
}

fn sys(nr: u16, ret: i64, args: [u64; 6], blobs: &[(u8, u8, &[u8])]) -> Vec<u8> {
    let mut b = hdr(kind::SYSCALL, 0);
    b.extend(1_000u64.to_le_bytes());
    b.extend(ret.to_le_bytes());
    for a in args {
        b.extend(a.to_le_bytes());
    }
    b.extend(nr.to_le_bytes());
    b.extend((blobs.len() as u16).to_le_bytes());
    b.extend(0u32.to_le_bytes());
    for (param, kind, data) in blobs {
        blob(&mut b, *param, *kind, data);
    }
    b
}

fn server_tuple() -> Vec<u8> {
    let mut t = Vec::new();
    t.extend(2u16.to_le_bytes());
    t.extend(6u16.to_le_bytes());
    t.extend(8080u16.to_le_bytes()); // local: the server
    t.extend(40000u16.to_le_bytes()); // remote: the client
    t.extend([10, 0, 0, 1]);
    t.extend([0; 12]);
    t.extend([10, 0, 0, 2]);
    t.extend([0; 12]);
    t
}

#[test]
fn calls_on_an_accepted_connection_keep_the_client_first() {
    let t = server_tuple();
    let client_first = Sock::v4(schema::l4::TCP, [10, 0, 0, 2], 40000, [10, 0, 0, 1], 8080);
    let server_first = Sock::v4(schema::l4::TCP, [10, 0, 0, 1], 8080, [10, 0, 0, 2], 40000);
    let tuple_of = |d: &mut Decoder, rec: &[u8], param: usize| match d.decode(rec) {
        Ok(Decoded {
            event: Event {
                body: Body::Syscall(s),
                ..
            },
            ..
        }) => s.params[param].clone().into_owned(),
        other => panic!("not a syscall: {other:?}"),
    };
    let mut d = Decoder::new(0);
    let accept = sys(43, 5, [3, 0, 0, 0, 0, 0], &[(1, blob::TUPLE, &t)]);
    assert_eq!(tuple_of(&mut d, &accept, 1), Value::Sock(client_first));
    let recv = sys(45, 4, [5, 0, 64, 0, 0, 0], &[(3, blob::TUPLE, &t)]);
    assert_eq!(tuple_of(&mut d, &recv, 3), Value::Sock(client_first));
    let close = sys(3, 0, [5, 0, 0, 0, 0, 0], &[]);
    let _ = tuple_of(&mut d, &close, 0);
    assert_eq!(tuple_of(&mut d, &recv, 3), Value::Sock(server_first));
}

#[test]
fn accept_tuples_put_the_client_first() {
    let t = server_tuple();
    let client_first = Sock::v4(schema::l4::TCP, [10, 0, 0, 2], 40000, [10, 0, 0, 1], 8080);
    assert_eq!(tuple(&t, true), Some(client_first));
    // A socket we connected: the local end is the client.
    let local_first = Sock::v4(schema::l4::TCP, [10, 0, 0, 1], 8080, [10, 0, 0, 2], 40000);
    assert_eq!(tuple(&t, false), Some(local_first));
    assert_eq!(tuple(&t[..39], false), None);
}

#[test]
fn truncated_records_are_errors_not_panics() {
    let mut b = hdr(kind::SYSCALL, 0);
    b.extend([0u8; 64]); // enter_ts, ret, args
    b.extend(0u16.to_le_bytes()); // nr: read
    b.extend(3u16.to_le_bytes()); // three blobs promised, none present
    b.extend(0u32.to_le_bytes());
    assert!(matches!(
        Decoder::new(0).decode(&b),
        Err(WireError::Truncated { .. })
    ));
    for n in 0..b.len() {
        let _ = Decoder::new(0).decode(&b[..n]);
    }
    assert_eq!(
        Decoder::new(0).decode(&hdr(99, 32)),
        Err(WireError::UnknownKind(99))
    );
}

#[test]
fn every_decoded_syscall_fits_the_probe() {
    let d = descriptors().expect("table fits the probe");
    assert_eq!(d.len(), syscalls::all().count());
    let sendto = d.iter().find(|(nr, _)| *nr == 44).expect("sendto").1;
    assert_eq!(sendto.ncap, 3);
    assert_eq!(sendto.io, 0);
    let recvfrom = d.iter().find(|(nr, _)| *nr == 45).expect("recvfrom").1;
    assert_eq!(recvfrom.io, IO_READ);
    assert_eq!(recvfrom.cap[2].src, src::SOCKADDR_LENPTR);
    assert_eq!(recvfrom.to_bytes()[1], IO_READ);
}

#[test]
fn layout_matches_the_c_header() {
    // The constants the C header asserts, read from the header itself, so that a change
    // on one side without the other fails here.
    let h = include_str!("../../probe/cf_record.h");
    for (ty, size) in [
        ("cf_hdr", 32),
        ("cf_syscall", 104),
        ("cf_blob", 8),
        ("cf_tuple", 40),
        ("cf_fork", 48),
        ("cf_exec", 192),
        ("cf_exit", 40),
        ("cf_signal", 48),
        ("cf_cgroup", 48),
        ("cf_switch", 80),
        ("cf_cap", 4),
        ("cf_desc", 16),
    ] {
        let line = format!("_Static_assert(sizeof(struct {ty}) == {size},");
        assert!(h.contains(&line), "C header does not assert {ty} = {size}");
    }
    for (name, val) in [
        ("CF_KIND_SYSCALL", kind::SYSCALL as u32),
        ("CF_KIND_EXEC", kind::EXEC as u32),
        ("CF_KIND_CGROUP", kind::CGROUP as u32),
        ("CF_KIND_SWITCH", kind::SWITCH as u32),
        ("CF_BLOB_TUPLE", blob::TUPLE as u32),
        ("CF_SRC_CLONE3", src::CLONE3 as u32),
        ("CF_SRC_CREDS", src::CREDS as u32),
        ("CF_SRC_RETSTR", src::RETSTR as u32),
        ("CF_MAX_NR", MAX_NR),
        ("CF_SNAPLEN_MAX", SNAPLEN_MAX),
        ("CF_CNT_DROPPED", counter::DROPPED),
        ("CF_F_NO_ENTER", u32::from(F_NO_ENTER)),
        ("CF_KIND_BATCH", u32::from(kind::BATCH)),
        ("CF_FLUSH_NS", FLUSH_NS as u32),
        ("CF_F_NO_LATENCY", u32::from(F_NO_LATENCY)),
    ] {
        assert!(
            h.contains(&format!("#define {name} {val}")),
            "{name} is not {val} in the C header"
        );
    }
}

/// A batch header for `records` records of `body` bytes.
fn batch(records: u32, body: &[u8]) -> Vec<u8> {
    let mut b = hdr(kind::BATCH, (HDR_SIZE + body.len()) as u16);
    let tid = offset_of!(CfHdr, tid);
    b[tid..tid + 4].copy_from_slice(&records.to_le_bytes());
    b.extend_from_slice(body);
    b
}

/// A ring entry is one record (cut to its size: the probe's fixed-size entries end in zeros)
/// or a batch of them; a batch whose records do not fill it as declared is an error, after
/// the records before the fault.
#[test]
fn ring_entries_are_records_or_batches_of_them() {
    let cut = |item: &[u8]| {
        let mut got = Vec::new();
        let r = records(item, |h, rec| got.push((h.kind, rec.len())));
        (got, r)
    };
    // one record, in an entry longer than it
    let mut one = sys(3, 0, [7, 0, 0, 0, 0, 0], &[]);
    let size = one.len();
    let at = offset_of!(CfHdr, size);
    one[at..at + 2].copy_from_slice(&(size as u16).to_le_bytes());
    let mut entry = one.clone();
    entry.extend([0; 24]);
    assert_eq!(cut(&entry), (vec![(kind::SYSCALL, size)], Ok(())));
    // two records, the first with a size that is not a multiple of 8
    let mut odd = one.clone();
    odd[at..at + 2].copy_from_slice(&((size - 4) as u16).to_le_bytes());
    let mut body = odd.clone();
    body.extend(one.clone());
    assert_eq!(
        cut(&batch(2, &body)),
        (
            vec![(kind::SYSCALL, size - 4), (kind::SYSCALL, size)],
            Ok(())
        )
    );
    // a count that differs, a record that overruns the batch, a batch in a batch
    let (got, r) = cut(&batch(3, &body));
    assert_eq!(got.len(), 2);
    assert!(
        matches!(
            r,
            Err(WireError::Batch {
                declared: 3,
                at: 2,
                ..
            })
        ),
        "{r:?}"
    );
    let (got, r) = cut(&batch(2, &body[..body.len() - 8]));
    assert_eq!(got.len(), 1);
    assert!(matches!(r, Err(WireError::Batch { at: 1, .. })), "{r:?}");
    let (got, r) = cut(&batch(1, &batch(1, &one)));
    assert!(got.is_empty() && r.is_err(), "{r:?}");
    // a batch header alone is an empty batch; a cut header is an error
    assert_eq!(cut(&batch(0, &[])), (vec![], Ok(())));
    assert!(cut(&entry[..10]).1.is_err());
}
