//! Keys and the mouse: what each does to the app in each mode.

use std::sync::atomic::Ordering;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::super::jobs::TIMELINE_BUCKETS;
use super::super::layout;
use super::super::screen::{Content, Loaded, Mode, picker_entries};
use super::{App, STEP, echo_lines, filter_error, marks_range};
use crate::views::alerts::ALERT_EVENTS;
use crate::views::spec::Order;

impl App {
    /// Height of the main area (rows of a table below its header).
    pub(super) fn page(&self) -> usize {
        let a = layout::areas(Rect::new(0, 0, self.size.0, self.size.1), &self.mode);
        let header = usize::from(matches!(self.top().content, Content::Table { .. }));
        (a.main.height as usize).saturating_sub(header).max(1)
    }

    pub(super) fn keep_visible(&mut self) {
        let page = self.page();
        let s = self.top_mut();
        if matches!(s.content, Content::Overview(_)) {
            return;
        }
        if s.selected < s.offset {
            s.offset = s.selected;
        } else if s.selected >= s.offset + page {
            s.offset = s.selected + 1 - page;
        }
    }

    pub(super) fn key(&mut self, k: KeyEvent) {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        match self.mode.clone() {
            Mode::Normal => self.key_normal(k),
            Mode::Help => self.mode = Mode::Normal,
            Mode::Filter { mut text, .. } => match k.code {
                KeyCode::Esc => self.mode = Mode::Normal,
                KeyCode::Enter => {
                    let error = filter_error(&text);
                    if error.is_some() {
                        self.mode = Mode::Filter { text, error };
                        return;
                    }
                    let user = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
                    let s = self.top_mut();
                    if s.user != user {
                        s.user = user;
                        s.loaded = None;
                        s.selected = 0;
                        s.offset = 0;
                    }
                    self.mode = Mode::Normal;
                }
                KeyCode::Backspace => {
                    text.pop();
                    let error = filter_error(&text);
                    self.mode = Mode::Filter { text, error };
                }
                KeyCode::Char(c) => {
                    text.push(c);
                    let error = filter_error(&text);
                    self.mode = Mode::Filter { text, error };
                }
                _ => {}
            },
            Mode::Find { mut text, .. } => match k.code {
                KeyCode::Esc => self.mode = Mode::Normal,
                KeyCode::Enter | KeyCode::F(3) => {
                    let missed = !self.find(&text, 1);
                    self.mode = Mode::Find { text, missed };
                }
                KeyCode::Backspace => {
                    text.pop();
                    let missed = !self.find(&text, 0);
                    self.mode = Mode::Find { text, missed };
                }
                KeyCode::Char(c) => {
                    text.push(c);
                    let missed = !self.find(&text, 0);
                    self.mode = Mode::Find { text, missed };
                }
                _ => {}
            },
            Mode::Picker { selected } => {
                let n = picker_entries(self.has_rules()).len();
                match k.code {
                    KeyCode::Esc => self.mode = Mode::Normal,
                    KeyCode::Up => {
                        self.mode = Mode::Picker {
                            selected: selected.saturating_sub(1),
                        };
                    }
                    KeyCode::Down => {
                        self.mode = Mode::Picker {
                            selected: (selected + 1).min(n - 1),
                        };
                    }
                    KeyCode::Enter => {
                        self.mode = Mode::Normal;
                        let Some(&(id, _)) = picker_entries(self.has_rules()).get(selected) else {
                            return;
                        };
                        let context = self.top().filter();
                        self.open_target(id, context, None, None);
                    }
                    _ => {}
                }
            }
        }
    }

    /// Moves the selection to the next row containing `text` (case-insensitive), starting
    /// `skip` rows after the current one. Returns whether one was found.
    pub(super) fn find(&mut self, text: &str, skip: usize) -> bool {
        if text.is_empty() {
            return true;
        }
        let needle = text.to_lowercase();
        let s = self.top();
        let n = s.len();
        for d in 0..n {
            let i = (s.selected + skip + d) % n;
            if s.row_text(i).to_lowercase().contains(&needle) {
                self.top_mut().selected = i;
                return true;
            }
        }
        false
    }

