//! A syscall storm without payloads: `getppid` in a loop, COUNT times, then the rate on stdout
//! ("N calls in S s"). bench/probe.sh runs one per CPU to find the highest rate the recorder
//! keeps up with.
//!
//!     cargo run --release --example syscall_spin -- COUNT
use std::time::Instant;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .expect("usage: syscall_spin COUNT");
    let t = Instant::now();
    for _ in 0..n {
        // SAFETY: getppid takes no arguments and cannot fail.
        unsafe { libc::syscall(libc::SYS_getppid) };
    }
    println!("{n} calls in {:.6} s", t.elapsed().as_secs_f64());
}
