//! Resolver and tracker tests against hand-made runtime state in temporary directories. The
//! file shapes follow what the runtimes write (field names from their documentation and
//! from state files seen on real hosts).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use capture_format::schema::{Body, Container};

use super::cgroup::{ContainerRef, Runtime, proc_cgroup};
use super::tracker::Sighting;
use super::*;

const ID: &str = "4c1f0a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a";
const IMG: &str = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b";

/// A directory removed when dropped.
pub(super) struct TempDir(PathBuf);

impl TempDir {
    pub(super) fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "casefile-containers-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub(super) fn path(&self) -> &Path {
        &self.0
    }

    fn roots(&self) -> Roots {
        let p = &self.0;
        Roots {
            docker: p.join("docker"),
            storage: p.join("storage"),
            storage_run: p.join("storage-run"),
            containerd_tasks: p.join("containerd-tasks"),
            runc: vec![p.join("runc")],
            runc_namespaced: vec![p.join("containerd-runc")],
            crun: p.join("crun"),
            machines: p.join("machines"),
            docker_socket: p.join("docker.sock"),
            podman_socket: p.join("podman.sock"),
            crio_socket: p.join("crio.sock"),
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

fn s(b: &[u8]) -> &str {
    std::str::from_utf8(b).expect("utf-8")
}

fn labels(c: &Container<'_>) -> Vec<(String, String)> {
    c.label_pairs()
        .map(|(k, v)| (s(k).to_string(), s(v).to_string()))
        .collect()
}

fn label<'a>(c: &'a Container<'_>, key: &str) -> Option<&'a str> {
    c.label_pairs()
        .find(|(k, _)| *k == key.as_bytes())
        .map(|(_, v)| s(v))
}

fn cref(runtime: Runtime) -> ContainerRef {
    ContainerRef {
        id: ID.into(),
        runtime,
        pod_uid: None,
    }
}

/// runc's state.json for a container whose bundle is `bundle`.
fn runc_state(dir: &Path, bundle: &Path, pid: u32, annotations: &[&str]) {
    let mut labels: Vec<String> = annotations.iter().map(|a| format!("\"{a}\"")).collect();
    labels.push(format!("\"bundle={}\"", bundle.display()));
    write(
        &dir.join(ID).join("state.json"),
        &format!(
            r#"{{"id":"{ID}","init_process_pid":{pid},"init_process_start":128196,
               "created":"2026-11-30T01:45:10.476204304Z",
               "config":{{"no_pivot_root":false,"labels":[{}]}},
               "rootless":false,"cgroup_paths":{{}},"namespace_paths":{{}}}}"#,
            labels.join(",")
        ),
    );
}

/// An OCI config.json with `annotations` (a JSON object's body) and, if `privileged`, every
/// capability and no masked paths.
fn spec(path: &Path, annotations: &str, privileged: bool) {
    let (caps, masked) = if privileged {
        (r#""CAP_CHOWN","CAP_SYS_ADMIN","CAP_NET_ADMIN""#, "")
    } else {
        (
            r#""CAP_CHOWN","CAP_KILL""#,
            r#""/proc/kcore","/sys/firmware""#,
        )
    };
    write(
        path,
        &format!(
            r#"{{"ociVersion":"1.0.2-dev","process":{{"args":["/bin/sleep","300"],
               "capabilities":{{"bounding":[{caps}],"effective":[{caps}]}}}},
               "root":{{"path":"rootfs"}},"hostname":"web",
               "annotations":{{{annotations}}},
               "linux":{{"cgroupsPath":"/x","maskedPaths":[{masked}]}}}}"#
        ),
    );
}

const START: u64 = 1_796_003_110_476_204_304;

#[test]
fn docker_config_v2() {
    let t = TempDir::new("docker");
    let r = t.roots();
    let dir = r.docker.join("containers").join(ID);
    write(
        &dir.join("config.v2.json"),
        &format!(
            r#"{{"ID":"{ID}","Created":"2026-11-30T01:45:09.000000001Z","Name":"/web-1",
               "Image":"sha256:{IMG}","Driver":"overlay2",
               "Config":{{"Hostname":"4c1f0a9e8d7b","Image":"nginx:1.27",
                          "Labels":{{"com.example.team":"blue","maintainer":"x=y"}}}},
               "State":{{"Running":true,"Pid":4242,"StartedAt":"2026-11-30T01:45:10.476204304Z",
                         "FinishedAt":"0001-01-01T00:00:00Z"}}}}"#
        ),
    );
    write(
        &dir.join("hostconfig.json"),
        r#"{"Privileged":true,"NetworkMode":"bridge"}"#,
    );
    let c = Resolver::new(r).resolve(&cref(Runtime::Docker), &format!("/docker/{ID}"));
    assert_eq!(s(&c.id), ID);
    assert_eq!(s(&c.name), "web-1");
    assert_eq!(s(&c.image), "nginx:1.27");
    assert_eq!(s(&c.image_id), IMG);
    assert_eq!(s(&c.runtime), "docker");
    assert_eq!(s(&c.cgroup), format!("/docker/{ID}"));
    assert_eq!(c.start_ts, START);
    assert_eq!(c.init_pid, 4242);
    assert!(c.privileged);
    assert_eq!(
        labels(&c),
        [
            ("com.example.team".into(), "blue".into()),
            ("maintainer".into(), "x=y".into())
        ]
    );
    // No runc state here (docker's runc root is elsewhere), but nothing is missing.
    assert_eq!(s(&c.note), "");
}

