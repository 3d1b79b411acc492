//! Tests with real containers: podman (with runc) and runc alone running busybox bundles.
//!
//! They need root, `podman`, `runc` at /usr/sbin/runc and a static busybox at /bin/busybox
//! (Debian: `podman runc busybox-static`). Under `CI=true` a missing runtime is a failure;
//! elsewhere these tests skip with a message. Containers are removed by guards, so a failed
//! assertion still cleans up.
//!
//! Podman runs with its default rlimits switched off (`default_ulimits = []` in a
//! containers.conf named by `CONTAINERS_CONF`): hosts without CAP_SYS_RESOURCE refuse them.
//! runc bundles get the same treatment by dropping `process.rlimits` from `runc spec`'s
//! config.json.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use std::{fs, thread};

use capture_format::schema::{Body, Container};
use capture_format::{CaptureFile, HeaderInfo, Writer, WriterOptions};

use super::cgroup::{ContainerRef, Runtime, is_full_id, parse_proc_cgroup};
use super::resolve_tests::TempDir;
use super::*;

const RUNC: &str = "/usr/sbin/runc";
const BUSYBOX: &str = "/bin/busybox";
const IMAGE: &str = "localhost/casefile-test:1";
const TIMEOUT: Duration = Duration::from_mins(1);

/// Serialises podman calls that change shared state (the image store).
static PODMAN: Mutex<()> = Mutex::new(());

/// Whether the real-container tests can run here; panics under `CI=true` when they cannot.
fn available(tools: &[&str]) -> bool {
    let mut missing = Vec::new();
    for t in tools {
        let ok = Command::new(t)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            missing.push(format!("{t} does not run"));
        }
    }
    if !Path::new(BUSYBOX).is_file() {
        missing.push(format!("{BUSYBOX} is missing (busybox-static)"));
    }
    let root = fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    });
    if !root {
        missing.push("not running as root".into());
    }
    if missing.is_empty() {
        return true;
    }
    let why = missing.join("; ");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "real-container test cannot run under CI=true: {why}"
    );
    eprintln!("skipping real-container test: {why}");
    false
}

/// Runs a command with a timeout; panics with its output when it fails.
fn run(cmd: &mut Command) -> String {
    let out = run_status(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn run_status(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    // Read both pipes on threads so a chatty child cannot block on a full pipe.
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let t1 = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let t2 = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} timed out after {TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: t1.join().expect("stdout thread"),
        stderr: t2.join().expect("stderr thread"),
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// A fresh 64-hex container id.
fn new_id(tag: &str) -> String {
    blake3::hash(format!("{tag}-{}-{}", std::process::id(), now_ns()).as_bytes())
        .to_hex()
        .to_string()
}

/// A busybox root filesystem: `bin/busybox` and links for the usual applets.
fn busybox_rootfs(dir: &Path) {
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).expect("mkdir rootfs/bin");
    for d in ["tmp", "proc", "sys", "dev", "etc"] {
        fs::create_dir_all(dir.join(d)).expect("mkdir rootfs");
    }
    fs::copy(BUSYBOX, bin.join("busybox")).expect("copy busybox");
    for applet in ["sh", "ls", "cat", "echo", "sleep", "wget", "nc"] {
        std::os::unix::fs::symlink("busybox", bin.join(applet)).expect("symlink applet");
    }
}

fn s(b: &[u8]) -> &str {
    std::str::from_utf8(b).expect("utf-8")
}

fn label<'a>(c: &'a Container<'_>, key: &str) -> Option<&'a str> {
    c.label_pairs()
        .find(|(k, _)| *k == key.as_bytes())
        .map(|(_, v)| s(v))
}

// ---- podman ----

struct Podman {
    conf: PathBuf,
    _dir: TempDir,
}

impl Podman {
    fn new() -> Podman {
        let dir = TempDir::new("podman-conf");
        let conf = dir.path().join("containers.conf");
        fs::write(&conf, "[containers]\ndefault_ulimits = []\n").expect("write containers.conf");
        Podman { conf, _dir: dir }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("podman");
        c.env("CONTAINERS_CONF", &self.conf);
        c
    }

    /// Imports the busybox image once.
    fn ensure_image(&self) {
        let _lock = PODMAN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if run_status(self.cmd().args(["image", "exists", IMAGE]))
            .status
            .success()
        {
            return;
        }
        let rootfs = TempDir::new("podman-rootfs");
        busybox_rootfs(rootfs.path());
        let tar = rootfs.path().with_extension("tar");
        run(Command::new("tar")
            .arg("-C")
            .arg(rootfs.path())
            .arg("-cf")
            .arg(&tar)
            .arg("."));
        run(self.cmd().arg("import").arg(&tar).arg(IMAGE));
        let _ = fs::remove_file(&tar);
    }
}

/// Removes a podman container when dropped.
struct PodmanContainer<'a> {
    podman: &'a Podman,
    name: String,
}

impl Drop for PodmanContainer<'_> {
    fn drop(&mut self) {
        let _ = run_status(self.podman.cmd().args(["rm", "-f", "-t", "0", &self.name]));
    }
}

