//! Snapshot tests of every tab, the help overlay and the too-small notice on ratatui's
//! `TestBackend`, from the sample tickets. One test function draws them all, because the
//! log pane shows the process-wide log and a second test running in parallel would add
//! its lines. Review changes with `cargo insta review`, or rerun with `INSTA_UPDATE=always`
//! and read the diff of tests/snapshots.

mod common;

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use csmon::config::Config;
use csmon::engine::Engine;
use csmon::ui::app::App;
use csmon::ui::render::{Theme, render};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    tui_logger::move_events();
    terminal
        .draw(|frame| render(frame, app, Theme { color: false }))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..height {
        let mut x = 0;
        while x < width {
            let symbol = buffer[(x, y)].symbol();
            text.push_str(symbol);
            x += u16::try_from(unicode_width::UnicodeWidthStr::width(symbol).max(1)).unwrap_or(1);
        }
        text.push('\n');
    }
    text
}

fn press(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

#[test]
fn screens_match_snapshots() {
    tui_logger::init_logger(log::LevelFilter::Info).expect("logger starts once");
    tui_logger::set_default_level(log::LevelFilter::Info);
    let temp = tempfile::tempdir().expect("temp dir");
    let (config_path, _) = common::config_in(temp.path(), "csmon.toml");
    let config = Config::load(Some(&config_path)).expect("config is valid");
    let mut engine = Engine::new(&config, &common::tickets_dir()).expect("engine starts");
    engine.scan().expect("sample folder reads");
    engine.train_now();
    let mut snapshot = engine.snapshot();
    // Paths differ between machines and would change where lines are cut.
    snapshot.ingest.folder = "sample-data/tickets".to_string();
    snapshot.ingest.quarantine_file = "state/report-quarantine.jsonl".to_string();
    let mut app = App::new(Arc::new(snapshot));

    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d\d:\d\d:\d\d ([EWID]) ", "hh:mm:ss $1 ");
    settings.bind(|| {
        for (digit, tab) in ('1'..='5').zip(["overview", "segments", "model", "alerts", "ingest"]) {
            press(&mut app, KeyCode::Char(digit));
            for (width, height) in [(80, 24), (160, 48)] {
                insta::assert_snapshot!(
                    format!("{tab}_{width}x{height}"),
                    screen(&app, width, height)
                );
            }
        }

        press(&mut app, KeyCode::Char('2'));
        press(&mut app, KeyCode::Enter);
        insta::assert_snapshot!("drill_down_80x24", screen(&app, 80, 24));
        press(&mut app, KeyCode::Esc);

        press(&mut app, KeyCode::Char('?'));
        insta::assert_snapshot!("help_80x24", screen(&app, 80, 24));
        press(&mut app, KeyCode::Char('?'));

        insta::assert_snapshot!("too_small_60x20", screen(&app, 60, 20));
    });
}
