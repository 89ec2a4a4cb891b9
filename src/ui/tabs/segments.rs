//! Segments: the sortable, filterable table of the chosen dimension, and the drill-down view
//! of one segment.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use crate::metrics::SegmentRow;
use crate::metrics::series::SegmentDetail;
use crate::ui::app::App;
use crate::ui::columns::{COLUMNS, cell_text, direction, sort_name};
use crate::ui::format::{decimal, duration};
use crate::ui::render::Theme;
use crate::ui::sanitize::fit;
use crate::ui::tabs::{Trend, block, render_trend};

/// Inner width from which cells show the change as a number instead of an arrow.
const WIDE_TABLE: u16 = 136;
/// Narrowest segment name column.
const MIN_NAME_WIDTH: u16 = 10;

pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    match (app.drilled.as_ref(), app.drilled_row()) {
        (Some(_), Some(row)) => render_drill_down(frame, area, app, row, theme),
        (Some(key), None) => {
            let text = format!(
                " segment '{}' has no cases in this window; Esc goes back",
                fit(key, 40)
            );
            frame.render_widget(Paragraph::new(text).block(block("segment")), area);
        }
        (None, _) => render_table(frame, area, app, theme),
    }
}

fn table_title(app: &App, count: usize) -> String {
    let dimension = app.dimension_name().unwrap_or("-");
    let arrow = if app.descending { "↓" } else { "↑" };
    let mut title = format!(
        "segments by {} ({count}) sort {}{arrow}",
        fit(dimension, 24),
        sort_name(app.sort)
    );
    if app.editing_filter {
        let _ = write!(title, " filter: {}▏", fit(&app.filter, 24));
    } else if !app.filter.is_empty() {
        let _ = write!(title, " filter: {}", fit(&app.filter, 24));
    }
    title
}

fn render_table(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let inner_width = area.width.saturating_sub(2);
    let wide = inner_width >= WIDE_TABLE;
    let figure_widths: Vec<u16> = COLUMNS
        .iter()
        .map(|c| if wide { c.wide_width } else { c.width })
        .collect();
    let gaps = COLUMNS.len() as u16;
    let name_width = inner_width
        .saturating_sub(figure_widths.iter().sum::<u16>() + gaps)
        .max(MIN_NAME_WIDTH);

    let mut header = vec![Cell::from("segment")];
    header.extend(COLUMNS.iter().map(|c| Cell::from(c.header)));
    let header = Row::new(header).style(Style::default().add_modifier(Modifier::BOLD));

    let rows = app.rows();
    let min_cases = app.snapshot.min_segment_cases;
    let table_rows: Vec<Row<'_>> = rows
        .iter()
        .map(|row| {
            let small = row.figures.cases < min_cases;
            let mut cells = vec![Cell::from(fit(&row.key, usize::from(name_width)))];
            for column in COLUMNS {
                let style = if small {
                    Style::default()
                } else {
                    theme.direction(direction(column, row))
                };
                cells.push(Cell::from(cell_text(column, row, wide)).style(style));
            }
            let style = if app.changed.contains(&row.key) {
                theme.highlight()
            } else if small {
                Style::default().add_modifier(Modifier::DIM)
            } else {
                Style::default()
            };
            Row::new(cells).style(style)
        })
        .collect();

    let mut widths = vec![Constraint::Length(name_width)];
    widths.extend(figure_widths.iter().map(|w| Constraint::Length(*w)));
    let title = table_title(app, rows.len());
    let widget = Table::new(table_rows, widths)
        .header(header)
        .block(block(&title))
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let selected = (!rows.is_empty()).then(|| app.selected_index());
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(widget, area, &mut state);

    // Below the header row, so an empty result shows why it is empty.
    if rows.is_empty() && !app.filter.is_empty() && area.height > 3 && area.width > 2 {
        let line = Rect {
            x: area.x + 1,
            y: area.y + 2,
            width: area.width - 2,
            height: 1,
        };
        let notice = format!(
            " no segment matches '{}'; Esc clears the filter",
            app.filter
        );
        let text = fit(&notice, usize::from(line.width));
        frame.render_widget(
            Paragraph::new(text).style(Style::default().add_modifier(Modifier::DIM)),
            line,
        );
    }
}

fn render_drill_down(frame: &mut Frame<'_>, area: Rect, app: &App, row: &SegmentRow, theme: Theme) {
    let [top, worst] = Layout::vertical([
        Constraint::Length(COLUMNS.len() as u16 + 3),
        Constraint::Min(4),
    ])
    .areas(area);
    let [figures, trends] =
        Layout::horizontal([Constraint::Length(46), Constraint::Min(24)]).areas(top);

    let header = Row::new(["figure", "value", "change"])
        .style(Style::default().add_modifier(Modifier::BOLD));
    let rows: Vec<Row<'_>> = COLUMNS
        .iter()
        .map(|column| {
            let value = (column.format)((column.value)(&row.figures));
            let previous = row.previous.as_ref().and_then(|p| (column.value)(p));
            let change = match ((column.value)(&row.figures), previous) {
                (Some(c), Some(p)) => format!("{:+.2}", (c - p) * column.change_scale),
                _ => "-".to_string(),
            };
            Row::new([
                Cell::from(column.name),
                Cell::from(value),
                Cell::from(change).style(theme.direction(direction(column, row))),
            ])
        })
        .collect();
    let dimension = app.dimension_name().unwrap_or("-");
    let title = format!(
        "{}={} in window {}",
        fit(dimension, 16),
        fit(&row.key, 16),
        app.window_label()
    );
    let table = Table::new(
        rows,
        [
            Constraint::Length(26),
            Constraint::Length(8),
            Constraint::Length(8),
        ],
    )
    .header(header)
    .block(block(&title));
    frame.render_widget(table, figures);

    let detail = app
        .figures()
        .and_then(|f| f.series.segments.get(app.dimension))
        .and_then(|segments| segments.get(&row.key));
    let empty = SegmentDetail::default();
    let detail = detail.unwrap_or(&empty);
    let areas = Layout::vertical([Constraint::Ratio(1, 3); 3]).split(trends);
    for (trend, area) in [Trend::Volume, Trend::CsatPct, Trend::FirstResponseP90]
        .into_iter()
        .zip(areas.iter())
    {
        render_trend(frame, *area, &detail.trend, trend, theme);
    }
    render_worst_cases(frame, worst, detail);
}

fn render_worst_cases(frame: &mut Frame<'_>, area: Rect, detail: &SegmentDetail) {
    let feedback_width = usize::from(area.width.saturating_sub(2 + 20 + 6 + 10 + 3));
    let rows: Vec<Row<'_>> = detail
        .worst_cases
        .iter()
        .map(|case| {
            Row::new([
                Cell::from(fit(&case.key, 20)),
                Cell::from(decimal(case.satisfaction, 0)),
                Cell::from(if case.resolved {
                    duration(case.resolution_minutes)
                } else {
                    "open".to_string()
                }),
                Cell::from(fit(case.feedback.as_deref().unwrap_or(""), feedback_width)),
            ])
        })
        .collect();
    let header = Row::new(["case", "score", "resolved", "feedback"])
        .style(Style::default().add_modifier(Modifier::BOLD));
    let table = Table::new(
        rows,
        [
            Constraint::Length(20),
            Constraint::Length(6),
            Constraint::Length(10),
            Constraint::Min(10),
        ],
    )
    .header(header)
    .block(block("worst cases: lowest score, then open, then slowest"));
    if detail.worst_cases.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::from(" no case")).block(block("worst cases")),
            area,
        );
    } else {
        frame.render_widget(table, area);
    }
}