#[test]
fn podman_container_is_resolved_from_its_state() {
    if !available(&["podman", RUNC]) {
        return;
    }
    let podman = Podman::new();
    podman.ensure_image();
    let name = format!("casefile-test-{}", &new_id("podman")[..12]);
    let guard = PodmanContainer {
        podman: &podman,
        name: name.clone(),
    };
    let before = now_ns();
    let id = run(podman.cmd().args([
        "run",
        "-d",
        "--runtime",
        RUNC,
        "--name",
        &name,
        "--label",
        "casefile.test=podman",
        "--label",
        "tier=backend",
        IMAGE,
        "/bin/sleep",
        "300",
    ]));
    let after = now_ns();
    assert!(is_full_id(&id), "podman run printed {id:?}");
    let inspect = run(podman.cmd().args([
        "inspect",
        "-f",
        "{{.State.Pid}} {{.Image}} {{.HostConfig.Privileged}}",
        &name,
    ]));
    let mut f = inspect.split_whitespace();
    let pid: u32 = f.next().and_then(|p| p.parse().ok()).expect("pid");
    let image_id = f.next().expect("image id").to_string();

    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("read cgroup");
    let (cref, path) = parse_proc_cgroup(&text).expect("a container cgroup");
    assert_eq!(cref.id, id, "{text}");
    assert_eq!(cref.runtime, Runtime::Podman, "{text}");
    assert!(path.ends_with(&format!("libpod-{id}")), "{path}");

    let c = Resolver::default().resolve(&cref, path);
    assert_eq!(s(&c.id), id);
    assert_eq!(s(&c.name), name);
    assert_eq!(s(&c.image), IMAGE);
    assert_eq!(s(&c.image_id), image_id);
    assert_eq!(s(&c.runtime), "podman");
    assert_eq!(s(&c.cgroup), path);
    assert_eq!(c.init_pid, pid);
    assert!(
        (before..=after).contains(&c.start_ts),
        "start {} not within {before}..={after}",
        c.start_ts
    );
    assert!(!c.privileged);
    // Labels come from podman's own database.
    assert_eq!(label(&c, "casefile.test"), Some("podman"));
    assert_eq!(label(&c, "tier"), Some("backend"));
    assert_eq!(s(&c.note), "");

    // The tracker finds it among all processes, and marks it exited when its process goes.
    let mut tr = Tracker::default();
    let recs = crate::record::procfs::snapshot(crate::record::procfs::Clock::now(), &mut tr);
    let idx = tr.index_of_id(&id).expect("tracker saw the container");
    assert!(recs.iter().any(|r| r.container == idx));
    assert_eq!(tr.container_of(pid), idx);
    assert_eq!(tr.live(idx), 1);
    drop(guard);
    // conmon reaps the container's process; give it a moment.
    let gone = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            gone.elapsed() < Duration::from_secs(10),
            "pid {pid} still there"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let ev = tr.exit(pid, now_ns()).expect("exit record");
    assert_eq!(ev.container, idx);
    assert!(matches!(ev.body, Body::Container(ref c) if c.exit_ts != 0 && s(&c.name) == name));

    // Both records go into a capture and come back from its container table after the
    // container is gone: what replay and `timeline` will read.
    let dir = TempDir::new("podman-capture");
    let file = dir.path().join("c.case");
    let mut w = Writer::create(&file, &HeaderInfo::default(), WriterOptions::default())
        .expect("create capture");
    w.write_state(&recs).expect("state");
    w.append(&ev).expect("append");
    w.finish().expect("finish");
    let cap = CaptureFile::read(&file).expect("read capture");
    let mine: Vec<_> = cap
        .tables()
        .expect("tables")
        .into_iter()
        .filter_map(|e| match e.body {
            Body::Container(c) if e.container == idx => Some(c),
            _ => None,
        })
        .collect();
    let [first, last] = &mine[..] else {
        panic!("two records for the container: {mine:?}")
    };
    assert_eq!(
        (s(&first.name), s(&first.image), first.exit_ts),
        (name.as_str(), IMAGE, 0)
    );
    assert_eq!(label(first, "tier"), Some("backend"));
    assert_eq!((s(&last.id), last.init_pid), (id.as_str(), pid));
    assert_ne!(last.exit_ts, 0);
}

