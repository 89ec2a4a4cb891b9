//! Drawing the screen from the app state. Nothing here mutates state or does I/O.
//!
//! ```text
//! ┌ tab bar: 1 Overview 2 Segments 3 Model 4 Alerts 5 Ingest      window ┐
//! │ the body of the chosen tab (src/ui/tabs)                             │
//! │ banner while paused or after the engine stopped                      │
//! │ status: folder, mode, rows/s, newest event time, alerts, pause       │
//! ```

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::normalize::format_time;
use crate::ui::app::{App, Tab};
use crate::ui::keys::ACTIONS;
use crate::ui::sanitize::fit;
use crate::ui::tabs;

/// Smallest terminal the layout fits.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Colours, or none when `NO_COLOR` is set. Without colour every state still reads from
/// text: arrows for changes, severity names, percentages in gauges.
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

    pub fn fg(self, color: Color) -> Style {
        if self.color {
            Style::default().fg(color)
        } else {
            Style::default()
        }
    }

    /// Style for a share where higher is better: green, yellow, red.
    pub fn level(self, share: Option<f64>) -> Style {
        match share {
            Some(v) if v >= 0.8 => self.fg(Color::Green),
            Some(v) if v >= 0.6 => self.fg(Color::Yellow),
            Some(_) => self.fg(Color::Red),
            None => self.fg(Color::DarkGray),
        }
    }

    /// Style of a change: green when better, red when worse.
    pub fn direction(self, direction: i8) -> Style {
        match direction {
            1 => self.fg(Color::Green),
            -1 => self.fg(Color::Red),
            _ => Style::default(),
        }
    }

    /// Style of a highlighted row: bold, and yellow with colour.
    pub fn highlight(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
}

pub fn render(frame: &mut Frame<'_>, app: &App, theme: Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        render_too_small(frame, area);
        return;
    }
    let banner = banner_text(app);
    let [tab_bar, body, banner_area, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(u16::from(banner.is_some())),
        Constraint::Length(1),
    ])
    .areas(area);
    render_tab_bar(frame, tab_bar, app);
    match app.tab {
        Tab::Overview => tabs::overview::render(frame, body, app, theme),
        Tab::Segments => tabs::segments::render(frame, body, app, theme),
        Tab::Model => tabs::model::render(frame, body, app, theme),
        Tab::Alerts => tabs::alerts::render(frame, body, app, theme),
        Tab::Ingest => tabs::ingest::render(frame, body, app, theme),
    }
    if let Some(text) = banner {
        let style = theme.fg(Color::Yellow).add_modifier(Modifier::BOLD);
        frame.render_widget(
            Paragraph::new(fit(&text, usize::from(area.width))).style(style),
            banner_area,
        );
    }
    render_status(frame, status, app);
    if app.show_help {
        render_help(frame, area, app);
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

fn render_tab_bar(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let mut spans = vec![Span::styled(
        "csmon",
        Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
    )];
    for (index, tab) in Tab::ALL.iter().enumerate() {
        let style = if *tab == app.tab {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::default()
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            format!(" {} {}", index + 1, tab.title()),
            style,
        ));
    }
    let right = format!("window {}  ? keys ", fit(app.window_label(), 12));
    let [left_area, right_area] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(crate::ui::sanitize::width(&right) as u16),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), left_area);
    frame.render_widget(
        Paragraph::new(right).alignment(Alignment::Right),
        right_area,
    );
}

/// Returns the banner line: the engine error, or what waits while the view is paused.
fn banner_text(app: &App) -> Option<String> {
    if let Some(error) = &app.engine_error {
        return Some(format!(
            " ALERT engine stopped: {error}; figures are frozen, restart csmon"
        ));
    }
    let (cases, alerts) = app.waiting_counts()?;
    Some(format!(
        " PAUSED: {cases:+} cases, {alerts} alert{} waiting; p resumes",
        if alerts == 1 { "" } else { "s" }
    ))
}

fn render_status(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let ingest = &app.snapshot.ingest;
    let newest = app
        .figures()
        .and_then(|f| f.watermark)
        .map_or_else(|| "-".to_string(), format_time);
    let text = format!(
        " {} [{}]  cases {}  rows {} ({} rejected)  {:.0} rows/s  newest {newest}  alerts {}{}",
        ingest.folder,
        ingest.mode,
        app.snapshot.cases,
        ingest.rows_read,
        ingest.rejected_rows,
        ingest.rows_per_second,
        app.snapshot.alerts.len(),
        if app.paused() { "  PAUSED" } else { "" }
    );
    frame.render_widget(
        Paragraph::new(fit(&text, usize::from(area.width)))
            .style(Style::default().add_modifier(Modifier::REVERSED)),
        area,
    );
}

fn render_help(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let entries: Vec<String> = ACTIONS
        .iter()
        .map(|info| {
            let keys = app.keys.keys_of(info.action).join(" ");
            format!(" {:<9} {}", fit(&keys, 9), info.help)
        })
        .collect();
    let half = entries.len().div_ceil(2);
    let mut lines: Vec<Line<'_>> = (0..half)
        .map(|row| {
            let left = fit(&entries[row], HELP_COLUMN);
            let right = entries.get(row + half).map_or("", String::as_str);
            let padding = HELP_COLUMN.saturating_sub(crate::ui::sanitize::width(&left));
            Line::from(format!("{left}{}{right}", " ".repeat(padding)))
        })
        .collect();
    lines.push(Line::from(
        " after / keys edit the filter: Enter keeps it, Esc clears it",
    ));
    lines.push(
        Line::from(" any key closes this help").style(Style::default().add_modifier(Modifier::DIM)),
    );
    let width = (2 * HELP_COLUMN as u16 + 2).min(area.width);
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title("keys")),
        popup,
    );
}

/// Width of one of the two columns of the help overlay.
const HELP_COLUMN: usize = 38;
