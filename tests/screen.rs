//! The screen rendered on ratatui's `TestBackend` from snapshots of real drops: tabs, keys,
//! sorting, filtering, drill-down, pause, hostile text and resizing.

mod common;

use std::path::Path;
use std::sync::{Arc, Once};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use csmon::config::Config;
use csmon::engine::{Engine, Snapshot};
use csmon::ui::app::{Action, App, Tab};
use csmon::ui::render::{Theme, render};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

static LOGGER: Once = Once::new();

fn config_for(state: &Path) -> Config {
    LOGGER.call_once(|| {
        tui_logger::init_logger(log::LevelFilter::Info).expect("logger starts once");
        tui_logger::set_default_level(log::LevelFilter::Info);
    });
    let text = std::fs::read_to_string(common::root().join("config/csmon.toml")).expect("config");
    let text = text.replace(
        "state_dir = \".csmon/state\"",
        &format!("state_dir = {:?}", state.display().to_string()),
    );
    Config::parse(&text, "test config", state).expect("config is valid")
}

fn snapshot_of(drops: &Path, state: &Path) -> Snapshot {
    let mut engine = Engine::new(&config_for(state), drops).expect("engine starts");
    engine.scan().expect("sample folder reads");
    engine.train_now();
    engine.snapshot()
}

fn snapshot_of_tickets(state: &Path) -> Snapshot {
    snapshot_of(&common::tickets_dir(), state)
}

fn draw(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    tui_logger::move_events();
    terminal
        .draw(|frame| render(frame, app, Theme { color: false }))
        .expect("draw");
    terminal.backend().buffer().clone()
}

/// Returns the screen as text, one line per row. The cells a wide character covers are
/// skipped, as a terminal shows them.
fn text_of(buffer: &Buffer) -> String {
    let mut text = String::new();
    for y in 0..buffer.area.height {
        text.push_str(&text_of_row(buffer, y));
        text.push('\n');
    }
    text
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        app.on_key(key(KeyCode::Char(c)));
    }
}

#[test]
fn overview_shows_gauges_and_status() {
    let temp = tempfile::tempdir().expect("temp dir");
    let snapshot = snapshot_of_tickets(temp.path());
    let overall = snapshot.window("all").expect("window all").overall.clone();
    let app = App::new(Arc::new(snapshot));
    assert_eq!(app.tab, Tab::Overview);
    let screen = text_of(&draw(&app, 120, 40));

    let csat = format!(
        "{:.1}% n={}",
        overall.csat_pct.expect("rated cases") * 100.0,
        overall.rated
    );
    assert!(screen.contains(&csat), "CSAT gauge shows {csat}:\n{screen}");
    let index = format!("{:.2}/5", overall.satisfaction_index.expect("index"));
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
    assert!(screen.contains("negative feedback"), "{screen}");
    assert!(
        screen.contains("cases 120"),
        "volume sparkline total:\n{screen}"
    );
    assert!(
        screen.contains("WARN unhappy channel"),
        "newest alerts:\n{screen}"
    );
    assert!(
        screen.contains("rows 231 (1 rejected)"),
        "status line:\n{screen}"
    );
}

#[test]
fn segments_tab_lists_every_row() {
    let temp = tempfile::tempdir().expect("temp dir");
    let snapshot = snapshot_of_tickets(temp.path());
    let channels = snapshot.window("all").expect("all").dimensions[0].clone();
    let mut app = App::new(Arc::new(snapshot));
    press(&mut app, "2");
    let screen = text_of(&draw(&app, 120, 40));

    assert!(screen.contains("segments by channel (4)"), "{screen}");
    for row in &channels.rows {
        let line = screen
            .lines()
            .find(|l| l.contains(&format!("│{}", row.key)))
            .unwrap_or_else(|| panic!("row {} shown", row.key));
        assert!(line.contains(&row.figures.cases.to_string()), "{line}");
        let csat = format!("{:.2}", row.figures.csat_mean.expect("rated"));
        assert!(line.contains(&csat), "{line}");
    }
}

