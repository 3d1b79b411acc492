//! The `container.*` and `k8s.*` fields: from the capture's container records, also
//! without an event (block verdicts judge them per container).

use capture_format::schema::{Container, local_container};

use crate::filter::Val;
use crate::replay::fields::{Family, Fid, Field, FieldArg};

use super::{label, owned, s};

/// Splits an image reference into repository and tag: `host:5000/app:1.2@sha256:..` gives
/// `host:5000/app` and `1.2` (a `:` before the last `/` is a registry port, not a tag).
pub(super) fn split_image(image: &[u8]) -> (&[u8], Option<&[u8]>) {
    let no_digest = match image.iter().position(|&c| c == b'@') {
        Some(i) => &image[..i],
        None => image,
    };
    let last_slash = no_digest
        .iter()
        .rposition(|&c| c == b'/')
        .map_or(0, |i| i + 1);
    match no_digest[last_slash..].iter().rposition(|&c| c == b':') {
        Some(i) => (
            &no_digest[..last_slash + i],
            Some(&no_digest[last_slash + i + 1..]),
        ),
        None => (no_digest, None),
    }
}

/// Whether a field's value depends only on the event's container (so a block's container list
/// decides it).
pub fn is_container_field(fid: Fid) -> bool {
    fid.family() == Family::Container
}

/// The value of a container field for container `index` (0 = host) with metadata `c`.
pub fn container_value<'c>(
    field: &Field,
    index: u32,
    c: Option<&'c Container<'static>>,
) -> Option<Val<'c>> {
    let host = local_container(index) == 0 && c.is_none();
    Some(match field.fid {
        Fid::ContainerId | Fid::ContainerName | Fid::ContainerType if host => s(b"host"),
        Fid::ContainerId => {
            let c = c?;
            s(&c.id[..c.id.len().min(12)])
        }
        Fid::ContainerName => s(&c?.name),
        Fid::ContainerType => s(&c?.runtime),
        Fid::ContainerImage => s(&c?.image),
        Fid::ContainerImageId => s(&c?.image_id),
        Fid::ContainerImageRepository | Fid::ContainerImageTag => {
            let (repo, tag) = split_image(&c?.image);
            if field.fid == Fid::ContainerImageRepository {
                s(repo)
            } else {
                s(tag?)
            }
        }
        Fid::ContainerPrivileged => Val::Bool(c?.privileged),
        Fid::ContainerLabel => match &field.arg {
            FieldArg::Name(k) => s(label(c?, k)?),
            _ => return None,
        },
        Fid::K8sPodName => s(label(c?, "io.kubernetes.pod.name")?),
        Fid::K8sNsName => s(label(c?, "io.kubernetes.pod.namespace")?),
        Fid::K8sPodUid => s(label(c?, "io.kubernetes.pod.uid")?),
        Fid::ContainerStartTs => match c?.start_ts {
            0 => return None,
            t => Val::Num(t as i64),
        },
        Fid::ContainerMounts => {
            let list: Vec<String> = c?.mount_list().map(|m| mount_text(&m)).collect();
            owned(list.join(","))
        }
        Fid::ContainerMount
        | Fid::ContainerMountDest
        | Fid::ContainerMountSource
        | Fid::ContainerMountMode
        | Fid::ContainerMountRdwr
        | Fid::ContainerMountPropagation => {
            let c = c?;
            // By number, or by a glob over the source (the destination for .source), the
            // first match winning, as libs does.
            let m = match &field.arg {
                FieldArg::Name(k) => {
                    if let Ok(i) = k.parse::<usize>() {
                        c.mount_list().nth(i)?
                    } else {
                        let by = usize::from(field.fid == Fid::ContainerMountSource);
                        let glob = crate::filter::Glob::new(k.as_bytes(), false);
                        c.mount_list().find(|m| glob.matches(m[by]))?
                    }
                }
                FieldArg::Index(i) => c.mount_list().nth(*i)?,
                FieldArg::None => {
                    let part = mount_part(field.fid);
                    return Some(Val::List(
                        c.mount_list()
                            .map(|m| match part {
                                Some(i) => Val::Str(std::borrow::Cow::Owned(m[i].to_vec())),
                                None => owned(mount_text(&m)),
                            })
                            .collect(),
                    ));
                }
            };
            match mount_part(field.fid) {
                Some(i) => Val::Str(std::borrow::Cow::Owned(m[i].to_vec())),
                None => owned(mount_text(&m)),
            }
        }
        _ => return None,
    })
}

/// Which of a mount's five parts a field shows (`None`: all of it).
pub(super) fn mount_part(fid: Fid) -> Option<usize> {
    match fid {
        Fid::ContainerMountSource => Some(0),
        Fid::ContainerMountDest => Some(1),
        Fid::ContainerMountMode => Some(2),
        Fid::ContainerMountRdwr => Some(3),
        Fid::ContainerMountPropagation => Some(4),
        _ => None,
    }
}

/// A mount as libs prints it: `source:dest:mode:rdwr:propagation`.
pub(super) fn mount_text(m: &[&[u8]; 5]) -> String {
    let parts: Vec<_> = m.iter().map(|p| String::from_utf8_lossy(p)).collect();
    parts.join(":")
}

#[cfg(test)]
mod tests {
    use super::split_image;

    #[test]
    fn image_references_split() {
        let t = |i: &str| {
            let (r, t) = split_image(i.as_bytes());
            (
                String::from_utf8_lossy(r).into_owned(),
                t.map(|t| String::from_utf8_lossy(t).into_owned()),
            )
        };
        assert_eq!(
            t("docker.io/library/nginx:1.25"),
            ("docker.io/library/nginx".into(), Some("1.25".into()))
        );
        assert_eq!(t("host:5000/app"), ("host:5000/app".into(), None));
        assert_eq!(
            t("host:5000/app:2@sha256:ab"),
            ("host:5000/app".into(), Some("2".into()))
        );
        assert_eq!(t("busybox"), ("busybox".into(), None));
    }
}
