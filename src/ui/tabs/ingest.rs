//! Ingest: the folder and its mode, one row per drop, and rejections by reason.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::ui::app::App;
use crate::ui::render::Theme;
use crate::ui::sanitize::fit;
use crate::ui::tabs::block;

pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App, _theme: Theme) {
    let ingest = &app.snapshot.ingest;
    let reasons = ingest.rejections_by_reason.len().max(1) as u16;
    let [summary, files, rejections] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Min(4),
        Constraint::Length((reasons + 3).min(area.height / 3)),
    ])
    .areas(area);
    let room = usize::from(area.width.saturating_sub(4));

    let lines = vec![
        Line::from(fit(
            &format!(
                " folder {}  mode {}  {:.0} rows/s",
                ingest.folder, ingest.mode, ingest.rows_per_second
            ),
            room,
        )),
        Line::from(fit(
            &format!(
                " rows {}  rejected {}  quarantine {}",
                ingest.rows_read, ingest.rejected_rows, ingest.quarantine_file
            ),
            room,
        )),
    ];
    frame.render_widget(Paragraph::new(lines).block(block("ingest")), summary);

    let name_width = usize::from(area.width.saturating_sub(2 + 14 + 8 + 9 + 11 + 8 + 5));
    let header = Row::new(["file", "source", "rows", "rejected", "bytes", "state"])
        .style(Style::default().add_modifier(Modifier::BOLD));
    let rows: Vec<Row<'_>> = ingest
        .files
        .iter()
        .skip(app.scroll.min(ingest.files.len().saturating_sub(1)))
        .map(|(name, stats)| {
            Row::new([
                Cell::from(fit(name, name_width)),
                Cell::from(fit(&stats.target, 14)),
                Cell::from(stats.rows.to_string()),
                Cell::from(stats.rejected.to_string()),
                Cell::from(stats.bytes_read.to_string()),
                Cell::from(if stats.waiting { "waiting" } else { "read" }),
            ])
        })
        .collect();
    let widths = [
        Constraint::Min(10),
        Constraint::Length(14),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(11),
        Constraint::Length(8),
    ];
    let title = format!("files ({})", ingest.files.len());
    frame.render_widget(
        Table::new(rows, widths).header(header).block(block(&title)),
        files,
    );

    let reason_rows: Vec<Row<'_>> = ingest
        .rejections_by_reason
        .iter()
        .map(|(reason, count)| {
            Row::new([
                Cell::from(count.to_string()),
                Cell::from(fit(reason, room.saturating_sub(10))),
            ])
        })
        .collect();
    let table = Table::new(reason_rows, [Constraint::Length(8), Constraint::Min(10)])
        .header(
            Row::new(["records", "reason"]).style(Style::default().add_modifier(Modifier::BOLD)),
        )
        .block(block("rejections by reason"));
    frame.render_widget(table, rejections);
}
