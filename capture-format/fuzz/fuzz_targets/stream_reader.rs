//! Fuzzes the streaming reader over arbitrary bytes.
#![no_main]

use capture_format::Reader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut with_header = capture_format::HeaderInfo::default().encode();
    with_header.extend_from_slice(data);
    for input in [data, &with_header[..]] {
        if let Ok(mut r) = Reader::new(std::io::Cursor::new(input)) {
            while let Some(b) = r.next_block() {
                if let Ok(b) = b
                    && let Ok(d) = b.events()
                {
                    d.for_each(drop);
                }
            }
        }
    }
});
