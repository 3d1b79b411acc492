//! The fields Falco's rules read about where a program came from and what it may do:
//! `thread.cap_*` (exec, capset, inherited by forks), `proc.is_exe_*`, `proc.vpgid` and
//! `proc.is_vpgid_leader`, `fd.*ip.name` (from DNS answers in the capture) and
//! `container.mount*`; and that records of writers that predate them read as "not recorded".

use std::borrow::Cow;

use capture_format::schema::{Body, Container, Process, Sock, Value, exe};

use super::dns;
use super::testutil::{Cap, P, fields_table, int, tcp};

const SYS_ADMIN: u64 = 1 << 21;
const NET_RAW: u64 = 1 << 13;

fn image(
    pid: u32,
    comm: &str,
    exe_path: &str,
    vpgid: u32,
    flags: u32,
    eff: u64,
) -> Process<'static> {
    let b = |s: &str| Cow::Owned(s.as_bytes().to_vec());
    Process {
        tid: pid,
        pid,
        ppid: 10,
        vtid: pid,
        vpid: pid,
        comm: b(comm),
        exe: b(exe_path),
        exe_path: b(exe_path),
        cap_effective: eff,
        cap_permitted: eff,
        vpgid,
        exe_flags: flags,
        ..Process::default()
    }
}

fn udp(c: [u8; 4], cport: u16, s: [u8; 4], sport: u16) -> Value<'static> {
    Value::Sock(Sock::v4(17, c, cport, s, sport))
}

