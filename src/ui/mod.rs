//! The terminal screen and the headless printer. Only this module uses the terminal.

pub mod app;
pub mod columns;
pub mod format;
pub mod headless;
pub mod keys;
pub mod render;
pub mod sanitize;
pub mod tabs;
pub mod views;

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};

use crate::config::Config;
use crate::engine::{Command, Engine, Input, Snapshot};
use crate::export;
use app::{Action, App};
use render::Theme;

/// Shortest time between two frames: at most ten frames a second.
const FRAME: Duration = Duration::from_millis(100);
/// An idle screen checks this often for new log lines, and redraws only when there are some,
/// because every ratatui frame writes style resets and a cursor-hide sequence even when no
/// cell changed.
const IDLE_REDRAW: Duration = Duration::from_secs(1);

/// Log records sent to the log pane so far.
static LOG_RECORDS: AtomicU64 = AtomicU64::new(0);

/// Sends log records to the tui-logger pane and counts them, so the event loop can tell when
/// the pane has something new to draw.
struct PaneLogger;

impl log::Log for PaneLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            tui_logger::Drain::new().log(record);
            LOG_RECORDS.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn flush(&self) {}
}

static PANE_LOGGER: PaneLogger = PaneLogger;

/// Rejects terminals the screen cannot drive, pointing to the commands that need none.
fn check_terminal() -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() {
        bail!("standard output is not a terminal; use `csmon watch --headless` or `csmon report`");
    }
    if std::env::var("TERM").is_ok_and(|term| term == "dumb") {
        bail!("TERM=dumb cannot show the screen; use `csmon watch --headless` or `csmon report`");
    }
    Ok(())
}

pub fn run(config: &Config, dir: &Path, poll: bool) -> anyhow::Result<i32> {
    check_terminal()?;
    log::set_logger(&PANE_LOGGER).context("failed to start the log pane")?;
    log::set_max_level(log::LevelFilter::Info);

    let (inputs, receiver) = mpsc::channel();
    let mut engine = Engine::open(config, dir)?;
    let watch = crate::engine::watch_into(dir, poll, &inputs)?;
    engine.set_mode(watch.mode());
    log::info!("watching {} ({} mode)", dir.display(), watch.mode());

    let (publish, snapshots) = tokio::sync::watch::channel(Arc::new(Snapshot::default()));
    let retrain = inputs.clone();
    let engine_thread = std::thread::Builder::new()
        .name("csmon-engine".to_string())
        .spawn(move || {
            engine.run(&receiver, &retrain, move |snapshot| {
                let _ = publish.send(Arc::new(snapshot));
            })
        })?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let terminal = ratatui::init();
    install_worker_panic_hook();
    let result = runtime.block_on(event_loop(terminal, snapshots, &inputs, config));
    ratatui::restore();

    let _ = inputs.send(Input::Command(Command::Shutdown));
    drop(watch);
    if engine_thread.join().is_err() {
        log::error!("the engine thread panicked before its final checkpoint");
    }
    result.map(|()| 0)
}

/// Keeps the screen up when a worker thread panics. ratatui's hook restores the terminal on
/// any panic, which would break the screen while the event loop goes on. So a panic off the
/// main thread goes to the log pane instead, and the event loop turns a dead engine into an
/// alert banner. A panic on the main thread still restores the terminal first.
fn install_worker_panic_hook() {
    let restore_and_report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        match thread.name() {
            Some("main") | None => restore_and_report(info),
            Some(name) => log::error!("thread {name} panicked: {info}"),
        }
    }));
}

async fn event_loop(
    mut terminal: ratatui::DefaultTerminal,
    mut snapshots: tokio::sync::watch::Receiver<Arc<Snapshot>>,
    inputs: &mpsc::Sender<Input>,
    config: &Config,
) -> anyhow::Result<()> {
    let theme = Theme::from_env();
    let mut app = App::with_keys(snapshots.borrow().clone(), config.keys.clone());
    let mut engine_running = true;
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(FRAME);
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut dirty = true;
    let mut last_draw = Instant::now()
        .checked_sub(IDLE_REDRAW)
        .unwrap_or_else(Instant::now);

    let mut drawn_records = u64::MAX;
    let mut preview = Preview::default();
    loop {
        let records = LOG_RECORDS.load(Ordering::Relaxed);
        let new_log = records != drawn_records && last_draw.elapsed() >= IDLE_REDRAW;
        if (dirty && last_draw.elapsed() >= FRAME) || new_log {
            tui_logger::move_events();
            if preview.changed(terminal.size()?, &app, theme) {
                terminal.draw(|frame| render::render(frame, &app, theme))?;
            }
            last_draw = Instant::now();
            drawn_records = records;
            dirty = false;
        }
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => {
                    dirty = true;
                    match app.on_key(key) {
                        Action::Quit => return Ok(()),
                        Action::Retrain => {
                            let _ = inputs.send(Input::Command(Command::Retrain));
                        }
                        Action::Export => start_export(config, &app),
                        Action::None => {}
                    }
                }
                Some(Ok(_)) => dirty = true,
                Some(Err(err)) => return Err(err).context("failed to read terminal input"),
                None => return Ok(()),
            },
            changed = snapshots.changed(), if engine_running => {
                if changed.is_err() {
                    // The engine dropped its sender: it panicked, since a shutdown only
                    // comes from this loop.
                    engine_running = false;
                    app.engine_error = Some("the engine thread panicked (see the log)".to_string());
                    log::error!("the engine thread stopped; the figures on screen are its last");
                } else {
                    let snapshot = snapshots.borrow_and_update().clone();
                    app.set_snapshot(snapshot);
                }
                dirty = true;
            }
            _ = ticker.tick() => {}
            _ = terminate.recv() => return Ok(()),
            _ = hangup.recv() => return Ok(()),
        }
    }
}

/// The last frame drawn, kept off screen. A snapshot whose figures did not change, or a
/// key that changed nothing, then writes no byte to the terminal, because ratatui writes
/// style resets and a cursor-hide sequence for every frame even when no cell changed.
#[derive(Default)]
struct Preview {
    last: Option<ratatui::buffer::Buffer>,
}

impl Preview {
    /// Renders the screen off screen and reports whether it differs from the last frame.
    fn changed(&mut self, size: ratatui::layout::Size, app: &App, theme: Theme) -> bool {
        let backend = ratatui::backend::TestBackend::new(size.width, size.height);
        let Ok(mut scratch) = ratatui::Terminal::new(backend);
        let Ok(frame) = scratch.draw(|frame| render::render(frame, app, theme));
        let buffer = frame.buffer.clone();
        let changed = self.last.as_ref() != Some(&buffer);
        self.last = Some(buffer);
        changed
    }
}

/// Writes the table of the current tab to the state folder, off the event loop.
fn start_export(config: &Config, app: &App) {
    let state_dir = config.state_dir.clone();
    let view = views::current_view(app);
    tokio::task::spawn_blocking(move || match export::write_view(&state_dir, &view) {
        Ok((csv, json)) => log::info!(
            "exported {} (window {}) to {} and {}",
            view.tab,
            view.window,
            csv.display(),
            json.display()
        ),
        Err(err) => log::error!("export failed: {err:#}"),
    });
}
