//! Accumulation: what the sources found so far about one container ([`Meta`], the first
//! source to give a field wins), the fillers that read OCI annotations and docker's config
//! into it, and [`finish`], which turns it into the container record with a note naming what
//! is missing.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use capture_format::schema::Container;

use crate::containers::cgroup::{ContainerRef, Runtime};
use crate::containers::state_files::{DockerConfig, MountInfo};
use crate::timefmt::parse_rfc3339;

/// Longest label value kept (Kubernetes annotations such as last-applied-configuration can be
/// very long).
const MAX_LABEL_VALUE: usize = 4096;

/// What the sources found so far; the first source to give a field wins.
#[derive(Default)]
pub(super) struct Meta {
    pub(super) name: Option<String>,
    pub(super) image: Option<String>,
    pub(super) image_id: Option<String>,
    pub(super) runtime: Option<Runtime>,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) start_ts: Option<u64>,
    pub(super) init_pid: Option<u32>,
    pub(super) privileged: Option<bool>,
    pub(super) bundle: Option<PathBuf>,
    pub(super) annotations: Option<BTreeMap<String, String>>,
    pub(super) spec_privileged: Option<bool>,
    pub(super) mounts: Option<Vec<MountInfo>>,
    /// The labels' source was there to read but failed.
    pub(super) labels_missing: bool,
    pub(super) notes: Vec<String>,
}

pub(super) fn fill<T>(slot: &mut Option<T>, v: Option<T>) {
    if slot.is_none() {
        *slot = v;
    }
}

pub(super) fn nonempty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

pub(super) fn strip_digest(s: &str) -> Option<String> {
    nonempty(s.strip_prefix("sha256:").unwrap_or(s))
}

pub(super) fn nonzero(v: u32) -> Option<u32> {
    (v != 0).then_some(v)
}

/// Name, image and the Kubernetes labels from OCI annotations: containerd's CRI plugin
/// (`io.kubernetes.cri.*`), cri-o (`io.kubernetes.cri-o.*` and the kubelet's labels) and
/// podman's privileged flag.
pub(super) fn apply_annotations(a: &BTreeMap<String, String>, m: &mut Meta) {
    let get = |k: &str| a.get(k).and_then(|v| nonempty(v));
    // containerd (CRI plugin).
    if let Some(kind) = get("io.kubernetes.cri.container-type") {
        let sandbox = kind == "sandbox";
        let cname = if sandbox {
            Some("POD".to_string())
        } else {
            get("io.kubernetes.cri.container-name")
        };
        for (label, v) in [
            (
                "io.kubernetes.pod.name",
                get("io.kubernetes.cri.sandbox-name"),
            ),
            (
                "io.kubernetes.pod.namespace",
                get("io.kubernetes.cri.sandbox-namespace"),
            ),
            (
                "io.kubernetes.pod.uid",
                get("io.kubernetes.cri.sandbox-uid"),
            ),
            ("io.kubernetes.container.name", cname.clone()),
        ] {
            if let Some(v) = v {
                m.labels.entry(label.into()).or_insert(v);
            }
        }
        if sandbox {
            fill(&mut m.name, get("io.kubernetes.cri.sandbox-name"));
        }
        fill(&mut m.name, cname);
        fill(&mut m.image, get("io.kubernetes.cri.image-name"));
        fill(&mut m.runtime, Some(Runtime::Containerd));
    }
    // cri-o: the kubelet's labels as one JSON annotation, and some of them directly.
    if let Some(labels) = get("io.kubernetes.cri-o.Labels")
        && let Ok(map) = serde_json::from_str::<BTreeMap<String, String>>(&labels)
    {
        for (k, v) in map {
            add_label(&mut m.labels, &k, &v);
        }
    }
    for k in [
        "io.kubernetes.pod.name",
        "io.kubernetes.pod.namespace",
        "io.kubernetes.pod.uid",
        "io.kubernetes.container.name",
    ] {
        if let Some(v) = get(k) {
            m.labels.entry(k.into()).or_insert(v);
        }
    }
    if get("io.kubernetes.cri-o.ContainerType").is_some() {
        fill(&mut m.runtime, Some(Runtime::CriO));
        fill(
            &mut m.name,
            m.labels.get("io.kubernetes.container.name").cloned(),
        );
        fill(&mut m.name, get("io.kubernetes.cri-o.Name"));
        fill(&mut m.image, get("io.kubernetes.cri-o.ImageName"));
        fill(
            &mut m.image_id,
            get("io.kubernetes.cri-o.ImageRef").and_then(|v| strip_digest(&v)),
        );
    }
    // podman.
    if let Some(p) = get("io.podman.annotations.privileged") {
        fill(&mut m.privileged, Some(p.eq_ignore_ascii_case("true")));
    }
    // OCI image-spec annotations, for bundles made by other tools.
    fill(&mut m.image, get("org.opencontainers.image.ref.name"));
}

