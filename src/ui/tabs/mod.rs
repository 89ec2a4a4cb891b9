//! One module per tab. Each draws the body of its tab from the app state.

pub mod alerts;
pub mod ingest;
pub mod model;
pub mod overview;
pub mod segments;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Sparkline};
use tui_logger::{ExtLogRecord, LogFormatter, TuiLoggerWidget};

use crate::alerts::Alert;
use crate::config::Severity;
use crate::metrics::series::Series;
use crate::ui::format::{decimal, duration, percent};
use crate::ui::render::Theme;
use crate::ui::sanitize::{clean, fit, width};

pub fn block(title: &str) -> Block<'_> {
    Block::default().borders(Borders::ALL).title(title)
}

/// Returns the severity as a word, so it reads without colour.
pub fn severity_span(severity: Severity, theme: Theme) -> Span<'static> {
    let (label, color) = match severity {
        Severity::Critical => ("CRIT", Color::Red),
        Severity::Warning => ("WARN", Color::Yellow),
        Severity::Info => ("INFO", Color::Cyan),
    };
    Span::styled(label, theme.fg(color).add_modifier(Modifier::BOLD))
}

/// Returns one line per alert: severity, rule, scope and value, cut to `max_width`.
pub fn alert_line(alert: &Alert, theme: Theme, max_width: usize) -> Line<'static> {
    let scope = match (&alert.dimension, &alert.segment) {
        (Some(dimension), Some(segment)) => format!("{dimension}={segment}"),
        _ => "overall".to_string(),
    };
    let text = format!(
        " {} [{scope}, {}] {} {:.3} vs {} (n={})",
        alert.rule, alert.window, alert.metric, alert.value, alert.threshold, alert.samples
    );
    Line::from(vec![
        severity_span(alert.severity, theme),
        Span::raw(fit(&text, max_width.saturating_sub(4))),
    ])
}

/// Trend of a series that a sparkline draws.
#[derive(Debug, Clone, Copy)]
pub enum Trend {
    Volume,
    CsatPct,
    FirstResponseP90,
}

impl Trend {
    pub fn title(self) -> &'static str {
        match self {
            Trend::Volume => "cases",
            Trend::CsatPct => "CSAT % last",
            Trend::FirstResponseP90 => "resp p90 last",
        }
    }

    fn value(self, series: &Series, index: usize) -> Option<f64> {
        let bucket = series.buckets.get(index)?;
        match self {
            Trend::Volume => Some(bucket.cases as f64),
            Trend::CsatPct => bucket.csat_pct(),
            Trend::FirstResponseP90 => bucket.first_response_p90,
        }
    }

    fn format(self, value: Option<f64>) -> String {
        match self {
            Trend::Volume => decimal(value, 0),
            Trend::CsatPct => percent(value),
            Trend::FirstResponseP90 => duration(value),
        }
    }
}

/// Draws one trend of a series as a sparkline. Its title gives the total for volume and the
/// newest value for the others. Buckets without a value are left empty.
pub fn render_trend(
    frame: &mut ratatui::Frame<'_>,
    area: Rect,
    series: &Series,
    trend: Trend,
    theme: Theme,
) {
    let values: Vec<Option<f64>> = (0..series.buckets.len())
        .map(|i| trend.value(series, i))
        .collect();
    let headline = match trend {
        Trend::Volume => Some(values.iter().filter_map(|v| *v).sum()),
        Trend::CsatPct | Trend::FirstResponseP90 => values.iter().rev().find_map(|v| *v),
    };
    let max = values.iter().filter_map(|v| *v).fold(0.0_f64, f64::max);
    // Scale to whole numbers so shares and minutes keep their shape in u64 bars.
    let scale = if max > 0.0 { 1000.0 / max } else { 1.0 };
    // Each bucket takes as many columns as fit, so a wide screen stretches the line.
    let repeat = (usize::from(area.width.saturating_sub(2)) / values.len().max(1)).max(1);
    let data: Vec<Option<u64>> = values
        .iter()
        .flat_map(|v| std::iter::repeat_n(v.map(|v| (v * scale).round() as u64), repeat))
        .collect();
    let title = format!("{} {}", trend.title(), trend.format(headline));
    let sparkline = Sparkline::default()
        .block(block(&title))
        .data(data)
        .max(1000)
        .style(theme.fg(Color::Cyan));
    frame.render_widget(sparkline, area);
}

/// Formats log records with their control characters replaced, so a file name from the data
/// cannot send an escape sequence through the log.
struct CleanFormatter {
    theme: Theme,
}

impl LogFormatter for CleanFormatter {
    fn min_width(&self) -> u16 {
        10
    }

    fn format(&self, line_width: usize, record: &ExtLogRecord) -> Vec<Line<'_>> {
        let (label, color) = match record.level {
            log::Level::Error => ("E", Color::Red),
            log::Level::Warn => ("W", Color::Yellow),
            log::Level::Info => ("I", Color::Cyan),
            _ => ("D", Color::DarkGray),
        };
        let prefix = format!("{} {label} ", record.timestamp.strftime("%H:%M:%S"));
        let style = self.theme.fg(color);
        let message = clean(record.msg());
        let mut lines = Vec::new();
        let mut rest = message.as_str();
        let mut first = true;
        while first || !rest.is_empty() {
            let indent = if first {
                prefix.clone()
            } else {
                "  ".to_string()
            };
            let room = line_width.saturating_sub(width(&indent)).max(1);
            let cut = cut_at_width(rest, room);
            lines.push(Line::from(vec![
                Span::styled(indent, style),
                Span::styled(rest[..cut].to_string(), style),
            ]));
            rest = &rest[cut..];
            first = false;
        }
        lines
    }
}

/// Returns the byte index where `text` first exceeds `max_width` columns, on a grapheme
/// boundary; at least one grapheme is taken so wrapping always advances.
fn cut_at_width(text: &str, max_width: usize) -> usize {
    use unicode_segmentation::UnicodeSegmentation;
    let mut used = 0;
    for (index, grapheme) in text.grapheme_indices(true) {
        let grapheme_width = width(grapheme);
        if used + grapheme_width > max_width && index > 0 {
            return index;
        }
        used += grapheme_width;
    }
    text.len()
}

pub fn log_widget(title: &str, theme: Theme) -> TuiLoggerWidget<'_> {
    TuiLoggerWidget::default()
        .block(block(title))
        .formatter(Box::new(CleanFormatter { theme }))
        .style(Style::default())
}
