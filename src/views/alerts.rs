//! Falco's rules as a view: which rules fired over the events a filter and a time range select
//! ([`run_alerts`], one row per rule), and the events that fired one rule ([`run_alert_events`],
//! one row per alert with its output text).
//!
//! The rules run as `casefile rules` runs them ([`Matcher`]: first match in load order, or
//! every match), over the events that the user's filter selects; without a filter, blocks that
//! no rule can match are skipped from their summaries. The results are ordinary [`Table`]s, so
//! they sort, search and drill down like every other view; their [`ViewSpec`]s are not in
//! [`super::catalog::VIEWS`] because a catalog view is evaluated from its spec alone.

use std::collections::BTreeSet;

use super::eval::{Cell, Control, Head, Row, Table, ViewError, compile_filters, resolve_field};
use super::overview::{Category, Guard, Metric, Overview, Tile, TileResult};
use super::spec::Agg::{FirstSeen, Key, LastSeen, Value};
use super::spec::Unit::{Num, Priority as Prio, Text, Time};
use super::spec::{Agg, Column, Drill, Order, ViewKind, ViewSpec, col};
use crate::filter::{Source, Val};
use crate::replay::context::EventCtx;
use crate::replay::fields::Field;
use crate::replay::session::{Flow, Session};
use crate::rules::{Matcher, Ruleset};

/// Rules that fired: one row per rule.
pub static ALERTS: ViewSpec = ViewSpec {
    id: "alerts",
    name: "Alerts",
    description: "Falco rules that fired (casefile inspect -r): priority, count, first and last \
                  time, containers; the most severe first, then the most frequent.",
    kind: ViewKind::Table,
    filter: None,
    columns: &[
        col("RULE", Key, None, None, Text),
        col("PRIORITY", Value, None, None, Prio),
        col("COUNT", Agg::Count, None, None, Num),
        col("FIRST", FirstSeen, None, None, Time),
        col("LAST", LastSeen, None, None, Time),
        col("CONTAINERS", Value, None, None, Text),
    ],
    sort: ("PRIORITY", Order::Asc),
    drill: Some(Drill {
        view: "alert_events",
        key: "rule",
    }),
};

/// The events that fired one rule: one row per alert.
pub static ALERT_EVENTS: ViewSpec = ViewSpec {
    id: "alert_events",
    name: "Alert events",
    description: "The events that fired a rule, with the rule's output text.",
    kind: ViewKind::List,
    filter: None,
    columns: &[
        col("TIME", Value, Some("evt.rawtime"), None, Time),
        col("PID", Value, Some("proc.pid"), None, Num),
        col("PROC", Value, Some("proc.name"), None, Text),
        col("CONTAINER", Value, Some("container.name"), None, Text),
        col("OUTPUT", Value, None, None, Text),
    ],
    sort: ("TIME", Order::Asc),
    drill: Some(Drill {
        view: "procs",
        key: "proc.pid",
    }),
};

/// Rules for the Alerts view, compiled once for every run.
#[derive(Debug)]
pub struct Rules {
    /// The rules that run.
    pub set: Ruleset,
    /// Every rule an event matches fires, not only the first.
    pub all_matches: bool,
}

fn head(c: &Column) -> Head {
    Head {
        name: c.name,
        agg: c.agg,
        field: c.field,
        unit: c.unit,
    }
}

const HOST: Column = col("HOST", Value, Some("host.name"), None, Text);

fn field(name: &str) -> Result<Field, ViewError> {
    resolve_field(name).map_err(|e| ViewError::BadField {
        view: "alerts".into(),
        column: String::new(),
        field: name.into(),
        message: format!("{e:?}"),
    })
}