#[test]
fn keys_switch_tabs_dimension_and_window() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mut app = App::new(Arc::new(snapshot_of_tickets(temp.path())));

    assert_eq!(app.on_key(key(KeyCode::Tab)), Action::None);
    assert_eq!(app.tab, Tab::Segments);
    app.on_key(key(KeyCode::BackTab));
    app.on_key(key(KeyCode::BackTab));
    assert_eq!(app.tab, Tab::Ingest);
    for (digit, tab) in ('1'..='5').zip(Tab::ALL) {
        press(&mut app, &digit.to_string());
        assert_eq!(app.tab, tab, "key {digit}");
    }

    press(&mut app, "2d");
    assert_eq!(app.dimension_name(), Some("agent"));
    assert!(text_of(&draw(&app, 100, 30)).contains("segments by agent (6)"));
    press(&mut app, "D");
    assert_eq!(app.dimension_name(), Some("channel"));

    assert_eq!(app.window_label(), "all");
    press(&mut app, "w");
    assert_eq!(app.window_label(), "1h");
    assert_eq!(app.on_key(key(KeyCode::Char('r'))), Action::Retrain);
    assert_eq!(app.on_key(key(KeyCode::Char('e'))), Action::Export);
    assert_eq!(app.on_key(key(KeyCode::Char('q'))), Action::Quit);
    let control_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(app.on_key(control_c), Action::Quit);
}

#[test]
fn sort_keeps_selection_on_segment() {
    let temp = tempfile::tempdir().expect("temp dir");
    let snapshot = Arc::new(snapshot_of_tickets(temp.path()));
    let mut app = App::new(snapshot.clone());
    press(&mut app, "2");
    let keys = |app: &App| -> Vec<String> { app.rows().iter().map(|r| r.key.clone()).collect() };
    assert_eq!(keys(&app), ["social", "email", "phone", "chat"]);

    press(&mut app, "j");
    assert_eq!(app.selected_key.as_deref(), Some("email"));
    press(&mut app, "sss");
    assert_eq!(app.sort, 4, "three presses from cases reach CSAT%");
    assert_eq!(keys(&app), ["chat", "phone", "email", "social"]);
    assert_eq!(app.selected_key.as_deref(), Some("email"));
    assert_eq!(app.selected_index(), 2);

    press(&mut app, "S");
    assert_eq!(keys(&app), ["social", "email", "phone", "chat"]);
    assert_eq!(app.selected_index(), 1);

    app.set_snapshot(snapshot);
    assert_eq!(
        app.selected_key.as_deref(),
        Some("email"),
        "a new snapshot keeps it"
    );
    let screen = text_of(&draw(&app, 120, 40));
    assert!(screen.contains("sort CSAT%↑"), "{screen}");
}

#[test]
fn filter_and_drill_down() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mut app = App::new(Arc::new(snapshot_of_tickets(temp.path())));

    press(&mut app, "/");
    assert_eq!(app.tab, Tab::Segments);
    assert!(app.editing_filter);
    press(&mut app, "HON");
    app.on_key(key(KeyCode::Enter));
    assert!(!app.editing_filter);
    let rows: Vec<&str> = app.rows().iter().map(|r| r.key.as_str()).collect();
    assert_eq!(rows, ["phone"]);
    let screen = text_of(&draw(&app, 120, 40));
    assert!(screen.contains("filter: HON"), "{screen}");

    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.drilled.as_deref(), Some("phone"));
    let screen = text_of(&draw(&app, 120, 40));
    assert!(screen.contains("channel=phone in window all"), "{screen}");
    assert!(screen.contains("worst cases"), "{screen}");

    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.drilled, None);
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.filter, "");
    assert_eq!(app.rows().len(), 4);
}

