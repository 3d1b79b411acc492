//! The runtimes' state files as serde reads them: runc's and crun's state, OCI specs,
//! docker's config.v2.json, cri-o's API answer, podman's containers.json and libpod records.
//! Only the fields casefile uses; unknown fields are ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

/// runc's `state.json`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RuncState {
    pub(super) init_process_pid: u32,
    pub(super) created: String,
    pub(super) config: RuncConfig,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RuncConfig {
    /// The spec's annotations as `k=v`, plus `bundle=<path>`.
    pub(super) labels: Vec<String>,
}

/// crun's `status`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CrunStatus {
    pub(super) pid: u32,
    pub(super) bundle: String,
    pub(super) created: String,
}

/// An OCI runtime spec (`config.json`).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Spec {
    pub(super) annotations: BTreeMap<String, String>,
    pub(super) process: Option<SpecProcess>,
    pub(super) linux: Option<SpecLinux>,
    pub(super) mounts: Vec<SpecMount>,
}

/// One entry of the OCI spec's `mounts`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SpecMount {
    pub(super) destination: String,
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) source: String,
    pub(super) options: Vec<String>,
}

/// One mount as Falco's `container.mount.*` fields show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct MountInfo {
    pub(super) source: String,
    pub(super) dest: String,
    pub(super) mode: String,
    pub(super) rw: bool,
    pub(super) propagation: String,
}

/// The mounts a container was given, from its OCI spec: binds and volumes (what `docker
/// inspect` lists as Mounts), not the runtime's own file systems (proc, sysfs, tmpfs, devpts,
/// mqueue, cgroup) nor the files the engine keeps per container (hosts, resolv.conf,
/// hostname, .containerenv, shm: their source path names the container's id).
pub(super) fn spec_mounts(id: &str, mounts: &[SpecMount]) -> Vec<MountInfo> {
    const PROPAGATION: [&str; 6] = [
        "rprivate", "private", "rshared", "shared", "rslave", "slave",
    ];
    mounts
        .iter()
        .filter(|m| {
            let bind = m.kind == "bind" || m.options.iter().any(|o| o == "bind" || o == "rbind");
            bind && m.source.starts_with('/') && !(id.len() >= 12 && m.source.contains(id))
        })
        .map(|m| {
            let has = |o: &str| m.options.iter().any(|x| x == o);
            MountInfo {
                source: m.source.clone(),
                dest: m.destination.clone(),
                // Docker's Mode is the option string the user gave: "ro", "z", "Z"; "" otherwise.
                mode: ["ro", "z", "Z"]
                    .iter()
                    .filter(|o| has(o))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(","),
                rw: !has("ro"),
                propagation: m
                    .options
                    .iter()
                    .find(|o| PROPAGATION.contains(&o.as_str()))
                    .cloned()
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SpecProcess {
    pub(super) capabilities: Option<SpecCaps>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SpecCaps {
    pub(super) bounding: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct SpecLinux {
    pub(super) masked_paths: Vec<String>,
}

/// Docker's `config.v2.json`.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
pub(super) struct DockerConfig {
    pub(super) name: String,
    pub(super) image: String,
    pub(super) created: String,
    pub(super) config: DockerInner,
    pub(super) state: DockerState,
    /// Only in API replies; on disk it is hostconfig.json.
    pub(super) host_config: Option<DockerHostConfig>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
pub(super) struct DockerInner {
    pub(super) image: String,
    pub(super) labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
pub(super) struct DockerState {
    pub(super) pid: u32,
    pub(super) started_at: String,
}

/// cri-o's `GET /containers/<id>` reply.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CrioInfo {
    pub(super) name: String,
    pub(super) pid: u32,
    pub(super) image: String,
    pub(super) image_ref: String,
    pub(super) created_time: i64,
    pub(super) labels: BTreeMap<String, String>,
}

/// Docker's `hostconfig.json`.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
pub(super) struct DockerHostConfig {
    pub(super) privileged: bool,
}

/// One entry of containers/storage's `containers.json` or `images.json`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct StorageEntry {
    pub(super) id: String,
    pub(super) names: Vec<String>,
    pub(super) image: String,
    /// A JSON object in a string; podman and cri-o keep `name`, `image-name`, `image-id` here.
    pub(super) metadata: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct StorageMetadata {
    pub(super) name: String,
    #[serde(rename = "image-name")]
    pub(super) image_name: String,
    #[serde(rename = "image-id")]
    pub(super) image_id: String,
    #[serde(rename = "pod-name")]
    pub(super) pod_name: String,
}

/// podman's container config in its database (the fields used).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct LibpodConfig {
    pub(super) name: String,
    #[serde(rename = "rootfsImageName")]
    pub(super) rootfs_image_name: String,
    #[serde(rename = "RawImageName")]
    pub(super) raw_image_name: String,
    #[serde(rename = "rootfsImageID")]
    pub(super) rootfs_image_id: String,
    pub(super) privileged: bool,
    pub(super) labels: Option<BTreeMap<String, String>>,
}

/// podman's container state in its database.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct LibpodState {
    #[serde(rename = "startedTime")]
    pub(super) started_time: String,
    pub(super) pid: u32,
}
