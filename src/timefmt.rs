//! Times as casefile prints and reads them, through chrono: the zone they print in (`--tz`),
//! the forms `--from`/`--to` accept (everything casefile prints, and more), and sysdig's `-t`
//! modes for `evt.outputtime`.
//!
//! The zone is chosen once per run by the reading commands (local on a terminal, UTC when the
//! output goes to a file or a pipe, or what `--tz` names) and read by every printer, so the
//! per-event formatters need no extra argument. Named zones come from chrono-tz's built-in
//! IANA database, so `--tz Europe/Berlin` means the same on every machine that reads a capture;
//! the local zone is the system's (`TZ`, else `/etc/localtime`).

use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::OnceLock;

use anyhow::{Context, bail};
use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    SecondsFormat, TimeZone, Utc,
};
use chrono_tz::Tz;

/// A zone times print in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// Coordinated universal time.
    Utc,
    /// A named IANA zone (the local zone, when the system names it, is one of these).
    Named(Tz),
    /// The system's local zone when it has no IANA name chrono-tz knows (a POSIX `TZ` rule):
    /// offsets from chrono's `Local`, shown as `+hh:mm`.
    Local,
    /// A fixed offset east of UTC (from a time written with one: `+05:30`).
    Fixed(FixedOffset),
}

impl Zone {
    /// `UTC`, `local`, or an IANA zone name (`Europe/Berlin`, `America/New_York`, `CET`).
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        match s {
            "UTC" | "utc" | "Z" | "z" | "Etc/UTC" | "GMT" => Ok(Self::Utc),
            "local" | "LOCAL" | "Local" => Ok(Self::local()),
            name => name.parse::<Tz>().map(Self::Named).map_err(|_| {
                anyhow::anyhow!(
                    "unknown time zone '{name}': use UTC, local or an IANA name such as \
                     Europe/Berlin or America/New_York"
                )
            }),
        }
    }

    /// The system's zone: `TZ` when set (a zone name, or `:name`), else the one
    /// `/etc/localtime` names.
    pub fn local() -> Self {
        let from_env = std::env::var("TZ").ok().filter(|t| !t.is_empty());
        let name = match from_env {
            Some(t) => Some(t.trim_start_matches(':').to_owned()),
            None => iana_time_zone::get_timezone().ok(),
        };
        match name.as_deref() {
            Some("UTC" | "Etc/UTC" | "UTC0" | "Universal" | "Zulu" | "Etc/Universal") => Self::Utc,
            Some(n) => n.parse::<Tz>().map_or(Self::Local, Self::Named),
            None => Self::Local,
        }
    }

    /// The zone's offset from UTC at `ts` (ns since the epoch), in seconds.
    pub fn offset_secs(self, ts: u64) -> i32 {
        let t = utc(ts);
        match self {
            Self::Utc => 0,
            Self::Named(tz) => tz
                .offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
            Self::Local => chrono::Local
                .offset_from_utc_datetime(&t.naive_utc())
                .local_minus_utc(),
            Self::Fixed(off) => off.local_minus_utc(),
        }
    }

    /// How the zone shows beside a time at `ts`: `UTC`, an abbreviation (`CET`), or the offset
    /// (`+01:00`) where the zone has no abbreviation.
    pub fn abbrev(self, ts: u64) -> String {
        match self {
            Self::Utc => "UTC".to_owned(),
            Self::Named(tz) => tz
                .from_utc_datetime(&utc(ts).naive_utc())
                .format("%Z")
                .to_string(),
            Self::Local | Self::Fixed(_) => offset_text(self.offset_secs(ts)),
        }
    }

    /// The zone's name, for messages: `UTC`, `Europe/Berlin`, `local`.
    pub fn name(self) -> String {
        match self {
            Self::Utc => "UTC".to_owned(),
            Self::Named(tz) => tz.name().to_owned(),
            Self::Local => "local".to_owned(),
            Self::Fixed(off) => offset_text(off.local_minus_utc()),
        }
    }

    /// The instant (ns since the epoch) of a wall-clock time in this zone; the earlier one when
    /// a clock change makes it ambiguous, an error when a change skips it.
    pub fn instant(self, t: NaiveDateTime) -> anyhow::Result<u64> {
        let r: LocalResult<DateTime<FixedOffset>> = match self {
            Self::Utc => LocalResult::Single(Utc.from_utc_datetime(&t).fixed_offset()),
            Self::Named(tz) => tz.from_local_datetime(&t).map(|d| d.fixed_offset()),
            Self::Local => chrono::Local
                .from_local_datetime(&t)
                .map(|d| d.fixed_offset()),
            Self::Fixed(off) => off.from_local_datetime(&t),
        };
        match r.earliest() {
            Some(d) => ns_of(&d),
            None => bail!("{t} does not exist in {} (the clocks skip it)", self.name()),
        }
    }
}