#[test]
fn pause_counts_waiting_and_highlights_changes() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    std::fs::create_dir_all(&drops).expect("drops folder");
    for name in ["tickets-001.csv", "feedback-001.jsonl"] {
        std::fs::copy(common::tickets_dir().join(name), drops.join(name)).expect("copy");
    }
    let state = temp.path().join("state");
    let before = snapshot_of(&drops, &state);
    let mut app = App::new(Arc::new(before.clone()));
    press(&mut app, "2p");
    assert!(app.paused());

    common::copy_dir(&common::tickets_dir(), &drops);
    let after = snapshot_of(&drops, &state);
    app.set_snapshot(Arc::new(after.clone()));
    assert_eq!(app.snapshot.cases, before.cases, "the view stays frozen");
    let (cases, _) = app.waiting_counts().expect("paused");
    assert_eq!(cases, after.cases as i64 - before.cases as i64);
    let screen = text_of(&draw(&app, 120, 40));
    assert!(
        screen.contains(&format!("PAUSED: {cases:+} cases")),
        "{screen}"
    );

    press(&mut app, "p");
    assert!(!app.paused());
    assert_eq!(app.snapshot.cases, after.cases);
    assert!(!app.changed.is_empty(), "changed segments are highlighted");
    press(&mut app, "j");
    assert!(app.changed.is_empty(), "the next key clears the highlight");
}

#[test]
fn no_color_theme_sets_no_colour() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mut app = App::new(Arc::new(snapshot_of_tickets(temp.path())));
    for tab in '1'..='5' {
        press(&mut app, &tab.to_string());
        let buffer = draw(&app, 120, 40);
        for cell in buffer.content() {
            assert_eq!(cell.fg, ratatui::style::Color::Reset, "tab {tab}: {cell:?}");
            assert_eq!(cell.bg, ratatui::style::Color::Reset, "tab {tab}: {cell:?}");
        }
        let screen = text_of(&buffer);
        if tab == '4' {
            assert!(
                screen.contains("WARN SLA missed"),
                "severity is a word:\n{screen}"
            );
        }
    }
}

#[test]
fn olist_tabs_fit_both_sizes() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (config_path, _) = common::config_in(temp.path(), "olist.toml");
    LOGGER.call_once(|| {
        tui_logger::init_logger(log::LevelFilter::Info).expect("logger starts once");
        tui_logger::set_default_level(log::LevelFilter::Info);
    });
    let config = Config::load(Some(&config_path)).expect("config is valid");
    let mut engine = Engine::new(&config, &common::olist_dir()).expect("engine starts");
    engine.scan().expect("Olist sample reads");
    let snapshot = engine.snapshot();
    let cases = snapshot.cases;
    let mut app = App::new(Arc::new(snapshot));

    for tab in '1'..='5' {
        press(&mut app, &tab.to_string());
        for (width, height) in [(80, 24), (160, 48)] {
            let buffer = draw(&app, width, height);
            assert_no_control(&buffer, &format!("Olist tab {tab} at {width}x{height}"));
            let screen = text_of(&buffer);
            assert!(
                screen.contains(&format!("cases {cases}")),
                "tab {tab} at {width}x{height}:\n{screen}"
            );
        }
    }
    press(&mut app, "2d");
    let screen = text_of(&draw(&app, 160, 48));
    assert!(screen.contains("segments by "), "{screen}");
}

#[test]
fn engine_error_shows_banner() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mut app = App::new(Arc::new(snapshot_of_tickets(temp.path())));
    app.engine_error = Some("the engine thread panicked (see the log)".to_string());
    let screen = text_of(&draw(&app, 120, 40));
    assert!(
        screen.contains("ALERT engine stopped: the engine thread panicked"),
        "{screen}"
    );
    assert!(
        screen.contains("cases 120"),
        "the last figures stay:\n{screen}"
    );
}

#[test]
fn help_overlay_lists_keys() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mut app = App::new(Arc::new(snapshot_of_tickets(temp.path())));
    press(&mut app, "?");
    let screen = text_of(&draw(&app, 80, 24));
    for info in csmon::ui::keys::ACTIONS {
        assert!(
            screen.contains(info.help),
            "help lists {}:\n{screen}",
            info.name
        );
    }
    assert!(screen.contains("any key closes this help"), "{screen}");
    press(&mut app, "x");
    assert!(!app.show_help);
}

