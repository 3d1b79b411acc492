//! Drawing: pure functions of the [`App`] state onto a frame. The layout helpers are shared
//! with the event handling (mouse hits, page size) so both agree on where things are.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::app::App;
use super::jobs::TIMELINE_BUCKETS;
use super::layout::{areas, column_widths, overview_layout, short_time, tile_columns};
use super::screen::{Content, Mode, Screen, picker_entries, tile_order};
use crate::views::alerts::{ALERT_EVENTS, ALERTS};
use crate::views::eval::{Cell, Table, display};
use crate::views::spec::{Agg, Order, Unit, ViewSpec};

fn fit(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        format!("{s:<w$}")
    } else if w > 0 {
        let mut t: String = s.chars().take(w - 1).collect();
        t.push('…');
        t
    } else {
        String::new()
    }
}

/// Draws the whole UI.
pub fn draw(app: &App, f: &mut Frame<'_>) {
    let a = areas(f.area(), &app.mode);
    header(app, f, a.header);
    timeline(app, f, a.timeline, a.axis);
    crumbs(app, f, a.crumbs);
    let s = app.top();
    match &s.content {
        Content::Overview(_) => overview(s, f, a.main),
        Content::Table { spec, table, sort } => {
            table_view(s, spec, table.as_deref(), *sort, f, a.main);
        }
        Content::Echo { lines, .. } => {
            let lines: Vec<Line<'_>> = lines
                .iter()
                .enumerate()
                .skip(s.offset)
                .take(a.main.height as usize)
                .map(|(i, (head, l))| {
                    let mut st = if *head {
                        Style::default()
                            .fg(Color::Cyan)
                            .add_modifier(Modifier::BOLD)
                    } else {
                        Style::default()
                    };
                    if i == s.selected {
                        st = st.add_modifier(Modifier::REVERSED);
                    }
                    Line::styled(l.clone(), st)
                })
                .collect();
            f.render_widget(Paragraph::new(lines), a.main);
        }
        Content::Dig { lines, .. } => {
            let lines: Vec<Line<'_>> = lines
                .iter()
                .enumerate()
                .skip(s.offset)
                .take(a.main.height as usize)
                .map(|(i, l)| {
                    let st = if i == s.selected {
                        Style::default().add_modifier(Modifier::REVERSED)
                    } else {
                        Style::default()
                    };
                    Line::styled(l.clone(), st)
                })
                .collect();
            f.render_widget(Paragraph::new(lines), a.main);
        }
    }
    if s.is_empty() && !matches!(s.content, Content::Overview(_)) {
        let msg = if let Some(e) = &s.error {
            e.clone()
        } else if s.progress.is_some() || s.loaded.is_none() {
            "loading…".into()
        } else {
            "nothing matches".into()
        };
        let r = Rect::new(a.main.x, a.main.y + 1.min(a.main.height), a.main.width, 1);
        f.render_widget(
            Paragraph::new(Line::styled(msg, Style::default().fg(Color::Yellow))),
            r,
        );
    }
    status(app, f, a.status);
    match &app.mode {
        Mode::Help => help(f, a.main),
        Mode::Picker { selected } => picker(*selected, app.has_rules(), f, a.main),
        _ => {}
    }
}