/// Docker's config.v2.json, or the docker-compatible API reply (docker, podman).
pub(super) fn apply_docker(c: DockerConfig, m: &mut Meta) {
    fill(&mut m.name, nonempty(c.name.trim_start_matches('/')));
    fill(&mut m.image, nonempty(&c.config.image));
    fill(&mut m.image_id, strip_digest(&c.image));
    fill(&mut m.start_ts, parse_rfc3339(&c.state.started_at));
    fill(&mut m.start_ts, parse_rfc3339(&c.created));
    fill(&mut m.init_pid, nonzero(c.state.pid));
    fill(&mut m.privileged, c.host_config.map(|h| h.privileged));
    for (k, v) in c.config.labels.unwrap_or_default() {
        add_label(&mut m.labels, &k, &v);
    }
}

pub(super) fn add_label(labels: &mut BTreeMap<String, String>, k: &str, v: &str) {
    // `k=v\0` entries: a key cannot hold `=` or NUL, a value cannot hold NUL.
    if k.is_empty() || k.contains(['=', '\0']) {
        return;
    }
    let mut v = v.replace('\0', "");
    if v.len() > MAX_LABEL_VALUE {
        let mut cut = MAX_LABEL_VALUE;
        while !v.is_char_boundary(cut) {
            cut -= 1;
        }
        v.truncate(cut);
    }
    labels.entry(k.to_string()).or_insert(v);
}

pub(super) fn finish(
    r: &ContainerRef,
    runtime: Runtime,
    cgroup: &str,
    m: Meta,
) -> Container<'static> {
    let mut missing = Vec::new();
    for (field, absent) in [
        ("name", m.name.is_none()),
        ("image", m.image.is_none()),
        ("start time", m.start_ts.is_none()),
        ("init pid", m.init_pid.is_none()),
        ("labels", m.labels_missing),
    ] {
        if absent {
            missing.push(field);
        }
    }
    let mut note = String::new();
    if !missing.is_empty() {
        let _ = write!(note, "no {}", missing.join(", "));
        if m.notes.is_empty() {
            let _ = write!(note, ": not in {runtime}'s state");
        } else {
            let _ = write!(note, ": {}", m.notes.join("; "));
        }
    }
    let mut labels = Vec::new();
    for (k, v) in &m.labels {
        labels.extend_from_slice(k.as_bytes());
        labels.push(b'=');
        labels.extend_from_slice(v.as_bytes());
        labels.push(0);
    }
    let b = |s: Option<String>| s.unwrap_or_default().into_bytes().into();
    let mut c = Container {
        id: r.id.clone().into_bytes().into(),
        name: b(m.name),
        image: b(m.image),
        image_id: b(m.image_id),
        runtime: runtime.as_str().as_bytes().to_vec().into(),
        labels: labels.into(),
        cgroup: cgroup.as_bytes().to_vec().into(),
        note: note.into_bytes().into(),
        start_ts: m.start_ts.unwrap_or(0),
        exit_ts: 0,
        init_pid: m.init_pid.unwrap_or(0),
        privileged: m.privileged.unwrap_or(false),
        mounts: Vec::new().into(),
    };
    for mi in m.mounts.unwrap_or_default() {
        c.push_mount(
            mi.source.as_bytes(),
            mi.dest.as_bytes(),
            mi.mode.as_bytes(),
            mi.rw,
            mi.propagation.as_bytes(),
        );
    }
    c
}