/// Writes drops whose segment names and feedback carry escape sequences, controls and wide
/// text.
fn write_hostile_drops(drops: &Path) {
    const HOSTILE: [&str; 7] = [
        "evil\u{1b}[2Jclear",
        "clip\u{1b}]52;c;SGVsbG8=\u{7}board",
        "bell\u{7}ring",
        "c1\u{9b}31mred",
        "家居用品家居用品家居用品",
        "family 👩\u{200d}👩\u{200d}👧\u{fe0f} group",
        "Sa\u{303}o Paulo",
    ];
    std::fs::create_dir_all(drops).expect("drops folder");
    let mut tickets = String::new();
    let mut feedback = String::new();
    for (i, name) in HOSTILE.iter().enumerate() {
        for copy in 0..6 {
            let id = format!("H{i}{copy}");
            tickets.push_str(
                &serde_json::json!({
                    "ticket_id": id,
                    "customer_id": format!("c{i}{copy}"),
                    "created_at": format!("2026-11-30T1{copy}:00:00Z"),
                    "first_response_at": format!("2026-11-30T1{copy}:30:00Z"),
                    "channel": name,
                    "agent": "ana",
                })
                .to_string(),
            );
            tickets.push('\n');
            feedback.push_str(
                &serde_json::json!({
                    "ticket_id": id,
                    "score": 1 + copy % 5,
                    "comment": format!("{name} \u{1b}[31mangry\u{1b}[0m\u{7}"),
                    "rated_at": "2026-12-01T00:00:00Z",
                })
                .to_string(),
            );
            feedback.push('\n');
        }
    }
    std::fs::write(drops.join("tickets-hostile.jsonl"), tickets).expect("write tickets");
    std::fs::write(drops.join("feedback-hostile.jsonl"), feedback).expect("write feedback");
}

fn assert_no_control(buffer: &Buffer, what: &str) {
    for (index, cell) in buffer.content().iter().enumerate() {
        let symbol = cell.symbol();
        assert!(
            !symbol.chars().any(char::is_control),
            "{what}: cell {index} holds {symbol:?}"
        );
    }
}

#[test]
fn hostile_text_never_reaches_terminal() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    write_hostile_drops(&drops);
    let snapshot = snapshot_of(&drops, &temp.path().join("state"));
    let mut app = App::new(Arc::new(snapshot));
    press(&mut app, "2");

    for (width, height) in [(80, 24), (120, 40), (160, 48)] {
        let buffer = draw(&app, width, height);
        assert_no_control(&buffer, &format!("segments at {width}x{height}"));
        let screen = text_of(&buffer);
        assert!(screen.contains("家居"), "Chinese text is shown:\n{screen}");
        assert!(
            screen.contains("Sa\u{303}o"),
            "combining accent is kept:\n{screen}"
        );
        assert!(
            screen.contains("clip\u{fffd}board"),
            "OSC 52 is replaced:\n{screen}"
        );

        // Every data row has its case count in the column under the "cases" header.
        let header_y = (0..height)
            .find(|y| text_of_row(&buffer, *y).contains("│segment "))
            .expect("table header");
        let cases_x = (0..width)
            .find(|x| {
                buffer[(*x, header_y)].symbol() == "c" && buffer[(*x + 1, header_y)].symbol() == "a"
            })
            .expect("cases header");
        for y in header_y + 1..header_y + 8 {
            let row = text_of_row(&buffer, y);
            assert_eq!(buffer[(cases_x, y)].symbol(), "6", "row {y}: {row}");
            assert_eq!(buffer[(cases_x - 1, y)].symbol(), " ", "row {y}: {row}");
        }
    }

    for dimension_row in 0..7 {
        app.on_key(key(KeyCode::Esc));
        app.selected_key = None;
        app.selected = dimension_row;
        app.on_key(key(KeyCode::Enter));
        assert!(app.drilled.is_some());
        let buffer = draw(&app, 120, 40);
        assert_no_control(&buffer, &format!("drill-down of row {dimension_row}"));
        assert!(text_of(&buffer).contains("angry"), "feedback is listed");
    }
    for tab in "1345".chars() {
        press(&mut app, &tab.to_string());
        assert_no_control(&draw(&app, 120, 40), &format!("tab {tab}"));
    }
}