#[test]
fn podman_containers_json() {
    let t = TempDir::new("podman");
    let r = t.roots();
    let userdata = r
        .storage
        .join("overlay-containers")
        .join(ID)
        .join("userdata");
    write(
        &r.storage.join("overlay-containers/containers.json"),
        &format!(
            r#"[{{"id":"{ID}","names":["cfexplore"],"image":"{IMG}","layer":"0570",
                "metadata":"{{\"image-name\":\"localhost/casefile-test:1\",\"image-id\":\"{IMG}\",\"name\":\"cfexplore\",\"created-at\":1796003110}}",
                "created":"2026-11-30T01:45:10.220040628Z","flags":{{"MountLabel":""}}}}]"#
        ),
    );
    spec(
        &userdata.join("config.json"),
        r#""io.container.manager":"libpod","io.podman.annotations.privileged":"FALSE""#,
        true,
    );
    runc_state(
        &r.runc[0],
        &userdata,
        13970,
        &["io.container.manager=libpod"],
    );
    let db = r.storage.join("libpod/bolt_state.db");
    fs::create_dir_all(db.parent().expect("parent")).expect("mkdir");
    fs::write(
        &db,
        super::bolt::tests::libpod_db(
            ID,
            &format!(
                r#"{{"id":"{ID}","name":"cfexplore","RawImageName":"localhost/casefile-test:1",
                   "rootfsImageID":"{IMG}","rootfsImageName":"localhost/casefile-test:1",
                   "privileged":false,"labels":{{"app":"web","team":"blue"}},
                   "createdTime":"2026-11-30T01:45:10.2Z"}}"#
            ),
            r#"{"state":3,"startedTime":"2026-11-30T01:45:10.504695643Z","pid":13970}"#,
        ),
    )
    .expect("write bolt db");
    let c = Resolver::new(r.clone()).resolve(
        &cref(Runtime::Podman),
        &format!("/libpod_parent/libpod-{ID}"),
    );
    assert_eq!(
        labels(&c),
        [("app".into(), "web".into()), ("team".into(), "blue".into())]
    );
    assert_eq!(s(&c.name), "cfexplore");
    assert_eq!(s(&c.image), "localhost/casefile-test:1");
    assert_eq!(s(&c.image_id), IMG);
    assert_eq!(s(&c.runtime), "podman");
    assert_eq!((c.start_ts, c.init_pid), (START, 13970));
    // podman's own flag wins over the capability guess.
    assert!(!c.privileged);
    assert_eq!(s(&c.note), "");

    // Without podman's database the rest still resolves, and the note says labels are
    // missing; a database without the container says so too.
    fs::remove_file(&db).expect("rm db");
    let c = Resolver::new(r.clone()).resolve(&cref(Runtime::Podman), "/p");
    assert_eq!(
        (s(&c.name), c.init_pid, c.labels.is_empty()),
        ("cfexplore", 13970, true)
    );
    let note = s(&c.note);
    assert!(note.starts_with("no labels: podman: "), "{note}");
    assert!(note.contains("bolt_state.db: No such file"), "{note}");
    fs::write(&db, super::bolt::tests::libpod_db(IMG, "{}", "{}")).expect("write db");
    let c = Resolver::new(r.clone()).resolve(&cref(Runtime::Podman), "/p");
    assert!(
        s(&c.note).contains(&format!("no container {ID}")),
        "{}",
        s(&c.note)
    );
    fs::write(&db, b"not a bolt file").expect("write db");
    let c = Resolver::new(r).resolve(&cref(Runtime::Podman), "/p");
    assert!(
        s(&c.note).contains("no valid bolt meta page"),
        "{}",
        s(&c.note)
    );
}

