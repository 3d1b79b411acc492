//! Container ids from cgroup paths.
//!
//! Every runtime puts a container's processes in a cgroup whose path holds the container id.
//! The shapes recognised, innermost path component first (the same path appears in every
//! cgroup v1 hierarchy and in the v2 hierarchy; `/proc/PID/cgroup` lists them as
//! `N:controllers:/path` for v1 and `0::/path` for v2):
//!
//! ```text
//! /docker/<id>                                              docker, cgroupfs driver
//! /system.slice/docker-<id>.scope                           docker, systemd driver
//! /kubepods/<qos>/pod<uid>/<id>                             CRI (containerd), cgroupfs driver
//! /kubepods.slice/.../kubepods-<qos>-pod<uid>.slice/cri-containerd-<id>.scope
//!                                                           CRI (containerd), systemd driver
//! kubepods-<qos>-pod<uid>.slice:cri-containerd:<id>         the same, as runc's cgroupsPath
//! /kubepods/<qos>/pod<uid>/crio-<id>                        cri-o, cgroupfs manager
//! /kubepods.slice/.../crio-<id>.scope                       cri-o, systemd manager
//! /<namespace>/<id>                                         plain containerd (ctr), 64-hex ids only
//! /libpod_parent/libpod-<id>                                podman, cgroupfs manager
//! /machine.slice/libpod-<id>.scope[/container]              podman, systemd manager
//! /user.slice/.../user@1000.service/.../libpod-<id>.scope   rootless podman
//! /system.slice/<prefix>-<id>.scope                         other systemd scopes (nerdctl-...)
//! /machine.slice/machine-<name>.scope                       systemd-nspawn (machined)
//! /<id>                                                     runc with its default cgroupsPath
//! ```
//!
//! `<id>` is 64 lower- or upper-case hex digits except for nspawn machine names. The
//! monitors' own cgroups (`libpod-conmon-<id>`, `crio-conmon-<id>`) are not containers: the
//! process in them is conmon, on the host. The pod uid is taken from the path when it is there
//! (`pod<uid>` for cgroupfs, `-pod<uid_with_underscores>.slice` for systemd).

use std::fmt;

/// A container runtime, as far as the cgroup path (and later the state on disk) tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// Docker engine (moby).
    Docker,
    /// containerd, through CRI (Kubernetes) or directly (`ctr`, nerdctl).
    Containerd,
    /// CRI-O.
    CriO,
    /// Podman (libpod).
    Podman,
    /// A bare OCI runtime (runc) with no engine known above it.
    Runc,
    /// systemd-nspawn, registered with systemd-machined.
    Nspawn,
}

