//! One HTTP GET over a runtime's unix socket: the fallback when its state files are not
//! readable (a docker `data-root` elsewhere, podman 5's SQLite database).
//!
//! ```text
//! docker / podman (compat API)  GET /containers/<id>/json   Name, Image, Created, State.Pid,
//!                                                          State.StartedAt, Config.Image,
//!                                                          Config.Labels, HostConfig.Privileged
//! cri-o                          GET /containers/<id>        name, pid, image, image_ref,
//!                                                          created_time (ns), labels
//! ```
//!
//! The request is HTTP/1.0, so the reply is not chunked and ends when the server closes.
//! Reads and writes time out, and the reply is capped.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Longest a socket request may block, per read or write.
const TIMEOUT: Duration = Duration::from_millis(500);
/// Largest reply read.
const MAX_REPLY: u64 = 8 << 20;

/// Why a socket request gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// Connecting, writing or reading failed (a missing socket is `NotFound`).
    #[error("{path}: {source}")]
    Io {
        /// The socket.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The reply is not HTTP or not a success.
    #[error("{path}: GET {target}: {status}")]
    Status {
        /// The socket.
        path: PathBuf,
        /// The request target.
        target: String,
        /// The status line, or what was wrong with the reply.
        status: String,
    },
}

impl SocketError {
    pub(super) fn is_absent(&self) -> bool {
        matches!(self, SocketError::Io { source, .. }
            if matches!(source.kind(), io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused))
    }
}

/// The body of a `200` reply to `GET target` on the socket at `path`.
pub fn get(path: &Path, target: &str) -> Result<Vec<u8>, SocketError> {
    let io_err = |source| SocketError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut s = UnixStream::connect(path).map_err(io_err)?;
    s.set_read_timeout(Some(TIMEOUT)).map_err(io_err)?;
    s.set_write_timeout(Some(TIMEOUT)).map_err(io_err)?;
    write!(s, "GET {target} HTTP/1.0\r\nHost: localhost\r\n\r\n").map_err(io_err)?;
    let mut reply = Vec::new();
    s.take(MAX_REPLY).read_to_end(&mut reply).map_err(io_err)?;
    let bad = |status: String| SocketError::Status {
        path: path.to_path_buf(),
        target: target.to_string(),
        status,
    };
    let Some(end) = reply.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(bad("reply without a header end".into()));
    };
    let head = String::from_utf8_lossy(&reply[..end]);
    let status = head.lines().next().unwrap_or_default().trim().to_string();
    let code = status.split_whitespace().nth(1);
    if !status.starts_with("HTTP/") || code != Some("200") {
        return Err(bad(if status.is_empty() {
            "empty reply".into()
        } else {
            status
        }));
    }
    Ok(reply[end + 4..].to_vec())
}

#[cfg(test)]
pub(super) mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixListener;
    use std::path::Path;
    use std::thread;

    use super::*;

    /// Serves `replies` (raw bytes, one per connection) on a socket at `path`; returns the
    /// request lines it saw when joined.
    pub(in super::super) fn serve(
        path: &Path,
        replies: Vec<Vec<u8>>,
    ) -> thread::JoinHandle<Vec<String>> {
        let l = UnixListener::bind(path).expect("bind");
        thread::spawn(move || {
            let mut seen = Vec::new();
            for reply in replies {
                let (mut c, _) = l.accept().expect("accept");
                let mut r = BufReader::new(c.try_clone().expect("clone"));
                let mut line = String::new();
                r.read_line(&mut line).expect("read request");
                seen.push(line.trim().to_string());
                // Drain the header.
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                let _ = c.write_all(&reply);
            }
            seen
        })
    }

    pub(in super::super) fn ok(body: &str) -> Vec<u8> {
        format!(
            "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    #[test]
    fn get_over_a_unix_socket() {
        let dir = crate::containers::resolve_tests::TempDir::new("sock");
        let p = dir.path().join("api.sock");
        let server = serve(
            &p,
            vec![
                ok(r#"{"a":1}"#),
                b"HTTP/1.1 404 Not Found\r\n\r\n{\"message\":\"no such container\"}".to_vec(),
                b"garbage".to_vec(),
                Vec::new(),
            ],
        );
        assert_eq!(get(&p, "/containers/x/json").expect("200"), br#"{"a":1}"#);
        let e = get(&p, "/containers/y/json").expect_err("404");
        assert!(
            e.to_string()
                .ends_with("GET /containers/y/json: HTTP/1.1 404 Not Found"),
            "{e}"
        );
        let e = get(&p, "/z").expect_err("garbage");
        assert!(e.to_string().contains("reply without a header end"), "{e}");
        let e = get(&p, "/z").expect_err("closed");
        assert!(e.to_string().contains("reply without a header end"), "{e}");
        assert_eq!(
            server.join().expect("server"),
            [
                "GET /containers/x/json HTTP/1.0",
                "GET /containers/y/json HTTP/1.0",
                "GET /z HTTP/1.0",
                "GET /z HTTP/1.0"
            ]
        );
        let e = get(&dir.path().join("missing.sock"), "/").expect_err("missing");
        assert!(e.is_absent(), "{e}");
    }

    #[test]
    fn a_silent_server_times_out() {
        let dir = crate::containers::resolve_tests::TempDir::new("sock-silent");
        let p = dir.path().join("api.sock");
        let l = UnixListener::bind(&p).expect("bind");
        let t = std::time::Instant::now();
        let e = get(&p, "/").expect_err("timeout");
        assert!(matches!(e, SocketError::Io { .. }), "{e}");
        assert!(t.elapsed() < Duration::from_secs(5));
        drop(l);
    }
}