fn offset_text(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}

fn utc(ts: u64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(i64::try_from(ts).unwrap_or(i64::MAX))
}

fn ns_of<Z: TimeZone>(d: &DateTime<Z>) -> anyhow::Result<u64> {
    d.timestamp_nanos_opt()
        .and_then(|n| u64::try_from(n).ok())
        .with_context(|| format!("{} is outside the times a capture can hold", d.naive_utc()))
}

static ZONE: OnceLock<Zone> = OnceLock::new();

/// Sets the zone every printer uses for the rest of the run (the first call wins).
pub fn set_zone(z: Zone) {
    let _ = ZONE.set(z);
}

/// The zone times print in (UTC until [`set_zone`]).
pub fn zone() -> Zone {
    ZONE.get().copied().unwrap_or(Zone::Utc)
}

thread_local! {
    /// The offset of the last quarter hour asked for: (quarter hour, offset in ns). Zone changes
    /// fall on quarter hours, and printers ask for millions of times in a row.
    static OFFSET: Cell<(u64, i64)> = const { Cell::new((u64::MAX, 0)) };
}

const QUARTER_NS: u64 = 900 * 1_000_000_000;

/// `ts` moved by the print zone's offset: the UTC digits of the result are the zone's
/// wall-clock digits.
pub fn wall(ts: u64) -> u64 {
    let z = zone();
    if z == Zone::Utc {
        return ts;
    }
    let q = ts / QUARTER_NS;
    let off = OFFSET.with(|c| {
        let (cq, off) = c.get();
        if cq == q {
            return off;
        }
        let off = i64::from(z.offset_secs(ts)) * 1_000_000_000;
        c.set((q, off));
        off
    });
    ts.saturating_add_signed(off)
}

/// `HH:MM:SS.nnnnnnnnn` in the print zone. Written digit by digit: this runs for every event
/// printed.
pub fn time_of_day(ts: u64, out: &mut String) {
    let ts = wall(ts);
    let sod = ts / 1_000_000_000 % 86_400;
    let ns = ts % 1_000_000_000;
    let mut b = *b"00:00:00.000000000";
    let digits = |b: &mut [u8], mut v: u64| {
        for d in b.iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    digits(&mut b[0..2], sod / 3600);
    digits(&mut b[3..5], sod / 60 % 60);
    digits(&mut b[6..8], sod % 60);
    digits(&mut b[9..18], ns);
    // The buffer holds only ASCII digits and separators.
    out.push_str(std::str::from_utf8(&b).unwrap_or_default());
}

/// `HH:MM:SS` in the print zone.
pub fn time_of_day_s(ts: u64, out: &mut String) {
    let mut t = String::with_capacity(18);
    time_of_day(ts, &mut t);
    out.push_str(&t[..8]);
}

/// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` in the print zone.
pub fn datetime(ts: u64, out: &mut String) {
    let _ = write!(out, "{}", utc(wall(ts)).format("%Y-%m-%d "));
    time_of_day(ts, out);
}

/// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn ZONE` (the zone's abbreviation or offset).
pub fn datetime_zoned(ts: u64) -> String {
    let mut s = String::new();
    datetime(ts, &mut s);
    s.push(' ');
    s.push_str(&zone().abbrev(ts));
    s
}

/// `YYYY-MM-DD HH:MM:SS.mmm ZONE`, for verdict lines.
pub fn datetime_ms(ts: u64) -> String {
    let mut s = String::new();
    datetime(ts, &mut s);
    s.truncate(23);
    s.push(' ');
    s.push_str(&zone().abbrev(ts));
    s
}

/// RFC 3339 with nanoseconds in the print zone: `2026-12-04T00:02:36.123456789Z`, or with the
/// offset (`+01:00`) in another zone. `--from` takes it back as it is.
pub fn rfc3339(ts: u64) -> String {
    let t = utc(ts);
    match zone() {
        Zone::Utc => t.to_rfc3339_opts(SecondsFormat::Nanos, true),
        z => t
            .with_timezone(&FixedOffset::east_opt(z.offset_secs(ts)).unwrap_or(Utc.fix()))
            .to_rfc3339_opts(SecondsFormat::Nanos, true),
    }
}

/// UTC to the millisecond with no separators, for file names: `20261204T053012.345Z`.
pub fn compact_utc(ts: u64) -> String {
    utc(ts).format("%Y%m%dT%H%M%S%.3fZ").to_string()
}

/// RFC 3339 in UTC whatever the print zone.
#[cfg(test)]
fn rfc3339_utc(ts: u64) -> String {
    utc(ts).to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Nanoseconds since the epoch of an RFC 3339 time (`2026-11-30T01:45:10.476204304Z`, or with
/// an offset), as container runtimes write them; `None` for malformed text and for times before
/// 1970 (Go's zero time among them).
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let d = DateTime::parse_from_rfc3339(s).ok()?;
    u64::try_from(d.timestamp_nanos_opt()?).ok()
}

/// sysdig's `-t` modes: what `evt.outputtime` (the time of the default line) shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputTime {
    /// `h`: the time of day in the print zone (the default).
    #[default]
    Human,
    /// `a`: seconds since the epoch, with nanoseconds.
    Absolute,
    /// `r`: seconds since the first event of the capture.
    Relative,
    /// `d`: the system call's latency (enter to exit).
    Latency,
    /// `D`: seconds since the previous event printed.
    Delta,
}

impl OutputTime {
    /// A `-t` argument.
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        Ok(match s {
            "h" => Self::Human,
            "a" => Self::Absolute,
            "r" => Self::Relative,
            "d" => Self::Latency,
            "D" => Self::Delta,
            _ => bail!(
                "-t takes h (time of day), a (absolute: epoch seconds), r (relative to the \
                 start), d (syscall latency) or D (delta from the previous event), as sysdig's \
                 does; not '{s}'"
            ),
        })
    }
}

