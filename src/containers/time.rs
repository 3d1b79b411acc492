//! RFC 3339 timestamps as the runtimes write them (Go's `time.RFC3339Nano`:
//! `2026-11-30T01:45:10.476204304Z`, or with an offset `+01:00`), to ns since the epoch.

/// Nanoseconds since the Unix epoch for an RFC 3339 time; `None` for malformed text, Go's zero
/// time (`0001-01-01T00:00:00Z`) and anything before 1970.
#[expect(
    clippy::many_single_char_names,
    reason = "s, b, i as in any byte scanner"
)]
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                nanos = nanos * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        let digits = (i - start).min(9);
        if digits == 0 {
            return None;
        }
        nanos *= 10_i64.pow(9 - digits as u32);
    }
    let offset = match s.get(i..)? {
        "Z" | "z" => 0,
        tz if tz.len() == 6
            && matches!(tz.as_bytes()[0], b'+' | b'-')
            && tz.as_bytes()[3] == b':' =>
        {
            let h = num(i + 1..i + 3)?;
            let m = num(i + 4..i + 6)?;
            let sign = if tz.as_bytes()[0] == b'-' { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset;
    if secs < 0 {
        return None;
    }
    (secs as u64)
        .checked_mul(1_000_000_000)?
        .checked_add(nanos as u64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the era-based conversion).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_the_runtimes_write() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        // `date -u -d 2026-11-30T01:45:10Z +%s` = 1796003110
        assert_eq!(
            parse_rfc3339("2026-11-30T01:45:10.476204304Z"),
            Some(1_796_003_110_476_204_304)
        );
        assert_eq!(
            parse_rfc3339("2026-11-30T01:45:10Z"),
            Some(1_796_003_110_000_000_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-30T02:45:10.5+01:00"),
            Some(1_796_003_110_500_000_000)
        );
        // Leap day; more than nine fraction digits are cut.
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00.1234567891Z"),
            Some(1_709_164_800_123_456_789)
        );
    }

    #[test]
    fn rejects_the_rest() {
        for s in [
            "",
            "0001-01-01T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-30T01:45:10",
            "2026-11-30T01:45:10.Z",
            "2026-11-30T01:45:10Zjunk",
            "2026-11-30T01:45:1xZ",
            "+026-11-30T01:45:10Z",
            "2026-11-30T01:45:10+0100",
            "2026-11-30T01:45:10.1€",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }
}
