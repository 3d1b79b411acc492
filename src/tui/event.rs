//! What the event loop reacts to: terminal input, ticks, and the messages of background jobs.
//! Producers on threads (the input reader, the ticker, [`super::jobs`]) feed one channel of
//! [`AppEvent`]s; [`super::app::App`] consumes them.

use crossterm::event::{KeyEvent, MouseEvent};

use crate::replay::session::Damage;
use crate::views::echo::Stream;
use crate::views::eval::Table;
use crate::views::overview::Overview;

/// Everything the event loop reacts to; producers on threads feed one channel of these.
#[derive(Debug)]
pub enum AppEvent {
    /// A key press.
    Key(KeyEvent),
    /// A mouse action.
    Mouse(MouseEvent),
    /// The terminal changed size.
    Resize(u16, u16),
    /// Time passed (animates the progress spinner).
    Tick,
    /// A message from job `id`.
    Job(u64, JobMsg),
}

/// A job's messages.
#[derive(Clone, Debug)]
pub enum JobMsg {
    /// The index has been read: the end of an open job, whose [`JobMsg::Losses`] follow.
    Opened(Box<Opened>),
    /// Loss intervals from the footer tables, after the open job's end.
    Losses(Vec<(u64, u64, u64)>),
    /// Fraction done (0 to 1) and events seen.
    Progress(f64, u64),
    /// The overview.
    Overview(Box<Overview>),
    /// The overview so far, while its scan goes on.
    Partial(Box<Overview>),
    /// Damaged blocks the scan skipped, how many times and which (the job goes on to its
    /// result).
    Damaged(u64, Damage),
    /// A view table.
    Table(Box<Table>),
    /// Echo streams (and whether they were cut at [`MAX_LINES`](super::jobs::MAX_LINES) payloads).
    Echo(Vec<Stream>, bool),
    /// Dig lines (and whether the list was cut).
    Dig(Vec<String>, bool),
    /// The job failed (or was cancelled: then nobody waits for it).
    Failed(String),
}

/// What the block index says about a capture, computed without decoding events.
#[derive(Clone, Debug, PartialEq)]
pub struct Opened {
    /// Events in the capture.
    pub events: u64,
    /// First and last event time.
    pub range: (u64, u64),
    /// Events per timeline bucket, spread from each block's count and time range.
    pub density: Vec<u64>,
    /// Loss intervals (from, to, events lost), once read.
    pub losses: Vec<(u64, u64, u64)>,
    /// Event blocks.
    pub blocks: usize,
    /// Whether the footer was missing and the index rebuilt.
    pub recovered: bool,
    /// What triggered an incident file of the flight recorder: time and what fired.
    pub triggers: Vec<(u64, String)>,
}
