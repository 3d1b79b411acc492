//! The screens of the stack (a view table, the overview, dig, echo) and the input modes
//! layered over them: the model [`super::ui`] draws.

use crate::views::alerts::{ALERTS, ALERTS_TILE};
use crate::views::catalog;
use crate::views::echo::Stream;
use crate::views::eval::{Cell, Table, combine};
use crate::views::overview::{Category, Overview, TILES, Tile};
use crate::views::spec::{Order, ViewSpec};

/// How echo shows payloads (csysdig's three renderings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoMode {
    /// Printable characters and line ends; other bytes dropped.
    Printable,
    /// Printable characters; other bytes as `.`.
    Dotted,
    /// Hex and dotted ASCII.
    Hex,
}

impl EchoMode {
    /// Its name in the status line.
    pub fn name(self) -> &'static str {
        match self {
            EchoMode::Printable => "printable ASCII",
            EchoMode::Dotted => "dotted ASCII",
            EchoMode::Hex => "hex",
        }
    }

    pub(super) fn next(self) -> EchoMode {
        match self {
            EchoMode::Printable => EchoMode::Dotted,
            EchoMode::Dotted => EchoMode::Hex,
            EchoMode::Hex => EchoMode::Printable,
        }
    }
}

/// What a screen shows.
#[derive(Debug)]
pub enum Content {
    /// The tiles.
    Overview(Option<Box<Overview>>),
    /// A view table.
    Table {
        /// The view.
        spec: &'static ViewSpec,
        /// Its result once computed.
        table: Option<Box<Table>>,
        /// Sort column (its name: a merged capture's tables have a HOST column first) and
        /// order.
        sort: Option<(&'static str, Order)>,
    },
    /// I/O payloads.
    Echo {
        /// The streams (`casefile echo`'s).
        streams: Vec<Stream>,
        /// Rendering.
        mode: EchoMode,
        /// The rendered lines (header lines flagged).
        lines: Vec<(bool, String)>,
        /// Cut at the line limit.
        cut: bool,
    },
    /// Raw events.
    Dig {
        /// One line per event.
        lines: Vec<String>,
        /// Cut at the line limit.
        cut: bool,
    },
}

/// The time range a screen's content was computed for (`None` inside: the whole capture).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loaded(pub Option<(u64, u64)>);

/// One entry of the screen stack.
#[derive(Debug)]
pub struct Screen {
    /// Unique id (jobs name the screen they fill).
    pub uid: u64,
    /// Breadcrumb label.
    pub crumb: String,
    /// Filter from the tile or the drill-downs that led here.
    pub context: Option<String>,
    /// The user's filter from the filter bar.
    pub user: Option<String>,
    /// What it shows.
    pub content: Content,
    /// Selected row (tile index in display order on the overview).
    pub selected: usize,
    /// First visible row.
    pub offset: usize,
    /// The time range the content was computed for (`None`: not computed yet).
    pub loaded: Option<Loaded>,
    /// Progress of the job filling it.
    pub progress: Option<(f64, u64)>,
    /// Why it is empty.
    pub error: Option<String>,
    /// On the overview: the Alerts tile is shown (rules were given).
    pub alerts_tile: bool,
    /// On an alert events screen: the rule (an index into the ruleset) whose events it lists.
    pub rule: Option<usize>,
}

impl Screen {
    pub(super) fn new(
        uid: u64,
        crumb: String,
        context: Option<String>,
        content: Content,
    ) -> Screen {
        Screen {
            uid,
            crumb,
            context,
            user: None,
            content,
            selected: 0,
            offset: 0,
            loaded: None,
            progress: None,
            error: None,
            alerts_tile: false,
            rule: None,
        }
    }

    /// Context and user filter together.
    pub fn filter(&self) -> Option<String> {
        combine(self.context.as_deref(), self.user.as_deref())
    }

    /// Number of selectable rows.
    pub fn len(&self) -> usize {
        match &self.content {
            Content::Overview(_) => tile_order(self.alerts_tile).len(),
            Content::Table { table, .. } => table.as_ref().map_or(0, |t| t.rows.len()),
            Content::Echo { lines, .. } => lines.len(),
            Content::Dig { lines, .. } => lines.len(),
        }
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Searchable text of row `i`.
    pub(super) fn row_text(&self, i: usize) -> String {
        match &self.content {
            Content::Overview(_) => tile_order(self.alerts_tile)
                .get(i)
                .map_or("", |t| t.name)
                .into(),
            Content::Table { table, .. } => table
                .as_ref()
                .and_then(|t| t.rows.get(i))
                .map(|r| r.cells.iter().map(Cell::text).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
            Content::Echo { lines, .. } => lines.get(i).map(|l| l.1.clone()).unwrap_or_default(),
            Content::Dig { lines, .. } => lines.get(i).cloned().unwrap_or_default(),
        }
    }
}

/// An input mode layered over the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Keys go to the screen.
    Normal,
    /// Editing the filter; the error is recomputed on each key.
    Filter {
        /// Text typed so far.
        text: String,
        /// Column (1-based) and message of the first error.
        error: Option<(usize, String)>,
    },
    /// Finding text in the rows.
    Find {
        /// Text typed so far.
        text: String,
        /// Whether the last search failed.
        missed: bool,
    },
    /// Choosing a view.
    Picker {
        /// Selected entry.
        selected: usize,
    },
    /// The key list.
    Help,
}

/// The entries of the view picker: the Alerts view (when rules were given), every catalog
/// view, then dig and echo.
pub fn picker_entries(alerts: bool) -> Vec<(&'static str, &'static str)> {
    alerts
        .then_some((ALERTS.id, "Alerts (Falco rules)"))
        .into_iter()
        .chain(catalog::VIEWS.iter().map(|v| (v.id, v.name)))
        .chain([("dig", "Raw events (dig)"), ("echo", "I/O streams (echo)")])
        .collect()
}

/// The overview's tiles in display order (by category); the Alerts tile leads the Security
/// category when rules were given.
pub fn tile_order(alerts: bool) -> Vec<&'static Tile> {
    Category::ALL
        .iter()
        .flat_map(|c| {
            let lead = (alerts && ALERTS_TILE.category == *c).then_some(&ALERTS_TILE);
            lead.into_iter()
                .chain(TILES.iter().filter(move |t| t.category == *c))
        })
        .collect()
}
