//! Fuzzes the decoder of a block's aggregate section (FORMAT.md, section 3.3): any bytes
//! decode to a section or an error naming a byte inside them, never a panic or a huge
//! allocation; what decodes encodes back to bytes that decode to the same section.

#![no_main]

// The section codec lives in the binary crate and depends on nothing but std; its source is
// compiled in here as it is.
#[path = "../../src/views/aggsection.rs"]
#[allow(dead_code, unfulfilled_lint_expectations)]
mod aggsection;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match aggsection::Section::decode(data) {
        Ok(s) => {
            let again = aggsection::Section::decode(&s.encode()).expect("re-encoded section");
            assert_eq!(again, s);
        }
        Err(e) => assert!(e.at <= data.len(), "{e}"),
    }
});
