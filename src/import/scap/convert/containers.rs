//! Containers: indices from cgroups, runtime metadata from container events and JSON.

use std::borrow::Cow;

use capture_format::schema::{Body, Container, Event};

use super::super::event::RawEvent;
use super::{Converter, own};

impl Converter {
    pub(super) fn container_index(&mut self, short_id: &[u8]) -> u32 {
        if let Some(&i) = self.containers.get(short_id) {
            return i;
        }
        let i = self.containers.len() as u32 + 1;
        self.containers.insert(short_id.to_vec(), i);
        i
    }

    pub(super) fn container_of_cgroups(&mut self, cgroups: &[u8]) -> u32 {
        match container_id_of_cgroups(cgroups) {
            Some(id) => self.container_index(&id),
            None => 0,
        }
    }

    pub(super) fn container_of_param(&mut self, e: &RawEvent<'_>, i: usize) -> u32 {
        match e.param(i).as_bytes() {
            Some(id) if !id.is_empty() && id != b"host" => {
                let short = &id[..id.len().min(12)];
                self.container_index(short)
            }
            _ => 0,
        }
    }

    pub(super) fn container_event(&mut self, e: &RawEvent<'_>) {
        let c = match e.info().params.first().map(|p| p.name) {
            // The oldest form: id, type, name, image.
            Some("id") => Container {
                id: own(e.param(0).as_bytes().unwrap_or_default()),
                runtime: Cow::Owned(runtime_name(e.param(1).as_i64().unwrap_or(-1)).into()),
                name: own(e.param(2).as_bytes().unwrap_or_default()),
                image: own(e.param(3).as_bytes().unwrap_or_default()),
                ..Container::default()
            },
            Some("json") => match container_from_json(e.param(0).as_bytes().unwrap_or_default()) {
                Some(c) => c,
                None => return self.skip("container (bad json)".into()),
            },
            _ => {
                // asyncevent: plugin_id, name, data (the JSON, NUL-terminated).
                let data = e.param(2).as_bytes().unwrap_or_default();
                let data = &data[..data.iter().position(|&b| b == 0).unwrap_or(data.len())];
                match container_from_json(data) {
                    Some(c) => c,
                    None => return self.skip("asyncevent container (bad json)".into()),
                }
            }
        };
        if c.id.is_empty() || &*c.id == b"host" {
            return self.skip("container host".into());
        }
        let short = c.id[..c.id.len().min(12)].to_vec();
        let index = self.container_index(&short);
        let (tid, pid, _) = self.header(e);
        self.container_records.insert(index, c.clone());
        self.emit(Event {
            ts: e.ts,
            tid,
            pid,
            cpu: e.cpu,
            container: index,
            body: Body::Container(c),
        });
    }
}

/// The first cgroup path of a `subsystem=path\0...` list.
pub(super) fn first_cgroup(cgroups: &[u8]) -> Vec<u8> {
    cgroups
        .split(|&b| b == 0)
        .find(|e| !e.is_empty())
        .map(|e| match e.iter().position(|&b| b == b'=') {
            Some(i) => e[i + 1..].to_vec(),
            None => e.to_vec(),
        })
        .unwrap_or_default()
}

/// The short (12 hex digit) container id in a cgroup list, if any path names a container: a run
/// of 64 hex digits (docker, containerd, cri-o, podman, systemd scopes).
pub fn container_id_of_cgroups(cgroups: &[u8]) -> Option<Vec<u8>> {
    for entry in cgroups.split(|&b| b == 0) {
        let mut run = 0;
        for (i, &b) in entry.iter().enumerate() {
            if b.is_ascii_hexdigit() && !b.is_ascii_uppercase() {
                run += 1;
                let ends = entry.get(i + 1).is_none_or(|n| !n.is_ascii_hexdigit());
                if run == 64 && ends {
                    let start = i + 1 - 64;
                    return Some(entry[start..start + 12].to_vec());
                }
            } else {
                run = 0;
            }
        }
    }
    None
}

/// libs container types (`ppm_container_type` / `sinsp_container_type`) → runtime names.
pub(super) fn runtime_name(t: i64) -> &'static str {
    match t {
        0 => "docker",
        1 => "lxc",
        2 => "libvirt-lxc",
        3 => "mesos",
        4 => "rkt",
        5 => "custom",
        6 => "cri",
        7 => "containerd",
        8 => "cri-o",
        9 => "bpm",
        10 => "static",
        11 => "podman",
        _ => "",
    }
}

/// A `Container` from sysdig's container JSON (`{"container": {...}}`).
pub fn container_from_json(json: &[u8]) -> Option<Container<'static>> {
    let v: serde_json::Value = serde_json::from_slice(json).ok()?;
    let c = v.get("container")?;
    let s = |k: &str| -> Cow<'static, [u8]> {
        Cow::Owned(
            c.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
        )
    };
    let runtime = match c.get("type") {
        Some(serde_json::Value::Number(n)) => runtime_name(n.as_i64().unwrap_or(-1)).to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let mut labels = Vec::new();
    if let Some(obj) = c.get("labels").and_then(|l| l.as_object()) {
        for (k, v) in obj {
            labels.extend_from_slice(k.as_bytes());
            labels.push(b'=');
            match v.as_str() {
                Some(s) => labels.extend_from_slice(s.as_bytes()),
                None => labels.extend_from_slice(v.to_string().as_bytes()),
            }
            labels.push(0);
        }
    }
    let id = {
        let full = s("full_id");
        if full.is_empty() { s("id") } else { full }
    };
    let mut out = Container {
        id,
        name: s("name"),
        image: s("image"),
        image_id: s("imageid"),
        runtime: Cow::Owned(runtime.into_bytes()),
        labels: Cow::Owned(labels),
        cgroup: Cow::Borrowed(b""),
        note: Cow::Borrowed(b""),
        start_ts: c
            .get("created_time")
            .and_then(serde_json::Value::as_i64)
            .map_or(0, |t| (t as u64).saturating_mul(1_000_000_000)),
        exit_ts: 0,
        init_pid: 0,
        privileged: c
            .get("privileged")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false),
        mounts: Cow::Borrowed(b""),
    };
    // sysdig's container JSON: "Mounts": [{"Source", "Destination", "Mode", "RW",
    // "Propagation"}].
    for m in c
        .get("Mounts")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
    {
        let s = |k: &str| {
            m.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .as_bytes()
        };
        let rw = m
            .get("RW")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        out.push_mount(
            s("Source"),
            s("Destination"),
            s("Mode"),
            rw,
            s("Propagation"),
        );
    }
    Some(out)
}