#[test]
fn capabilities_origin_groups_dns_names_and_mounts() {
    let mut c = Cap::new();
    c.process(&P {
        pid: 10,
        ppid: 1,
        comm: "bash",
        exe: "/bin/bash",
        args: "",
        cwd: "/",
        uid: 0,
        container: 0,
    });
    let mut ctr = Container {
        id: Cow::Borrowed(b"0123456789ab0123456789ab"),
        name: Cow::Borrowed(b"web"),
        ..Container::default()
    };
    ctr.push_mount(
        b"/var/run/docker.sock",
        b"/var/run/docker.sock",
        b"",
        true,
        b"rprivate",
    );
    ctr.push_mount(b"/srv/data", b"/data", b"ro", false, b"");
    let e = c.events.len();
    c.event(0, 0, 1, Body::Container(ctr));
    assert_eq!(c.events.len(), e + 1);
    // 2: a memfd program that leads no group, with CAP_SYS_ADMIN; 3: a capset raising
    // CAP_NET_RAW; 4: a thread it creates; 5: the thread's syscall.
    let known = exe::KNOWN | exe::FROM_MEMFD;
    c.event(
        20,
        20,
        0,
        Body::Exec(image(20, "x", "/memfd:x (deleted)", 10, known, SYS_ADMIN)),
    );
    let all = SYS_ADMIN | NET_RAW;
    c.sys(
        20,
        20,
        "capset",
        0,
        vec![int(0), int(all as i64), int(all as i64)],
    );
    c.fork(20, 20, 21, 20);
    c.sys(21, 20, "getpid", 20, vec![]);
    // 6: a group leader from an upper layer, in the container; 7: an old writer's exec.
    let upper = exe::KNOWN | exe::UPPER_LAYER;
    c.event(
        30,
        30,
        1,
        Body::Exec(image(30, "sh", "/tmp/sh", 30, upper, 0)),
    );
    c.event(
        40,
        40,
        0,
        Body::Exec(image(40, "old", "/bin/old", 0, 0, SYS_ADMIN)),
    );
    // 8: socket; 9: connect to a resolver; 10: its answer; 11: socket; 12: connect to the
    // answered address; 13, 14: one nobody looked up.
    c.sys(20, 20, "socket", 5, vec![int(2), int(2), int(0)]);
    let resolver = udp([10, 0, 0, 2], 5353, [10, 0, 0, 53], dns::DNS_PORT);
    c.sys(20, 20, "connect", 0, vec![int(5), Value::None, resolver]);
    let mut answer = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    for l in ["api", "example", "com"] {
        answer.push(l.len() as u8);
        answer.extend_from_slice(l.as_bytes());
    }
    answer.extend_from_slice(&[0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
    answer.extend_from_slice(&[93, 184, 216, 34]);
    let n = answer.len() as i64;
    c.sys(
        20,
        20,
        "read",
        n,
        vec![int(5), Value::Bytes(Cow::Owned(answer)), int(512)],
    );
    c.sys(20, 20, "socket", 6, vec![int(2), int(1), int(0)]);
    let web = tcp([10, 0, 0, 2], 40000, [93, 184, 216, 34], 443);
    c.sys(20, 20, "connect", 0, vec![int(6), Value::None, web]);
    c.sys(20, 20, "socket", 7, vec![int(2), int(1), int(0)]);
    let other = tcp([10, 0, 0, 2], 40001, [1, 1, 1, 1], 443);
    c.sys(20, 20, "connect", 0, vec![int(7), Value::None, other]);
    let path = std::env::temp_dir().join(format!("casefile-origin-{}.case", std::process::id()));
    c.write(&path);
    let procs = fields_table(
        &path,
        Some("evt.type in (procexec, capset, getpid)"),
        &[
            "proc.name",
            "thread.cap_effective",
            "thread.cap_permitted",
            "proc.is_exe_from_memfd",
            "proc.is_exe_upper_layer",
            "proc.vpgid",
            "proc.is_vpgid_leader",
            "container.mount.dest[/var/run/*]",
            "container.mount.source[/data]",
            "container.mount.rdwr[1]",
        ],
    );
    let net = fields_table(
        &path,
        Some("evt.type = connect"),
        &["fd.sip.name", "fd.rip.name", "fd.cip.name", "fd.lip.name"],
    );
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        procs,
        "  2 proc.name=x thread.cap_effective=CAP_SYS_ADMIN thread.cap_permitted=CAP_SYS_ADMIN proc.is_exe_from_memfd=true proc.is_exe_upper_layer=false proc.vpgid=10 proc.is_vpgid_leader=false container.mount.dest[/var/run/*]=<NA> container.mount.source[/data]=<NA> container.mount.rdwr[1]=<NA>
  3 proc.name=x thread.cap_effective=CAP_NET_RAW CAP_SYS_ADMIN thread.cap_permitted=CAP_NET_RAW CAP_SYS_ADMIN proc.is_exe_from_memfd=true proc.is_exe_upper_layer=false proc.vpgid=10 proc.is_vpgid_leader=false container.mount.dest[/var/run/*]=<NA> container.mount.source[/data]=<NA> container.mount.rdwr[1]=<NA>
  5 proc.name=x thread.cap_effective=CAP_NET_RAW CAP_SYS_ADMIN thread.cap_permitted=CAP_NET_RAW CAP_SYS_ADMIN proc.is_exe_from_memfd=true proc.is_exe_upper_layer=false proc.vpgid=10 proc.is_vpgid_leader=false container.mount.dest[/var/run/*]=<NA> container.mount.source[/data]=<NA> container.mount.rdwr[1]=<NA>
  6 proc.name=sh thread.cap_effective= thread.cap_permitted= proc.is_exe_from_memfd=false proc.is_exe_upper_layer=true proc.vpgid=30 proc.is_vpgid_leader=true container.mount.dest[/var/run/*]=/var/run/docker.sock container.mount.source[/data]=/srv/data container.mount.rdwr[1]=false
  7 proc.name=old thread.cap_effective=<NA> thread.cap_permitted=<NA> proc.is_exe_from_memfd=<NA> proc.is_exe_upper_layer=<NA> proc.vpgid=<NA> proc.is_vpgid_leader=<NA> container.mount.dest[/var/run/*]=<NA> container.mount.source[/data]=<NA> container.mount.rdwr[1]=<NA>
"
    );
    assert_eq!(
        net,
        "  9 fd.sip.name=<NA> fd.rip.name=<NA> fd.cip.name=<NA> fd.lip.name=<NA>
 12 fd.sip.name=api.example.com fd.rip.name=api.example.com fd.cip.name=<NA> fd.lip.name=<NA>
 14 fd.sip.name=<NA> fd.rip.name=<NA> fd.cip.name=<NA> fd.lip.name=<NA>
"
    );
}
