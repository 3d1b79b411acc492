//! Container ids from cgroup paths, and the capture's container table.
//!
//! The probe reports `bpf_get_current_cgroup_id()`, the inode of the task's cgroup v2
//! directory. [`CgroupDirs`] maps those inodes to paths by walking the cgroup2 hierarchy (at
//! `/sys/fs/cgroup/unified` on hybrid hosts, `/sys/fs/cgroup` on unified ones), and
//! [`parse_cgroup`] finds a container id in a path.

use std::borrow::Cow;
use std::collections::HashMap;

use capture_format::schema::{Body, Container, Event};

/// A container found in a cgroup path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupContainer {
    /// Full id (64 hex digits).
    pub id: String,
    /// Runtime that names its cgroups this way.
    pub runtime: &'static str,
}

fn is_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The container a cgroup path belongs to, if any.
///
/// Recognised, innermost component first:
/// ```text
/// /docker/<id>                               docker (cgroupfs driver)
/// /system.slice/docker-<id>.scope            docker (systemd driver)
/// /kubepods/.../<id>                         containerd / CRI (cgroupfs driver)
/// /kubepods.slice/.../cri-containerd-<id>.scope   containerd (systemd driver)
/// /kubepods.slice/.../crio-<id>.scope        cri-o
/// /libpod_parent/libpod-<id>                 podman (cgroupfs manager)
/// /machine.slice/libpod-<id>.scope           podman (systemd manager)
/// ```
/// Conmon's own cgroups (`libpod-conmon-…`, `crio-conmon-…`) are not containers.
pub fn parse_cgroup(path: &str) -> Option<CgroupContainer> {
    let in_kubepods = path.contains("/kubepods");
    for comp in path.rsplit('/') {
        let name = comp.strip_suffix(".scope").unwrap_or(comp);
        let found = [
            ("docker-", "docker"),
            ("cri-containerd-", "containerd"),
            ("crio-", "cri-o"),
            ("libpod-", "podman"),
        ]
        .iter()
        .find_map(|(prefix, rt)| {
            name.strip_prefix(prefix)
                .filter(|id| is_id(id))
                .map(|id| (id, *rt))
        });
        if let Some((id, runtime)) = found {
            return Some(CgroupContainer {
                id: id.to_string(),
                runtime,
            });
        }
        if is_id(name) {
            let runtime = if in_kubepods {
                "containerd"
            } else if path.contains("/docker/") {
                "docker"
            } else {
                "runc"
            };
            return Some(CgroupContainer {
                id: name.to_string(),
                runtime,
            });
        }
    }
    None
}

/// The capture's container table: 1-based indices in order of first sighting.
#[derive(Debug, Default)]
pub struct Containers {
    by_id: HashMap<String, u32>,
    by_cgroup: HashMap<u64, u32>,
    records: Vec<Event<'static>>,
}

impl Containers {
    /// The index for a cgroup, assigning one (and returning the record to write) on first
    /// sighting. Index 0 is the host.
    /// `path` is asked only for cgroups not seen before.
    pub fn index(
        &mut self,
        cgroup_id: u64,
        ts: u64,
        path: impl FnOnce(u64) -> Option<String>,
    ) -> (u32, Option<Event<'static>>) {
        if let Some(&i) = self.by_cgroup.get(&cgroup_id) {
            return (i, None);
        }
        let Some(path) = path(cgroup_id) else {
            return (0, None);
        };
        let path = path.as_str();
        let Some(c) = parse_cgroup(path) else {
            self.by_cgroup.insert(cgroup_id, 0);
            return (0, None);
        };
        let (idx, record) = self.index_of(&c, path, ts);
        self.by_cgroup.insert(cgroup_id, idx);
        (idx, record)
    }

    /// The index for a container found in a path, and the record to write if it is new.
    pub fn index_of(
        &mut self,
        c: &CgroupContainer,
        path: &str,
        ts: u64,
    ) -> (u32, Option<Event<'static>>) {
        if let Some(&i) = self.by_id.get(&c.id) {
            return (i, None);
        }
        let idx = self.records.len() as u32 + 1;
        self.by_id.insert(c.id.clone(), idx);
        let rec = Event {
            ts,
            tid: 0,
            pid: 0,
            cpu: 0,
            container: idx,
            body: Body::Container(Container {
                id: Cow::Owned(c.id.clone().into_bytes()),
                runtime: Cow::Owned(c.runtime.as_bytes().to_vec()),
                cgroup: Cow::Owned(path.as_bytes().to_vec()),
                ..Container::default()
            }),
        };
        self.records.push(rec.clone());
        (idx, Some(rec))
    }