    pub(super) fn key_normal(&mut self, k: KeyEvent) {
        self.message = None;
        let page = self.page();
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Char('q') | KeyCode::F(10) => self.quit = true,
            KeyCode::Char('?' | 'h') | KeyCode::F(1) => self.mode = Mode::Help,
            KeyCode::Char('f') if ctrl => {
                self.mode = Mode::Find {
                    text: String::new(),
                    missed: false,
                };
            }
            KeyCode::Char('/') | KeyCode::F(4) => {
                let text = self.top().user.clone().unwrap_or_default();
                let error = filter_error(&text);
                self.mode = Mode::Filter { text, error };
            }
            KeyCode::Char('m') if matches!(self.top().content, Content::Echo { .. }) => {
                self.cycle_echo();
            }
            KeyCode::F(2) => self.mode = Mode::Picker { selected: 0 },
            // The open job (no target) is short and feeds the timeline: Esc leaves it.
            KeyCode::Esc if self.job.as_ref().is_some_and(|j| j.1.is_some()) => {
                if let Some((_, target)) = self.job.take().map(|(h, t)| {
                    h.cancel.store(true, Ordering::Relaxed);
                    (h, t)
                }) {
                    let range = self.range;
                    if let Some(s) = self.stack.iter_mut().find(|s| Some(s.uid) == target) {
                        s.progress = None;
                        s.loaded = Some(Loaded(range));
                        s.error = Some("cancelled (r reloads)".into());
                    }
                }
            }
            KeyCode::Char('r') => self.top_mut().loaded = None,
            KeyCode::Backspace if self.stack.len() > 1 => {
                self.stack.pop();
            }
            KeyCode::Enter => self.drill(),
            KeyCode::Char('c')
                if matches!(&self.top().content,
                    Content::Table { spec, .. } if spec.id == ALERT_EVENTS.id) =>
            {
                self.drill_container();
            }
            KeyCode::Char('e') | KeyCode::F(5) => self.echo_or_dig(true),
            KeyCode::Char('d') | KeyCode::F(6) => self.echo_or_dig(false),
            KeyCode::F(9) | KeyCode::Char('>') => self.sort_next(),
            KeyCode::Char('[') => self.marks.0 = self.marks.0.saturating_sub(STEP),
            KeyCode::Char(']') => self.marks.0 = (self.marks.0 + STEP).min(self.marks.1),
            KeyCode::Char('{') => {
                self.marks.1 = self.marks.1.saturating_sub(STEP).max(self.marks.0);
            }
            KeyCode::Char('}') => self.marks.1 = (self.marks.1 + STEP).min(TIMELINE_BUCKETS - 1),
            KeyCode::Char('t') => self.toggle_range(),
            KeyCode::Char('p') if self.live.is_some() => {
                if let Some(l) = self.live.as_mut() {
                    l.paused = !l.paused;
                    self.message = Some(
                        if l.paused {
                            "live view paused (p follows again)"
                        } else {
                            "following the recording"
                        }
                        .into(),
                    );
                }
            }
            KeyCode::Up => self.move_sel(-1),
            KeyCode::Down => self.move_sel(1),
            KeyCode::Left if matches!(self.top().content, Content::Overview(_)) => {
                self.move_tile_column(false);
            }
            KeyCode::Right if matches!(self.top().content, Content::Overview(_)) => {
                self.move_tile_column(true);
            }
            KeyCode::PageUp => self.move_sel(-(page as isize)),
            KeyCode::PageDown => self.move_sel(page as isize),
            KeyCode::Home => self.top_mut().selected = 0,
            KeyCode::End => {
                let n = self.top().len();
                self.top_mut().selected = n.saturating_sub(1);
            }
            _ => {}
        }
    }

    pub(super) fn cycle_echo(&mut self) {
        if let Content::Echo {
            streams,
            mode,
            lines,
            ..
        } = &mut self.top_mut().content
        {
            *mode = mode.next();
            *lines = echo_lines(streams, *mode);
            let n = lines.len();
            let s = self.top_mut();
            s.selected = s.selected.min(n.saturating_sub(1));
        }
    }

    pub(super) fn move_sel(&mut self, d: isize) {
        let s = self.top_mut();
        let n = s.len();
        if n == 0 {
            return;
        }
        s.selected = s.selected.saturating_add_signed(d).min(n - 1);
    }

    pub(super) fn move_tile_column(&mut self, right: bool) {
        let a = layout::areas(Rect::new(0, 0, self.size.0, self.size.1), &self.mode);
        let pos = layout::tile_positions(a.main, self.top().alerts_tile);
        let sel = self.top().selected;
        let Some(&(col, row)) = pos.get(sel) else {
            return;
        };
        let want = if right {
            col + 1
        } else {
            match col.checked_sub(1) {
                Some(c) => c,
                None => return,
            }
        };
        let best = pos
            .iter()
            .enumerate()
            .filter(|(_, p)| p.0 == want)
            .min_by_key(|(_, p)| p.1.abs_diff(row))
            .map(|(i, _)| i);
        if let Some(i) = best {
            self.top_mut().selected = i;
        }
    }

    pub(super) fn toggle_range(&mut self) {
        if self.range.is_some() {
            self.range = None;
            self.marks = (0, TIMELINE_BUCKETS - 1);
            self.message = Some("time range cleared".into());
        } else if let Some(o) = &self.opened {
            let r = marks_range(o.range, self.marks);
            self.range = Some(r);
        }
    }

    pub(super) fn sort_next(&mut self) {
        let s = self.top_mut();
        if let Content::Table {
            table: Some(t),
            sort,
            spec,
        } = &mut s.content
        {
            let cur = t.column(sort.map_or(spec.sort.0, |(c, _)| c)).unwrap_or(0);
            let next = (cur + 1) % t.columns.len();
            *sort = Some((t.columns[next].name, Order::Desc));
            t.sort(next, Order::Desc);
            s.selected = 0;
        }
    }

    pub(super) fn sort_by(&mut self, col: usize) {
        let s = self.top_mut();
        if let Content::Table {
            table: Some(t),
            sort,
            spec,
        } = &mut s.content
            && let Some(name) = t.columns.get(col).map(|h| h.name)
        {
            let order = match sort.unwrap_or(spec.sort) {
                (c, Order::Desc) if c == name => Order::Asc,
                _ => Order::Desc,
            };
            *sort = Some((name, order));
            t.sort(col, order);
            s.selected = 0;
        }
    }

    pub(super) fn mouse(&mut self, ev: MouseEvent) {
        let lay = layout::areas(Rect::new(0, 0, self.size.0, self.size.1), &self.mode);
        let (x, y) = (ev.column, ev.row);
        let in_timeline = y >= lay.timeline.y
            && y < lay.timeline.y + lay.timeline.height
            && lay.timeline.width > 0;
        let bucket = |col: u16| {
            (usize::from(col.saturating_sub(lay.timeline.x)) * TIMELINE_BUCKETS
                / usize::from(lay.timeline.width.max(1)))
            .min(TIMELINE_BUCKETS - 1)
        };
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) if in_timeline => {
                let b = bucket(x);
                self.marks = (b, b);
                self.drag = true;
            }
            MouseEventKind::Drag(MouseButton::Left) if self.drag => {
                let b = bucket(x);
                let start = self.marks.0;
                self.marks = (start.min(b), start.max(b));
            }
            MouseEventKind::Up(MouseButton::Left) if self.drag => {
                self.drag = false;
                if let Some(o) = &self.opened {
                    self.range = Some(marks_range(o.range, self.marks));
                }
            }
            MouseEventKind::Down(MouseButton::Left) if y == lay.main.y => {
                if let Content::Table {
                    table: Some(t),
                    spec,
                    ..
                } = &self.top().content
                {
                    let widths = layout::column_widths(t, spec, lay.main.width);
                    let mut left = lay.main.x;
                    for (i, width) in widths.iter().enumerate() {
                        if x >= left && x < left + width + 1 {
                            self.sort_by(i);
                            break;
                        }
                        left += width + 1;
                    }
                }
            }
            MouseEventKind::Down(MouseButton::Left) if y > lay.main.y && y < lay.main.bottom() => {
                let s = self.top();
                if !matches!(s.content, Content::Overview(_)) {
                    let header = usize::from(matches!(s.content, Content::Table { .. }));
                    let i = s.offset + usize::from(y - lay.main.y) - header;
                    if i < s.len() {
                        self.top_mut().selected = i;
                    }
                }
            }
            MouseEventKind::ScrollDown => self.move_sel(3),
            MouseEventKind::ScrollUp => self.move_sel(-3),
            _ => {}
        }
    }
}