fn text(ctx: &mut EventCtx<'_, '_>, f: &Field) -> Option<String> {
    match ctx.get(f)? {
        Val::Str(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        v => Some(Cell::from_val(&v).text()),
    }
}

/// Runs the rules over the events `user` selects in the session's range, calling `fired` for
/// each alert (rule index and event). Returns the number of events evaluated.
fn scan(
    rules: &Rules,
    session: &mut Session,
    user: Option<&str>,
    ctl: &mut Control<'_>,
    mut fired: impl FnMut(usize, &mut EventCtx<'_, '_>),
) -> Result<u64, ViewError> {
    let user = compile_filters(None, user)?;
    if rules.set.rules.is_empty() {
        ctl.done(0);
        return Ok(0);
    }
    let range = super::eval::session_range(session);
    let mut matcher = Matcher::new(&rules.set, rules.all_matches);
    let mut n = 0u64;
    let sink = |ctx: &mut EventCtx<'_, '_>| -> Result<Flow, ViewError> {
        n += 1;
        matcher.event(&rules.set, ctx, |i, ctx| -> Result<(), ViewError> {
            fired(i, ctx);
            Ok(())
        })?;
        Ok(ctl.tick(n, ctx.ev.ts, range))
    };
    match &user {
        Some(f) => session.run(Some(f), sink)?,
        None => session.run_blocks(rules.set.any.as_ref(), sink)?,
    }
    if ctl.cancelled() {
        return Err(ViewError::Cancelled);
    }
    ctl.done(n);
    Ok(n)
}

#[derive(Default)]
struct Fired {
    count: u64,
    first: u64,
    last: u64,
    containers: BTreeSet<String>,
}

/// One row per rule that fired, the most severe first, then the most frequent; the table's
/// `events` counts the alerts. Containers are named (`host` for the host), with their host in
/// a merged capture.
pub fn run_alerts(
    rules: &Rules,
    session: &mut Session,
    user: Option<&str>,
    ctl: &mut Control<'_>,
) -> Result<Table, ViewError> {
    let merged = session.capture().header().info.hosts.len() > 1;
    let (f_container, f_host) = (field("container.name")?, field("host.name")?);
    let mut by_rule: Vec<Fired> = (0..rules.set.rules.len())
        .map(|_| Fired::default())
        .collect();
    scan(rules, session, user, ctl, |i, ctx| {
        let Some(r) = by_rule.get_mut(i) else { return };
        let ts = ctx.ev.ts;
        if r.count == 0 {
            r.first = ts;
        }
        r.count += 1;
        r.last = ts;
        let mut name = text(ctx, &f_container).unwrap_or_else(|| "?".into());
        if merged {
            name = format!("{}/{name}", text(ctx, &f_host).unwrap_or_default());
        }
        if !r.containers.contains(&name) {
            r.containers.insert(name);
        }
    })?;
    let mut fired: Vec<(usize, Fired)> = by_rule
        .into_iter()
        .enumerate()
        .filter(|(_, f)| f.count > 0)
        .collect();
    let set = &rules.set;
    fired.sort_by(|(a, fa), (b, fb)| {
        set.rules[*a]
            .priority
            .cmp(&set.rules[*b].priority)
            .then(fb.count.cmp(&fa.count))
            .then_with(|| set.rules[*a].name.cmp(&set.rules[*b].name))
    });
    let alerts = fired.iter().map(|(_, f)| f.count).sum();
    let rows = fired
        .into_iter()
        .map(|(i, f)| {
            let rule = &set.rules[i];
            let rank = crate::rules::Priority::ALL
                .iter()
                .position(|p| *p == rule.priority)
                .unwrap_or(0);
            Row {
                cells: vec![
                    Cell::Text(rule.name.clone()),
                    Cell::Num(rank as i64),
                    Cell::Num(i64::try_from(f.count).unwrap_or(i64::MAX)),
                    Cell::Num(f.first as i64),
                    Cell::Num(f.last as i64),
                    Cell::Text(f.containers.into_iter().collect::<Vec<_>>().join(", ")),
                ],
                drill: None,
            }
        })
        .collect();
    Ok(Table {
        view: ALERTS.id,
        columns: ALERTS.columns.iter().map(head).collect(),
        rows,
        drill_view: Some("alert_events"),
        events: alerts,
    })
}

/// The events that fired rule `rule` (an index into `rules.set.rules`), in time order, at most
/// `max` rows; the table's `events` counts them all. Each row drills down to its process.
pub fn run_alert_events(
    rules: &Rules,
    rule: usize,
    session: &mut Session,
    user: Option<&str>,
    max: usize,
    ctl: &mut Control<'_>,
) -> Result<Table, ViewError> {
    let merged = session.capture().header().info.hosts.len() > 1;
    let (f_pid, f_proc, f_container, f_host) = (
        field("proc.pid")?,
        field("proc.name")?,
        field("container.name")?,
        field("host.name")?,
    );
    let Some(template) = rules.set.rules.get(rule).map(|r| &r.output) else {
        return Ok(Table {
            view: ALERT_EVENTS.id,
            columns: ALERT_EVENTS.columns.iter().map(head).collect(),
            rows: Vec::new(),
            drill_view: Some("procs"),
            events: 0,
        });
    };
    let mut rows = Vec::new();
    let mut alerts = 0u64;
    scan(rules, session, user, ctl, |i, ctx| {
        if i != rule {
            return;
        }
        alerts += 1;
        if rows.len() >= max {
            return;
        }
        let pid = match ctx.get(&f_pid) {
            Some(Val::Num(n)) => Cell::Num(n),
            _ => Cell::None,
        };
        let host = merged.then(|| text(ctx, &f_host).unwrap_or_default());
        let drill = match (&pid, &host) {
            (Cell::Num(p), Some(h)) => Some(format!(
                "host.name = {} and proc.pid = {p}",
                super::eval::quote(&Cell::Text(h.clone()))
            )),
            (Cell::Num(p), None) => Some(format!("proc.pid = {p}")),
            _ => None,
        };
        let mut output = String::new();
        template.render(ctx, &mut output);
        let mut cells = Vec::with_capacity(6);
        if let Some(h) = host {
            cells.push(Cell::Text(h));
        }
        cells.extend([
            Cell::Num(ctx.ev.ts as i64),
            pid,
            text(ctx, &f_proc).map_or(Cell::None, Cell::Text),
            text(ctx, &f_container).map_or(Cell::None, Cell::Text),
            Cell::Text(output),
        ]);
        rows.push(Row { cells, drill });
    })?;
    let columns = merged
        .then_some(&HOST)
        .into_iter()
        .chain(ALERT_EVENTS.columns)
        .map(head)
        .collect();
    Ok(Table {
        view: ALERT_EVENTS.id,
        columns,
        rows,
        drill_view: Some("procs"),
        events: alerts,
    })
}

/// The name of priority rank `n` (as the PRIORITY column holds it).
pub fn priority_name(n: i64) -> Option<&'static str> {
    usize::try_from(n)
        .ok()
        .and_then(|i| crate::rules::Priority::ALL.get(i))
        .map(|p| p.name())
}