    /// The records of every container seen, in index order (for keyframes).
    pub fn records(&self) -> &[Event<'static>] {
        &self.records
    }
}

#[cfg(target_os = "linux")]
pub use dirs::CgroupDirs;

#[cfg(target_os = "linux")]
mod dirs {
    use std::collections::HashMap;
    use std::fs;
    use std::os::unix::fs::MetadataExt;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    /// Maps cgroup v2 directory inodes (what `bpf_get_current_cgroup_id` returns) to paths.
    #[derive(Debug)]
    pub struct CgroupDirs {
        root: Option<PathBuf>,
        by_ino: HashMap<u64, String>,
        last_scan: Option<Instant>,
    }

    impl CgroupDirs {
        /// Finds the cgroup2 mount and scans it.
        pub fn new() -> CgroupDirs {
            let root = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
                .into_iter()
                .map(Path::new)
                .find(|p| p.join("cgroup.procs").exists() && is_cgroup2(p))
                .map(Path::to_path_buf);
            let mut d = CgroupDirs {
                root,
                by_ino: HashMap::new(),
                last_scan: None,
            };
            d.rescan();
            d
        }

        fn rescan(&mut self) {
            self.last_scan = Some(Instant::now());
            let Some(root) = self.root.clone() else {
                return;
            };
            self.by_ino.clear();
            let mut stack = vec![root.clone()];
            while let Some(dir) = stack.pop() {
                if let Ok(md) = fs::metadata(&dir) {
                    let rel = dir.strip_prefix(&root).unwrap_or(&dir);
                    self.by_ino
                        .insert(md.ino(), format!("/{}", rel.to_string_lossy()));
                }
                let Ok(rd) = fs::read_dir(&dir) else { continue };
                for e in rd.flatten() {
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        stack.push(e.path());
                    }
                }
            }
        }

        /// The path of a cgroup id; an unknown id triggers a rescan at most once a second.
        pub fn path(&mut self, id: u64) -> Option<&str> {
            if !self.by_ino.contains_key(&id)
                && self
                    .last_scan
                    .is_none_or(|t| t.elapsed() > Duration::from_secs(1))
            {
                self.rescan();
            }
            self.by_ino.get(&id).map(String::as_str)
        }
    }

    fn is_cgroup2(p: &Path) -> bool {
        // cgroup2 directories have cgroup.controllers; v1 hierarchies do not.
        p.join("cgroup.controllers").exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "db3e6a1f0c2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6";

    #[test]
    fn recognises_the_runtimes() {
        for (path, runtime) in [
            (format!("/docker/{ID}"), "docker"),
            (format!("/system.slice/docker-{ID}.scope"), "docker"),
            (
                format!("/kubepods/besteffort/pod1234-5678/{ID}"),
                "containerd",
            ),
            (
                format!("/kubepods.slice/kubepods-pod1.slice/cri-containerd-{ID}.scope"),
                "containerd",
            ),
            (format!("/kubepods.slice/x.slice/crio-{ID}.scope"), "cri-o"),
            (format!("/libpod_parent/libpod-{ID}"), "podman"),
            (format!("/machine.slice/libpod-{ID}.scope"), "podman"),
            (format!("/{ID}"), "runc"),
        ] {
            assert_eq!(
                parse_cgroup(&path),
                Some(CgroupContainer {
                    id: ID.into(),
                    runtime
                }),
                "{path}"
            );
        }
    }

    #[test]
    fn host_cgroups_are_not_containers() {
        for path in [
            "/",
            "/user.slice/user-0.slice/session-1.scope",
            "/system.slice/ssh.service",
            &format!("/machine.slice/libpod-conmon-{ID}.scope"),
            "/docker/notanid",
        ] {
            assert_eq!(parse_cgroup(path), None, "{path}");
        }
    }

    #[test]
    fn indices_start_at_one_and_records_come_once() {
        let mut c = Containers::default();
        let p = format!("/docker/{ID}");
        let (i, rec) = c.index(10, 5, |_| Some(p.clone()));
        assert_eq!(i, 1);
        assert!(matches!(rec.map(|r| r.body), Some(Body::Container(_))));
        assert_eq!(c.index(10, 6, |_| panic!("cached")), (1, None));
        assert_eq!(c.index(11, 6, |_| Some(p.clone())), (1, None));
        assert_eq!(c.index(12, 6, |_| Some("/user.slice".into())), (0, None));
        assert_eq!(c.by_id.len(), 1);
    }
}