#[test]
fn podman_image_name_from_images_json() {
    let t = TempDir::new("podman-img");
    let r = t.roots();
    write(
        &r.storage.join("overlay-containers/containers.json"),
        &format!(r#"[{{"id":"{ID}","names":["n1"],"image":"{IMG}","metadata":""}}]"#),
    );
    write(
        &r.storage.join("overlay-images/images.json"),
        &format!(r#"[{{"id":"{IMG}","names":["localhost/other:2"]}}]"#),
    );
    let c = Resolver::new(r).resolve(&cref(Runtime::Podman), "/x");
    assert_eq!((s(&c.name), s(&c.image)), ("n1", "localhost/other:2"));
    // No runtime state: start time and pid are missing, and the note says why.
    assert_eq!(c.init_pid, 0);
    let note = s(&c.note);
    assert!(
        note.starts_with("no start time, init pid, labels: "),
        "{note}"
    );
    assert!(note.contains("no OCI runtime state"), "{note}");
}

#[test]
fn cri_o_annotations() {
    let t = TempDir::new("crio");
    let r = t.roots();
    write(
        &r.storage.join("overlay-containers/containers.json"),
        &format!(
            r#"[{{"id":"{ID}","names":["k8s_web_nginx-7d_prod_5f5c_0"],"image":"{IMG}",
                "metadata":"{{\"pod-name\":\"k8s_POD_nginx-7d_prod_5f5c_0\",\"pod-id\":\"aa\",\"image-name\":\"docker.io/library/nginx:1.27\",\"image-id\":\"{IMG}\",\"name\":\"k8s_web_nginx-7d_prod_5f5c_0\"}}"}}]"#
        ),
    );
    let bundle = r
        .storage_run
        .join("overlay-containers")
        .join(ID)
        .join("userdata");
    spec(
        &bundle.join("config.json"),
        &format!(
            r#""io.kubernetes.cri-o.ContainerType":"container",
               "io.kubernetes.cri-o.Name":"k8s_web_nginx-7d_prod_5f5c_0",
               "io.kubernetes.cri-o.ImageName":"docker.io/library/nginx:1.27",
               "io.kubernetes.cri-o.ImageRef":"{IMG}",
               "io.kubernetes.cri-o.Labels":"{{\"app\":\"nginx\",\"io.kubernetes.container.name\":\"web\",\"io.kubernetes.pod.name\":\"nginx-7d\",\"io.kubernetes.pod.namespace\":\"prod\",\"io.kubernetes.pod.uid\":\"5f5cbbd4-1c2a-4b43-9c5e-2e8d0a1b3c4d\"}}",
               "io.kubernetes.pod.name":"nginx-7d""#
        ),
        false,
    );
    runc_state(&r.runc[0], &bundle, 777, &[]);
    let c = Resolver::new(r).resolve(
        &cref(Runtime::CriO),
        &format!("/kubepods/besteffort/pod5f5c/crio-{ID}"),
    );
    assert_eq!(s(&c.name), "web");
    assert_eq!(s(&c.image), "docker.io/library/nginx:1.27");
    assert_eq!(s(&c.image_id), IMG);
    assert_eq!(s(&c.runtime), "cri-o");
    assert_eq!(label(&c, "io.kubernetes.pod.name"), Some("nginx-7d"));
    assert_eq!(label(&c, "io.kubernetes.pod.namespace"), Some("prod"));
    assert_eq!(
        label(&c, "io.kubernetes.pod.uid"),
        Some("5f5cbbd4-1c2a-4b43-9c5e-2e8d0a1b3c4d")
    );
    assert_eq!(label(&c, "io.kubernetes.container.name"), Some("web"));
    assert_eq!(label(&c, "app"), Some("nginx"));
    assert_eq!((c.init_pid, c.privileged), (777, false));
    assert_eq!(s(&c.note), "");
}

#[test]
fn containerd_cri_annotations() {
    let t = TempDir::new("containerd");
    let r = t.roots();
    let bundle = r.containerd_tasks.join("k8s.io").join(ID);
    spec(
        &bundle.join("config.json"),
        r#""io.kubernetes.cri.container-type":"container",
           "io.kubernetes.cri.container-name":"api",
           "io.kubernetes.cri.image-name":"registry.example/api:3",
           "io.kubernetes.cri.sandbox-id":"0123",
           "io.kubernetes.cri.sandbox-name":"api-6f9c",
           "io.kubernetes.cri.sandbox-namespace":"shop",
           "io.kubernetes.cri.sandbox-uid":"0d3e4f5a-6b7c-8d9e-0f1a-2b3c4d5e6f70""#,
        true,
    );
    write(&bundle.join("init.pid"), "31337");
    runc_state(&r.runc_namespaced[0].join("k8s.io"), &bundle, 31337, &[]);
    let mut cr = cref(Runtime::Containerd);
    cr.pod_uid = Some("ignored-when-annotated".into());
    let c = Resolver::new(r).resolve(&cr, "/kubepods/x");
    assert_eq!(s(&c.name), "api");
    assert_eq!(s(&c.image), "registry.example/api:3");
    assert_eq!(s(&c.runtime), "containerd");
    assert_eq!(
        labels(&c),
        [
            ("io.kubernetes.container.name".into(), "api".into()),
            ("io.kubernetes.pod.name".into(), "api-6f9c".into()),
            ("io.kubernetes.pod.namespace".into(), "shop".into()),
            (
                "io.kubernetes.pod.uid".into(),
                "0d3e4f5a-6b7c-8d9e-0f1a-2b3c4d5e6f70".into()
            ),
        ]
    );
    assert_eq!((c.init_pid, c.start_ts, c.privileged), (31337, START, true));
    assert_eq!(s(&c.note), "");
}