static OUTPUT_TIME: OnceLock<OutputTime> = OnceLock::new();

/// Sets the `-t` mode for the rest of the run.
pub fn set_output_time(m: OutputTime) {
    let _ = OUTPUT_TIME.set(m);
}

/// The `-t` mode.
pub fn output_time() -> OutputTime {
    OUTPUT_TIME.get().copied().unwrap_or_default()
}

/// `S.nnnnnnnnn`: a span or epoch time as sysdig prints relative and absolute times.
pub fn seconds(ns: u64, out: &mut String) {
    let _ = write!(out, "{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000);
}

/// A span: `500ms`, `2s`, `1.5m`, `1h`, `30us`, `10ns`; a bare number is seconds.
pub fn parse_span(d: &str) -> anyhow::Result<Duration> {
    let split = d
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(d.len());
    let (num, unit) = d.split_at(split);
    let n: f64 = num.parse().with_context(|| format!("bad duration '{d}'"))?;
    let scale = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" | "" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        "d" => 86_400e9,
        _ => bail!("bad duration unit '{unit}' in '{d}' (use ns, us, ms, s, m, h or d)"),
    };
    let ns = n * scale;
    if !(0.0..=9.2e18).contains(&ns) {
        bail!("duration '{d}' is out of range");
    }
    Ok(Duration::nanoseconds(ns as i64))
}

/// What `--from`/`--to` take, for messages.
pub const TIME_FORMS: &str = "a time as casefile prints it (00:02:36, 00:02:36.5, \
2026-12-04 00:02:36, 2026-12-04T00:02:36Z, with or without a zone or offset: UTC, +01:00, \
Europe/Berlin), a date (2026-12-04), epoch seconds (1764806556.5) or nanoseconds, or relative: \
+30s after the first event, -5m before the last";

/// Parses a `--from`/`--to` time against a capture's first and last event times (ns):
/// relative (`+30s` after the first event, `-5m` before the last), epoch nanoseconds (or
/// seconds with a fraction, as `-t a` prints them), a date, a date and time, or a time of day
/// (on the capture's day: the first day from the capture's start on which it falls at or after
/// the start). Times without a zone are in the print zone.
pub fn parse_time(s: &str, range: (u64, u64)) -> anyhow::Result<u64> {
    parse_time_in(s, range, zone())
}

