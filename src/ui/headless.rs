//! Headless mode for servers: the same pipeline with no screen. Prints a summary line per
//! interval and every alert change as a JSON line on stdout; logs go to stderr. SIGTERM and
//! SIGINT stop it cleanly after a final snapshot and `report.json`.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::engine::{Command, Engine, Input, Snapshot};
use crate::export;

/// Writes log records to stderr with a UTC timestamp.
struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) && record.target().starts_with("csmon") {
            eprintln!(
                "{} {:<5} {}",
                jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                record.level(),
                record.args()
            );
        }
    }

    fn flush(&self) {}
}

static LOGGER: StderrLogger = StderrLogger;

/// Sends csmon's log records at `level` and above to stderr, for commands without a screen.
pub fn init_stderr_log(level: log::LevelFilter) {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(level);
    }
}

/// Formats the one-line summary printed each interval.
pub fn summary_line(snapshot: &Snapshot) -> String {
    let all = snapshot.window("all").map(|w| &w.overall);
    let pct = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0));
    let watermark = snapshot
        .window("all")
        .and_then(|w| w.watermark)
        .map_or_else(|| "-".to_string(), crate::normalize::format_time);
    format!(
        "cases={} rated={} csat_pct={} sla={} rows={} rejected={} rows_per_s={:.0} newest={} alerts={} model={}",
        snapshot.cases,
        all.map_or(0, |f| f.rated),
        pct(all.and_then(|f| f.csat_pct)),
        pct(all.and_then(|f| f.sla_attainment)),
        snapshot.ingest.rows_read,
        snapshot.ingest.rejected_rows,
        snapshot.ingest.rows_per_second,
        watermark,
        snapshot.alerts.len(),
        snapshot
            .model
            .version
            .map_or_else(|| "-".to_string(), |v| format!("v{v}")),
    )
}

/// Sends `Command::Shutdown` on SIGTERM, SIGINT or SIGHUP.
pub fn forward_signals(sender: mpsc::Sender<Input>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("csmon-signals".to_string())
        .spawn(move || {
            runtime.block_on(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
                    signal(SignalKind::terminate()),
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::hangup()),
                ) else {
                    log::error!("failed to install signal handlers");
                    return;
                };
                let name = tokio::select! {
                    _ = term.recv() => "SIGTERM",
                    _ = int.recv() => "SIGINT",
                    _ = hup.recv() => "SIGHUP",
                };
                log::info!("{name} received, stopping");
                let _ = sender.send(Input::Command(Command::Shutdown));
            });
        })?;
    Ok(())
}

pub fn run(config: &Config, dir: &Path, interval: f64, poll: bool) -> anyhow::Result<i32> {
    init_stderr_log(log::LevelFilter::Info);
    let (inputs, receiver) = mpsc::channel();
    let (alert_sender, alerts) = mpsc::channel();
    let mut engine = Engine::open(config, dir)?;
    engine.alert_events = Some(alert_sender);

    let watch = crate::engine::watch_into(dir, poll, &inputs)?;
    engine.set_mode(watch.mode());
    forward_signals(inputs.clone())?;
    log::info!(
        "watching {} ({} mode), state in {}",
        dir.display(),
        watch.mode(),
        config.state_dir.display()
    );

    let latest: Arc<Mutex<Option<Snapshot>>> = Arc::default();
    let publish_into = latest.clone();
    let retrain = inputs.clone();
    drop(inputs);
    let engine_thread = std::thread::Builder::new()
        .name("csmon-engine".to_string())
        .spawn(move || {
            engine.run(&receiver, &retrain, move |snapshot| {
                if let Ok(mut slot) = publish_into.lock() {
                    *slot = Some(snapshot);
                }
            })
        })?;

    let interval = Duration::from_secs_f64(interval.max(0.1));
    let mut next_summary = Instant::now() + interval;
    let stdout = std::io::stdout();
    while !engine_thread.is_finished() {
        while let Ok(event) = alerts.try_recv() {
            let mut out = stdout.lock();
            let _ = serde_json::to_writer(&mut out, &event);
            let _ = writeln!(out);
        }
        if Instant::now() >= next_summary {
            if let Some(snapshot) = latest.lock().ok().and_then(|s| s.clone()) {
                println!("{}", summary_line(&snapshot));
            }
            next_summary += interval;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(watch);
    let last = engine_thread
        .join()
        .map_err(|_| anyhow::anyhow!("engine thread panicked"))?;
    while let Ok(event) = alerts.try_recv() {
        println!("{}", serde_json::to_string(&event)?);
    }
    println!("{}", summary_line(&last));
    let path = export::write_report_file(config, &last)?;
    log::info!("final report written to {}", path.display());
    Ok(0)
}
