//! Container metadata from the runtimes' own state on disk.
//!
//! Sources, by runtime (all paths are [`Roots`] fields, so tests can point them elsewhere):
//!
//! ```text
//! every runtime  OCI runtime state   <runc root>/<id>/state.json: init pid, creation time,
//!                                    bundle (the `bundle=` label) and the spec's annotations;
//!                                    runc roots /run/runc (podman, cri-o, runc),
//!                                    /run/docker/runtime-runc/moby, /run/containerd/runc/<ns>;
//!                                    crun: /run/crun/<id>/status
//!                OCI bundle          <bundle>/config.json: annotations, capabilities,
//!                                    masked paths (privileged)
//! docker         /var/lib/docker/containers/<id>/config.v2.json: name, image, image id,
//!                                    labels, start time, pid; hostconfig.json: privileged
//! podman         /var/lib/containers/storage/libpod/bolt_state.db: name, image, image id,
//!                                    labels, privileged, start time, pid
//! podman, cri-o  /var/lib/containers/storage/overlay-containers/containers.json: name, image
//!                                    id and (in `metadata`) image name; overlay-images/
//!                                    images.json: image name by id; overlay-containers/<id>/
//!                                    userdata/config.json (graph root) or the same under
//!                                    /run/containers/storage (run root): the bundle
//! containerd     /run/containerd/io.containerd.runtime.v2.task/<ns>/<id>/config.json and
//!                                    init.pid
//! CRI            annotations io.kubernetes.cri.* (containerd) and io.kubernetes.cri-o.*,
//!                                    io.kubernetes.{pod,container}.* (cri-o): name, image,
//!                                    image id, and the CRI labels io.kubernetes.pod.name,
//!                                    io.kubernetes.pod.namespace, io.kubernetes.pod.uid,
//!                                    io.kubernetes.container.name
//! systemd-nspawn /run/systemd/machines/<name>: LEADER (init pid), TIMESTAMP, ROOT
//! sockets        when the files do not answer: docker's and podman's docker-compatible API
//!                                    (/run/docker.sock, /run/podman/podman.sock) and
//!                                    cri-o's inspect endpoint (/run/crio/crio.sock); see
//!                                    [`super::socket`]
//! ```
//!
//! Podman keeps its labels only in its own database: `libpod/bolt_state.db` under the graph
//! root, read with [`super::bolt`] (podman 5's SQLite database is not read; such containers
//! get their other fields from containers.json and a note that labels are missing). Anything
//! unreadable or malformed leaves the field empty and says why in `note`; nothing here panics.

mod meta;

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use capture_format::schema::Container;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::bolt::Bolt;
use super::cgroup::{ContainerRef, Runtime};
use super::socket;
use super::state_files::{
    CrioInfo, CrunStatus, DockerConfig, DockerHostConfig, LibpodConfig, LibpodState, RuncState,
    Spec, StorageEntry, StorageMetadata, spec_mounts,
};
use crate::timefmt::parse_rfc3339;

use self::meta::{
    Meta, add_label, apply_annotations, apply_docker, fill, finish, nonempty, nonzero, strip_digest,
};

/// Largest state file read (a docker config.v2.json with many labels is a few hundred KiB;
/// containers.json grows with the number of containers).
const MAX_STATE_FILE: u64 = 64 << 20;

/// Where the runtimes keep their state. [`Roots::default`] gives the standard locations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roots {
    /// Docker's data root (`containers/<id>/config.v2.json`).
    pub docker: PathBuf,
    /// containers/storage graph root (podman, cri-o).
    pub storage: PathBuf,
    /// containers/storage run root.
    pub storage_run: PathBuf,
    /// containerd's v2 task directory (`<namespace>/<id>/config.json`).
    pub containerd_tasks: PathBuf,
    /// runc roots holding `<id>/state.json`.
    pub runc: Vec<PathBuf>,
    /// runc roots holding `<namespace>/<id>/state.json` (containerd's).
    pub runc_namespaced: Vec<PathBuf>,
    /// crun's state root (`<id>/status`).
    pub crun: PathBuf,
    /// systemd-machined's machine files.
    pub machines: PathBuf,
    /// Docker's API socket, asked when its files are not readable.
    pub docker_socket: PathBuf,
    /// Podman's API socket (`podman system service`), asked when its database is not.
    pub podman_socket: PathBuf,
    /// cri-o's socket, asked when its files do not name the container.
    pub crio_socket: PathBuf,
}