fn header(app: &App, f: &mut Frame<'_>, r: Rect) {
    let name = app.path.file_name().map_or_else(
        || app.path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let mut text = format!(" casefile inspect · {name}");
    if let Some(o) = &app.opened {
        let _ = write!(
            text,
            " · {} events · {}–{}",
            o.events,
            short_time(o.range.0),
            short_time(o.range.1)
        );
        if o.recovered {
            text.push_str(" · recovered");
        }
    } else {
        text.push_str(" · opening…");
    }
    if let Some((a, b)) = app.range {
        let _ = write!(text, " · range {}–{}", short_time(a), short_time(b));
    }
    if let Some(l) = app.live {
        text.push_str(if l.paused || app.range.is_some() {
            " · LIVE (paused)"
        } else {
            " · LIVE"
        });
    }
    if let Some((ts, what)) = app.opened.as_ref().and_then(|o| o.triggers.first()) {
        let _ = write!(text, " · trigger {what} at {}", short_time(*ts));
    }
    f.render_widget(
        Paragraph::new(Line::styled(
            fit(&text, r.width as usize),
            Style::default().add_modifier(Modifier::REVERSED),
        )),
        r,
    );
}

fn timeline(app: &App, f: &mut Frame<'_>, strip: Rect, axis: Rect) {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let Some(opened) = &app.opened else {
        return;
    };
    let w = strip.width as usize;
    if w == 0 {
        return;
    }
    let col_of = |b: usize| b * w / TIMELINE_BUCKETS;
    let mut cols = vec![0u64; w];
    for (b, &n) in opened.density.iter().enumerate() {
        cols[col_of(b).min(w - 1)] += n;
    }
    let max = cols.iter().copied().max().unwrap_or(0).max(1);
    let (m0, m1) = (col_of(app.marks.0), col_of(app.marks.1).min(w - 1));
    let full = app.marks == (0, TIMELINE_BUCKETS - 1);
    let spans: Vec<Span<'_>> = cols
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let ch = if n == 0 {
                ' '
            } else {
                BARS[((u128::from(n) * 7) / u128::from(max)) as usize]
            };
            let mut st = Style::default().fg(Color::Green);
            if !full && (m0..=m1).contains(&i) {
                st = st.bg(if app.range.is_some() {
                    Color::Blue
                } else {
                    Color::DarkGray
                });
            }
            Span::styled(ch.to_string(), st)
        })
        .collect();
    f.render_widget(Paragraph::new(Line::from(spans)), strip);
    // Axis: start and end times, loss marks (×) and the markers.
    let mut chars: Vec<char> = vec![' '; w];
    let put = |chars: &mut Vec<char>, at: usize, s: &str| {
        for (k, c) in s.chars().enumerate() {
            if let Some(x) = chars.get_mut(at + k) {
                *x = c;
            }
        }
    };
    let (from, to) = (short_time(opened.range.0), short_time(opened.range.1));
    put(&mut chars, 0, &from);
    put(&mut chars, w.saturating_sub(to.len()), &to);
    let span = u128::from(opened.range.1.saturating_sub(opened.range.0)) + 1;
    for &(from, to, _) in &opened.losses {
        let c = |ts: u64| {
            (u128::from(ts.saturating_sub(opened.range.0)) * w as u128 / span).min(w as u128 - 1)
                as usize
        };
        for ch in &mut chars[c(from)..=c(to)] {
            *ch = '×';
        }
    }
    if !full {
        chars[m0] = '[';
        chars[m1] = ']';
    }
    // The triggers of an incident file.
    for &(ts, _) in &opened.triggers {
        let at = (u128::from(ts.saturating_sub(opened.range.0)) * w as u128 / span)
            .min(w as u128 - 1) as usize;
        chars[at] = '▲';
    }
    let line: String = chars.into_iter().collect();
    f.render_widget(
        Paragraph::new(Line::styled(line, Style::default().fg(Color::Gray))),
        axis,
    );
}

fn crumbs(app: &App, f: &mut Frame<'_>, r: Rect) {
    let mut text = app
        .stack
        .iter()
        .map(|s| s.crumb.as_str())
        .collect::<Vec<_>>()
        .join(" › ");
    if let Some(u) = &app.top().user {
        let _ = write!(text, "  filter: {u}");
    }
    f.render_widget(
        Paragraph::new(Line::styled(
            fit(&format!(" {text}"), r.width as usize),
            Style::default().add_modifier(Modifier::BOLD),
        )),
        r,
    );
}

/// Resamples `series` to `w` values, each the maximum of the buckets it covers.
fn resample(series: &[i64], w: usize) -> Vec<i64> {
    if series.len() <= w || w == 0 {
        return series.to_vec();
    }
    (0..w)
        .map(|i| {
            let (a, b) = (
                i * series.len() / w,
                ((i + 1) * series.len() / w).max(i + 1),
            );
            series[a..b.min(series.len())]
                .iter()
                .copied()
                .max()
                .unwrap_or(0)
        })
        .collect()
}

fn overview(s: &Screen, f: &mut Frame<'_>, main: Rect) {
    let (pos, heads) = overview_layout(main, s.alerts_tile);
    let ncols = tile_columns(main.width);
    let cw = main.width / ncols;
    let summary = match &s.content {
        Content::Overview(sum) => sum.as_deref(),
        _ => None,
    };
    let buf = f.buffer_mut();
    for (col, row, cat) in heads {
        if col >= ncols || row >= main.height {
            continue;
        }
        buf.set_string(
            main.x + col * cw,
            main.y + row,
            fit(cat.title(), cw as usize),
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        );
    }
    let name_w = 26usize;
    let total_w = 9usize;
    let spark_w = (cw as usize).saturating_sub(name_w + total_w + 5);
    for (i, &tile) in tile_order(s.alerts_tile).iter().enumerate() {
        let (col, row) = pos[i];
        if col >= ncols || row >= main.height {
            continue;
        }
        let res = summary.and_then(|sm| sm.tiles.iter().find(|r| r.id == tile.id));
        let total = match res {
            Some(r) => display(&Cell::Num(r.total), r.unit),
            None => "…".into(),
        };
        let spark = res.map_or_else(String::new, |r| {
            crate::views::overview::sparkline(&resample(&r.series, spark_w))
        });
        let text = format!("  {} {:>total_w$} {}", fit(tile.name, name_w), total, spark);
        let mut st = Style::default();
        if res.is_some_and(|r| r.total == 0) {
            st = st.fg(Color::DarkGray);
        }
        if i == s.selected {
            st = st.add_modifier(Modifier::REVERSED);
        }
        buf.set_string(
            main.x + col * cw,
            main.y + row,
            fit(&text, cw as usize - 1),
            st,
        );
    }
}

