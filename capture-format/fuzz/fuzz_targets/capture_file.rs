//! Fuzzes the random-access reader: open, read and decode every block, tables, verify.
#![no_main]

use capture_format::CaptureFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Half the inputs get a valid header so the fuzzer reaches the blocks quickly.
    let mut with_header = capture_format::HeaderInfo::default().encode();
    with_header.extend_from_slice(data);
    for input in [data.to_vec(), with_header] {
        // The verdict walks any bytes, capture or not, with and without keys to check.
        let vk = capture_format::seal::FsVerifyKey::from_text(
            "casefile-fss-verify-v1 start=0 epoch=1000000000 key=0101010101010101010101010101010101010101010101010101010101010101",
        );
        let trust = capture_format::verdict::Trust {
            pubkey: Some(&[7; 32]),
            fs_key: vk.as_ref().ok(),
            anchors: None,
        };
        let _ = capture_format::verdict::judge(&input, &trust);
        if let Ok(cap) = CaptureFile::from_bytes(input) {
            for i in 0..cap.blocks().len() {
                if let Ok(b) = cap.read_block(i)
                    && let Ok(d) = b.events()
                {
                    d.for_each(drop);
                }
            }
            let _ = cap.tables();
            let _ = cap.verify();
            let _ = cap.seek_time(u64::MAX / 2);
            let _ = cap.seek_event(3);
        }
    }
});
