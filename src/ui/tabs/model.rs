//! Model: version, training state, the held-out evaluation against the mean predictor, the
//! last training error, feature importance, the sentiment scorers and the customer
//! clusters.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::ui::app::App;
use crate::ui::render::Theme;
use crate::ui::sanitize::fit;
use crate::ui::tabs::block;

pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    // Hints get their own pane only when the terminal is tall enough; the Overview always
    // shows the top three.
    let hint_rows = if area.height >= 34 { 9 } else { 0 };
    let [state, evaluation, pending, hints] = Layout::vertical([
        Constraint::Length(5),
        Constraint::Length(11),
        Constraint::Min(3),
        Constraint::Length(hint_rows),
    ])
    .areas(area);
    if hint_rows > 0 {
        render_hints(frame, hints, app);
    }
    let model = &app.snapshot.model;
    let room = usize::from(area.width.saturating_sub(4));

    let version = model
        .version
        .map_or_else(|| "none yet".to_string(), |v| format!("v{v}"));
    let training = if model.training {
        "training in the background"
    } else {
        "idle (r retrains)"
    };
    let error = model.last_error.as_deref().map_or_else(
        || "none".to_string(),
        |e| fit(&format!("last training failed: {e}"), room),
    );
    let error_style = if model.last_error.is_some() {
        theme.fg(Color::Red)
    } else {
        Style::default()
    };
    let lines = vec![
        Line::from(format!(" model {version}   {training}")),
        Line::from(fit(
            &format!(
                " split: {}",
                model.evaluation.as_ref().map_or("-", |e| e.split.as_str())
            ),
            room,
        )),
        Line::from(format!(" error: {error}")).style(error_style),
    ];
    frame.render_widget(
        Paragraph::new(lines).block(block("satisfaction model")),
        state,
    );

    let header = Row::new(["", "model", "baseline (mean)"])
        .style(Style::default().add_modifier(Modifier::BOLD));
    let rows: Vec<Row<'_>> = match &model.evaluation {
        Some(e) => vec![
            Row::new([
                Cell::from("trained on"),
                Cell::from(e.trained_on.to_string()),
                Cell::from(""),
            ]),
            Row::new([
                Cell::from("tested on"),
                Cell::from(e.tested_on.to_string()),
                Cell::from(""),
            ]),
            Row::new([
                Cell::from("MAE"),
                Cell::from(format!("{:.3}", e.mae)),
                Cell::from(format!("{:.3}", e.baseline_mae)),
            ]),
            Row::new([
                Cell::from("MSE"),
                Cell::from(format!("{:.3}", e.mse)),
                Cell::from(format!("{:.3}", e.baseline_mse)),
            ]),
            Row::new([
                Cell::from("R^2"),
                Cell::from(format!("{:.3}", e.r2)),
                Cell::from("0"),
            ]),
            error_row("MAE, random split", e.random_split.as_ref()),
            error_row("MAE, with text", e.with_text.as_ref()),
            error_row("MAE, without text", e.without_text.as_ref()),
        ],
        None => vec![Row::new(["not evaluated yet", "", ""])],
    };
    let table = Table::new(
        rows,
        [
            Constraint::Length(18),
            Constraint::Length(10),
            Constraint::Length(16),
        ],
    )
    .header(header)
    .block(block("held-out evaluation"));
    frame.render_widget(table, evaluation);

    let [importance, sentiment, clusters] = Layout::horizontal([
        Constraint::Percentage(34),
        Constraint::Percentage(28),
        Constraint::Percentage(38),
    ])
    .areas(pending);
    render_importance(frame, importance, app);
    render_sentiment(frame, sentiment, app);
    render_clusters(frame, clusters, app);
}

fn render_hints(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let room = usize::from(area.width.saturating_sub(3));
    let mut lines: Vec<Line<'_>> = app
        .snapshot
        .hints
        .iter()
        .take(usize::from(area.height.saturating_sub(2)))
        .map(|hint| {
            let driver = hint
                .driver
                .as_deref()
                .map(|d| format!(", {d}"))
                .unwrap_or_default();
            Line::from(fit(
                &format!(
                    " {}={}: CSAT {:.2}, {:.2} below the overall, {:.0} points lost{driver}",
                    hint.dimension, hint.segment, hint.csat_mean, hint.gap, hint.cost
                ),
                room,
            ))
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::from(" no segment below the overall CSAT yet"));
    }
    frame.render_widget(
        Paragraph::new(lines).block(block("improvement hints")),
        area,
    );
}

fn error_row<'a>(label: &'a str, figures: Option<&crate::model::ErrorFigures>) -> Row<'a> {
    match figures {
        Some(f) => Row::new([
            Cell::from(label),
            Cell::from(format!("{:.3}", f.mae)),
            Cell::from(format!("{:.3}", f.baseline_mae)),
        ]),
        None => Row::new([Cell::from(label), Cell::from("-"), Cell::from("-")]),
    }
}

/// Held-out MAE increase when each feature is shuffled, largest first.
fn render_importance(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let room = usize::from(area.width.saturating_sub(3));
    let lines: Vec<Line<'_>> = match &app.snapshot.model.evaluation {
        Some(e) => e
            .importance
            .iter()
            .map(|(name, value)| Line::from(fit(&format!(" {value:+.3} {name}"), room)))
            .collect(),
        None => vec![Line::from(" not trained yet")],
    };
    frame.render_widget(
        Paragraph::new(lines).block(block("importance (MAE rise)")),
        area,
    );
}

fn render_sentiment(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let room = usize::from(area.width.saturating_sub(3));
    let lines: Vec<Line<'_>> = match &app.snapshot.model.sentiment {
        Some(s) if s.tested_on == 0 => vec![
            Line::from(fit(" using the lexicon", room)),
            Line::from(fit(" too little rated text to evaluate", room)),
        ],
        Some(s) => {
            let mut lines = vec![
                Line::from(fit(&format!(" using the {}", s.chosen), room)),
                Line::from(fit(&format!(" held out: {} texts", s.tested_on), room)),
                Line::from(fit(&format!(" lexicon F1 {:.3}", s.lexicon.macro_f1), room)),
            ];
            if let Some(c) = &s.classifier {
                lines.push(Line::from(fit(
                    &format!(" classifier F1 {:.3}", c.macro_f1),
                    room,
                )));
            }
            lines
        }
        None => vec![Line::from(" lexicon until trained")],
    };
    frame.render_widget(Paragraph::new(lines).block(block("sentiment")), area);
}

fn render_clusters(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let room = usize::from(area.width.saturating_sub(3));
    let status = &app.snapshot.model.clusters;
    let mut lines = vec![Line::from(fit(
        &format!(
            " k = {}{}",
            status.k,
            status
                .silhouette
                .map(|s| format!(", silhouette {s:.2}"))
                .unwrap_or_default()
        ),
        room,
    ))];
    lines.extend(
        status
            .clusters
            .iter()
            .map(|c| Line::from(fit(&format!(" {} ({})", c.label, c.customers), room))),
    );
    frame.render_widget(
        Paragraph::new(lines).block(block("customer clusters")),
        area,
    );
}