fn table_view(
    s: &Screen,
    spec: &ViewSpec,
    table: Option<&Table>,
    sort: Option<(&'static str, Order)>,
    f: &mut Frame<'_>,
    main: Rect,
) {
    let Some(t) = table else {
        let head: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
        f.render_widget(
            Paragraph::new(Line::styled(
                head.join(" "),
                Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            )),
            main,
        );
        return;
    };
    let widths = column_widths(t, spec, main.width);
    let sort = sort
        .or(Some(spec.sort))
        .and_then(|(c, o)| t.column(c).map(|i| (i, o)));
    let numeric = |i: usize| {
        t.columns[i].agg != Agg::Key && !matches!(t.columns[i].unit, Unit::Text | Unit::Priority)
    };
    let mut lines = Vec::with_capacity(main.height as usize);
    let head: Vec<String> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let mark = match sort {
                Some((c, Order::Desc)) if c == i => "▼",
                Some((c, Order::Asc)) if c == i => "▲",
                _ => "",
            };
            let w = widths[i] as usize;
            let name = format!("{}{mark}", h.name);
            if numeric(i) {
                format!("{name:>w$}")
            } else {
                fit(&name, w)
            }
        })
        .collect();
    lines.push(Line::styled(
        head.join(" "),
        Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    ));
    for (ri, r) in t
        .rows
        .iter()
        .enumerate()
        .skip(s.offset)
        .take((main.height as usize).saturating_sub(1))
    {
        let cells: Vec<String> = r
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = widths[i] as usize;
                let text = display(c, t.columns[i].unit);
                if numeric(i) {
                    format!("{text:>w$}")
                } else {
                    fit(&text, w)
                }
            })
            .collect();
        let st = if ri == s.selected {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        };
        lines.push(Line::styled(cells.join(" "), st));
    }
    f.render_widget(Paragraph::new(lines), main);
}

