//! Model: version, training state, the held-out evaluation against the mean predictor,
//! and the last training error.

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
    let [state, evaluation, pending] = Layout::vertical([
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Min(3),
    ])
    .areas(area);
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

    // TODO: draw feature importance, clusters and improvement hints once the snapshot
    // carries them.
    let lines = vec![
        Line::from(" feature importance: not computed by this version"),
        Line::from(" clusters: not computed by this version"),
    ];
    frame.render_widget(Paragraph::new(lines).block(block("explanations")), pending);
}
