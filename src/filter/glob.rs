//! Glob patterns on bytes (`*`, `?`, `[abc]`, `[a-z]`, `[!x]`, `\` escapes) and the `pmatch`
//! path-prefix test.

/// One piece of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Byte(u8),
    Any,
    Star,
    Class {
        negated: bool,
        ranges: Vec<(u8, u8)>,
    },
}

/// A compiled glob pattern. The whole value must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    pieces: Vec<Piece>,
    fold_case: bool,
}

impl Glob {
    /// Compiles a pattern; `fold_case` makes ASCII letters match either case.
    pub fn new(pattern: &[u8], fold_case: bool) -> Glob {
        let mut pieces = Vec::new();
        let mut i = 0;
        while i < pattern.len() {
            let c = pattern[i];
            i += 1;
            match c {
                b'*' => {
                    if pieces.last() != Some(&Piece::Star) {
                        pieces.push(Piece::Star);
                    }
                }
                b'?' => pieces.push(Piece::Any),
                b'\\' if i < pattern.len() => {
                    pieces.push(Piece::Byte(fold(pattern[i], fold_case)));
                    i += 1;
                }
                b'[' => {
                    if let Some((class, next)) = parse_class(pattern, i, fold_case) {
                        pieces.push(class);
                        i = next;
                    } else {
                        pieces.push(Piece::Byte(b'['));
                    }
                }
                _ => pieces.push(Piece::Byte(fold(c, fold_case))),
            }
        }
        Glob { pieces, fold_case }
    }

    /// Whether `value` matches the whole pattern.
    pub fn matches(&self, value: &[u8]) -> bool {
        // Iterative matching with one backtrack point per star (linear in practice).
        let (mut p, mut v) = (0usize, 0usize);
        let mut back: Option<(usize, usize)> = None;
        while v < value.len() {
            let c = fold(value[v], self.fold_case);
            match self.pieces.get(p) {
                Some(Piece::Star) => {
                    back = Some((p, v));
                    p += 1;
                    continue;
                }
                Some(piece) if piece_matches(piece, c) => {
                    p += 1;
                    v += 1;
                    continue;
                }
                _ => {}
            }
            match back {
                Some((bp, bv)) => {
                    p = bp + 1;
                    v = bv + 1;
                    back = Some((bp, bv + 1));
                }
                None => return false,
            }
        }
        self.pieces[p..].iter().all(|x| *x == Piece::Star)
    }
}

fn fold(c: u8, fold_case: bool) -> u8 {
    if fold_case { c.to_ascii_lowercase() } else { c }
}

fn piece_matches(piece: &Piece, c: u8) -> bool {
    match piece {
        Piece::Byte(b) => *b == c,
        Piece::Any => true,
        Piece::Star => false,
        Piece::Class { negated, ranges } => {
            ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
        }
    }
}

/// Parses a `[...]` class whose body starts at `i`; returns the piece and the index after `]`.
fn parse_class(p: &[u8], mut i: usize, fold_case: bool) -> Option<(Piece, usize)> {
    let negated = matches!(p.get(i), Some(b'!' | b'^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    while i < p.len() {
        let c = p[i];
        if c == b']' && !first {
            return Some((Piece::Class { negated, ranges }, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|&e| e != b']') {
            let (lo, hi) = (c, p[i + 2]);
            push_range(&mut ranges, lo, hi, fold_case);
            i += 3;
        } else {
            push_range(&mut ranges, c, c, fold_case);
            i += 1;
        }
    }
    None
}

fn push_range(ranges: &mut Vec<(u8, u8)>, lo: u8, hi: u8, fold_case: bool) {
    ranges.push((lo, hi));
    if fold_case {
        ranges.push((lo.to_ascii_lowercase(), hi.to_ascii_lowercase()));
    }
}

/// A `pmatch` entry: a path whose components (each possibly a glob) must prefix the value's
/// components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathPrefix {
    components: Vec<Glob>,
    absolute: bool,
}

impl PathPrefix {
    /// Compiles one `pmatch` list entry.
    pub fn new(prefix: &[u8]) -> PathPrefix {
        PathPrefix {
            absolute: prefix.first() == Some(&b'/'),
            components: prefix
                .split(|&b| b == b'/')
                .filter(|c| !c.is_empty())
                .map(|c| Glob::new(c, false))
                .collect(),
        }
    }

    /// Whether `path` equals this prefix or lies below it, component by component.
    pub fn matches(&self, path: &[u8]) -> bool {
        if self.absolute != (path.first() == Some(&b'/')) {
            return false;
        }
        let mut parts = path.split(|&b| b == b'/').filter(|c| !c.is_empty());
        self.components
            .iter()
            .all(|g| parts.next().is_some_and(|c| g.matches(c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &str, v: &str) -> bool {
        Glob::new(p.as_bytes(), false).matches(v.as_bytes())
    }

    #[test]
    fn globs() {
        assert!(g("/etc/*.conf", "/etc/nsswitch.conf"));
        assert!(
            g("/etc/*.conf", "/etc/a/b.conf"),
            "star crosses slashes, as fnmatch without FNM_PATHNAME"
        );
        assert!(!g("/etc/*.conf", "/etc/nsswitch.conf.bak"));
        assert!(g("a?c", "abc"));
        assert!(!g("a?c", "ac"));
        assert!(g("[a-c]x", "bx"));
        assert!(!g("[!a-c]x", "bx"));
        assert!(g("*", ""));
        assert!(g("a*b*c", "aXXbYYbZc"));
        assert!(g("\\*", "*"));
        assert!(!g("\\*", "x"));
        assert!(Glob::new(b"*.CONF", true).matches(b"/etc/x.conf"));
    }

    #[test]
    fn pmatch_by_components() {
        let p = PathPrefix::new(b"/var/run");
        assert!(p.matches(b"/var/run"));
        assert!(p.matches(b"/var/run/x.pid"));
        assert!(!p.matches(b"/var/run_x"));
        assert!(!p.matches(b"/var"));
        assert!(PathPrefix::new(b"/home/*/.ssh").matches(b"/home/bob/.ssh/id_rsa"));
        assert!(!PathPrefix::new(b"/home/*/.ssh").matches(b"/home/bob/x/.ssh"));
    }
}