#[test]
fn containerd_sandbox_is_the_pod() {
    let t = TempDir::new("sandbox");
    let r = t.roots();
    let bundle = r.containerd_tasks.join("k8s.io").join(ID);
    spec(
        &bundle.join("config.json"),
        r#""io.kubernetes.cri.container-type":"sandbox",
           "io.kubernetes.cri.sandbox-name":"api-6f9c",
           "io.kubernetes.cri.sandbox-namespace":"shop""#,
        false,
    );
    let c = Resolver::new(r).resolve(&cref(Runtime::Containerd), "/kubepods/x");
    assert_eq!(s(&c.name), "api-6f9c");
    assert_eq!(label(&c, "io.kubernetes.container.name"), Some("POD"));
    // The pause image is not in the annotations, and no pid file was written.
    assert!(
        s(&c.note).starts_with("no image, start time, init pid: "),
        "{}",
        s(&c.note)
    );
}

#[test]
fn pod_uid_from_the_cgroup_path_alone() {
    let t = TempDir::new("poduid");
    let mut cr = cref(Runtime::Containerd);
    cr.pod_uid = Some("5f5cbbd4-1c2a-4b43-9c5e-2e8d0a1b3c4d".into());
    let c = Resolver::new(t.roots())
        .resolve(&cr, "/kubepods/pod5f5cbbd4-1c2a-4b43-9c5e-2e8d0a1b3c4d/x");
    assert_eq!(
        label(&c, "io.kubernetes.pod.uid"),
        Some("5f5cbbd4-1c2a-4b43-9c5e-2e8d0a1b3c4d")
    );
    assert_eq!(s(&c.id), ID);
    assert!(s(&c.note).contains("containerd: "), "{}", s(&c.note));
}

#[test]
fn plain_runc_bundle() {
    let t = TempDir::new("runc");
    let r = t.roots();
    let bundle = t.path().join("bundle");
    spec(
        &bundle.join("config.json"),
        r#""org.opencontainers.image.ref.name":"busybox:stable""#,
        false,
    );
    runc_state(&r.runc[0], &bundle, 99, &[]);
    let c = Resolver::new(r).resolve(&cref(Runtime::Runc), &format!("/{ID}"));
    assert_eq!(s(&c.name), ID);
    assert_eq!(s(&c.image), "busybox:stable");
    assert_eq!(s(&c.runtime), "runc");
    assert_eq!((c.init_pid, c.start_ts), (99, START));
    assert_eq!(s(&c.note), "");
}

#[test]
fn crun_status() {
    let t = TempDir::new("crun");
    let r = t.roots();
    let bundle = t.path().join("bundle");
    spec(
        &bundle.join("config.json"),
        r#""io.podman.annotations.privileged":"TRUE""#,
        false,
    );
    write(
        &r.crun.join(ID).join("status"),
        &format!(
            r#"{{"id":"{ID}","pid":321,"process-start-time":4242,"cgroup-path":"/x",
               "rootfs":"{0}/rootfs","systemd-cgroup":"","bundle":"{0}",
               "created":"2026-11-30T01:45:10.476204304Z","owner":0,"detached":true}}"#,
            bundle.display()
        ),
    );
    let c = Resolver::new(r).resolve(&cref(Runtime::Runc), &format!("/{ID}"));
    assert_eq!((c.init_pid, c.start_ts, c.privileged), (321, START, true));
    assert_eq!(s(&c.note), "no image: not in runc's state");
}

#[test]
fn bare_id_found_in_docker_state() {
    // A docker container under a custom cgroup parent (`--cgroup-parent=/actions_job`).
    let t = TempDir::new("bare");
    let r = t.roots();
    write(
        &r.docker.join("containers").join(ID).join("config.v2.json"),
        r#"{"Name":"/job","Config":{"Image":"ubuntu:24.04"},"State":{"Pid":5,"StartedAt":"2026-11-30T01:45:10Z"}}"#,
    );
    let c = Resolver::new(r).resolve(&cref(Runtime::Runc), &format!("/actions_job/{ID}"));
    assert_eq!(
        (s(&c.name), s(&c.image), s(&c.runtime)),
        ("job", "ubuntu:24.04", "docker")
    );
    // hostconfig.json is missing, but the essentials are there.
    assert_eq!(s(&c.note), "");
}

