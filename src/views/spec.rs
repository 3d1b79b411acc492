//! The description of a view: plain `'static` data, listed by [`super::catalog`].

/// How a view turns events into rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ViewKind {
    /// One row per distinct key; columns aggregate the row's events.
    Table,
    /// One row per matching event (csysdig's list views: spy_users, file_opens, ...).
    List,
}

/// What a column computes over a row's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Agg {
    /// The value of a key field (the row's identity).
    Key,
    /// Number of events.
    Count,
    /// Sum of a numeric field.
    Sum,
    /// Mean of a numeric field.
    Avg,
    /// Smallest value of a numeric field.
    Min,
    /// Largest value of a numeric field.
    Max,
    /// Median (nearest rank) of a numeric field.
    P50,
    /// 95th percentile (nearest rank).
    P95,
    /// 99th percentile (nearest rank).
    P99,
    /// Time of the row's first event.
    FirstSeen,
    /// Time of the row's last event.
    LastSeen,
    /// Number of distinct values of a field.
    Distinct,
    /// The field's value at the row's first event that has one.
    First,
    /// The field's value at the row's last event that has one.
    Last,
    /// A process-image field (proc.name, proc.cmdline, user.name): taken at the row's first
    /// event and again at each `procexec` of the row, the only events that change it. Cheaper
    /// than [`Agg::Last`] for fields that build a string.
    Image,
    /// In a list view: the field's value at the event.
    Value,
}

impl Agg {
    /// Whether the aggregation reads a field.
    pub fn needs_field(self) -> bool {
        !matches!(self, Agg::Count | Agg::FirstSeen | Agg::LastSeen)
    }
}

/// How a column's numbers read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// A count or a plain number.
    Num,
    /// Bytes.
    Bytes,
    /// A duration in nanoseconds.
    Ns,
    /// A time, nanoseconds since the epoch.
    Time,
    /// Text (or whatever type the field has).
    Text,
    /// A Falco rule priority, as its rank (0 is Emergency, the most severe).
    Priority,
}

/// One column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Column {
    /// Header, also the name `--sort` takes (case-insensitive).
    pub name: &'static str,
    /// The aggregation.
    pub agg: Agg,
    /// The field it reads (filter-language name), when the aggregation needs one.
    pub field: Option<&'static str>,
    /// Only events matching this filter count towards the column (e.g. `evt.is_io_read=true`
    /// for a bytes-in column).
    pub when: Option<&'static str>,
    /// How its numbers read.
    pub unit: Unit,
}

/// Where a row leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Drill {
    /// Target view id (`dig` is the raw event list, `echo` the I/O streams).
    pub view: &'static str,
    /// The key field whose value in the row filters the target (`fd.name = "/etc/passwd"`).
    pub key: &'static str,
}

/// Sort order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// A view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ViewSpec {
    /// Short id (`procs`, `files`, ...), as csysdig names it.
    pub id: &'static str,
    /// Title.
    pub name: &'static str,
    /// One sentence on what it shows.
    pub description: &'static str,
    /// Table or list.
    pub kind: ViewKind,
    /// Which events it looks at (filter-language text); `None` for every event.
    pub filter: Option<&'static str>,
    /// Columns, key columns first.
    pub columns: &'static [Column],
    /// Default sort: column name and order.
    pub sort: (&'static str, Order),
    /// Where a row leads.
    pub drill: Option<Drill>,
}

impl ViewSpec {
    /// The index of the column named `name` (case-insensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// A column shorthand for the catalog.
pub const fn col(
    name: &'static str,
    agg: Agg,
    field: Option<&'static str>,
    when: Option<&'static str>,
    unit: Unit,
) -> Column {
    Column {
        name,
        agg,
        field,
        when,
        unit,
    }
}
