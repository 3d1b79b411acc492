//! Fuzzes the scap reader: the sans-IO block parser over a byte slice, then the whole pipeline
//! (stream framing, gzip sniffing, parsing and conversion into schema events). Neither may
//! panic, loop forever or allocate from a length in the input.

#![no_main]

// The importer lives in the binary crate; its sources are compiled in here as they are.
#[path = "../../src/import"]
#[allow(dead_code, unused_imports, unfulfilled_lint_expectations)]
mod import {
    pub mod scap;
}

// The path rule and the integer-keyed maps the importer shares with replay.
#[path = "../../src/replay"]
mod replay {
    pub mod idmap;
    pub mod path;
}

use import::scap;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut blocks = scap::reader::SliceBlocks::new(data);
    while let Ok(Some((offset, bytes))) = blocks.next_slice() {
        if let Ok(scap::block::Block::Event(e)) = scap::block::parse_block(bytes, offset) {
            for i in 0..e.params.len() {
                let _ = e.param(i);
            }
            let _ = e.name();
        }
    }
    if let Ok(src) = scap::source::open_reader("fuzz.scap", std::io::Cursor::new(data.to_vec())) {
        for r in src {
            if r.is_err() {
                break;
            }
        }
    }
});