#[test]
fn podman_privileged_container() {
    if !available(&["podman", RUNC]) {
        return;
    }
    let podman = Podman::new();
    podman.ensure_image();
    let name = format!("casefile-test-{}", &new_id("podman-priv")[..12]);
    let _guard = PodmanContainer {
        podman: &podman,
        name: name.clone(),
    };
    let id = run(podman.cmd().args([
        "run",
        "-d",
        "--privileged",
        "--runtime",
        RUNC,
        "--name",
        &name,
        IMAGE,
        "/bin/sleep",
        "300",
    ]));
    let pid: u32 = run(podman
        .cmd()
        .args(["inspect", "-f", "{{.State.Pid}}", &name]))
    .parse()
    .expect("pid");
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("read cgroup");
    let (cref, path) = parse_proc_cgroup(&text).expect("a container cgroup");
    assert_eq!(cref.id, id);
    let c = Resolver::default().resolve(&cref, path);
    assert_eq!(
        (s(&c.name), c.init_pid, c.privileged),
        (name.as_str(), pid, true)
    );
    assert_eq!(s(&c.note), "");
}

// ---- runc ----

/// A runc container in its own state root, deleted when dropped.
struct RuncContainer {
    dir: TempDir,
    id: String,
    /// Parent cgroups the test made (relative to each hierarchy), removed when empty.
    parent_cgroups: Vec<String>,
}

