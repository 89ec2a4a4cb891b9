//! The columns of the segment table, and the sort and filter that pick its rows. The screen
//! and the export both read rows through `visible_rows`, so a file contains what the table
//! shows.

use crate::metrics::{Figures, SegmentRow};
use crate::ui::format::{change, decimal, duration, percent};
use crate::ui::sanitize::clean;

/// One figure column of the segment table.
pub struct Column {
    /// Header on screen.
    pub header: &'static str,
    /// Column name in exported files.
    pub name: &'static str,
    pub value: fn(&Figures) -> Option<f64>,
    pub format: fn(Option<f64>) -> String,
    /// Multiplier of the change shown next to the value (100 turns a share into points).
    pub change_scale: f64,
    pub higher_is_better: bool,
    /// Display width on a narrow screen, where the change is an arrow.
    pub width: u16,
    /// Display width on a wide screen, where the change is a number.
    pub wide_width: u16,
}

fn count(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.0}"))
}

fn two_places(value: Option<f64>) -> String {
    decimal(value, 2)
}

/// The figure columns, in screen order. The segment name column comes before them.
pub const COLUMNS: &[Column] = &[
    Column {
        header: "cases",
        name: "cases",
        value: |f| Some(f.cases as f64),
        format: count,
        change_scale: 1.0,
        higher_is_better: true,
        width: 6,
        wide_width: 10,
    },
    Column {
        header: "rated",
        name: "rated",
        value: |f| Some(f.rated as f64),
        format: count,
        change_scale: 1.0,
        higher_is_better: true,
        width: 6,
        wide_width: 10,
    },
    Column {
        header: "CSAT",
        name: "csat_mean",
        value: |f| f.csat_mean,
        format: two_places,
        change_scale: 1.0,
        higher_is_better: true,
        width: 5,
        wide_width: 11,
    },
    Column {
        header: "CSAT%",
        name: "csat_pct",
        value: |f| f.csat_pct,
        format: percent,
        change_scale: 100.0,
        higher_is_better: true,
        width: 7,
        wide_width: 13,
    },
    Column {
        header: "pred",
        name: "predicted_csat_mean",
        value: |f| f.predicted_csat_mean,
        format: two_places,
        change_scale: 1.0,
        higher_is_better: true,
        width: 5,
        wide_width: 11,
    },
    Column {
        header: "resp90",
        name: "first_response_p90_minutes",
        value: |f| f.first_response_minutes.p90,
        format: duration,
        change_scale: 1.0,
        higher_is_better: false,
        width: 7,
        wide_width: 13,
    },
    Column {
        header: "res90",
        name: "resolution_p90_minutes",
        value: |f| f.resolution_minutes.p90,
        format: duration,
        change_scale: 1.0,
        higher_is_better: false,
        width: 7,
        wide_width: 13,
    },
    Column {
        header: "SLA",
        name: "sla_attainment",
        value: |f| f.sla_attainment,
        format: percent,
        change_scale: 100.0,
        higher_is_better: true,
        width: 7,
        wide_width: 13,
    },
    Column {
        header: "neg%",
        name: "negative_feedback_share",
        value: |f| f.negative_feedback_share,
        format: percent,
        change_scale: 100.0,
        higher_is_better: false,
        width: 6,
        wide_width: 13,
    },
];

/// Number of sort keys: the segment name (0), then each figure column (1 and on).
pub const SORT_KEYS: usize = COLUMNS.len() + 1;

/// Returns the name of a sort key, as the table title and exports show it.
pub fn sort_name(sort: usize) -> &'static str {
    match sort.checked_sub(1).and_then(|i| COLUMNS.get(i)) {
        Some(column) => column.header,
        None => "segment",
    }
}

/// Direction of a change: 1 better, -1 worse, 0 unchanged or unknown.
pub fn direction(column: &Column, row: &SegmentRow) -> i8 {
    let current = (column.value)(&row.figures);
    let previous = row.previous.as_ref().and_then(|p| (column.value)(p));
    match (current, previous) {
        (Some(c), Some(p)) if (c - p).abs() > f64::EPSILON => {
            if (c > p) == column.higher_is_better {
                1
            } else {
                -1
            }
        }
        _ => 0,
    }
}

/// Formats a cell: the value, then an arrow (narrow) or the signed change (wide).
pub fn cell_text(column: &Column, row: &SegmentRow, wide: bool) -> String {
    let current = (column.value)(&row.figures);
    let previous = row.previous.as_ref().and_then(|p| (column.value)(p));
    let value = (column.format)(current);
    if wide {
        return format!("{value}{}", change(current, previous, column.change_scale));
    }
    match (current, previous) {
        (Some(c), Some(p)) if c > p => format!("{value}↑"),
        (Some(c), Some(p)) if c < p => format!("{value}↓"),
        _ => value,
    }
}

/// Returns the rows that pass `filter` (case-insensitive, on the cleaned segment name),
/// sorted by `sort`. The sort is stable and missing figures go last in either direction,
/// so rows with equal values keep the engine's order: most cases first, then by name.
pub fn visible_rows<'a>(
    rows: &'a [SegmentRow],
    sort: usize,
    descending: bool,
    filter: &str,
) -> Vec<&'a SegmentRow> {
    let needle = filter.to_lowercase();
    let mut visible: Vec<&SegmentRow> = rows
        .iter()
        .filter(|row| needle.is_empty() || clean(&row.key).to_lowercase().contains(&needle))
        .collect();
    match sort.checked_sub(1).and_then(|i| COLUMNS.get(i)) {
        None => {
            visible.sort_by(|a, b| a.key.cmp(&b.key));
            if descending {
                visible.reverse();
            }
        }
        Some(column) => visible.sort_by(|a, b| {
            let (a, b) = ((column.value)(&a.figures), (column.value)(&b.figures));
            match (a, b) {
                (Some(a), Some(b)) if descending => b.total_cmp(&a),
                (Some(a), Some(b)) => a.total_cmp(&b),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        }),
    }
    visible
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, cases: u64, csat: Option<f64>) -> SegmentRow {
        SegmentRow {
            key: key.to_string(),
            figures: Figures {
                cases,
                csat_pct: csat,
                ..Figures::default()
            },
            previous: None,
        }
    }

    fn keys(rows: &[&SegmentRow]) -> Vec<String> {
        rows.iter().map(|r| r.key.clone()).collect()
    }

    #[test]
    fn sort_is_stable_with_missing_last() {
        let rows = [
            row("a", 9, Some(0.5)),
            row("b", 8, None),
            row("c", 7, Some(0.5)),
            row("d", 6, Some(0.9)),
        ];
        let csat = 4;
        assert_eq!(sort_name(csat), "CSAT%");
        assert_eq!(
            keys(&visible_rows(&rows, csat, true, "")),
            ["d", "a", "c", "b"]
        );
        assert_eq!(
            keys(&visible_rows(&rows, csat, false, "")),
            ["a", "c", "d", "b"]
        );
        assert_eq!(
            keys(&visible_rows(&rows, 0, true, "")),
            ["d", "c", "b", "a"]
        );
    }

    #[test]
    fn filter_matches_cleaned_name_ignoring_case() {
        let rows = [row("Email", 2, None), row("chat\u{1b}[2J", 1, None)];
        assert_eq!(keys(&visible_rows(&rows, 1, true, "EMA")), ["Email"]);
        assert_eq!(
            keys(&visible_rows(&rows, 1, true, "[2j")),
            Vec::<String>::new()
        );
    }
}