/// The overview's Alerts tile (shown when rules were given): alerts over time; it opens the
/// Alerts view.
pub static ALERTS_TILE: Tile = Tile {
    id: "alerts",
    name: "Alerts",
    category: Category::Security,
    filter: "evt.num > 0",
    guard: Guard::Any,
    metric: Metric::Count,
    unit: Num,
    target: "alerts",
    target_filter: None,
    target_sort: None,
};

/// The Alerts tile's total and series, over the buckets of `overview` (computed over the same
/// session and filter).
pub fn alerts_tile(
    rules: &Rules,
    session: &mut Session,
    user: Option<&str>,
    overview: &Overview,
    ctl: &mut Control<'_>,
) -> Result<TileResult, ViewError> {
    let buckets = overview.buckets.max(1);
    let mut series = vec![0i64; buckets];
    let mut total = 0i64;
    let (from, width) = (overview.origin, overview.bucket_ns.max(1));
    scan(rules, session, user, ctl, |_, ctx| {
        let b = usize::try_from(ctx.ev.ts.saturating_sub(from) / width)
            .unwrap_or(usize::MAX)
            .min(buckets - 1);
        series[b] += 1;
        total += 1;
    })?;
    let t = &ALERTS_TILE;
    Ok(TileResult {
        id: t.id,
        name: t.name,
        category: t.category,
        unit: t.unit,
        total,
        series,
        target: t.target,
        target_filter: t.target_filter,
        target_sort: t.target_sort,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::replay::session::Options;
    use crate::rules::Selection;

    /// `fixtures/rules/basic.yaml` and `overrides.yaml` over `fixtures/replay/state.case`:
    /// `casefile rules` reports 9 alerts from 4 rules (Any read 5, Read sensitive file 2, Write
    /// to a passwd file 1 (Critical once overridden), Shell spawned a program 1).
    fn rules(all_matches: bool) -> Rules {
        let files: Vec<(String, String)> = ["basic", "overrides"]
            .iter()
            .map(|n| {
                let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(format!("fixtures/rules/{n}.yaml"));
                let text = std::fs::read_to_string(&p).expect("rules fixture");
                (format!("{n}.yaml"), text)
            })
            .collect();
        let set = crate::rules::compile(&files, &Selection::default()).expect("rules compile");
        Rules { set, all_matches }
    }

    fn session() -> Session {
        let path = crate::replay::testutil::state_fixture();
        let cap = capture_format::CaptureFile::read(&path).expect("state fixture");
        Session::new(cap, Options::default()).expect("session")
    }

    fn col(t: &Table, name: &str) -> Vec<String> {
        let i = t.column(name).expect("column");
        t.rows.iter().map(|r| r.cells[i].text()).collect()
    }

    #[test]
    fn rules_that_fired_come_most_severe_first_then_most_frequent() {
        let t = run_alerts(&rules(false), &mut session(), None, &mut Control::default())
            .expect("alerts");
        assert_eq!(
            col(&t, "RULE"),
            [
                "Write to a passwd file",
                "Read sensitive file",
                "Shell spawned a program",
                "Any read"
            ]
        );
        assert_eq!(col(&t, "COUNT"), ["1", "2", "1", "5"]);
        let prio = t.column("PRIORITY").expect("priority");
        let names: Vec<String> = t
            .rows
            .iter()
            .map(|r| super::super::eval::display(&r.cells[prio], Prio))
            .collect();
        assert_eq!(names, ["Critical", "Warning", "Notice", "Debug"]);
        assert_eq!(t.events, 9, "alerts, as casefile rules counts them");
        // The user's filter narrows the events the rules see.
        let t = run_alerts(
            &rules(false),
            &mut session(),
            Some("proc.name = cat"),
            &mut Control::default(),
        )
        .expect("alerts");
        assert_eq!(col(&t, "RULE"), ["Shell spawned a program", "Any read"]);
        assert_eq!(col(&t, "COUNT"), ["1", "1"]);
    }

    #[test]
    fn a_rules_events_carry_the_alert_text_and_drill_to_their_process() {
        let r = rules(false);
        let any_read = r
            .set
            .rules
            .iter()
            .position(|x| x.name == "Any read")
            .expect("Any read");
        let t = run_alert_events(
            &r,
            any_read,
            &mut session(),
            None,
            100,
            &mut Control::default(),
        )
        .expect("events");
        assert_eq!(t.events, 5);
        let out = col(&t, "OUTPUT");
        assert_eq!(out.len(), 5);
        assert!(out.iter().all(|o| o.starts_with("read by ")), "{out:?}");
        let times = col(&t, "TIME");
        let mut sorted = times.clone();
        sorted.sort_by_key(|s| s.parse::<i64>().unwrap_or(0));
        assert_eq!(times, sorted, "in time order");
        assert!(
            t.rows.iter().all(|row| row
                .drill
                .as_deref()
                .is_some_and(|d| d.starts_with("proc.pid = "))),
            "{t:?}"
        );
        // At most `max` rows; the count still covers them all.
        let t = run_alert_events(
            &r,
            any_read,
            &mut session(),
            None,
            2,
            &mut Control::default(),
        )
        .expect("events");
        assert_eq!((t.rows.len(), t.events), (2, 5));
        // A rule index past the end lists nothing rather than failing.
        let t = run_alert_events(
            &r,
            usize::MAX,
            &mut session(),
            None,
            2,
            &mut Control::default(),
        )
        .expect("events");
        assert!(t.rows.is_empty());
    }

    #[test]
    fn every_match_counts_with_all_matches_and_a_cancelled_run_says_so() {
        let rule = |name: &str, cond: &str| {
            format!(
                "- rule: {name}\n  desc: d\n  condition: {cond}\n  output: o\n  priority: info\n"
            )
        };
        let text = [
            rule("reads", "evt.type = read"),
            rule("bash reads", "evt.type = read and proc.name = bash"),
        ]
        .concat();
        let set = |all_matches| Rules {
            set: crate::rules::compile(&[("t.yaml".into(), text.clone())], &Selection::default())
                .expect("compile"),
            all_matches,
        };
        let first =
            run_alerts(&set(false), &mut session(), None, &mut Control::default()).expect("alerts");
        assert_eq!(col(&first, "RULE"), ["reads"]);
        let all =
            run_alerts(&set(true), &mut session(), None, &mut Control::default()).expect("alerts");
        assert_eq!(col(&all, "RULE"), ["reads", "bash reads"]);
        let counts = col(&all, "COUNT");
        assert_eq!(counts[0], col(&first, "COUNT")[0]);
        assert!(counts[1].parse::<u32>().expect("count") > 0, "{counts:?}");
        let cancel = AtomicBool::new(true);
        let mut ctl = Control {
            progress: None,
            cancel: Some(&cancel),
        };
        let r = run_alerts(&rules(false), &mut session(), None, &mut ctl);
        assert!(matches!(r, Err(ViewError::Cancelled)), "{r:?}");
    }
}