fn parse_time_in(s: &str, range: (u64, u64), zone: Zone) -> anyhow::Result<u64> {
    let s = s.trim();
    let bad = || format!("bad time '{s}': use {TIME_FORMS}");
    if let Some(d) = s.strip_prefix('+') {
        let d = parse_span(d).with_context(bad)?;
        return Ok(range
            .0
            .saturating_add(d.num_nanoseconds().unwrap_or(0) as u64));
    }
    if let Some(d) = s.strip_prefix('-') {
        let d = parse_span(d).with_context(bad)?;
        return Ok(range
            .1
            .saturating_sub(d.num_nanoseconds().unwrap_or(0) as u64));
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().with_context(bad);
    }
    if let Some((a, b)) = s.split_once('.')
        && !a.is_empty()
        && a.len() >= 9
        && a.bytes().all(|c| c.is_ascii_digit())
        && b.bytes().all(|c| c.is_ascii_digit())
    {
        let secs: u64 = a.parse().with_context(bad)?;
        let frac: String = b.chars().chain(std::iter::repeat('0')).take(9).collect();
        let frac: u64 = frac.parse().with_context(bad)?;
        return secs
            .checked_mul(1_000_000_000)
            .and_then(|n| n.checked_add(frac))
            .with_context(bad);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return ns_of(&d);
    }
    // A trailing zone: ` UTC`, `Z`, an offset (` +01:00`, `+0100`), a zone name, or the
    // abbreviation the print zone shows (`CET`).
    let (text, zone) = split_zone(s, zone, range);
    let text = text.trim();
    let norm = text.replacen('T', " ", 1);
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&norm, f) {
            return zone.instant(t);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return zone.instant(d.and_time(NaiveTime::MIN));
    }
    for f in ["%H:%M:%S%.f", "%H:%M"] {
        if let Ok(t) = NaiveTime::parse_from_str(text, f) {
            return on_capture_day(t, range, zone);
        }
    }
    Err(anyhow::anyhow!(bad()))
}

/// Splits a trailing zone off `s`; the zone given when there is none.
fn split_zone(s: &str, zone: Zone, range: (u64, u64)) -> (&str, Zone) {
    if let Some(t) = s.strip_suffix(['Z', 'z'])
        && t.ends_with(|c: char| c.is_ascii_digit())
    {
        return (t, Zone::Utc);
    }
    // An offset glued to the time: `00:02:36+01:00`, `00:02:36-0500`.
    if let Some(i) = s.rfind(['+', '-'])
        && i > 0
        && s[..i].contains(':')
        && let Some(off) = parse_offset(&s[i..])
    {
        return (&s[..i], fixed(off));
    }
    let Some((head, last)) = s.rsplit_once(' ') else {
        return (s, zone);
    };
    if let Some(off) = parse_offset(last) {
        return (head, fixed(off));
    }
    if let Ok(z) = Zone::parse(last) {
        return (head, z);
    }
    if last == zone.abbrev(range.0) || last == zone.abbrev(range.1) {
        return (head, zone);
    }
    (s, zone)
}

fn fixed(off: FixedOffset) -> Zone {
    if off.local_minus_utc() == 0 {
        Zone::Utc
    } else {
        Zone::Fixed(off)
    }
}

/// `+01:00`, `+0100`, `-05` (chrono's offset syntax, nothing after it).
fn parse_offset(s: &str) -> Option<FixedOffset> {
    let digits = s.strip_prefix(['+', '-'])?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    s.parse().ok()
}

