//! Damaged input: truncation at any byte, flipped bits, empty and foreign files. The reader
//! must never panic, must end, and must say what is wrong and where.

use std::io::{Cursor, Write};

use super::super::source::open_reader;
use super::super::{Error, ErrorKind};
use super::fixture;

/// Opens and reads everything; returns (records, truncation seen, first error).
fn read_all(bytes: Vec<u8>) -> Result<(usize, bool, Option<Error>), Error> {
    // Reading ahead on another thread gives the same, whatever the damage.
    super::read_both("damaged.scap", &bytes, Some(false));
    let mut src = open_reader("damaged.scap", Cursor::new(bytes))?;
    let mut n = 0;
    let mut err = None;
    for r in src.by_ref() {
        match r {
            Ok(_) => n += 1,
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    Ok((n, src.truncation().is_some(), err))
}

#[test]
fn an_oversized_small_event_block_stops_the_read_without_allocating_it() {
    let mut f = super::format::shb(b"");
    f.extend_from_slice(&0x216u32.to_le_bytes());
    f.extend_from_slice(&(1u32 << 30).to_le_bytes());
    f.extend_from_slice(&[0; 64]);
    // open() reads up to the first event, so the error comes from it.
    let e = match open_reader("big.scap", Cursor::new(f)) {
        Err(e) => e,
        Ok(mut src) => src
            .find_map(Result::err)
            .expect("an error for the oversized block"),
    };
    assert!(
        matches!(e.at.kind, ErrorKind::InvalidBlockLength { .. }),
        "{e}"
    );
    assert_eq!(e.at.offset, 28 + 4);
}

#[test]
fn scap_files_are_recognised_by_their_first_block() {
    use super::super::is_scap;
    assert!(is_scap(fixture("libs_sample.scap")).expect("plain"));
    assert!(is_scap(fixture("falco_run_as_user_0_container.scap")).expect("gzip"));
    assert!(!is_scap(fixture("libs_sample.txt")).expect("text"));
}

#[test]
fn zero_length_input_is_an_empty_file_error() {
    let e = read_all(Vec::new()).expect_err("error");
    assert!(matches!(e.at.kind, ErrorKind::Empty), "{e}");
    assert!(e.to_string().contains("damaged.scap: at byte 0"), "{e}");
}

#[test]
fn truncation_at_any_point_yields_the_complete_blocks() {
    let full = std::fs::read(fixture("libs_sample.scap")).expect("sample");
    let (all, _, _) = read_all(full.clone()).expect("full");
    let mut last = 0;
    let cuts: Vec<usize> = (0..200).chain((200..full.len()).step_by(613)).collect();
    for cut in cuts {
        match read_all(full[..cut].to_vec()) {
            Ok((n, truncated, err)) => {
                assert!(err.is_none(), "cut {cut}: {err:?}");
                assert!(n <= all);
                assert!(
                    n >= last,
                    "cut {cut}: fewer records ({n}) than a shorter cut ({last})"
                );
                last = n;
                // Unless the cut fell between blocks, the truncation is reported.
                let _ = truncated;
            }
            Err(e) => {
                // Only a cut inside the section header fails outright.
                assert!(cut < 28, "cut {cut}: {e}");
            }
        }
    }
    let (n, truncated, _) = read_all(full[..full.len() - 1].to_vec()).expect("one byte short");
    assert!(truncated);
    // The last block (a context switch, which has no record) is lost.
    assert!(n <= all && n > all / 2);
}

#[test]
fn truncated_gzip_yields_what_was_decompressed() {
    let gz = std::fs::read(fixture("falco_run_as_user_0_container.scap")).expect("sample");
    let (all, _, _) = read_all(gz.clone()).expect("full");
    let (n, truncated, err) = read_all(gz[..gz.len() / 2].to_vec()).expect("half");
    assert!(err.is_none(), "{err:?}");
    assert!(truncated);
    assert!(n > 0 && n < all, "{n} of {all}");
}

#[test]
fn flipped_bits_never_panic() {
    let full = std::fs::read(fixture("libs_sample.scap")).expect("sample");
    // A fixed pseudo-random walk over the file, so failures reproduce.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..400 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut b = full.clone();
        let pos = (x % b.len() as u64) as usize;
        b[pos] ^= 1 << (x >> 61);
        if let Err(e) = read_all(b) {
            assert!(e.to_string().contains("at byte"), "{e}");
        }
    }
}

#[test]
fn gzip_of_garbage_and_foreign_files_are_errors() {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&[0xAB; 100]).expect("gzip");
    let gz = enc.finish().expect("gzip");
    let e = read_all(gz).expect_err("error");
    assert!(matches!(e.at.kind, ErrorKind::NotScap { .. }), "{e}");
    assert!(e.compressed);
    let e = read_all(b"abc".to_vec()).expect_err("error");
    assert!(matches!(e.at.kind, ErrorKind::TooShort { len: 3 }), "{e}");
}
