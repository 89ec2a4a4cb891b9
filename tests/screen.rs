//! The screen rendered on ratatui's `TestBackend` from a snapshot of the sample tickets.

mod common;

use std::sync::{Arc, Once};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use csmon::config::Config;
use csmon::engine::{Engine, Snapshot};
use csmon::ui::app::{Action, App};
use csmon::ui::render::{Theme, render};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

static LOGGER: Once = Once::new();

fn snapshot_of_tickets(state: &std::path::Path) -> Snapshot {
    LOGGER.call_once(|| {
        tui_logger::init_logger(log::LevelFilter::Info).expect("logger starts once");
        tui_logger::set_default_level(log::LevelFilter::Info);
    });
    let text = std::fs::read_to_string(common::root().join("config/csmon.toml")).expect("config");
    let text = text.replace(
        "state_dir = \".csmon/state\"",
        &format!("state_dir = {:?}", state.display().to_string()),
    );
    let config = Config::parse(&text, "test config", state).expect("config is valid");
    let mut engine = Engine::new(&config, &common::tickets_dir()).expect("engine starts");
    engine.scan().expect("sample folder reads");
    engine.train_now();
    engine.snapshot()
}

fn draw(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    tui_logger::move_events();
    terminal
        .draw(|frame| render(frame, app, Theme { color: false }))
        .expect("draw");
    terminal.backend().buffer().clone()
}

fn text_of(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut text = String::new();
    for y in 0..area.height {
        for x in 0..area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn screen_shows_gauges_segments_and_alerts() {
    let temp = tempfile::tempdir().expect("temp dir");
    let snapshot = snapshot_of_tickets(temp.path());
    let overall = snapshot.window("all").expect("window all").overall.clone();
    let app = App::new(Arc::new(snapshot.clone()));
    let screen = text_of(&draw(&app, 120, 40));

    let csat = format!(
        "{:.1}% n={}",
        overall.csat_pct.expect("rated cases") * 100.0,
        overall.rated
    );
    assert!(screen.contains(&csat), "CSAT gauge shows {csat}:\n{screen}");
    let index = format!("{:.2} / 5", overall.satisfaction_index.expect("index"));
    assert!(
        screen.contains(&index),
        "index gauge shows {index}:\n{screen}"
    );
    let sla = format!(
        "{:.1}% n={}",
        overall.sla_attainment.expect("sla") * 100.0,
        overall.sla_cases
    );
    assert!(screen.contains(&sla), "SLA gauge shows {sla}:\n{screen}");

    assert!(screen.contains("segments by channel (4)"), "{screen}");
    let channels = &snapshot.window("all").expect("all").dimensions[0];
    for row in &channels.rows {
        let line = screen
            .lines()
            .find(|l| l.contains(&format!("│{}", row.key)))
            .unwrap_or_else(|| panic!("row {} shown", row.key));
        assert!(line.contains(&row.figures.cases.to_string()), "{line}");
        assert!(
            line.contains(&format!("{:.2}", row.figures.csat_mean.expect("rated"))),
            "{line}"
        );
    }
    assert!(
        screen.contains("FIRING unhappy"),
        "alert log shows the firing rule:\n{screen}"
    );
    assert!(
        screen.contains("rows 231 (1 rejected)"),
        "status line:\n{screen}"
    );
}

#[test]
fn keys_switch_dimension_and_window() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mut app = App::new(Arc::new(snapshot_of_tickets(temp.path())));
    assert_eq!(app.dimension_name(), Some("channel"));
    assert_eq!(app.on_key(key(KeyCode::Tab)), Action::None);
    assert_eq!(app.dimension_name(), Some("agent"));
    assert!(text_of(&draw(&app, 100, 30)).contains("segments by agent (6)"));

    assert_eq!(app.window_label(), "all");
    app.on_key(key(KeyCode::Char('w')));
    assert_eq!(app.window_label(), "1h");
    assert_eq!(app.on_key(key(KeyCode::Char('r'))), Action::Retrain);
    assert_eq!(app.on_key(key(KeyCode::Char('e'))), Action::Export);
    assert_eq!(app.on_key(key(KeyCode::Char('q'))), Action::Quit);
}

#[test]
fn help_overlay_lists_keys() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mut app = App::new(Arc::new(snapshot_of_tickets(temp.path())));
    app.on_key(key(KeyCode::Char('?')));
    let screen = text_of(&draw(&app, 80, 24));
    for (key, _) in csmon::ui::app::KEYS {
        assert!(screen.contains(key), "help lists {key}:\n{screen}");
    }
    app.on_key(key(KeyCode::Char('x')));
    assert!(!app.show_help);
}

#[test]
fn small_terminals_get_notice_without_panic() {
    let temp = tempfile::tempdir().expect("temp dir");
    let app = App::new(Arc::new(snapshot_of_tickets(temp.path())));
    let screen = text_of(&draw(&app, 60, 20));
    assert!(screen.contains("too small"), "{screen}");
    for (width, height) in [(1, 1), (20, 5), (79, 24), (80, 23), (0, 0), (120, 40)] {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        terminal
            .draw(|frame| render(frame, &app, Theme { color: true }))
            .expect("draw at any size");
    }
}
