//! Measures decoding alone (decompress + decode every record), the floor under replay.
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).expect("path");
    let cap = capture_format::CaptureFile::read(&path).expect("open");
    let t = Instant::now();
    let mut n = 0u64;
    let mut d = 0f64;
    for i in 0..cap.blocks().len() {
        let t0 = Instant::now();
        let b = cap.read_block(i).expect("block");
        d += t0.elapsed().as_secs_f64();
        for ev in b.events().expect("events") {
            let ev = ev.expect("event");
            n += u64::from(ev.tid & 1);
        }
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{n} odd tids; total {s:.3} s, of which decompress {d:.3} s; {:.2} M events/s",
        cap.event_count() as f64 / s / 1e6
    );
}
