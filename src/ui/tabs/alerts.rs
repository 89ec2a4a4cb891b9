//! Alerts: the active alerts, then the log.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::ui::app::App;
use crate::ui::render::Theme;
use crate::ui::tabs::{alert_line, block, log_widget};

pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let alerts = &app.snapshot.alerts;
    let list_height = (alerts.len().max(1) as u16 + 2).min(area.height / 2);
    let [list, log] =
        Layout::vertical([Constraint::Length(list_height), Constraint::Min(3)]).areas(area);
    let room = usize::from(list.width.saturating_sub(2));
    let lines: Vec<Line<'_>> = if alerts.is_empty() {
        vec![Line::from(" no active alert")]
    } else {
        alerts
            .iter()
            .skip(app.scroll.min(alerts.len().saturating_sub(1)))
            .map(|a| alert_line(a, theme, room))
            .collect()
    };
    let title = format!("active alerts ({})", alerts.len());
    frame.render_widget(Paragraph::new(lines).block(block(&title)), list);
    let title = "log (PageUp/PageDown scroll, Esc follows the newest)";
    frame.render_widget(log_widget(title, theme).state(&app.log.0), log);
}