fn text_of_row(buffer: &Buffer, y: u16) -> String {
    let mut row = String::new();
    let mut x = 0;
    while x < buffer.area.width {
        let symbol = buffer[(x, y)].symbol();
        row.push_str(symbol);
        x += u16::try_from(unicode_width::UnicodeWidthStr::width(symbol).max(1)).unwrap_or(1);
    }
    row
}
#[test]
fn resizing_while_data_arrives_never_panics() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    std::fs::create_dir_all(&drops).expect("drops folder");
    let mut engine =
        Engine::new(&config_for(&temp.path().join("state")), &drops).expect("engine starts");
    let mut app = App::new(Arc::new(Snapshot::default()));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    let mut names: Vec<_> = std::fs::read_dir(common::tickets_dir())
        .expect("sample folder")
        .map(|e| e.expect("entry").file_name())
        .collect();
    names.sort();

    let sizes = [(1, 1), (20, 5), (120, 0), (0, 0), (80, 24), (120, 40)];
    for (step, name) in names.iter().enumerate() {
        std::fs::copy(common::tickets_dir().join(name), drops.join(name)).expect("copy drop");
        engine.scan().expect("scan");
        app.set_snapshot(Arc::new(engine.snapshot()));
        press(&mut app, &((step % 5) + 1).to_string());
        for (width, height) in sizes {
            terminal.backend_mut().resize(width, height);
            terminal
                .resize(Rect::new(0, 0, width, height))
                .expect("resize");
            terminal
                .draw(|frame| render(frame, &app, Theme { color: true }))
                .unwrap_or_else(|e| panic!("draw at {width}x{height}: {e}"));
        }
    }
    let screen = text_of(terminal.backend().buffer());
    assert!(
        screen.contains("cases 120"),
        "back at 120x40 with all data:\n{screen}"
    );

    let small = draw(&app, 60, 20);
    assert!(text_of(&small).contains("too small"), "{}", text_of(&small));
}

#[test]
fn empty_filter_result_says_so() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mut app = App::new(Arc::new(snapshot_of_tickets(temp.path())));
    app.on_key(key(KeyCode::Char('2')));
    app.on_key(key(KeyCode::Char('/')));
    for c in "zzz".chars() {
        app.on_key(key(KeyCode::Char(c)));
    }
    app.on_key(key(KeyCode::Enter));
    let screen = text_of(&draw(&app, 100, 30));
    assert!(screen.contains("segments by channel (0)"), "{screen}");
    assert!(screen.contains("no segment matches 'zzz'"), "{screen}");
}

#[test]
fn alerts_log_pages_back() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mut app = App::new(Arc::new(snapshot_of_tickets(temp.path())));
    for i in 0..200 {
        log::info!("paging test line {i:03}");
    }
    app.on_key(key(KeyCode::Char('4')));
    let newest = text_of(&draw(&app, 100, 30));
    assert!(newest.contains("paging test line 199"), "{newest}");

    app.on_key(key(KeyCode::PageUp));
    app.on_key(key(KeyCode::PageUp));
    let older = text_of(&draw(&app, 100, 30));
    assert!(!older.contains("paging test line 199"), "{older}");
    assert!(older.contains("paging test line"), "{older}");

    app.on_key(key(KeyCode::Esc));
    let again = text_of(&draw(&app, 100, 30));
    assert!(again.contains("paging test line 199"), "{again}");
}
