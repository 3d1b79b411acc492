//! A deterministic generator of realistic synthetic activity, for tests and benchmarks.
//!
//! It models a small container host: web server workers answering HTTP requests (accept, recv,
//! open/read of static files, send, log writes, close), an application polling and talking to a
//! database over TCP, a shell that runs commands now and then (fork, exec, file access, exit),
//! and the background noise of futex, epoll, clock and mmap calls. Paths, payloads and tuples
//! come from fixed pools, as they would on a real host; times advance by about a microsecond
//! per event.

use std::borrow::Cow;

use crate::schema::syscalls::{by_name, from_v1_raw};
use crate::schema::{
    Body, Container, Event, Exit, FdInfo, FdType, Fork, Params, Process, Sock, Syscall, Value, l4,
};

/// splitmix64: small, fast, deterministic.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A random element.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

const STATIC_FILES: &[&str] = &[
    "/usr/share/nginx/html/index.html",
    "/usr/share/nginx/html/app.js",
    "/usr/share/nginx/html/style.css",
    "/usr/share/nginx/html/logo.png",
    "/usr/share/nginx/html/api/v1/status.json",
];
const SYSTEM_FILES: &[&str] = &[
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/ld.so.cache",
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib/x86_64-linux-gnu/libpcre2-8.so.0",
    "/usr/lib/locale/locale-archive",
    "/proc/self/stat",
    "/proc/meminfo",
    "/sys/fs/cgroup/memory.max",
];
const MISSING_FILES: &[&str] = &[
    "/etc/nginx/conf.d/missing.conf",
    "/root/.bashrc.local",
    "/tmp/.X0-lock",
];
const COMMANDS: &[(&str, &str)] = &[
    ("ls", "-la\0/var/log\0"),
    ("cat", "/etc/os-release\0"),
    ("ps", "aux\0"),
    ("curl", "-s\0http://10.0.0.7:8080/health\0"),
    ("grep", "-r\0error\0/var/log/app\0"),
    ("id", ""),
];
const REQUESTS: &[&str] = &[
    "GET /index.html HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
    "GET /api/v1/status.json HTTP/1.1\r\nHost: shop.example\r\nAccept: application/json\r\n\r\n",
    "POST /api/v1/cart HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/json\r\n",
    "GET /app.js HTTP/1.1\r\nHost: shop.example\r\nAccept-Encoding: gzip\r\n\r\n",
];
const RESPONSES: &[&str] = &[
    "HTTP/1.1 200 OK\r\nServer: nginx/1.25.3\r\nContent-Type: text/html\r\nContent-Length: 612\r\n",
    "HTTP/1.1 200 OK\r\nServer: nginx/1.25.3\r\nContent-Type: application/json\r\n\r\n{\"ok\":true}",
    "HTTP/1.1 404 Not Found\r\nServer: nginx/1.25.3\r\nContent-Type: text/html\r\n\r\n",
];
const QUERIES: &[&str] = &[
    "SELECT id, name, price FROM products WHERE id = $1",
    "UPDATE carts SET updated_at = now() WHERE session = $1",
    "INSERT INTO orders (cart_id, total) VALUES ($1, $2) RETURNING id",
];

/// Generates events in time order.
#[derive(Clone, Debug)]
pub struct Synth {
    rng: Rng,
    ts: u64,
    start: u64,
    next_pid: u32,
    workers: Vec<u32>,
    app: u32,
    shell: u32,
    queue: Vec<Event<'static>>,
    emitted: u64,
    next_client_port: u16,
}

/// The boot-relative start of synthetic captures: 2026-01-01T00:00:00Z.
pub const START_NS: u64 = 1_767_225_600_000_000_000;

/// A call; `raw` argument lists of calls decoded since schema version 1 become their
/// parameters, as the recorder writes them today.
fn sc(nr_name: &str, ret: i64, latency: u64, params: Params<'static>) -> Body<'static> {
    let nr = by_name(nr_name).unwrap_or(0);
    Body::Syscall(Syscall {
        nr,
        ret,
        latency,
        params: from_v1_raw(nr, params),
    })
}

fn text(s: &str) -> Value<'static> {
    Value::Bytes(Cow::Owned(s.as_bytes().to_vec()))
}

fn snippet(s: &str) -> Value<'static> {
    let b = s.as_bytes();
    Value::Bytes(Cow::Owned(b[..b.len().min(80)].to_vec()))
}

impl Synth {
    /// A generator with a seed.
    pub fn new(seed: u64) -> Synth {
        Synth {
            rng: Rng::new(seed),
            ts: START_NS,
            start: START_NS,
            next_pid: 2000,
            workers: vec![1201, 1202, 1203, 1204],
            app: 1300,
            shell: 1400,
            queue: Vec::new(),
            emitted: 0,
            next_client_port: 40000,
        }
    }

