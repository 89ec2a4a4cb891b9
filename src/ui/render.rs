//! Drawing the screen from the app state. Nothing here mutates state or does I/O.
//!
//! ```text
//! ┌ title: window, dimension ──────────────────────────────┐
//! │ CSAT %        │ satisfaction index │ SLA attainment    │  gauges
//! │ key figures (two lines)                                │
//! │ segment table                 │ alert log              │
//! │ status: folder, mode, rows, rows/s, newest event time  │
//! ```

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, Gauge, Paragraph, Row, Table, TableState, Wrap,
};
use tui_logger::TuiLoggerWidget;

use crate::metrics::Figures;
use crate::normalize::format_time;
use crate::ui::app::{App, KEYS};
use crate::ui::sanitize::clean;

/// Smallest terminal the layout fits.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Colours, or none when `NO_COLOR` is set.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::default().fg(color)
        } else {
            Style::default()
        }
    }

    /// Style for a share where higher is better: green, yellow, red.
    fn level(self, share: Option<f64>) -> Style {
        match share {
            Some(v) if v >= 0.8 => self.fg(Color::Green),
            Some(v) if v >= 0.6 => self.fg(Color::Yellow),
            Some(_) => self.fg(Color::Red),
            None => self.fg(Color::DarkGray),
        }
    }
}

pub fn render(frame: &mut Frame<'_>, app: &App, theme: Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        render_too_small(frame, area);
        return;
    }
    let [title, gauges, figures, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(2),
        Constraint::Min(6),
        Constraint::Length(1),
    ])
    .areas(area);
    render_title(frame, title, app);
    render_gauges(frame, gauges, app, theme);
    render_figures(frame, figures, app);
    let [table, log] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body);
    render_segments(frame, table, app, theme);
    render_alert_log(frame, log, theme);
    render_status(frame, status, app);
    if app.show_help {
        render_help(frame, area);
    }
}

fn render_too_small(frame: &mut Frame<'_>, area: Rect) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let text = format!(
        "Terminal too small: {}x{}. csmon needs {MIN_WIDTH}x{MIN_HEIGHT}; enlarge it, or run `csmon report`.",
        area.width, area.height
    );
    let paragraph = Paragraph::new(text)
        .wrap(Wrap { trim: true })
        .alignment(Alignment::Center);
    frame.render_widget(paragraph, area);
}