fn status(app: &App, f: &mut Frame<'_>, area: Rect) {
    const SPIN: [char; 4] = ['|', '/', '-', '\\'];
    let w = area.width as usize;
    match &app.mode {
        Mode::Filter { text, error } => {
            let prompt = "Filter: ";
            f.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(prompt, Style::default().add_modifier(Modifier::BOLD)),
                    Span::raw(format!("{text}█")),
                ])),
                Rect::new(area.x, area.y, area.width, 1),
            );
            let second = match error {
                Some((col, msg)) => Line::styled(
                    fit(&format!("{}^ {msg}", " ".repeat(prompt.len() + col - 1)), w),
                    Style::default().fg(Color::Red),
                ),
                None => Line::styled(
                    "Enter applies · Esc cancels",
                    Style::default().fg(Color::DarkGray),
                ),
            };
            if area.height > 1 {
                f.render_widget(
                    Paragraph::new(second),
                    Rect::new(area.x, area.y + 1, area.width, 1),
                );
            }
            return;
        }
        Mode::Find { text, missed } => {
            let miss = if *missed { "  (not found)" } else { "" };
            f.render_widget(
                Paragraph::new(Line::styled(
                    fit(
                        &format!("Find: {text}█{miss}  · Enter/F3 next · Esc done"),
                        w,
                    ),
                    Style::default().add_modifier(Modifier::BOLD),
                )),
                area,
            );
            return;
        }
        _ => {}
    }
    let s = app.top();
    let (left, style) = if let Some((fr, n)) = s.progress {
        (
            format!(
                "{} scanning {:>3.0}% · {n} events · Esc cancels",
                SPIN[app.spin % 4],
                fr * 100.0
            ),
            Style::default().fg(Color::Yellow),
        )
    } else if app.opened.is_none() {
        (
            format!("{} reading the index…", SPIN[app.spin % 4]),
            Style::default().fg(Color::Yellow),
        )
    } else if let Some(m) = &app.message {
        (m.clone(), Style::default().fg(Color::Cyan))
    } else if let Some(e) = &s.error {
        (e.clone(), Style::default().fg(Color::Red))
    } else {
        let what = match &s.content {
            Content::Overview(Some(sum)) => format!("{} events scanned", sum.events),
            Content::Table { table: Some(t), .. } if t.view == ALERTS.id => {
                let (run, skipped, partial) = app.rules().map_or((0, 0, 0), |r| {
                    (r.set.rules.len(), r.set.skipped.len(), r.set.partial.len())
                });
                let mut s = format!(
                    "{} of {run} rules fired · {} alerts",
                    t.rows.len(),
                    t.events
                );
                if skipped > 0 {
                    let _ = write!(s, " · {skipped} skipped as unsupported");
                }
                if partial > 0 {
                    let _ = write!(s, " · {partial} with unknown output fields (<NA>)");
                }
                s
            }
            Content::Table { table: Some(t), .. } if t.view == ALERT_EVENTS.id => {
                format!(
                    "{} of {} alerts · Enter: process · c: container",
                    t.rows.len(),
                    t.events
                )
            }
            Content::Table { table: Some(t), .. } => {
                format!("{} rows · {} events", t.rows.len(), t.events)
            }
            Content::Echo {
                lines, mode, cut, ..
            } => format!(
                "{} lines · {} (m switches){}",
                lines.len(),
                mode.name(),
                if *cut { " · cut" } else { "" }
            ),
            Content::Dig { lines, cut } => {
                format!("{} events{}", lines.len(), if *cut { " · cut" } else { "" })
            }
            _ => String::new(),
        };
        (what, Style::default())
    };
    let hints = "F1 help  / filter  F2 views  q quit";
    let pad = w.saturating_sub(left.chars().count() + hints.len() + 1);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!(" {left}"), style),
            Span::raw(" ".repeat(pad)),
            Span::styled(hints, Style::default().fg(Color::DarkGray)),
        ])),
        area,
    );
}

/// The key list shown by `?`/F1.
pub const KEYS: &[(&str, &str)] = &[
    (
        "↑ ↓ PgUp PgDn Home End",
        "move the selection (← → between tile columns)",
    ),
    ("Enter", "open the tile / drill down into the row"),
    ("Backspace", "back to the previous screen"),
    (
        "e / F5",
        "echo: I/O of the selection (m: printable, dotted, hex)",
    ),
    ("d / F6", "dig: raw events of the selection"),
    ("c", "alert events: the container of the event"),
    (
        "/ or F4",
        "filter (live errors; Enter applies, Esc cancels)",
    ),
    ("F2", "view picker"),
    (
        "F9 / >, click header",
        "sort by the next column / that column",
    ),
    ("Ctrl+F, F3", "find text in the rows, next match"),
    ("[ ]  { }", "move the time range start / end marker"),
    ("t, drag timeline", "apply / clear the time range"),
    ("Esc / r", "cancel the running scan / reload"),
    ("? / F1", "this help"),
    ("q / F10", "quit"),
];

fn popup(main: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(main.width);
    let h = h.min(main.height);
    Rect::new(
        main.x + (main.width - w) / 2,
        main.y + (main.height - h) / 2,
        w,
        h,
    )
}

fn help(f: &mut Frame<'_>, main: Rect) {
    // As wide as its longest line (keys right-aligned in 24 columns, two spaces, the text).
    let width = KEYS
        .iter()
        .map(|(_, v)| 26 + v.chars().count())
        .max()
        .unwrap_or(0);
    let r = popup(main, width as u16 + 2, KEYS.len() as u16 + 2);
    let lines: Vec<Line<'_>> = KEYS
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("{k:>24}  "), Style::default().fg(Color::Yellow)),
                Span::raw(*v),
            ])
        })
        .collect();
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Keys ")),
        r,
    );
}

fn picker(selected: usize, alerts: bool, f: &mut Frame<'_>, main: Rect) {
    let entries = picker_entries(alerts);
    let r = popup(main, 50, entries.len() as u16 + 2);
    let inner = r.height.saturating_sub(2) as usize;
    let first = selected.saturating_sub(inner.saturating_sub(1));
    let lines: Vec<Line<'_>> = entries
        .iter()
        .enumerate()
        .skip(first)
        .take(inner)
        .map(|(i, (id, name))| {
            let st = if i == selected {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            };
            Line::styled(format!("{id:<18} {name}"), st)
        })
        .collect();
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Views (F2) ")),
        r,
    );
}