impl Default for Roots {
    fn default() -> Self {
        Roots {
            docker: "/var/lib/docker".into(),
            storage: "/var/lib/containers/storage".into(),
            storage_run: "/run/containers/storage".into(),
            containerd_tasks: "/run/containerd/io.containerd.runtime.v2.task".into(),
            runc: vec!["/run/runc".into(), "/run/docker/runtime-runc/moby".into()],
            runc_namespaced: vec!["/run/containerd/runc".into()],
            crun: "/run/crun".into(),
            machines: "/run/systemd/machines".into(),
            docker_socket: "/run/docker.sock".into(),
            podman_socket: "/run/podman/podman.sock".into(),
            crio_socket: "/run/crio/crio.sock".into(),
        }
    }
}

impl Roots {
    /// The standard locations, moved where the host's configuration under `etc` (normally
    /// `/etc`) says: docker's `data-root` in `docker/daemon.json`, and `graphroot` /
    /// `runroot` in `containers/storage.conf`. Unreadable or malformed files leave the
    /// defaults.
    pub fn from_etc(etc: &Path) -> Roots {
        let mut r = Roots::default();
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Daemon {
            #[serde(rename = "data-root")]
            data_root: String,
            /// The name before docker 17.05.
            graph: String,
        }
        if let Ok(d) = load_json::<Daemon>(&etc.join("docker/daemon.json"))
            && let Some(p) = nonempty(&d.data_root).or_else(|| nonempty(&d.graph))
        {
            r.docker = p.into();
        }
        if let Ok(b) = read_file(&etc.join("containers/storage.conf")) {
            let text = String::from_utf8_lossy(&b);
            let mut section = "";
            for line in text.lines() {
                let line = line.split('#').next().unwrap_or_default().trim();
                if line.starts_with('[') {
                    section = line;
                    continue;
                }
                let Some((k, v)) = line.split_once('=') else {
                    continue;
                };
                let v = v.trim().trim_matches('"');
                if section != "[storage]" || v.is_empty() {
                    continue;
                }
                match k.trim() {
                    "graphroot" => r.storage = v.into(),
                    "runroot" => r.storage_run = v.into(),
                    _ => {}
                }
            }
        }
        r
    }
}

/// Why one source gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The file is larger than any state file should be.
    #[error("{path}: {len} bytes, more than the {max} read")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its length.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// The file is not the JSON expected.
    #[error("{path}: malformed at line {line} column {column}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
        /// The error.
        source: serde_json::Error,
    },
    /// The file does not mention the container.
    #[error("{path}: no entry for the container")]
    NoEntry {
        /// The file.
        path: PathBuf,
    },
}