fn render_title(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let dimension = app.dimension_name().map_or_else(|| "-".to_string(), clean);
    let line = Line::from(vec![
        Span::styled(
            " csmon ",
            Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ),
        Span::raw(format!(
            "  window: {}  dimension: {dimension}  cases: {}  ",
            app.window_label(),
            app.snapshot.cases
        )),
        Span::styled("? keys", Style::default().add_modifier(Modifier::DIM)),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

fn decimal(value: Option<f64>, places: usize) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.places$}"))
}

/// Formats minutes in the largest unit that keeps the number readable.
pub fn duration(minutes: Option<f64>) -> String {
    match minutes {
        None => "-".to_string(),
        Some(m) if m < 90.0 => format!("{m:.0}m"),
        Some(m) if m < 48.0 * 60.0 => format!("{:.1}h", m / 60.0),
        Some(m) => format!("{:.1}d", m / 1440.0),
    }
}

fn change(current: Option<f64>, previous: Option<f64>, scale: f64) -> String {
    match (current, previous) {
        (Some(c), Some(p)) => format!(" ({:+.1})", (c - p) * scale),
        _ => String::new(),
    }
}

fn render_gauges(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let empty = Figures::default();
    let figures = app.figures();
    let current = figures.map_or(&empty, |f| &f.overall);
    let previous = figures.and_then(|f| f.previous.as_ref());
    let areas = Layout::horizontal([Constraint::Ratio(1, 3); 3]).split(area);

    let index_share = current.satisfaction_index.map(|v| (v - 1.0) / 4.0);
    let gauges = [
        (
            "CSAT %",
            current.csat_pct,
            format!(
                "{} n={}{}",
                percent(current.csat_pct),
                current.rated,
                change(current.csat_pct, previous.and_then(|p| p.csat_pct), 100.0)
            ),
        ),
        (
            "Satisfaction index",
            index_share,
            format!(
                "{} / 5{}",
                decimal(current.satisfaction_index, 2),
                change(
                    current.satisfaction_index,
                    previous.and_then(|p| p.satisfaction_index),
                    1.0
                )
            ),
        ),
        (
            "SLA attainment",
            current.sla_attainment,
            format!(
                "{} n={}{}",
                percent(current.sla_attainment),
                current.sla_cases,
                change(
                    current.sla_attainment,
                    previous.and_then(|p| p.sla_attainment),
                    100.0
                )
            ),
        ),
    ];
    for ((title, share, label), area) in gauges.into_iter().zip(areas.iter()) {
        let gauge = Gauge::default()
            .block(Block::default().borders(Borders::ALL).title(title))
            .gauge_style(theme.level(share))
            .ratio(share.unwrap_or(0.0).clamp(0.0, 1.0))
            .label(label);
        frame.render_widget(gauge, *area);
    }
}

fn render_figures(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let empty = Figures::default();
    let f = app.figures().map_or(&empty, |w| &w.overall);
    let model = match (&app.snapshot.model.evaluation, app.snapshot.model.version) {
        (Some(e), Some(v)) => format!(
            "model v{v} MAE {:.2} (baseline {:.2})",
            e.mae, e.baseline_mae
        ),
        _ if app.snapshot.model.training => "model: training".to_string(),
        _ => "model: not trained".to_string(),
    };
    let lines = vec![
        Line::from(format!(
            " CSAT mean {}  predicted {}  loyalty {}  backlog {}  {model}",
            decimal(f.csat_mean, 2),
            decimal(f.predicted_csat_mean, 2),
            decimal(f.loyalty_index, 1),
            f.backlog
        )),
        Line::from(format!(
            " first response p50 {} p90 {}   resolution p50 {} p90 {}",
            duration(f.first_response_minutes.p50),
            duration(f.first_response_minutes.p90),
            duration(f.resolution_minutes.p50),
            duration(f.resolution_minutes.p90)
        )),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

fn render_segments(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let name = app.dimension_name().map(str::to_string).unwrap_or_default();
    let table = app
        .figures()
        .and_then(|f| f.dimensions.iter().find(|t| t.name == name));
    let header = Row::new([
        "segment", "cases", "rated", "CSAT", "CSAT%", "res p50", "pred",
    ])
    .style(Style::default().add_modifier(Modifier::BOLD));
    let min_cases = app.snapshot_min_cases();
    let rows: Vec<Row<'_>> = table
        .map(|t| t.rows.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|row| {
            let f = &row.figures;
            let style = if f.cases < min_cases {
                Style::default().add_modifier(Modifier::DIM)
            } else {
                Style::default()
            };
            Row::new(vec![
                Cell::from(clean(&row.key)),
                Cell::from(f.cases.to_string()),
                Cell::from(f.rated.to_string()),
                Cell::from(decimal(f.csat_mean, 2)),
                Cell::from(percent(f.csat_pct)).style(if f.cases < min_cases {
                    Style::default()
                } else {
                    theme.level(f.csat_pct)
                }),
                Cell::from(duration(f.resolution_minutes.p50)),
                Cell::from(decimal(f.predicted_csat_mean, 2)),
            ])
            .style(style)
        })
        .collect();
    let count = rows.len();
    let widths = [
        Constraint::Min(10),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(4),
        Constraint::Length(6),
        Constraint::Length(7),
        Constraint::Length(4),
    ];
    let title = format!("segments by {} ({count}) Tab: next", clean(&name));
    let widget = Table::new(rows, widths)
        .header(header)
        .block(Block::default().borders(Borders::ALL).title(title))
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected((count > 0).then_some(app.selected));
    frame.render_stateful_widget(widget, area, &mut state);
}

fn render_alert_log(frame: &mut Frame<'_>, area: Rect, theme: Theme) {
    let widget = TuiLoggerWidget::default()
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title("alerts and log"),
        )
        .output_separator(' ')
        .output_timestamp(Some("%H:%M:%S".to_string()))
        .output_level(Some(tui_logger::TuiLoggerLevelOutput::Abbreviated))
        .output_target(false)
        .output_file(false)
        .output_line(false)
        .style_error(theme.fg(Color::Red))
        .style_warn(theme.fg(Color::Yellow))
        .style_info(theme.fg(Color::Cyan));
    frame.render_widget(widget, area);
}

fn render_status(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let ingest = &app.snapshot.ingest;
    let newest = app
        .figures()
        .and_then(|f| f.watermark)
        .map_or_else(|| "-".to_string(), format_time);
    let text = format!(
        " {} [{}]  rows {} ({} rejected)  {:.0} rows/s  newest {newest}  alerts {}",
        clean(&ingest.folder),
        ingest.mode,
        ingest.rows_read,
        ingest.rejected_rows,
        ingest.rows_per_second,
        app.snapshot.alerts.len()
    );
    frame.render_widget(
        Paragraph::new(text).style(Style::default().add_modifier(Modifier::REVERSED)),
        area,
    );
}

fn render_help(frame: &mut Frame<'_>, area: Rect) {
    let width = 60.min(area.width);
    let height = (KEYS.len() as u16 + 4).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let mut lines: Vec<Line<'_>> = KEYS
        .iter()
        .map(|(key, what)| Line::from(format!(" {key:<16} {what}")))
        .collect();
    lines.push(Line::from(""));
    lines.push(
        Line::from(" any key closes this help").style(Style::default().add_modifier(Modifier::DIM)),
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title("keys")),
        popup,
    );
}
