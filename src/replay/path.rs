//! Path arithmetic shared by replay and the .scap importer. A leaf module (std only), so the
//! importer's fuzz target compiles it in as it is.

/// `base/path` with `.` and `..` components resolved: the one path rule of replay and the
/// .scap importer (an absolute `path` goes with an empty `base`).
pub fn join_path(base: &[u8], path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for comp in base.split(|&b| b == b'/').chain(path.split(|&b| b == b'/')) {
        match comp {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = Vec::with_capacity(base.len() + path.len() + 1);
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::join_path;

    #[test]
    fn paths_join_and_normalise() {
        assert_eq!(join_path(b"/home/u", b"../etc/./x"), b"/home/etc/x");
        assert_eq!(join_path(b"/", b"a"), b"/a");
        assert_eq!(join_path(b"/a", b".."), b"/");
    }
}