#[test]
fn nspawn_machine_file() {
    let t = TempDir::new("nspawn");
    let r = t.roots();
    write(
        &r.machines.join("web-1"),
        "# This is private data. Do not parse.\nNAME=web-1\nSCOPE=machine-web\\x2d1.scope\nSERVICE=systemd-nspawn\nROOT=/var/lib/machines/web-1\nCLASS=container\nLEADER=812\nTIMESTAMP=1796003110476204\n",
    );
    let c = Resolver::new(r).resolve(
        &ContainerRef {
            id: "web-1".into(),
            runtime: Runtime::Nspawn,
            pod_uid: None,
        },
        "/machine.slice/machine-web\\x2d1.scope",
    );
    assert_eq!(
        (s(&c.name), s(&c.image), s(&c.runtime)),
        ("web-1", "/var/lib/machines/web-1", "systemd-nspawn")
    );
    assert_eq!((c.init_pid, c.start_ts), (812, 1_796_003_110_476_204_000));
}

#[test]
fn roots_follow_the_host_configuration() {
    let t = TempDir::new("etc");
    let etc = t.path();
    assert_eq!(Roots::from_etc(etc), Roots::default());
    write(
        &etc.join("docker/daemon.json"),
        r#"{"data-root": "/srv/docker", "debug": true}"#,
    );
    write(
        &etc.join("containers/storage.conf"),
        "# comment\n[storage]\ndriver = \"overlay\"\nrunroot = \"/run/cs\"\ngraphroot = \"/srv/cs\" # moved\n[storage.options]\ngraphroot = \"/not/this\"\n",
    );
    let r = Roots::from_etc(etc);
    assert_eq!(r.docker, Path::new("/srv/docker"));
    assert_eq!(r.storage, Path::new("/srv/cs"));
    assert_eq!(r.storage_run, Path::new("/run/cs"));
    write(
        &etc.join("docker/daemon.json"),
        r#"{"graph": "/old/docker"}"#,
    );
    assert_eq!(Roots::from_etc(etc).docker, Path::new("/old/docker"));
    write(&etc.join("docker/daemon.json"), "{broken");
    assert_eq!(Roots::from_etc(etc).docker, Roots::default().docker);
}

// ---- runtime sockets, when the files do not answer ----

#[test]
fn docker_api_socket() {
    let t = TempDir::new("docker-api");
    let r = t.roots();
    let server = super::socket::tests::serve(
        &r.docker_socket,
        vec![super::socket::tests::ok(&format!(
            r#"{{"Id":"{ID}","Created":"2026-11-30T01:45:09Z","Name":"/api-web","Image":"sha256:{IMG}",
               "State":{{"Status":"running","Pid":4343,"StartedAt":"2026-11-30T01:45:10.476204304Z"}},
               "Config":{{"Image":"nginx:1.27","Labels":{{"team":"red"}}}},
               "HostConfig":{{"Privileged":true}}}}"#
        ))],
    );
    let c = Resolver::new(r).resolve(&cref(Runtime::Docker), "/p");
    assert_eq!(
        server.join().expect("server"),
        [format!("GET /containers/{ID}/json HTTP/1.0")]
    );
    assert_eq!(
        (s(&c.name), s(&c.image), s(&c.image_id)),
        ("api-web", "nginx:1.27", IMG)
    );
    assert_eq!((c.init_pid, c.start_ts, c.privileged), (4343, START, true));
    assert_eq!(label(&c, "team"), Some("red"));
    assert_eq!(s(&c.note), "");
}

#[test]
fn podman_api_socket_without_a_bolt_database() {
    let t = TempDir::new("podman-api");
    let r = t.roots();
    write(
        &r.storage.join("overlay-containers/containers.json"),
        &format!(r#"[{{"id":"{ID}","names":["p1"],"image":"{IMG}","metadata":""}}]"#),
    );
    let server = super::socket::tests::serve(
        &r.podman_socket,
        vec![super::socket::tests::ok(
            r#"{"Name":"p1","Config":{"Image":"localhost/x:1","Labels":{"a":"1"}},
               "State":{"Pid":55,"StartedAt":"2026-11-30T01:45:10.476204304Z"},
               "HostConfig":{"Privileged":false}}"#,
        )],
    );
    let c = Resolver::new(r).resolve(&cref(Runtime::Podman), "/p");
    server.join().expect("server");
    assert_eq!(
        (s(&c.name), s(&c.image), label(&c, "a")),
        ("p1", "localhost/x:1", Some("1"))
    );
    assert_eq!((c.init_pid, c.start_ts), (55, START));
    assert_eq!(s(&c.note), "");
}