impl StateError {
    fn is_not_found(&self) -> bool {
        matches!(self, StateError::Read { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, StateError> {
    let read_err = |source| StateError::Read {
        path: path.to_path_buf(),
        source,
    };
    let md = fs::metadata(path).map_err(read_err)?;
    if md.len() > MAX_STATE_FILE {
        return Err(StateError::TooLarge {
            path: path.to_path_buf(),
            len: md.len(),
            max: MAX_STATE_FILE,
        });
    }
    fs::read(path).map_err(read_err)
}

fn load_json<T: DeserializeOwned>(path: &Path) -> Result<T, StateError> {
    let bytes = read_file(path)?;
    serde_json::from_slice(&bytes).map_err(|source| StateError::Json {
        path: path.to_path_buf(),
        line: source.line(),
        column: source.column(),
        source,
    })
}

/// Resolves container metadata from the state under its [`Roots`].
#[derive(Clone, Debug, Default)]
pub struct Resolver {
    roots: Roots,
}

impl Resolver {
    /// A resolver reading state under `roots`.
    pub fn new(roots: Roots) -> Resolver {
        Resolver { roots }
    }

    /// The container record for a container found in `cgroup`: whatever the runtime's state
    /// gives, with `note` saying which fields are missing and why. Never fails.
    pub fn resolve(&self, r: &ContainerRef, cgroup: &str) -> Container<'static> {
        let mut m = Meta::default();
        if r.id.is_empty() || r.id.contains(['/', '\0']) || r.id == "." || r.id == ".." {
            // Ids name files under the roots: never let one leave them.
            m.notes
                .push(format!("id {:?} cannot name a state file", r.id));
            return finish(r, r.runtime, cgroup, m);
        }
        self.runtime_state(&r.id, &mut m);
        match r.runtime {
            Runtime::Docker => self.docker(&r.id, &mut m, true),
            Runtime::Podman => {
                self.libpod(&r.id, &mut m);
                self.storage(&r.id, &mut m, Some(r.runtime));
            }
            Runtime::CriO => self.storage(&r.id, &mut m, Some(r.runtime)),
            Runtime::Containerd => self.containerd(&r.id, &mut m, true),
            Runtime::Nspawn => self.machine(&r.id, &mut m),
            Runtime::Runc => {
                // A bare id under an unknown parent: whichever engine knows it.
                self.docker(&r.id, &mut m, false);
                if m.runtime.is_none() {
                    self.storage(&r.id, &mut m, None);
                    if m.runtime == Some(Runtime::Podman) {
                        self.libpod(&r.id, &mut m);
                    }
                }
                if m.runtime.is_none() {
                    self.containerd(&r.id, &mut m, false);
                }
            }
        }
        self.spec(&r.id, &mut m);
        if let Some(a) = m.annotations.take() {
            apply_annotations(&a, &mut m);
        }
        if let Some(uid) = &r.pod_uid {
            m.labels
                .entry("io.kubernetes.pod.uid".into())
                .or_insert_with(|| uid.clone());
        }
        if r.runtime == Runtime::CriO && (m.name.is_none() || m.image.is_none()) {
            self.crio_api(&r.id, &mut m);
        }
        fill(&mut m.privileged, m.spec_privileged);
        let runtime = m.runtime.unwrap_or(r.runtime);
        if runtime == Runtime::Runc {
            // runc has no names: the id is the one the user chose.
            fill(&mut m.name, Some(r.id.clone()));
        }
        finish(r, runtime, cgroup, m)
    }

    /// The OCI runtime's state: runc's state.json or crun's status.
    fn runtime_state(&self, id: &str, m: &mut Meta) {
        let mut paths: Vec<PathBuf> = self.roots.runc.iter().map(|r| r.join(id)).collect();
        for root in &self.roots.runc_namespaced {
            if let Ok(rd) = fs::read_dir(root) {
                paths.extend(rd.flatten().map(|e| e.path().join(id)));
            }
        }
        for dir in paths {
            let path = dir.join("state.json");
            match load_json::<RuncState>(&path) {
                Ok(s) => {
                    fill(&mut m.init_pid, nonzero(s.init_process_pid));
                    fill(&mut m.start_ts, parse_rfc3339(&s.created));
                    let mut ann = BTreeMap::new();
                    for l in &s.config.labels {
                        if let Some((k, v)) = l.split_once('=') {
                            if k == "bundle" {
                                fill(&mut m.bundle, nonempty(v).map(PathBuf::from));
                            } else {
                                ann.insert(k.to_string(), v.to_string());
                            }
                        }
                    }
                    // The bundle's config.json, read later, has the same annotations; these
                    // stand in when the bundle is gone.
                    fill(&mut m.annotations, Some(ann));
                    return;
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => m.notes.push(format!("runc: {e}")),
            }
        }
        let path = self.roots.crun.join(id).join("status");
        match load_json::<CrunStatus>(&path) {
            Ok(s) => {
                fill(&mut m.init_pid, nonzero(s.pid));
                fill(&mut m.start_ts, parse_rfc3339(&s.created));
                fill(&mut m.bundle, nonempty(&s.bundle).map(PathBuf::from));
            }
            Err(e) if e.is_not_found() => {
                m.notes.push(format!(
                    "no OCI runtime state (runc state.json, crun status) for {id}"
                ));
            }
            Err(e) => m.notes.push(format!("crun: {e}")),
        }
    }

    /// The OCI bundle's config.json: from the runtime state's bundle, else where the engines
    /// keep it.
    fn spec(&self, id: &str, m: &mut Meta) {
        let mut candidates = Vec::new();
        if let Some(b) = &m.bundle {
            candidates.push(b.join("config.json"));
        }
        for root in [&self.roots.storage, &self.roots.storage_run] {
            for driver in ["overlay", "vfs"] {
                candidates.push(
                    root.join(format!("{driver}-containers"))
                        .join(id)
                        .join("userdata/config.json"),
                );
            }
        }
        if let Ok(rd) = fs::read_dir(&self.roots.containerd_tasks) {
            candidates.extend(rd.flatten().map(|e| e.path().join(id).join("config.json")));
        }
        for path in candidates {
            match load_json::<Spec>(&path) {
                Ok(spec) => {
                    let caps = spec
                        .process
                        .and_then(|p| p.capabilities)
                        .unwrap_or_default();
                    let masked = spec.linux.map(|l| l.masked_paths).unwrap_or_default();
                    // Privileged containers (docker, podman, CRI) get every capability and no
                    // masked paths.
                    m.spec_privileged = Some(
                        caps.bounding.iter().any(|c| c == "CAP_SYS_ADMIN") && masked.is_empty(),
                    );
                    m.annotations = Some(spec.annotations);
                    fill(&mut m.mounts, Some(spec_mounts(id, &spec.mounts)));
                    return;
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => {
                    m.notes.push(format!("bundle: {e}"));
                    return;
                }
            }
        }
    }

    fn docker(&self, id: &str, m: &mut Meta, expected: bool) {
        let dir = self.roots.docker.join("containers").join(id);
        match load_json::<DockerConfig>(&dir.join("config.v2.json")) {
            Ok(c) => {
                m.runtime = Some(Runtime::Docker);
                apply_docker(c, m);
                match load_json::<DockerHostConfig>(&dir.join("hostconfig.json")) {
                    Ok(h) => fill(&mut m.privileged, Some(h.privileged)),
                    Err(e) => m.notes.push(format!("docker: {e}")),
                }
            }
            Err(e) if !expected => {
                if !e.is_not_found() {
                    m.notes.push(format!("docker: {e}"));
                }
            }
            Err(e) => {
                // The engine's API knows it when its data root is elsewhere.
                let target = format!("/containers/{id}/json");
                match api::<DockerConfig>(&self.roots.docker_socket, &target) {
                    Ok(c) => apply_docker(c, m),
                    Err(se) => {
                        m.notes.push(format!("docker: {e}"));
                        m.notes.push(format!("docker API: {se}"));
                    }
                }
            }
        }
    }

    /// cri-o's inspect endpoint on its socket.
    fn crio_api(&self, id: &str, m: &mut Meta) {
        match api::<CrioInfo>(&self.roots.crio_socket, &format!("/containers/{id}")) {
            Ok(c) => {
                fill(
                    &mut m.name,
                    c.labels.get("io.kubernetes.container.name").cloned(),
                );
                fill(&mut m.name, nonempty(&c.name));
                fill(&mut m.image, nonempty(&c.image));
                fill(&mut m.image_id, strip_digest(&c.image_ref));
                fill(&mut m.init_pid, nonzero(c.pid));
                fill(
                    &mut m.start_ts,
                    u64::try_from(c.created_time).ok().filter(|&t| t > 0),
                );
                for (k, v) in c.labels {
                    add_label(&mut m.labels, &k, &v);
                }
            }
            Err(e) => m.notes.push(format!("cri-o API: {e}")),
        }
    }

    /// podman's own database (`libpod/bolt_state.db`, buckets `ctr` / `<id>` / `config` and
    /// `state`): name, image, labels, privileged, start time and pid.
    fn libpod(&self, id: &str, m: &mut Meta) {
        let path = self.roots.storage.join("libpod/bolt_state.db");
        let bytes = match read_file(&path) {
            Ok(b) => b,
            Err(e) => {
                // podman 5 keeps a SQLite database instead; its API serves the same.
                let target = format!("/containers/{id}/json");
                match api::<DockerConfig>(&self.roots.podman_socket, &target) {
                    Ok(c) => apply_docker(c, m),
                    Err(se) => {
                        m.labels_missing = true;
                        m.notes.push(format!("podman: {e}"));
                        m.notes.push(format!("podman API: {se}"));
                    }
                }
                return;
            }
        };
        let value = |key: &str| -> Result<Option<&[u8]>, String> {
            let db = Bolt::open(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
            db.get(&[b"ctr", id.as_bytes(), key.as_bytes()])
                .map_err(|e| format!("{}: {e}", path.display()))
        };
        match value("config") {
            Ok(Some(v)) => match serde_json::from_slice::<LibpodConfig>(v) {
                Ok(c) => {
                    fill(&mut m.name, nonempty(&c.name));
                    fill(&mut m.image, nonempty(&c.rootfs_image_name));
                    fill(&mut m.image, nonempty(&c.raw_image_name));
                    fill(&mut m.image_id, strip_digest(&c.rootfs_image_id));
                    fill(&mut m.privileged, Some(c.privileged));
                    for (k, v) in c.labels.unwrap_or_default() {
                        add_label(&mut m.labels, &k, &v);
                    }
                }
                Err(e) => {
                    m.labels_missing = true;
                    m.notes
                        .push(format!("podman: {} ctr/{id}/config: {e}", path.display()));
                }
            },
            Ok(None) => {
                m.labels_missing = true;
                m.notes
                    .push(format!("podman: {}: no container {id}", path.display()));
            }
            Err(e) => {
                m.labels_missing = true;
                m.notes.push(format!("podman: {e}"));
            }
        }
        if let Ok(Some(v)) = value("state")
            && let Ok(st) = serde_json::from_slice::<LibpodState>(v)
        {
            fill(&mut m.start_ts, parse_rfc3339(&st.started_time));
            fill(&mut m.init_pid, nonzero(st.pid));
        }
    }

    /// containers/storage (podman, cri-o): names and images.
    fn storage(&self, id: &str, m: &mut Meta, hint: Option<Runtime>) {
        let expected = hint.is_some();
        let mut last_err = None;
        for driver in ["overlay", "vfs"] {
            let path = self
                .roots
                .storage
                .join(format!("{driver}-containers/containers.json"));
            let entries = match load_json::<Vec<StorageEntry>>(&path) {
                Ok(e) => e,
                Err(e) => {
                    if !e.is_not_found() || last_err.is_none() {
                        last_err = Some(e);
                    }
                    continue;
                }
            };
            let Some(c) = entries.into_iter().find(|c| c.id == id) else {
                last_err = Some(StateError::NoEntry { path });
                continue;
            };
            let meta: StorageMetadata = serde_json::from_str(&c.metadata).unwrap_or_default();
            // Both podman and cri-o use containers/storage; cri-o's entries name a pod.
            let crio = !meta.pod_name.is_empty() || meta.name.starts_with("k8s_");
            let runtime = if crio { Runtime::CriO } else { Runtime::Podman };
            let runtime = *m.runtime.get_or_insert(hint.unwrap_or(runtime));
            if runtime != Runtime::CriO {
                // cri-o's storage name is k8s_<container>_<pod>_...; the CRI annotations
                // give the Kubernetes name instead.
                fill(&mut m.name, nonempty(&meta.name));
                fill(&mut m.name, c.names.first().and_then(|n| nonempty(n)));
            }
            fill(&mut m.image, nonempty(&meta.image_name));
            fill(&mut m.image_id, strip_digest(&meta.image_id));
            fill(&mut m.image_id, strip_digest(&c.image));
            if m.image.is_none() && !c.image.is_empty() {
                let images = self
                    .roots
                    .storage
                    .join(format!("{driver}-images/images.json"));
                match load_json::<Vec<StorageEntry>>(&images) {
                    Ok(imgs) => {
                        let name = imgs
                            .iter()
                            .find(|i| i.id == c.image)
                            .and_then(|i| i.names.first());
                        fill(&mut m.image, name.and_then(|n| nonempty(n)));
                    }
                    Err(e) => m.notes.push(format!("storage: {e}")),
                }
            }
            return;
        }
        if let Some(e) = last_err
            && (expected || !e.is_not_found())
        {
            m.notes.push(format!("storage: {e}"));
        }
    }

    /// containerd's task directory: the init pid (the bundle is read by [`Self::spec`]).
    fn containerd(&self, id: &str, m: &mut Meta, expected: bool) {
        let Ok(rd) = fs::read_dir(&self.roots.containerd_tasks) else {
            if expected {
                m.notes.push(format!(
                    "containerd: {} not readable",
                    self.roots.containerd_tasks.display()
                ));
            }
            return;
        };
        for ns in rd.flatten() {
            let dir = ns.path().join(id);
            if !dir.is_dir() {
                continue;
            }
            m.runtime = Some(Runtime::Containerd);
            match fs::read_to_string(dir.join("init.pid")) {
                Ok(s) => fill(&mut m.init_pid, s.trim().parse().ok().and_then(nonzero)),
                Err(e) => m.notes.push(format!(
                    "containerd: {}: {e}",
                    dir.join("init.pid").display()
                )),
            }
            return;
        }
        if expected {
            m.notes.push(format!(
                "containerd: no task {id} under {}",
                self.roots.containerd_tasks.display()
            ));
        }
    }

    /// systemd-machined's `KEY=value` file for a machine.
    fn machine(&self, name: &str, m: &mut Meta) {
        let path = self.roots.machines.join(name);
        let text = match read_file(&path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                m.notes.push(format!("machined: {e}"));
                return;
            }
        };
        fill(&mut m.name, Some(name.to_string()));
        for line in text.lines() {
            match line.split_once('=') {
                Some(("LEADER", v)) => fill(&mut m.init_pid, v.parse().ok().and_then(nonzero)),
                Some(("TIMESTAMP", v)) => {
                    fill(
                        &mut m.start_ts,
                        v.parse::<u64>().ok().and_then(|us| us.checked_mul(1000)),
                    );
                }
                Some(("ROOT", v)) => fill(&mut m.image, nonempty(v)),
                _ => {}
            }
        }
    }
}

/// A JSON reply from a runtime's API socket.
fn api<T: DeserializeOwned>(socket: &Path, target: &str) -> Result<T, String> {
    let body = socket::get(socket, target).map_err(|e| {
        if e.is_absent() {
            format!("{}: no socket", socket.display())
        } else {
            e.to_string()
        }
    })?;
    serde_json::from_slice(&body)
        .map_err(|e| format!("{}: GET {target}: malformed reply: {e}", socket.display()))
}