impl Runtime {
    /// The name written into the capture's `runtime` field and shown as `container.type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Containerd => "containerd",
            Runtime::CriO => "cri-o",
            Runtime::Podman => "podman",
            Runtime::Runc => "runc",
            Runtime::Nspawn => "systemd-nspawn",
        }
    }

    /// The runtime a systemd scope or cgroupsPath prefix names, if it names one.
    fn from_prefix(prefix: &str) -> Option<Runtime> {
        Some(match prefix {
            "docker" => Runtime::Docker,
            "cri-containerd" | "containerd" | "nerdctl" => Runtime::Containerd,
            "crio" => Runtime::CriO,
            "libpod" => Runtime::Podman,
            "runc" => Runtime::Runc,
            _ => return None,
        })
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A container found in a cgroup path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContainerRef {
    /// The container id as the runtime spells it (64 hex digits, or a machine name).
    pub id: String,
    /// The runtime the path's shape points to.
    pub runtime: Runtime,
    /// The Kubernetes pod uid when the path holds one.
    pub pod_uid: Option<String>,
}

/// Whether `s` is a full container id: 64 hex digits.
pub fn is_full_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The container a cgroup path belongs to, if any. `path` is the part after the second colon
/// of a `/proc/PID/cgroup` line, or a runc `cgroupsPath` (`slice:prefix:name` for systemd).
pub fn parse_cgroup(path: &str) -> Option<ContainerRef> {
    let path = path.trim();
    if let Some(r) = parse_systemd_cgroups_path(path) {
        return Some(r);
    }
    if !path.starts_with('/') {
        return None;
    }
    let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let pod_uid = pod_uid(&comps);
    for (depth, comp) in comps.iter().enumerate().rev() {
        if let Some(scope) = comp.strip_suffix(".scope") {
            if let Some((runtime, id)) = prefixed(scope) {
                return Some(found(id, runtime, pod_uid));
            }
            if let Some(name) = scope.strip_prefix("machine-") {
                let name = unescape_unit(name);
                let valid = !name.is_empty() && !name.contains('/') && !name.starts_with('.');
                if valid
                    && depth > 0
                    && comps[depth - 1] == "machine.slice"
                    && !name.starts_with("qemu-")
                {
                    return Some(found(&name, Runtime::Nspawn, None));
                }
            }
            continue;
        }
        if let Some((runtime, id)) = prefixed(comp) {
            // cgroupfs layouts: libpod-<id>, crio-<id>, docker-<id>.
            return Some(found(id, runtime, pod_uid));
        }
        if is_full_id(comp) {
            let parents = &comps[..depth];
            let runtime = if parents.contains(&"docker") {
                Runtime::Docker
            } else if parents.iter().any(|p| p.starts_with("kubepods")) {
                Runtime::Containerd
            } else if parents.is_empty() {
                Runtime::Runc
            } else if parents.len() == 1 && is_namespace(parents[0]) {
                // containerd's default: /<namespace>/<id>.
                Runtime::Containerd
            } else {
                // A bare id somewhere else (a custom cgroup parent): the state on disk decides.
                Runtime::Runc
            };
            return Some(found(comp, runtime, pod_uid));
        }
    }
    None
}

/// The container named by `/proc/PID/cgroup` text, and the path it was found in. The v2 line
/// (`0::/path`) is tried first, then each v1 line in order.
pub fn parse_proc_cgroup(text: &str) -> Option<(ContainerRef, &str)> {
    let paths = || {
        text.lines().filter_map(|l| {
            let mut it = l.splitn(3, ':');
            let (n, ctrls, path) = (it.next()?, it.next()?, it.next()?);
            Some((n == "0" && ctrls.is_empty(), path))
        })
    };
    paths()
        .filter(|(v2, _)| *v2)
        .chain(paths().filter(|(v2, _)| !v2))
        .find_map(|(_, p)| parse_cgroup(p).map(|r| (r, p)))
}

/// The cgroup path of `/proc/PID/cgroup` text that best describes the process: the first path
/// that names a container ([`parse_proc_cgroup`]'s), else the v2 path, else the first v1 path.
pub fn proc_cgroup(text: &str) -> Option<&str> {
    parse_proc_cgroup(text).map(|(_, p)| p).or_else(|| {
        text.lines()
            .find_map(|l| l.strip_prefix("0::"))
            .or_else(|| text.lines().next().and_then(|l| l.splitn(3, ':').nth(2)))
    })
}

fn found(id: &str, runtime: Runtime, pod_uid: Option<String>) -> ContainerRef {
    ContainerRef {
        id: id.to_string(),
        runtime,
        pod_uid,
    }
}

/// `<prefix>-<64 hex>` with a prefix that names a runtime (or any prefix, for scopes).
fn prefixed(name: &str) -> Option<(Runtime, &str)> {
    let (prefix, id) = name.rsplit_once('-')?;
    if !is_full_id(id) || prefix.ends_with("conmon") {
        return None;
    }
    Some((Runtime::from_prefix(prefix)?, id))
}

/// runc's systemd form of `cgroupsPath`: `slice:prefix:name`, e.g.
/// `kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>`.
fn parse_systemd_cgroups_path(path: &str) -> Option<ContainerRef> {
    let mut it = path.splitn(3, ':');
    let (slice, prefix, name) = (it.next()?, it.next()?, it.next()?);
    #[expect(
        clippy::case_sensitive_file_extension_comparisons,
        reason = "systemd unit suffixes are lower case"
    )]
    let is_slice = slice.ends_with(".slice");
    if !(slice.is_empty() || is_slice) || !is_full_id(name) {
        return None;
    }
    let runtime = Runtime::from_prefix(prefix)?;
    Some(found(name, runtime, pod_uid(&[slice])))
}

/// A Kubernetes pod uid from path components: `pod<uid>` (cgroupfs) or
/// `kubepods-<qos>-pod<uid>.slice` with `-` escaped as `_` (systemd).
fn pod_uid(comps: &[&str]) -> Option<String> {
    if !comps.iter().any(|c| c.starts_with("kubepods")) {
        return None;
    }
    comps.iter().rev().find_map(|c| {
        let c = c.strip_suffix(".slice").unwrap_or(c);
        // cgroupfs: the whole component; systemd: the slice name's last dash-separated part.
        let uid = match c.strip_prefix("pod") {
            Some(u) => u.to_string(),
            None => c.rsplit('-').next()?.strip_prefix("pod")?.replace('_', "-"),
        };
        let ok = (32..=36).contains(&uid.len())
            && uid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        ok.then_some(uid)
    })
}