/// A time of day on the capture's days in `zone`: the first day, from the capture's start, on
/// which it is not before the start (to the second), else the first day.
fn on_capture_day(t: NaiveTime, range: (u64, u64), zone: Zone) -> anyhow::Result<u64> {
    let at = |d: NaiveDate| zone.instant(d.and_time(t));
    let day = |ts: u64| {
        utc(ts.saturating_add_signed(i64::from(zone.offset_secs(ts)) * 1_000_000_000)).date_naive()
    };
    let first = day(range.0);
    let last = day(range.1);
    let start_s = range.0 / 1_000_000_000 * 1_000_000_000;
    let mut d = first;
    while d <= last {
        let ts = at(d)?;
        if ts >= start_s {
            return Ok(ts);
        }
        d = d.succ_opt().unwrap_or(d);
        if d == NaiveDate::MAX {
            break;
        }
    }
    at(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;
    /// 2026-12-04 00:02:36 UTC.
    const T0: u64 = 1_796_342_556 * S;

    fn p(s: &str) -> u64 {
        parse_time_in(s, (T0, T0 + 3600 * S), Zone::Utc).unwrap_or_else(|e| panic!("{s}: {e:#}"))
    }

    #[test]
    fn every_printed_form_parses_back() {
        let mut printed = String::new();
        datetime(T0 + 5, &mut printed);
        assert_eq!(printed, "2026-12-04 00:02:36.000000005");
        assert_eq!(p(&printed), T0 + 5);
        assert_eq!(p("2026-12-04 00:02:36"), T0);
        assert_eq!(p("2026-12-04 00:02:36 UTC"), T0);
        assert_eq!(p("2026-12-04T00:02:36"), T0);
        assert_eq!(p("2026-12-04T00:02:36Z"), T0);
        assert_eq!(p("2026-12-04T01:02:36+01:00"), T0);
        assert_eq!(p("2026-12-04 01:02:36 +01:00"), T0);
        assert_eq!(p("2026-12-04 01:02:36 Europe/Berlin"), T0);
        assert_eq!(p("2026-12-04 05:32:36 +05:30"), T0);
        assert_eq!(p("00:02:36"), T0);
        assert_eq!(p("00:32"), T0 + (30 * 60 - 36) * S);
        assert_eq!(p("00:02:36.5"), T0 + S / 2);
        assert_eq!(p(&rfc3339_utc(T0 + 7)), T0 + 7);
        assert_eq!(p(&datetime_ms_utc(T0)), T0);
        assert_eq!(p("2026-12-04"), T0 - 156 * S);
        assert_eq!(p("1796342556.25"), T0 + S / 4);
        assert_eq!(p("1796342556000000000"), T0);
        assert_eq!(p("+30s"), T0 + 30 * S);
        assert_eq!(p("-5m"), T0 + 3300 * S);
        assert_eq!(p("+1.5us"), T0 + 1500);
    }

    fn datetime_ms_utc(ts: u64) -> String {
        datetime_ms(ts)
    }

    #[test]
    fn a_time_of_day_lands_on_the_capture_day_it_falls_in() {
        // A capture from 23:00 to 01:00 the next day: 00:30 is the next day's.
        let start = T0 - 156 * S - 3600 * S;
        let r = (start, start + 2 * 3600 * S);
        assert_eq!(
            parse_time_in("00:30", r, Zone::Utc).ok(),
            Some(start + 5400 * S)
        );
        assert_eq!(
            parse_time_in("23:30", r, Zone::Utc).ok(),
            Some(start + 1800 * S)
        );
    }

    #[test]
    fn zones_shift_digits_and_name_themselves() {
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        assert_eq!(berlin.offset_secs(T0), 3600);
        assert_eq!(berlin.abbrev(T0), "CET");
        assert_eq!(
            parse_time_in("01:02:36", (T0, T0 + S), berlin).ok(),
            Some(T0)
        );
        assert_eq!(
            parse_time_in("2026-12-04 01:02:36 CET", (T0, T0 + S), berlin).ok(),
            Some(T0)
        );
        // Summer time: the same wall clock is an hour earlier in UTC.
        let july = T0 - 150 * 86_400 * S;
        assert_eq!(berlin.offset_secs(july), 7200);
        assert!(Zone::parse("Mars/Olympus").is_err());
        // 02:30 on the spring-forward night does not exist in Berlin.
        let t = NaiveDateTime::parse_from_str("2026-03-29 02:30:00", "%Y-%m-%d %H:%M:%S")
            .expect("naive");
        assert!(berlin.instant(t).is_err());
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for s in [
            "soon",
            "+2 parsecs",
            "25:00:00",
            "2026-13-01",
            "",
            "-",
            "12.5",
        ] {
            assert!(parse_time_in(s, (T0, T0), Zone::Utc).is_err(), "{s}");
        }
    }

    #[test]
    fn rfc3339_as_runtimes_write_it() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-11-30T01:45:10.476204304Z"),
            Some(1_796_003_110_476_204_304)
        );
        assert_eq!(
            parse_rfc3339("2026-11-30T02:45:10.5+01:00"),
            Some(1_796_003_110_500_000_000)
        );
        for s in [
            "0001-01-01T00:00:00Z",
            "2026-11-30T01:45:10",
            "2026-13-01T00:00:00Z",
            "",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00.000000000Z");
    }

    #[test]
    fn output_time_modes() {
        assert_eq!(OutputTime::parse("D").ok(), Some(OutputTime::Delta));
        assert!(OutputTime::parse("x").is_err());
        let mut s = String::new();
        seconds(1_500_000_001, &mut s);
        assert_eq!(s, "1.500000001");
    }
}
