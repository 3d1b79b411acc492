//! What triggered an incident file of the flight recorder, as its header says it.
//!
//! An incident file is an ordinary capture whose header carries one entry under key
//! [`TRIGGER_KEY`] per trigger written when the file was created (the first match, or the
//! signal that asked for the window). A trigger that fires later inside the window (and so
//! extends it) is written as the same entry in a notes block (type 7) of the file, as it fires;
//! files written before notes existed hold the first trigger only, and read as before. The
//! value is UTF-8 text in three lines:
//!
//! ```text
//! <time of the matching event, ns since the epoch>
//! <what fired: "rule NAME (PRIORITY)", "filter TEXT" or "signal SIGUSR1">
//! <the event as a line of text (a Falco alert for a rule); for a signal, empty, or
//!  "sent by casefile trigger (pid N)" when `casefile trigger` sent it>
//! ```
//!
//! Readers that do not know the key keep it as an unknown header entry; `casefile info` and the
//! TUI show it.

use capture_format::HeaderInfo;

/// The header key of a trigger entry (see the module doc).
pub const TRIGGER_KEY: u16 = 14;

/// One trigger of an incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trigger {
    /// Time of the event that matched (or of the signal), ns since the epoch.
    pub ts: u64,
    /// What fired: `rule NAME (PRIORITY)`, `filter TEXT` or `signal SIGUSR1`.
    pub what: String,
    /// The event, as a line of text; for a signal, who sent it when `casefile trigger` did.
    pub event: String,
}

impl Trigger {
    /// The header entry's value.
    pub fn encode(&self) -> Vec<u8> {
        let one_line = |s: &str| s.replace(['\n', '\r'], " ");
        format!(
            "{}\n{}\n{}",
            self.ts,
            one_line(&self.what),
            one_line(&self.event)
        )
        .into_bytes()
    }

    /// Parses a header entry's value; `None` when it is not one.
    pub fn decode(v: &[u8]) -> Option<Trigger> {
        let text = String::from_utf8_lossy(v);
        let mut lines = text.splitn(3, '\n');
        let ts = lines.next()?.parse().ok()?;
        let what = lines.next()?.to_owned();
        let event = lines.next().unwrap_or("").to_owned();
        Some(Trigger { ts, what, event })
    }

    /// The triggers a capture's header names (none for a capture that is not an incident).
    pub fn of(info: &HeaderInfo) -> Vec<Trigger> {
        info.unknown
            .iter()
            .filter(|(k, _)| *k == TRIGGER_KEY)
            .filter_map(|(_, v)| Trigger::decode(v))
            .collect()
    }

    /// Every trigger of an incident file, in the order they fired: the header's, then those
    /// its notes blocks add. A notes block that does not read is an error naming its offset.
    pub fn of_capture(
        cap: &capture_format::CaptureFile,
    ) -> Result<Vec<Trigger>, capture_format::Error> {
        let mut out = Trigger::of(&cap.header().info);
        out.extend(
            cap.notes()?
                .iter()
                .filter(|(k, _)| *k == TRIGGER_KEY)
                .filter_map(|(_, v)| Trigger::decode(v)),
        );
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_round_trips_through_a_header() {
        let t = Trigger {
            ts: 1_700_000_000_123_456_789,
            what: "rule Shell in container (Warning)".into(),
            event: "12:00:00 Warning a shell\nwas run".into(),
        };
        let mut info = HeaderInfo::default();
        info.unknown.push((TRIGGER_KEY, t.encode()));
        info.unknown.push((99, b"other".to_vec()));
        let bytes = info.encode();
        let back = capture_format::header::FileHeader::parse(&bytes).expect("parse");
        let got = Trigger::of(&back.info);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].ts, t.ts);
        assert_eq!(got[0].what, t.what);
        assert_eq!(got[0].event, "12:00:00 Warning a shell was run");
        assert_eq!(Trigger::decode(b"not a number\nx\ny"), None);
    }
}