/// containerd namespaces are DNS-label-like: `default`, `k8s.io`, `moby`, `buildkit`.
fn is_namespace(s: &str) -> bool {
    !s.is_empty()
        && !s.contains(".slice")
        && !s.contains(".service")
        && !s.contains(".scope")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

/// systemd unit-name unescaping of `\xNN`.
fn unescape_unit(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
            let hex = s
                .get(i + 2..i + 4)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "db3e6a1f0c2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6";
    const UID: &str = "5f5cbbd4-1c2a-4b43-9c5e-2e8d0a1b3c4d";
    const UID_SYSTEMD: &str = "5f5cbbd4_1c2a_4b43_9c5e_2e8d0a1b3c4d";

    #[expect(
        clippy::unnecessary_wraps,
        reason = "compared with parse_cgroup's result"
    )]
    fn r(runtime: Runtime, pod: bool) -> Option<ContainerRef> {
        Some(ContainerRef {
            id: ID.into(),
            runtime,
            pod_uid: pod.then(|| UID.to_string()),
        })
    }

    #[test]
    fn docker() {
        assert_eq!(
            parse_cgroup(&format!("/docker/{ID}")),
            r(Runtime::Docker, false)
        );
        assert_eq!(
            parse_cgroup(&format!("/system.slice/docker-{ID}.scope")),
            r(Runtime::Docker, false)
        );
        // Docker in docker: the innermost container is the one the process runs in.
        let outer = "0123456789abcdef".repeat(4);
        assert_eq!(
            parse_cgroup(&format!("/docker/{outer}/docker/{ID}")),
            r(Runtime::Docker, false)
        );
    }

    #[test]
    fn cri_containerd() {
        for qos in ["besteffort/", "burstable/", ""] {
            assert_eq!(
                parse_cgroup(&format!("/kubepods/{qos}pod{UID}/{ID}")),
                r(Runtime::Containerd, true),
                "{qos}"
            );
        }
        assert_eq!(
            parse_cgroup(&format!(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UID_SYSTEMD}.slice/cri-containerd-{ID}.scope"
            )),
            r(Runtime::Containerd, true)
        );
        assert_eq!(
            parse_cgroup(&format!(
                "/kubepods.slice/kubepods-pod{UID_SYSTEMD}.slice/cri-containerd-{ID}.scope"
            )),
            r(Runtime::Containerd, true)
        );
        assert_eq!(
            parse_cgroup(&format!(
                "kubepods-burstable-pod{UID_SYSTEMD}.slice:cri-containerd:{ID}"
            )),
            r(Runtime::Containerd, true)
        );
    }

    #[test]
    fn plain_containerd_is_conservative() {
        assert_eq!(
            parse_cgroup(&format!("/default/{ID}")),
            r(Runtime::Containerd, false)
        );
        assert_eq!(
            parse_cgroup(&format!("/k8s.io/{ID}")),
            r(Runtime::Containerd, false)
        );
        // ctr lets ids be any name; a name is indistinguishable from a host cgroup.
        assert_eq!(parse_cgroup("/default/redis"), None);
        // nerdctl with the systemd driver.
        assert_eq!(
            parse_cgroup(&format!("/system.slice/nerdctl-{ID}.scope")),
            r(Runtime::Containerd, false)
        );
    }

    #[test]
    fn cri_o() {
        assert_eq!(
            parse_cgroup(&format!(
                "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{UID_SYSTEMD}.slice/crio-{ID}.scope"
            )),
            r(Runtime::CriO, true)
        );
        assert_eq!(
            parse_cgroup(&format!("/kubepods/burstable/pod{UID}/crio-{ID}")),
            r(Runtime::CriO, true)
        );
        assert_eq!(
            parse_cgroup(&format!("kubepods-pod{UID_SYSTEMD}.slice:crio:{ID}")),
            r(Runtime::CriO, true)
        );
        // conmon's cgroup holds conmon, not the container.
        assert_eq!(
            parse_cgroup(&format!("/kubepods.slice/x.slice/crio-conmon-{ID}.scope")),
            None
        );
    }

    #[test]
    fn podman() {
        for p in [
            format!("/libpod_parent/libpod-{ID}"),
            format!("/machine.slice/libpod-{ID}.scope"),
            format!("/machine.slice/libpod-{ID}.scope/container"),
            format!("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope"),
            format!("/machine.slice/machine-libpod_pod_{ID}.slice/libpod-{ID}.scope"),
        ] {
            assert_eq!(parse_cgroup(&p), r(Runtime::Podman, false), "{p}");
        }
        assert_eq!(
            parse_cgroup(&format!("/machine.slice/libpod-conmon-{ID}.scope")),
            None
        );
        assert_eq!(parse_cgroup("/libpod_parent/conmon"), None);
    }

    #[test]
    fn systemd_scopes_and_runc() {
        assert_eq!(
            parse_cgroup("/machine.slice/machine-web\\x2d1.scope"),
            Some(ContainerRef {
                id: "web-1".into(),
                runtime: Runtime::Nspawn,
                pod_uid: None
            })
        );
        // libvirt VMs register with machined too; they are not containers.
        assert_eq!(
            parse_cgroup("/machine.slice/machine-qemu\\x2d1\\x2dvm.scope"),
            None
        );
        // An escaped slash cannot make a machine name that leaves machined's directory.
        assert_eq!(
            parse_cgroup("/machine.slice/machine-\\x2e\\x2e\\x2fx.scope"),
            None
        );
        assert_eq!(parse_cgroup("/machine.slice/machine-a\\x2fb.scope"), None);
        assert_eq!(parse_cgroup(&format!("/{ID}")), r(Runtime::Runc, false));
        assert_eq!(
            parse_cgroup(&format!("/actions_job/{ID}")),
            r(Runtime::Runc, false)
        );
    }

    #[test]
    fn host_cgroups_are_not_containers() {
        for p in [
            "",
            "/",
            "/user.slice/user-0.slice/session-1.scope",
            "/system.slice/ssh.service",
            "/system.slice/docker.service",
            "/kubepods/burstable/pod5f5cbbd4-1c2a-4b43-9c5e-2e8d0a1b3c4d",
            "/docker/notanid",
            "/process_api/5be1ef8956be847c033e5ff032363b1d",
            "0::/docker",
            "a:b:c",
        ] {
            assert_eq!(parse_cgroup(p), None, "{p}");
        }
        // 63 and 65 hex digits.
        assert_eq!(parse_cgroup(&format!("/docker/{}", &ID[1..])), None);
        assert_eq!(parse_cgroup(&format!("/docker/{ID}0")), None);
    }

    #[test]
    fn proc_cgroup_v1_and_v2() {
        // cgroup v1 only (docker on an old host).
        let v1 =
            format!("12:pids:/docker/{ID}\n11:memory:/docker/{ID}\n1:name=systemd:/docker/{ID}\n");
        let (c, p) = parse_proc_cgroup(&v1).expect("v1");
        assert_eq!(
            (c.id.as_str(), c.runtime, p),
            (ID, Runtime::Docker, &*format!("/docker/{ID}"))
        );
        // cgroup v2 only.
        let v2 = format!("0::/system.slice/docker-{ID}.scope\n");
        assert_eq!(
            parse_proc_cgroup(&v2).map(|(c, _)| c.runtime),
            Some(Runtime::Docker)
        );
        // Hybrid, as podman lays it out on this project's hosts.
        let hybrid = format!(
            "9:name=systemd:/libpod_parent/libpod-{ID}\n4:memory:/libpod_parent/libpod-{ID}\n0::/libpod_parent/libpod-{ID}\n"
        );
        let (c, p) = parse_proc_cgroup(&hybrid).expect("hybrid");
        assert_eq!(
            (c.runtime, p),
            (Runtime::Podman, &*format!("/libpod_parent/libpod-{ID}"))
        );
        // Hybrid with the container only in v1 hierarchies (v2 left at the root).
        let v1_only = format!("4:memory:/kubepods/pod{UID}/{ID}\n0::/\n");
        assert_eq!(
            parse_proc_cgroup(&v1_only).map(|(c, _)| c),
            r(Runtime::Containerd, true)
        );
        // A host process.
        assert_eq!(
            parse_proc_cgroup("4:memory:/user.slice\n0::/init.scope\n"),
            None
        );
        assert_eq!(parse_proc_cgroup("garbage"), None);
        assert_eq!(proc_cgroup("4:memory:/a\n0::/b\n"), Some("/b"));
        assert_eq!(proc_cgroup("4:memory:/a\n"), Some("/a"));
        // A hybrid host: the v1 line names the container, the v2 line does not.
        let docker = format!("/docker/{}", "ab".repeat(32));
        assert_eq!(
            proc_cgroup(&format!("4:memory:{docker}\n0::/\n")),
            Some(docker.as_str())
        );
    }
}