    /// The state at the start: the processes and their fds, and one container.
    pub fn state(&self) -> Vec<Event<'static>> {
        let mut out = Vec::new();
        let mut proc_ = |pid: u32, ppid: u32, comm: &str, exe: &str, args: &str, container: u32| {
            out.push(Event {
                ts: self.start,
                tid: pid,
                pid,
                cpu: 0,
                container,
                body: Body::Process(Process {
                    tid: pid,
                    pid,
                    ppid,
                    vtid: pid,
                    vpid: pid,
                    comm: Cow::Owned(comm.as_bytes().to_vec()),
                    exe: Cow::Owned(exe.as_bytes().to_vec()),
                    exe_path: Cow::Owned(exe.as_bytes().to_vec()),
                    args: Cow::Owned(args.as_bytes().to_vec()),
                    cwd: Cow::Borrowed(b"/"),
                    loginuid: u32::MAX,
                    start_ts: self.start - 3_600_000_000_000,
                    ..Process::default()
                }),
            });
        };
        proc_(1, 0, "systemd", "/sbin/init", "", 0);
        proc_(1200, 1, "nginx", "/usr/sbin/nginx", "-g\0daemon off;\0", 1);
        for &w in &self.workers {
            proc_(w, 1200, "nginx", "/usr/sbin/nginx", "-g\0daemon off;\0", 1);
        }
        proc_(self.app, 1, "python3", "/usr/bin/python3", "app.py\0", 1);
        proc_(self.shell, 1, "bash", "/bin/bash", "", 0);
        let mut out2 = vec![Event {
            ts: self.start,
            tid: 0,
            pid: 0,
            cpu: 0,
            container: 1,
            body: Body::Container(Container {
                id: Cow::Borrowed(
                    b"3f4c1a2b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a",
                ),
                name: Cow::Borrowed(b"shop-web"),
                image: Cow::Borrowed(b"docker.io/library/nginx:1.25"),
                image_id: Cow::Borrowed(
                    b"sha256:a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6",
                ),
                runtime: Cow::Borrowed(b"containerd"),
                labels: Cow::Borrowed(
                    b"io.kubernetes.pod.name=shop-web-7d9f\0io.kubernetes.pod.namespace=shop\0",
                ),
                start_ts: self.start - 3_600_000_000_000,
                init_pid: 1200,
                ..Container::default()
            }),
        }];
        for &w in &self.workers {
            out2.push(Event {
                ts: self.start,
                tid: w,
                pid: w,
                cpu: 0,
                container: 1,
                body: Body::Fd(FdInfo {
                    pid: w,
                    fd: 6,
                    fd_type: FdType::Ipv4,
                    name: Cow::Borrowed(b"0.0.0.0:80"),
                    sock: Some(Sock::v4(l4::TCP, [0; 4], 0, [0, 0, 0, 0], 80)),
                    ..FdInfo::default()
                }),
            });
        }
        out2.extend(out);
        out2
    }

    fn push(&mut self, tid: u32, container: u32, body: Body<'static>) {
        self.ts += 200 + self.rng.below(1600);
        let cpu = (tid % 2) as u16;
        self.queue.push(Event {
            ts: self.ts,
            tid,
            pid: tid,
            cpu,
            container,
            body,
        });
    }

    fn lat(&mut self) -> u64 {
        800 + self.rng.below(12_000)
    }

    fn web_request(&mut self) {
        let w = *self.rng.pick(&self.workers.clone());
        let port = self.next_client_port;
        self.next_client_port = self.next_client_port.wrapping_add(1).max(32768);
        let client = [10, 0, 0, 2 + self.rng.below(30) as u8];
        let tuple = Sock::v4(l4::TCP, client, port, [10, 0, 0, 5], 80);
        let l = self.lat();
        self.push(
            w,
            1,
            sc(
                "accept4",
                12,
                l,
                Params::from_vec(vec![Value::Int(6), Value::Sock(tuple), Value::Int(0x800)]),
            ),
        );
        let req = *self.rng.pick(REQUESTS);
        let l = self.lat();
        self.push(
            w,
            1,
            sc(
                "recvfrom",
                req.len() as i64,
                l,
                Params::from_vec(vec![
                    Value::Int(12),
                    snippet(req),
                    Value::Int(1024),
                    Value::Sock(tuple),
                    Value::None,
                ]),
            ),
        );
        let path = *self.rng.pick(STATIC_FILES);
        let l = self.lat();
        self.push(
            w,
            1,
            sc(
                "openat",
                13,
                l,
                Params::from_vec(vec![
                    Value::Int(-100),
                    text(path),
                    Value::Int(0x80000),
                    Value::Int(0),
                ]),
            ),
        );
        let l = self.lat();
        self.push(
            w,
            1,
            sc("fstat", 0, l, Params::from_vec(vec![Value::Int(13)])),
        );
        let resp = *self.rng.pick(RESPONSES);
        let l = self.lat();
        let n = 612 + self.rng.below(4000) as i64;
        self.push(
            w,
            1,
            sc(
                "writev",
                n,
                l,
                Params::from_vec(vec![Value::Int(12), snippet(resp)]),
            ),
        );
        let l = self.lat();
        self.push(
            w,
            1,
            sc("close", 0, l, Params::from_vec(vec![Value::Int(13)])),
        );
        let log = format!(
            "10.0.0.{} - - [01/Jan/2026:00:00:{:02} +0000] \"GET {} HTTP/1.1\" 200 612 \"-\" \"curl/8.5.0\"\n",
            client[3],
            (self.ts / 1_000_000_000) % 60,
            path.trim_start_matches("/usr/share/nginx/html")
        );
        let l = self.lat();
        self.push(
            w,
            1,
            sc(
                "write",
                log.len() as i64,
                l,
                Params::from_vec(vec![
                    Value::Int(4),
                    snippet(&log),
                    Value::Int(log.len() as i64),
                ]),
            ),
        );
        let l = self.lat();
        self.push(
            w,
            1,
            sc("close", 0, l, Params::from_vec(vec![Value::Int(12)])),
        );
        for _ in 0..self.rng.below(3) {
            self.noise(w, 1);
        }
    }

    fn app_query(&mut self) {
        let a = self.app;
        let tuple = Sock::v4(l4::TCP, [10, 0, 0, 5], 51234, [10, 0, 0, 9], 5432);
        let q = *self.rng.pick(QUERIES);
        let l = self.lat();
        self.push(
            a,
            1,
            sc(
                "sendto",
                q.len() as i64 + 5,
                l,
                Params::from_vec(vec![
                    Value::Int(9),
                    snippet(q),
                    Value::Int(q.len() as i64 + 5),
                    Value::Sock(tuple),
                    Value::None,
                ]),
            ),
        );
        let l = self.lat() * 4;
        self.push(
            a,
            1,
            sc(
                "epoll_wait",
                1,
                l,
                raw([3, 0x7ffd_3a2c_1000, 64, 5000, 0, 0]),
            ),
        );
        let l = self.lat();
        self.push(a, 1, sc("recvfrom", 74, l, Params::from_vec(vec![
            Value::Int(9), Value::Bytes(Cow::Borrowed(b"T\0\0\0\x1e\0\x01id\0\0\0@\x02\0\x01\0\0\0\x17\0\x04\xff\xff\xff\xff\0\0D\0\0\0\x0b\0\x01\0\0\0\x0142")),
            Value::Int(65536), Value::Sock(tuple), Value::None,
        ])));
        if self.rng.below(4) == 0 {
            let f = *self.rng.pick(SYSTEM_FILES);
            let l = self.lat();
            self.push(
                a,
                1,
                sc(
                    "openat",
                    7,
                    l,
                    Params::from_vec(vec![
                        Value::Int(-100),
                        text(f),
                        Value::Int(0),
                        Value::Int(0),
                    ]),
                ),
            );
            let l = self.lat();
            self.push(
                a,
                1,
                sc(
                    "read",
                    312,
                    l,
                    Params::from_vec(vec![
                        Value::Int(7),
                        snippet("MemTotal:       24576000 kB\nMemFree:        18311424 kB\n"),
                        Value::Int(4096),
                    ]),
                ),
            );
            let l = self.lat();
            self.push(
                a,
                1,
                sc("close", 0, l, Params::from_vec(vec![Value::Int(7)])),
            );
        }
    }

    fn shell_command(&mut self) {
        let (cmd, args) = *self.rng.pick(COMMANDS);
        let child = self.next_pid;
        self.next_pid += 1 + self.rng.below(3) as u32;
        let sh = self.shell;
        let l = self.lat() * 10;
        self.push(
            sh,
            0,
            sc(
                "clone",
                i64::from(child),
                l,
                Params::from_vec(vec![Value::Int(0x0120_0011)]),
            ),
        );
        self.push(
            sh,
            0,
            Body::Fork(Fork {
                child_tid: child,
                child_pid: child,
                flags: 0x0120_0011,
            }),
        );
        let exe = format!("/usr/bin/{cmd}");
        let l = self.lat() * 20;
        self.push(
            child,
            0,
            sc("execve", 0, l, Params::from_vec(vec![text(&exe)])),
        );
        self.push(
            child,
            0,
            Body::Exec(Process {
                tid: child,
                pid: child,
                ppid: sh,
                vtid: child,
                vpid: child,
                loginuid: 1000,
                uid: 1000,
                gid: 1000,
                euid: 1000,
                egid: 1000,
                start_ts: self.ts,
                comm: Cow::Owned(cmd.as_bytes().to_vec()),
                exe: Cow::Owned(cmd.as_bytes().to_vec()),
                exe_path: Cow::Owned(exe.into_bytes()),
                args: Cow::Owned(args.as_bytes().to_vec()),
                cwd: Cow::Borrowed(b"/home/admin"),
                ..Process::default()
            }),
        );
        for _ in 0..3 + self.rng.below(10) {
            let f = *self.rng.pick(SYSTEM_FILES);
            let l = self.lat();
            self.push(
                child,
                0,
                sc(
                    "openat",
                    3,
                    l,
                    Params::from_vec(vec![
                        Value::Int(-100),
                        text(f),
                        Value::Int(0x80000),
                        Value::Int(0),
                    ]),
                ),
            );
            let l = self.lat();
            let addr = 0x7f3a_1c00_0000 + (self.rng.below(64) << 12) as i64;
            self.push(child, 0, sc("mmap", addr, l, raw([0, 8192, 1, 2, 3, 0])));
            let l = self.lat();
            self.push(
                child,
                0,
                sc("close", 0, l, Params::from_vec(vec![Value::Int(3)])),
            );
        }
        if self.rng.below(3) == 0 {
            let f = *self.rng.pick(MISSING_FILES);
            let l = self.lat();
            self.push(
                child,
                0,
                sc(
                    "openat",
                    -2,
                    l,
                    Params::from_vec(vec![
                        Value::Int(-100),
                        text(f),
                        Value::Int(0),
                        Value::Int(0),
                    ]),
                ),
            );
        }
        let out = format!("{cmd}: done\n");
        let l = self.lat();
        self.push(
            child,
            0,
            sc(
                "write",
                out.len() as i64,
                l,
                Params::from_vec(vec![
                    Value::Int(1),
                    snippet(&out),
                    Value::Int(out.len() as i64),
                ]),
            ),
        );
        let l = self.lat();
        self.push(
            child,
            0,
            sc("exit_group", 0, l, Params::from_vec(vec![Value::Int(0)])),
        );
        self.push(
            child,
            0,
            Body::Exit(Exit {
                code: 0,
                group_dead: true,
            }),
        );
    }

    fn noise(&mut self, tid: u32, container: u32) {
        let l = self.lat();
        match self.rng.below(5) {
            0 => self.push(
                tid,
                container,
                sc("futex", 0, l * 3, raw([0x5581_2a40_3c10, 0x81, 1, 0, 0, 0])),
            ),
            1 => self.push(
                tid,
                container,
                sc(
                    "clock_gettime",
                    0,
                    300,
                    raw([1, 0x7ffd_3a2c_0f80, 0, 0, 0, 0]),
                ),
            ),
            2 => self.push(
                tid,
                container,
                sc(
                    "epoll_wait",
                    0,
                    l * 5,
                    raw([5, 0x7ffd_3a2c_1000, 512, 1000, 0, 0]),
                ),
            ),
            3 => {
                let f = *self.rng.pick(SYSTEM_FILES);
                self.push(
                    tid,
                    container,
                    sc(
                        "newfstatat",
                        0,
                        l,
                        Params::from_vec(vec![Value::Int(-100), text(f), Value::Int(0)]),
                    ),
                );
            }
            _ => self.push(
                tid,
                container,
                sc("getpid", i64::from(tid), 200, raw([0; 6])),
            ),
        }
    }

    /// Fills the queue with the next burst of activity.
    fn refill(&mut self) {
        match self.rng.below(100) {
            0..=54 => self.web_request(),
            55..=84 => self.app_query(),
            85..=87 => self.shell_command(),
            _ => {
                let t = *self.rng.pick(&[1200, 1300, 1400, 1201]);
                let c = u32::from(t != 1400);
                self.noise(t, c);
            }
        }
        self.queue.reverse();
    }
}

fn raw(a: [u64; 6]) -> Params<'static> {
    a.iter().map(|&v| Value::Int(v as i64)).collect()
}

impl Iterator for Synth {
    type Item = Event<'static>;

    fn next(&mut self) -> Option<Event<'static>> {
        if self.queue.is_empty() {
            self.refill();
        }
        self.emitted += 1;
        self.queue.pop()
    }
}