#[test]
fn crio_api_socket() {
    let t = TempDir::new("crio-api");
    let r = t.roots();
    let server = super::socket::tests::serve(
        &r.crio_socket,
        vec![super::socket::tests::ok(&format!(
            r#"{{"name":"k8s_web_nginx-7d_prod_5f5c_0","pid":808,"image":"docker.io/library/nginx:1.27",
               "image_ref":"{IMG}","created_time":1796003110476204304,
               "labels":{{"io.kubernetes.container.name":"web","io.kubernetes.pod.name":"nginx-7d",
                          "io.kubernetes.pod.namespace":"prod","io.kubernetes.pod.uid":"5f5c"}},
               "annotations":{{}},"root":"/var/lib/containers/storage/overlay/x/merged",
               "sandbox":"aa","ip_addresses":["10.0.0.5"]}}"#
        ))],
    );
    let c = Resolver::new(r).resolve(&cref(Runtime::CriO), "/p");
    assert_eq!(
        server.join().expect("server"),
        [format!("GET /containers/{ID} HTTP/1.0")]
    );
    assert_eq!(
        (s(&c.name), s(&c.image), s(&c.image_id)),
        ("web", "docker.io/library/nginx:1.27", IMG)
    );
    assert_eq!((c.init_pid, c.start_ts), (808, START));
    assert_eq!(label(&c, "io.kubernetes.pod.namespace"), Some("prod"));
    assert_eq!(s(&c.note), "");
}

#[test]
fn socket_errors_are_noted() {
    let t = TempDir::new("api-errors");
    let r = t.roots();
    let server = super::socket::tests::serve(
        &r.docker_socket,
        vec![
            b"HTTP/1.0 404 Not Found\r\n\r\n{}".to_vec(),
            super::socket::tests::ok("{not json"),
        ],
    );
    let c = Resolver::new(r.clone()).resolve(&cref(Runtime::Docker), "/p");
    assert!(s(&c.note).contains("docker API: "), "{}", s(&c.note));
    assert!(s(&c.note).contains("404 Not Found"), "{}", s(&c.note));
    let c = Resolver::new(r).resolve(&cref(Runtime::Docker), "/p");
    assert!(s(&c.note).contains("malformed reply"), "{}", s(&c.note));
    server.join().expect("server");
}

// ---- bad input: the id alone, a note that says why, no panic ----

#[test]
fn nothing_readable() {
    let t = TempDir::new("none");
    for rt in [
        Runtime::Docker,
        Runtime::Podman,
        Runtime::CriO,
        Runtime::Containerd,
        Runtime::Runc,
    ] {
        let c = Resolver::new(t.roots()).resolve(&cref(rt), "/p");
        assert_eq!(s(&c.id), ID);
        assert_eq!(s(&c.runtime), rt.as_str());
        assert_eq!(s(&c.cgroup), "/p");
        let note = s(&c.note);
        assert!(note.starts_with("no "), "{rt}: {note}");
        assert!(note.contains("no OCI runtime state"), "{rt}: {note}");
    }
    let c = Resolver::new(t.roots()).resolve(&cref(Runtime::Docker), "/p");
    assert!(
        s(&c.note).contains("docker.sock: no socket"),
        "{}",
        s(&c.note)
    );
    assert!(
        s(&c.note).contains("config.v2.json: No such file"),
        "{}",
        s(&c.note)
    );
}

#[test]
fn malformed_state_files() {
    let t = TempDir::new("malformed");
    let r = t.roots();
    let dir = r.docker.join("containers").join(ID);
    write(
        &dir.join("config.v2.json"),
        r#"{"Name": "/x", "Config": {"Image": 12}}"#,
    );
    // A state.json with the wrong types, and a bundle config that is not JSON.
    write(
        &r.runc[0].join(ID).join("state.json"),
        r#"{"init_process_pid":"many","created":"x"}"#,
    );
    let c = Resolver::new(r.clone()).resolve(&cref(Runtime::Docker), "/p");
    let note = s(&c.note);
    assert!(
        note.starts_with("no name, image, start time, init pid: "),
        "{note}"
    );
    assert!(
        note.contains("config.v2.json: malformed at line 1 column"),
        "{note}"
    );
    assert!(note.contains("state.json: malformed"), "{note}");

    // Truncated config.json in a podman bundle, empty containers.json.
    let userdata = r
        .storage
        .join("overlay-containers")
        .join(ID)
        .join("userdata");
    write(
        &userdata.join("config.json"),
        r#"{"annotations": {"io.podman"#,
    );
    write(&r.storage.join("overlay-containers/containers.json"), "");
    let c = Resolver::new(r.clone()).resolve(&cref(Runtime::Podman), "/p");
    let note = s(&c.note);
    assert!(note.contains("bundle: "), "{note}");
    assert!(note.contains("config.json: malformed"), "{note}");
    assert!(note.contains("containers.json: malformed"), "{note}");

    // A directory where a file should be; a containers.json that is an object.
    fs::remove_file(userdata.join("config.json")).expect("rm");
    fs::create_dir_all(userdata.join("config.json")).expect("mkdir");
    write(&r.storage.join("overlay-containers/containers.json"), "{}");
    let c = Resolver::new(r).resolve(&cref(Runtime::Podman), "/p");
    assert!(
        s(&c.note).contains("config.json: Is a directory"),
        "{}",
        s(&c.note)
    );
    assert_eq!(s(&c.id), ID);
}