impl RuncContainer {
    /// Runs `sleep 300` from a busybox bundle with the cgroup path `cgroups_path(id)` and
    /// `annotations`.
    fn start(
        tag: &str,
        cgroups_path: impl Fn(&str) -> String,
        annotations: serde_json::Value,
    ) -> RuncContainer {
        let dir = TempDir::new(tag);
        let id = new_id(tag);
        let c = RuncContainer {
            dir,
            id,
            parent_cgroups: Vec::new(),
        };
        let bundle = c.bundle();
        busybox_rootfs(&bundle.join("rootfs"));
        run(Command::new(RUNC).arg("spec").arg("--bundle").arg(&bundle));
        let path = bundle.join("config.json");
        let mut spec: serde_json::Value =
            serde_json::from_slice(&fs::read(&path).expect("read spec")).expect("spec json");
        let process = spec["process"].as_object_mut().expect("process");
        process.remove("rlimits");
        process.insert("terminal".into(), false.into());
        process.insert("args".into(), serde_json::json!(["/bin/sleep", "300"]));
        spec["linux"]["cgroupsPath"] = cgroups_path(&c.id).into();
        spec["annotations"] = annotations;
        fs::write(&path, serde_json::to_vec_pretty(&spec).expect("json")).expect("write spec");
        // The detached container inherits runc's stdio: give it a file, not our pipes, or
        // reading runc's output would wait for the container to end.
        let log_path = c.dir.path().join("runc.log");
        let log = fs::File::create(&log_path).expect("create runc log");
        let mut cmd = Command::new(RUNC);
        cmd.arg("--root")
            .arg(c.root())
            .args(["run", "-d", "--bundle"])
            .arg(&bundle)
            .arg(&c.id)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log);
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        let start = Instant::now();
        let status = loop {
            if let Some(st) = child.try_wait().expect("wait") {
                break st;
            }
            if start.elapsed() > TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{cmd:?} timed out after {TIMEOUT:?}");
            }
            thread::sleep(Duration::from_millis(20));
        };
        assert!(
            status.success(),
            "{cmd:?} failed ({status}): {}",
            fs::read_to_string(&log_path).unwrap_or_default()
        );
        c
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("runc-root")
    }

    fn bundle(&self) -> PathBuf {
        self.dir.path().join("bundle")
    }

    fn pid(&self) -> u32 {
        let state = run(Command::new(RUNC)
            .arg("--root")
            .arg(self.root())
            .args(["state", &self.id]));
        let v: serde_json::Value = serde_json::from_str(&state).expect("runc state json");
        v["pid"].as_u64().expect("pid") as u32
    }

    /// Roots that find this container's runc state, and docker's state under `docker`.
    fn roots(&self, docker: &Path) -> Roots {
        let none = self.dir.path().join("none");
        Roots {
            docker: docker.to_path_buf(),
            storage: none.clone(),
            storage_run: none.clone(),
            containerd_tasks: none.clone(),
            runc: vec![self.root()],
            runc_namespaced: vec![],
            crun: none.clone(),
            machines: none.clone(),
            docker_socket: none.join("docker.sock"),
            podman_socket: none.join("podman.sock"),
            crio_socket: none.join("crio.sock"),
        }
    }
}

impl Drop for RuncContainer {
    fn drop(&mut self) {
        let _ = run_status(
            Command::new(RUNC)
                .arg("--root")
                .arg(self.root())
                .args(["delete", "-f", &self.id]),
        );
        let Ok(rd) = fs::read_dir("/sys/fs/cgroup") else {
            return;
        };
        for hierarchy in rd.flatten() {
            for p in &self.parent_cgroups {
                // rmdir only removes an empty cgroup.
                let _ = fs::remove_dir(hierarchy.path().join(p.trim_start_matches('/')));
            }
        }
    }
}

