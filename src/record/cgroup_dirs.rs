//! cgroup v2 ids to paths.
//!
//! The probe reports `bpf_get_current_cgroup_id()`, the inode of the task's cgroup v2
//! directory. [`CgroupDirs`] maps those inodes to paths by walking the cgroup2 hierarchy (at
//! `/sys/fs/cgroup/unified` on hybrid hosts, `/sys/fs/cgroup` on unified ones); the container
//! a path belongs to is `crate::containers`' business.

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

    /// The path of the cgroup id of an event of process `pid`. Ids are learnt from the scan at
    /// start and from the probe as cgroups are made ([`CgroupDirs::learn`]); an id still
    /// unknown (the probe could not attach to `cgroup_mkdir`) is looked up in the process's
    /// own `/proc/PID/cgroup`, then by a rescan at most once a second.
    pub fn path(&mut self, id: u64, pid: u32) -> Option<&str> {
        if !self.by_ino.contains_key(&id)
            && let Some(path) = self.path_of_pid(id, pid)
        {
            self.by_ino.insert(id, path);
        }
        if !self.by_ino.contains_key(&id)
            && self
                .last_scan
                .is_none_or(|t| t.elapsed() > Duration::from_secs(1))
        {
            self.rescan();
        }
        self.by_ino.get(&id).map(String::as_str)
    }

    /// Learns the path of a new cgroup from the probe (its `cgroup_mkdir` record).
    pub fn learn(&mut self, id: u64, path: &[u8]) {
        self.by_ino
            .insert(id, String::from_utf8_lossy(path).into_owned());
    }

    /// The cgroup2 path `/proc/PID/cgroup` names, when its directory is cgroup `id`.
    fn path_of_pid(&self, id: u64, pid: u32) -> Option<String> {
        let root = self.root.as_ref()?;
        if pid == 0 {
            return None;
        }
        let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        let path = text.lines().find_map(|l| l.strip_prefix("0::"))?;
        let dir = root.join(path.trim_start_matches('/'));
        (fs::metadata(&dir).ok()?.ino() == id).then(|| path.to_owned())
    }
}

fn is_cgroup2(p: &Path) -> bool {
    // cgroup2 directories have cgroup.controllers; v1 hierarchies do not.
    p.join("cgroup.controllers").exists()
}