#[test]
fn labels_are_sanitised() {
    let t = TempDir::new("labels");
    let r = t.roots();
    let long = "v".repeat(10_000);
    write(
        &r.docker.join("containers").join(ID).join("config.v2.json"),
        &format!(
            r#"{{"Name":"/x","Config":{{"Image":"i","Labels":{{"a=b":"1","nul":"x\u0000y","long":"{long}","":"e"}}}}}}"#
        ),
    );
    let c = Resolver::new(r).resolve(&cref(Runtime::Docker), "/p");
    let l = labels(&c);
    assert_eq!(
        l.len(),
        2,
        "{:?}",
        l.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
    assert_eq!(label(&c, "nul"), Some("xy"));
    assert_eq!(label(&c, "long").map(str::len), Some(4096));
}

// ---- the tracker ----

#[test]
fn tracker_indices_and_first_sightings() {
    let t = TempDir::new("tracker");
    let mut tr = Tracker::new(Resolver::new(t.roots()));
    let other = IMG;
    let a = format!("/docker/{ID}");
    let b = format!("/libpod_parent/libpod-{other}");
    let s1 = tr.observe_pid(10, &a, 100);
    assert_eq!(s1.index, 1);
    assert_eq!(s1.records.len(), 1);
    let ev = &s1.records[0];
    assert_eq!((ev.ts, ev.container, ev.pid), (100, 1, 0));
    let Body::Container(c) = &ev.body else {
        panic!("not a container record: {ev:?}")
    };
    assert_eq!((s(&c.id), s(&c.runtime), c.exit_ts), (ID, "docker", 0));

    assert_eq!(
        tr.observe_pid(11, &a, 101),
        Sighting {
            index: 1,
            records: vec![]
        }
    );
    assert_eq!(tr.observe_pid(20, &b, 102).index, 2);
    assert_eq!(
        tr.observe_pid(30, "/user.slice/session-1.scope", 103),
        Sighting::default()
    );
    // podman's sub-cgroup of the same container.
    assert_eq!(tr.observe_pid(21, &format!("{b}/container"), 104).index, 2);
    assert_eq!(
        tr.observe(
            proc_cgroup(&format!("4:memory:{a}\n0::/\n")).expect("a path"),
            105
        )
        .index,
        1
    );
    assert_eq!((tr.live(1), tr.live(2), tr.container_of(21)), (2, 2, 2));
    assert_eq!(tr.index_of_id(ID), Some(1));
    assert_eq!(tr.containers().count(), 2);
    let all = tr.records(200);
    assert_eq!(
        all.iter().map(|e| (e.ts, e.container)).collect::<Vec<_>>(),
        [(200, 1), (200, 2)]
    );
    // With the recorder's own cache: the index is known, only the count changes.
    assert!(tr.enter_pid(12, 1, 201).is_empty());
    assert_eq!(tr.live(1), 3);
    assert!(tr.enter_pid(12, 0, 202).is_empty());
    assert_eq!((tr.live(1), tr.container_of(12)), (2, 0));
}

#[test]
fn tracker_exit_when_the_last_process_goes() {
    let t = TempDir::new("exit");
    let mut tr = Tracker::new(Resolver::new(t.roots()));
    let a = format!("/docker/{ID}");
    tr.observe_pid(10, &a, 100);
    tr.fork(10, 11); // a child, before its first event
    tr.fork(10, 10); // a thread: not a new process
    tr.fork(99, 98); // host processes are not counted
    assert_eq!(tr.live(1), 2);
    assert_eq!(tr.exit(98, 150), None);
    assert_eq!(tr.exit(10, 200), None);
    let ev = tr.exit(11, 300).expect("last process gone");
    let Body::Container(c) = &ev.body else {
        panic!("{ev:?}")
    };
    assert_eq!(
        (ev.ts, ev.container, c.exit_ts, s(&c.id)),
        (300, 1, 300, ID)
    );
    assert_eq!(tr.exit(11, 301), None);
    assert_eq!(tr.exited(1, 302), None, "already marked");
    assert_eq!(tr.exited(7, 302), None, "unknown index");
    assert_eq!(tr.exited(0, 302), None, "the host");

    // Started again: a record with the exit time cleared, same index.
    let s2 = tr.observe_pid(12, &a, 400);
    assert_eq!(s2.index, 1);
    let [ev] = &s2.records[..] else {
        panic!("{s2:?}")
    };
    let Body::Container(c) = &ev.body else {
        panic!("{ev:?}")
    };
    assert_eq!(c.exit_ts, 0);
    let ev = tr.exited(1, 500).expect("explicit exit");
    let Body::Container(c) = &ev.body else {
        panic!("{ev:?}")
    };
    assert_eq!(c.exit_ts, 500);
    assert_eq!(tr.container_of(12), 0);
}

#[test]
fn tracker_moves_and_retries() {
    let t = TempDir::new("retry");
    let r = t.roots();
    let mut tr = Tracker::new(Resolver::new(r.clone()));
    let a = format!("/docker/{ID}");
    let first = tr.observe_pid(10, &a, 1_000);
    let Body::Container(c) = &first.records[0].body else {
        panic!()
    };
    assert!(!c.note.is_empty());
    // The next sighting looks again at once (nothing new yet: no record).
    assert!(tr.observe(&a, 1_200).records.is_empty());
    // The state appears a moment later; a sighting within a second of that look does not
    // look again.
    write(
        &r.docker.join("containers").join(ID).join("config.v2.json"),
        r#"{"Name":"/late","Config":{"Image":"i"},"State":{"Pid":10,"StartedAt":"2026-11-30T01:45:10Z"}}"#,
    );
    write(
        &r.docker.join("containers").join(ID).join("hostconfig.json"),
        "{}",
    );
    assert!(tr.observe(&a, 1_500).records.is_empty());
    let later = tr.observe(&a, 2_000_001_000);
    let [ev] = &later.records[..] else {
        panic!("{later:?}")
    };
    let Body::Container(c) = &ev.body else {
        panic!()
    };
    assert_eq!((s(&c.name), s(&c.note)), ("late", ""));
    assert!(
        tr.observe(&a, 9_000_000_000).records.is_empty(),
        "complete: no more tries"
    );

    // A process moving from the container to the host is its last one leaving.
    let moved = tr.observe_pid(10, "/", 9_000_000_001);
    assert_eq!(moved.index, 0);
    let [ev] = &moved.records[..] else {
        panic!("{moved:?}")
    };
    let Body::Container(c) = &ev.body else {
        panic!()
    };
    assert_eq!(c.exit_ts, 9_000_000_001);
}

/// A container's binds and volumes come from its OCI spec's mounts, as `docker inspect` lists
/// them (source, destination, mode, read-write, propagation); the runtime's own file systems
/// and the per-container files the engine bind-mounts (their source names the id) do not.
#[test]
fn mounts_are_the_binds_the_container_was_given() {
    let t = TempDir::new("mounts");
    let r = t.roots();
    let bundle = t.path().join("bundle");
    write(
        &bundle.join("config.json"),
        &format!(
            r#"{{"ociVersion":"1.0.2-dev","process":{{"args":["/bin/sh"]}},
               "mounts":[
                 {{"destination":"/proc","type":"proc","source":"proc","options":["nosuid"]}},
                 {{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid"]}},
                 {{"destination":"/etc/hosts","type":"bind",
                   "source":"/var/lib/containers/storage/overlay-containers/{ID}/userdata/hosts",
                   "options":["bind","rprivate"]}},
                 {{"destination":"/data","type":"bind","source":"/srv/data",
                   "options":["ro","rbind","rprivate"]}},
                 {{"destination":"/var/run/docker.sock","source":"/var/run/docker.sock",
                   "options":["rbind","rshared","z"]}}],
               "linux":{{"cgroupsPath":"/x"}}}}"#
        ),
    );
    runc_state(&r.runc[0], &bundle, 4242, &[]);
    let c = Resolver::new(r).resolve(&cref(Runtime::Runc), &format!("/{ID}"));
    let mounts: Vec<Vec<String>> = c
        .mount_list()
        .map(|m| m.iter().map(|p| s(p).to_owned()).collect())
        .collect();
    assert_eq!(
        mounts,
        [
            ["/srv/data", "/data", "ro", "false", "rprivate"],
            [
                "/var/run/docker.sock",
                "/var/run/docker.sock",
                "z",
                "true",
                "rshared"
            ],
        ]
    );
}
