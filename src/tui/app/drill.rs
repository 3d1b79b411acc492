//! Drilling down: from a selected row or tile to the screen that explains it (a filtered
//! view, a rule's events, a container, its echo or raw events).

use super::super::screen::{Content, EchoMode, Screen, tile_order};
use super::{App, table_spec};
use crate::views::alerts::{ALERT_EVENTS, ALERTS, ALERTS_TILE};
use crate::views::eval::{Cell, combine, quote};
use crate::views::spec::{Agg, Order};

impl App {
    /// Opens view `id` (or dig/echo) as a new screen.
    pub(super) fn open_target(
        &mut self,
        id: &str,
        context: Option<String>,
        sort: Option<&str>,
        label: Option<String>,
    ) {
        let uid = self.next_id;
        self.next_id += 1;
        let (content, name) = match id {
            "dig" => (
                Content::Dig {
                    lines: Vec::new(),
                    cut: false,
                },
                "Events",
            ),
            "echo" => (
                Content::Echo {
                    streams: Vec::new(),
                    mode: EchoMode::Printable,
                    lines: Vec::new(),
                    cut: false,
                },
                "I/O streams",
            ),
            "alerts" | "alert_events" if self.rules.is_none() => {
                self.message = Some("no rules: start inspect with -r RULES.yaml".into());
                return;
            }
            _ => {
                let Some(spec) = table_spec(id) else {
                    self.message = Some(format!("no view {id}"));
                    return;
                };
                let sort = sort
                    .and_then(|c| spec.column(c))
                    .map(|c| (spec.columns[c].name, Order::Desc));
                (
                    Content::Table {
                        spec,
                        table: None,
                        sort,
                    },
                    spec.name,
                )
            }
        };
        let crumb = match label {
            Some(l) => format!("{name} [{l}]"),
            None => name.to_owned(),
        };
        self.stack.push(Screen::new(uid, crumb, context, content));
    }

    /// The selected row's filter and a short label for it.
    pub(super) fn selection(&self) -> Option<(String, String, Option<&'static str>)> {
        let s = self.top();
        match &s.content {
            Content::Overview(_) => {
                let t = *tile_order(s.alerts_tile).get(s.selected)?;
                if t.id == ALERTS_TILE.id {
                    return None;
                }
                Some((t.filter.to_owned(), t.name.to_owned(), None))
            }
            Content::Table { spec, table, .. } => {
                let t = table.as_ref()?;
                let row = t.rows.get(s.selected)?;
                let keys: Vec<(usize, &'static str)> = t
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.agg == Agg::Key)
                    .filter_map(|(i, h)| h.field.map(|f| (i, f)))
                    .collect();
                let mut label = keys
                    .iter()
                    .map(|&(i, _)| row.cells[i].text())
                    .collect::<Vec<_>>()
                    .join(" ");
                let filter = match &row.drill {
                    Some(d) => d.clone(),
                    None => keys
                        .iter()
                        .filter(|&&(i, _)| row.cells[i] != Cell::None)
                        .map(|&(i, f)| format!("{f} = {}", quote(&row.cells[i])))
                        .collect::<Vec<_>>()
                        .join(" and "),
                };
                if filter.is_empty() {
                    return None;
                }
                // A list row has no key: its drill-down filter names it.
                if label.is_empty() {
                    label.clone_from(&filter);
                }
                Some((filter, label, spec.drill.map(|d| d.view)))
            }
            _ => None,
        }
    }

    pub(super) fn drill(&mut self) {
        let s = self.top();
        match &s.content {
            Content::Overview(_) => {
                let Some(&t) = tile_order(s.alerts_tile).get(s.selected) else {
                    return;
                };
                let context = combine(t.drill_filter(), s.user.as_deref());
                // The Alerts tile opens the view of its name: no label to add.
                let label = (t.id != ALERTS_TILE.id).then(|| t.name.to_owned());
                self.open_target(t.target, context, t.target_sort, label);
            }
            Content::Table { spec, .. } if spec.id == ALERTS.id => self.drill_rule(),
            Content::Table { .. } => {
                let Some((filter, label, target)) = self.selection() else {
                    return;
                };
                let Some(target) = target else {
                    self.message = Some("this view has no drill-down; e: echo, d: dig".into());
                    return;
                };
                let context = combine(self.top().filter().as_deref(), Some(&filter));
                self.open_target(target, context, None, Some(label));
            }
            _ => {}
        }
    }

    /// From a row of the Alerts view: the events that fired its rule.
    pub(super) fn drill_rule(&mut self) {
        let s = self.top();
        let Content::Table { table: Some(t), .. } = &s.content else {
            return;
        };
        let Some(name) = t.rows.get(s.selected).and_then(|r| r.cells.first()) else {
            return;
        };
        let name = name.text();
        let Some(i) = self
            .rules
            .as_ref()
            .and_then(|r| r.set.rules.iter().position(|x| x.name == name))
        else {
            return;
        };
        let context = s.filter();
        self.open_target(ALERT_EVENTS.id, context, None, Some(name));
        self.top_mut().rule = Some(i);
    }

    /// From a row of an alert events screen: the Containers view of its container.
    pub(super) fn drill_container(&mut self) {
        let s = self.top();
        let Content::Table { table: Some(t), .. } = &s.content else {
            return;
        };
        let Some(row) = t.rows.get(s.selected) else {
            return;
        };
        let cell = |name: &str| t.column(name).and_then(|i| row.cells.get(i));
        let Some(container) = cell("CONTAINER").filter(|c| **c != Cell::None) else {
            self.message = Some("this event has no container".into());
            return;
        };
        let label = container.text();
        let mut filter = format!("container.name = {}", quote(container));
        if let Some(host) = cell("HOST") {
            filter = format!("host.name = {} and {filter}", quote(host));
        }
        let context = combine(s.filter().as_deref(), Some(&filter));
        self.open_target("containers", context, None, Some(label));
    }

    pub(super) fn echo_or_dig(&mut self, echo: bool) {
        let target = if echo { "echo" } else { "dig" };
        let s = self.top();
        let alerts_tile = matches!(s.content, Content::Overview(_))
            && tile_order(s.alerts_tile)
                .get(s.selected)
                .is_some_and(|t| t.id == ALERTS_TILE.id);
        if alerts_tile || matches!(&s.content, Content::Table { spec, .. } if spec.id == ALERTS.id)
        {
            self.message =
                Some("Enter lists the events that fired the rule; e and d work from there".into());
            return;
        }
        let (context, label) = match (&s.content, self.selection()) {
            (Content::Echo { .. } | Content::Dig { .. }, _) => return,
            (Content::Overview(_), Some((f, label, _))) => {
                (combine(Some(&f), s.user.as_deref()), label)
            }
            (_, Some((f, label, _))) => (combine(s.filter().as_deref(), Some(&f)), label),
            (_, None) => (s.filter(), s.crumb.clone()),
        };
        self.open_target(target, context, None, Some(label));
    }
}
