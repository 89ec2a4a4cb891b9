//! Overview: four gauges with their samples and changes, trend sparklines, key figures,
//! improvement hints and the newest alerts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Gauge, Paragraph};

use crate::metrics::Figures;
use crate::metrics::series::Series;
use crate::ui::app::App;
use crate::ui::format::{change, decimal, duration, percent};
use crate::ui::render::Theme;
use crate::ui::sanitize::fit;
use crate::ui::tabs::{Trend, alert_line, block, render_trend};

/// Number of alerts the Overview lists.
const NEWEST_ALERTS: usize = 6;

pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let [gauges, trends, figures, lower] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(6),
        Constraint::Length(2),
        Constraint::Min(4),
    ])
    .areas(area);
    let empty = Figures::default();
    let window = app.figures();
    let current = window.map_or(&empty, |f| &f.overall);
    let previous = window.and_then(|f| f.previous.as_ref());
    render_gauges(frame, gauges, current, previous, theme);

    let no_series = Series::default();
    let series = window.map_or(&no_series, |f| &f.series.overall);
    let areas = Layout::horizontal([Constraint::Ratio(1, 3); 3]).split(trends);
    for (trend, area) in [Trend::Volume, Trend::CsatPct, Trend::FirstResponseP90]
        .into_iter()
        .zip(areas.iter())
    {
        render_trend(frame, *area, series, trend, theme);
    }
    render_key_figures(frame, figures, current);

    let [hints, alerts] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(lower);
    render_hints(frame, hints, app);
    render_newest_alerts(frame, alerts, app, theme);
}

/// One gauge: its title, its share of the bar, and the label with samples and change.
struct GaugeSpec {
    title: &'static str,
    share: Option<f64>,
    label: String,
    /// Higher is better for every gauge but the negative-feedback share.
    level: Option<f64>,
}

fn render_gauges(
    frame: &mut Frame<'_>,
    area: Rect,
    current: &Figures,
    previous: Option<&Figures>,
    theme: Theme,
) {
    let share_label = |value: Option<f64>, before: Option<f64>, samples: u64| {
        format!(
            "{} n={samples}{}",
            percent(value),
            change(value, before, 100.0)
        )
    };
    let index_share = current.satisfaction_index.map(|v| (v - 1.0) / 4.0);
    let negative = current.negative_feedback_share;
    let gauges = [
        GaugeSpec {
            title: "CSAT %",
            share: current.csat_pct,
            label: share_label(
                current.csat_pct,
                previous.and_then(|p| p.csat_pct),
                current.rated,
            ),
            level: current.csat_pct,
        },
        GaugeSpec {
            title: "satisfaction index",
            share: index_share,
            label: format!(
                "{}/5 n={}{}",
                decimal(current.satisfaction_index, 2),
                current.rated,
                change(
                    current.satisfaction_index,
                    previous.and_then(|p| p.satisfaction_index),
                    1.0
                )
            ),
            level: index_share,
        },
        GaugeSpec {
            title: "SLA attainment",
            share: current.sla_attainment,
            label: share_label(
                current.sla_attainment,
                previous.and_then(|p| p.sla_attainment),
                current.sla_cases,
            ),
            level: current.sla_attainment,
        },
        GaugeSpec {
            title: "negative feedback",
            share: negative,
            label: share_label(
                negative,
                previous.and_then(|p| p.negative_feedback_share),
                current.feedback_cases,
            ),
            level: negative.map(|v| 1.0 - v),
        },
    ];
    let areas = Layout::horizontal([Constraint::Ratio(1, 4); 4]).split(area);
    for (spec, area) in gauges.into_iter().zip(areas.iter()) {
        let label = fit(&spec.label, usize::from(area.width.saturating_sub(2)));
        let gauge = Gauge::default()
            .block(block(spec.title))
            .gauge_style(theme.level(spec.level))
            .ratio(spec.share.unwrap_or(0.0).clamp(0.0, 1.0))
            .label(label);
        frame.render_widget(gauge, *area);
    }
}

fn render_key_figures(frame: &mut Frame<'_>, area: Rect, f: &Figures) {
    let lines = vec![
        Line::from(format!(
            " cases {}  rated {}  CSAT mean {}  predicted {}  loyalty {}  backlog {}",
            f.cases,
            f.rated,
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

/// Draws the three costliest improvement hints over all data.
fn render_hints(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let room = usize::from(area.width.saturating_sub(3));
    let mut lines: Vec<Line<'_>> = Vec::new();
    for hint in app.snapshot.hints.iter().take(3) {
        let driver = hint
            .driver
            .as_deref()
            .map(|d| format!(", {d}"))
            .unwrap_or_default();
        lines.push(Line::from(fit(
            &format!(" {}={}", hint.dimension, hint.segment),
            room,
        )));
        lines.push(Line::from(fit(
            &format!(
                "   CSAT {:.2}, {:.0} points lost{driver}",
                hint.csat_mean, hint.cost
            ),
            room,
        )));
    }
    if lines.is_empty() {
        lines.push(Line::from(" no segment below the overall CSAT yet"));
    }
    frame.render_widget(
        Paragraph::new(lines).block(block("top improvement hints, all data")),
        area,
    );
}

fn render_newest_alerts(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let room = usize::from(area.width.saturating_sub(2));
    let alerts = &app.snapshot.alerts;
    let lines: Vec<Line<'_>> = if alerts.is_empty() {
        vec![Line::from(" no active alert")]
    } else {
        alerts
            .iter()
            .rev()
            .take(NEWEST_ALERTS)
            .map(|a| alert_line(a, theme, room))
            .collect()
    };
    let title = format!("newest alerts ({} active)", alerts.len());
    frame.render_widget(Paragraph::new(lines).block(block(&title)), area);
}