#[test]
fn runc_with_a_docker_style_cgroup() {
    if !available(&[RUNC]) {
        return;
    }
    let before = now_ns();
    let rc = RuncContainer::start(
        "runc-docker",
        |id| format!("/docker/{id}"),
        serde_json::json!({}),
    );
    let after = now_ns();
    let pid = rc.pid();
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("read cgroup");
    let (cref, path) = parse_proc_cgroup(&text).expect("a container cgroup");
    assert_eq!(cref.id, rc.id, "{text}");
    assert_eq!(cref.runtime, Runtime::Docker, "{text}");
    assert_eq!(path, format!("/docker/{}", rc.id));

    // No Docker engine runs here: with only runc's state, the note says docker's is missing.
    let docker = rc.dir.path().join("docker");
    let c = Resolver::new(rc.roots(&docker)).resolve(&cref, path);
    assert_eq!((s(&c.id), s(&c.runtime)), (rc.id.as_str(), "docker"));
    assert_eq!(c.init_pid, pid);
    assert!(
        (before..=after).contains(&c.start_ts),
        "start {}",
        c.start_ts
    );
    let note = s(&c.note);
    assert!(note.starts_with("no name, image: docker: "), "{note}");
    assert!(note.contains("config.v2.json: No such file"), "{note}");

    // With docker's config.v2.json beside it (as dockerd writes it), name and image come
    // from there and the rest still from runc's live state.
    let dir = docker.join("containers").join(&rc.id);
    fs::create_dir_all(&dir).expect("mkdir docker state");
    fs::write(
        dir.join("config.v2.json"),
        format!(
            r#"{{"ID":"{}","Name":"/casefile-docker-style","Image":"sha256:{}",
               "Config":{{"Image":"docker.io/library/busybox:stable","Labels":{{"tier":"test"}}}}}}"#,
            rc.id,
            "ab".repeat(32)
        ),
    )
    .expect("write config.v2.json");
    fs::write(dir.join("hostconfig.json"), r#"{"Privileged":false}"#).expect("hostconfig");
    let c = Resolver::new(rc.roots(&docker)).resolve(&cref, path);
    assert_eq!(s(&c.name), "casefile-docker-style");
    assert_eq!(s(&c.image), "docker.io/library/busybox:stable");
    assert_eq!(s(&c.image_id), "ab".repeat(32));
    assert_eq!(label(&c, "tier"), Some("test"));
    assert_eq!(c.init_pid, pid);
    assert!(
        (before..=after).contains(&c.start_ts),
        "start {}",
        c.start_ts
    );
    assert_eq!(s(&c.note), "");
}

#[test]
fn runc_with_kubernetes_cri_annotations() {
    if !available(&[RUNC]) {
        return;
    }
    let uid = "6c0e9a3b-2d41-4f8e-9b7a-15c2d3e4f5a6";
    let before = now_ns();
    let mut rc = RuncContainer::start(
        "runc-cri",
        |id| format!("/kubepods/besteffort/pod{uid}/{id}"),
        serde_json::json!({
            "io.kubernetes.cri.container-type": "container",
            "io.kubernetes.cri.container-name": "web",
            "io.kubernetes.cri.image-name": "docker.io/library/busybox:stable",
            "io.kubernetes.cri.sandbox-id": "f".repeat(64),
            "io.kubernetes.cri.sandbox-name": "web-5d8f7",
            "io.kubernetes.cri.sandbox-namespace": "casefile",
            "io.kubernetes.cri.sandbox-uid": uid,
        }),
    );
    rc.parent_cgroups
        .push(format!("/kubepods/besteffort/pod{uid}"));
    let after = now_ns();
    let pid = rc.pid();
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("read cgroup");
    let (cref, path) = parse_proc_cgroup(&text).expect("a container cgroup");
    assert_eq!(
        cref,
        ContainerRef {
            id: rc.id.clone(),
            runtime: Runtime::Containerd,
            pod_uid: Some(uid.into())
        },
        "{text}"
    );
    let c = Resolver::new(rc.roots(&rc.dir.path().join("docker"))).resolve(&cref, path);
    assert_eq!(s(&c.id), rc.id);
    assert_eq!(s(&c.name), "web");
    assert_eq!(s(&c.image), "docker.io/library/busybox:stable");
    assert_eq!(s(&c.runtime), "containerd");
    assert_eq!(label(&c, "io.kubernetes.pod.name"), Some("web-5d8f7"));
    assert_eq!(label(&c, "io.kubernetes.pod.namespace"), Some("casefile"));
    assert_eq!(label(&c, "io.kubernetes.pod.uid"), Some(uid));
    assert_eq!(label(&c, "io.kubernetes.container.name"), Some("web"));
    assert_eq!(c.init_pid, pid);
    assert!(
        (before..=after).contains(&c.start_ts),
        "start {}",
        c.start_ts
    );
    // runc's default spec keeps masked paths: not privileged.
    assert!(!c.privileged);
    assert_eq!(s(&c.note), "");
}
