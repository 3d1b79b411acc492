//! Where things go on the screen: the areas of a frame, the overview's tile grid, table
//! column widths. Drawing ([`super::ui`]) and mouse hit-testing ([`super::app`]) share it.

use ratatui::layout::Rect;

use super::screen::{Mode, tile_order};
use crate::replay::render::time_of_day;
use crate::views::eval::{Table, display};
use crate::views::overview::Category;
use crate::views::spec::ViewSpec;

/// Where each part of the screen goes.
#[derive(Clone, Copy, Debug)]
pub struct Areas {
    /// Title line.
    pub header: Rect,
    /// Event density.
    pub timeline: Rect,
    /// Times, markers and loss marks under the density.
    pub axis: Rect,
    /// Breadcrumbs.
    pub crumbs: Rect,
    /// The screen's content.
    pub main: Rect,
    /// Status (two lines while editing the filter).
    pub status: Rect,
}

/// Splits the frame.
pub fn areas(r: Rect, mode: &Mode) -> Areas {
    let line = |y: u16, h: u16| Rect::new(r.x, r.y + y.min(r.height), r.width, h);
    let status_h = if matches!(mode, Mode::Filter { .. }) {
        2
    } else {
        1
    };
    let main_h = r.height.saturating_sub(4 + status_h);
    Areas {
        header: line(0, 1.min(r.height)),
        timeline: line(1, 1.min(r.height.saturating_sub(1))),
        axis: line(2, 1.min(r.height.saturating_sub(2))),
        crumbs: line(3, 1.min(r.height.saturating_sub(3))),
        main: line(4, main_h),
        status: line(4 + main_h, status_h.min(r.height.saturating_sub(4))),
    }
}

const OVERVIEW_COL_MIN: u16 = 46;

/// Number of tile columns for a width.
pub fn tile_columns(width: u16) -> u16 {
    (width / OVERVIEW_COL_MIN).clamp(1, 2)
}

/// (column, row) of each tile in display order.
type TilePos = Vec<(u16, u16)>;
/// (column, row) of each category header.
type HeadPos = Vec<(u16, u16, Category)>;

/// Where the tiles and the category headers go.
pub fn overview_layout(main: Rect, alerts: bool) -> (TilePos, HeadPos) {
    let h = main.height.max(2);
    let (mut col, mut row) = (0u16, 0u16);
    let mut tiles = Vec::new();
    let mut heads = Vec::new();
    let order = tile_order(alerts);
    let mut last_cat = None;
    for &t in &order {
        let cat = t.category;
        if last_cat != Some(cat) {
            if row + 1 >= h {
                col += 1;
                row = 0;
            }
            heads.push((col, row, cat));
            row += 1;
            last_cat = Some(cat);
        }
        if row >= h {
            col += 1;
            row = 0;
        }
        tiles.push((col, row));
        row += 1;
    }
    (tiles, heads)
}

/// (column, row) of each tile in display order.
pub fn tile_positions(main: Rect, alerts: bool) -> Vec<(u16, u16)> {
    overview_layout(main, alerts).0
}

/// Display widths of a table's columns (header and the first rows' cells).
pub fn column_widths(t: &Table, spec: &ViewSpec, width: u16) -> Vec<u16> {
    let _ = spec;
    let mut w: Vec<u16> = t
        .columns
        .iter()
        .map(|h| h.name.chars().count() as u16 + 1)
        .collect();
    for r in t.rows.iter().take(500) {
        for (i, c) in r.cells.iter().enumerate() {
            let n = display(c, t.columns[i].unit).chars().count() as u16;
            w[i] = w[i].max(n.min(60));
        }
    }
    let w: Vec<u16> = w.into_iter().map(|x| x.max(4)).collect();
    // The last column takes what is left.
    let used: u16 = w
        .iter()
        .take(w.len().saturating_sub(1))
        .map(|x| x + 1)
        .sum();
    let mut w = w;
    if let Some(last) = w.last_mut() {
        *last = (*last).max(width.saturating_sub(used)).min(width);
    }
    w
}

pub(crate) fn short_time(ts: u64) -> String {
    let mut s = String::new();
    time_of_day(ts, &mut s);
    s.truncate(12);
    s
}
