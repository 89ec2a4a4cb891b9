//! The command line: flags, and the run function behind each command.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::engine::Engine;
use crate::{export, replay, report, ui};

#[derive(Debug, Parser)]
#[command(
    name = "csmon",
    version,
    about = "Terminal monitor of e-commerce customer-service quality"
)]
pub struct Cli {
    /// Config file (TOML); else `$CSMON_CONFIG`, else the built-in config.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Watch a folder of drops and show live figures (the default command).
    Watch(WatchArgs),
    /// Read every drop once, print the figures and exit; exit code 3 when an alert fires.
    Report {
        /// Folder of drops.
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Window to report, from the config's windows or "all".
        #[arg(long, default_value = "all")]
        window: String,
    },
    /// Write a historical export into a folder as timed drops, in event-time order.
    Replay {
        /// Folder with the historical tables.
        source: PathBuf,
        /// Folder to write drops into; created if missing.
        #[arg(long)]
        to: PathBuf,
        /// How many times faster than real time to replay.
        #[arg(long, default_value_t = 100_000.0)]
        speed: f64,
        /// Maximum real pause between two drops, in seconds.
        #[arg(long, default_value_t = 2.0)]
        max_pause: f64,
        /// Maximum records in one drop.
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
    /// Train and evaluate the satisfaction model once and print the evaluation.
    Train {
        /// Folder of drops.
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
    },
    /// Read every drop once and write one tab of the screen to CSV and JSON in the state
    /// folder, as the `e` key does. Prints both paths.
    Export(ExportArgs),
    /// Check a config file and print the checked values.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validate the config and print what it sets.
    Check,
}

#[derive(Debug, clap::Args, Default)]
pub struct WatchArgs {
    /// Folder of drops; the current folder when absent.
    pub dir: Option<PathBuf>,
    /// Run without a screen: a summary line per interval and every alert on stdout.
    #[arg(long)]
    pub headless: bool,
    /// Seconds between summary lines in headless mode.
    #[arg(long, default_value_t = 10.0)]
    pub interval: f64,
    /// Find changes by listing the folder every second instead of file events, for
    /// network and container folders where events do not arrive.
    #[arg(long)]
    pub poll: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Folder of drops.
    pub dir: PathBuf,
    /// Tab to export: overview, segments, model, alerts or ingest.
    #[arg(long, default_value = "segments")]
    pub tab: String,
    /// Window, from the config's windows.
    #[arg(long, default_value = "all")]
    pub window: String,
    /// Dimension of the segment table; the first configured one when absent.
    #[arg(long)]
    pub dimension: Option<String>,
    /// Sort column of the segment table, such as `csat_pct`; cases when absent.
    #[arg(long)]
    pub sort: Option<String>,
    /// Sort from the smallest value up instead of the largest down.
    #[arg(long)]
    pub ascending: bool,
    /// Keep segments whose name contains this text, ignoring case.
    #[arg(long)]
    pub filter: Option<String>,
    /// Export the worst cases of this segment, as its drill-down view shows them.
    #[arg(long)]
    pub segment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
}

/// Exit code of `report` when an alert fires.
pub const EXIT_ALERT: i32 = 3;

/// Runs the command line and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    let config = Config::load(cli.config.as_deref())?;
    let command = cli.command.unwrap_or(Command::Watch(WatchArgs::default()));
    if !matches!(command, Command::Watch(_)) {
        ui::headless::init_stderr_log(log::LevelFilter::Warn);
    }
    match command {
        Command::Watch(args) => {
            let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
            check_folder(&dir)?;
            if args.headless {
                if !(args.interval.is_finite() && (0.1..=86_400.0).contains(&args.interval)) {
                    bail!(
                        "invalid --interval {}: use seconds from 0.1 to 86400",
                        args.interval
                    );
                }
                ui::headless::run(&config, &dir, args.interval, args.poll)
            } else {
                ui::run(&config, &dir, args.poll)
            }
        }
        Command::Report {
            dir,
            format,
            window,
        } => run_report(&config, &dir, format, &window),
        Command::Replay {
            source,
            to,
            speed,
            max_pause,
            batch,
        } => {
            check_folder(&source)?;
            if !(speed.is_finite() && speed > 0.0) {
                bail!("invalid --speed {speed}: use a number above 0, such as 1000");
            }
            if !(max_pause.is_finite() && (0.0..=3600.0).contains(&max_pause)) {
                bail!("invalid --max-pause {max_pause}: use seconds from 0 to 3600");
            }
            if batch == 0 {
                bail!("invalid --batch 0: use 1 or more records per drop");
            }
            let options = replay::Options {
                speed,
                max_pause: Duration::from_secs_f64(max_pause),
                batch,
            };
            let summary = replay::run(&config, &source, &to, &options)?;
            write_stdout(&format!("{summary}\n"))?;
            Ok(0)
        }
        Command::Train { dir, format } => run_train(&config, &dir, format),
        Command::Export(args) => run_export(&config, &args),
        Command::Config {
            action: ConfigAction::Check,
        } => {
            write_stdout(&describe_config(&config))?;
            Ok(0)
        }
    }
}

fn check_folder(dir: &Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        bail!(
            "folder not found: {}; pass an existing folder of drops",
            dir.display()
        );
    }
    Ok(())
}

fn run_report(
    config: &Config,
    dir: &Path,
    format: ReportFormat,
    window: &str,
) -> anyhow::Result<i32> {
    check_folder(dir)?;
    let mut engine = Engine::new(config, dir)?;
    engine.scan()?;
    engine.train_now();
    let snapshot = engine.snapshot();
    let figures = snapshot.window(window).with_context(|| {
        format!(
            "invalid --window '{window}': use one of {}",
            snapshot
                .windows
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let text = match format {
        ReportFormat::Json => {
            serde_json::to_string_pretty(&report::to_json(&snapshot, figures))? + "\n"
        }
        ReportFormat::Table => report::to_table(&snapshot, figures),
        ReportFormat::Csv => report::to_csv(figures)?,
    };
    write_stdout(&text)?;
    Ok(if snapshot.alerts.is_empty() {
        0
    } else {
        EXIT_ALERT
    })
}

fn run_export(config: &Config, args: &ExportArgs) -> anyhow::Result<i32> {
    check_folder(&args.dir)?;
    let mut engine = Engine::new(config, &args.dir)?;
    engine.scan()?;
    engine.train_now();
    let options = ui::views::ViewOptions {
        tab: args.tab.clone(),
        window: args.window.clone(),
        dimension: args.dimension.clone(),
        sort: args.sort.clone(),
        ascending: args.ascending,
        filter: args.filter.clone(),
        segment: args.segment.clone(),
    };
    let app = ui::views::app_for(std::sync::Arc::new(engine.snapshot()), &options)?;
    let view = ui::views::current_view(&app);
    let (csv, json) = export::write_view(&config.state_dir, &view)?;
    write_stdout(&format!("{}\n{}\n", csv.display(), json.display()))?;
    Ok(0)
}

/// Writes to stdout; a closed pipe (`csmon report | head`) surfaces as an error that `main`
/// turns into a quiet exit.
pub fn write_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

fn run_train(config: &Config, dir: &Path, format: ReportFormat) -> anyhow::Result<i32> {
    check_folder(dir)?;
    let mut engine = Engine::new(config, dir)?;
    engine.scan()?;
    engine.train_now();
    let snapshot = engine.snapshot();
    let Some(evaluation) = &snapshot.model.evaluation else {
        bail!(
            "training failed: {}",
            snapshot.model.last_error.as_deref().unwrap_or("no model")
        );
    };
    let text = match format {
        ReportFormat::Json => serde_json::to_string_pretty(&snapshot.model)? + "\n",
        ReportFormat::Table | ReportFormat::Csv => describe_model(&snapshot.model, evaluation),
    };
    if let Some(path) = engine.save_model()? {
        eprintln!("csmon: model saved to {}", path.display());
    }
    write_stdout(&text)?;
    Ok(0)
}

fn describe_model(status: &crate::engine::ModelStatus, e: &crate::model::Evaluation) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "model v{}: trained on {}, tested on {} (newest by creation time)",
        status.version.unwrap_or(0),
        e.trained_on,
        e.tested_on
    );
    let _ = writeln!(
        out,
        "  {:<26} {:>8} {:>8} {:>8} {:>8}",
        "held-out set", "MAE", "baseline", "MSE", "R^2"
    );
    let _ = writeln!(
        out,
        "  {:<26} {:>8.4} {:>8.4} {:>8.4} {:>8.4}",
        "time split", e.mae, e.baseline_mae, e.mse, e.r2
    );
    let rows = [
        ("random split", e.random_split),
        ("time split, with text", e.with_text),
        ("time split, without text", e.without_text),
    ];
    for (name, figures) in rows {
        if let Some(f) = figures {
            let _ = writeln!(
                out,
                "  {name:<26} {:>8.4} {:>8.4} {:>8.4} {:>8.4}",
                f.mae, f.baseline_mae, f.mse, f.r2
            );
        }
    }
    let _ = writeln!(
        out,
        "  rows dropped for a missing or non-finite rating or time: {}",
        e.dropped_rows
    );
    let _ = writeln!(
        out,
        "feature importance (held-out MAE increase when shuffled):"
    );
    for (name, value) in &e.importance {
        let _ = writeln!(out, "  {name:<26} {value:>8.4}");
    }
    if let Some(s) = &status.sentiment {
        let _ = writeln!(
            out,
            "sentiment on {} held-out texts (ratings 1-2 against 4-5), using the {}:",
            s.tested_on, s.chosen
        );
        let _ = writeln!(
            out,
            "  lexicon     accuracy {:.4}  macro F1 {:.4}",
            s.lexicon.accuracy, s.lexicon.macro_f1
        );
        if let Some(c) = &s.classifier {
            let _ = writeln!(
                out,
                "  classifier  accuracy {:.4}  macro F1 {:.4}",
                c.accuracy, c.macro_f1
            );
        }
    }
    let clusters = &status.clusters;
    let _ = writeln!(
        out,
        "customer clusters: k = {}{}",
        clusters.k,
        clusters
            .silhouette
            .map(|s| format!(", silhouette {s:.3}"))
            .unwrap_or_default()
    );
    for cluster in &clusters.clusters {
        let _ = writeln!(
            out,
            "  {:<40} {:>7} customers",
            cluster.label, cluster.customers
        );
    }
    out
}

fn describe_config(config: &Config) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "config: {} (valid)", config.origin);
    let _ = writeln!(out, "state_dir = {}", config.state_dir.display());
    let _ = writeln!(out, "timezone = {}", config.timezone_name);
    let windows: Vec<String> = config.windows.iter().map(ToString::to_string).collect();
    let _ = writeln!(out, "windows = {}", windows.join(", "));
    let _ = writeln!(out, "min_segment_cases = {}", config.min_segment_cases);
    let _ = writeln!(
        out,
        "closed_statuses = {}",
        config.closed_statuses.join(", ")
    );
    let _ = writeln!(out, "due_whole_day = {}", config.due_whole_day);
    let _ = writeln!(
        out,
        "ingest: quiet_seconds = {}, invalid_document_seconds = {}, refresh_millis = {}",
        config.quiet_seconds, config.invalid_document_seconds, config.refresh_millis
    );
    let m = &config.model;
    let _ = writeln!(
        out,
        "model: min_rated = {}, trees = {}, max_depth = {}, min_samples_leaf = {}, test_share = {}, seed = {}, sample_size = {}, retrain_every = {}, clusters = {}",
        m.min_rated,
        m.trees,
        m.max_depth,
        m.min_samples_leaf,
        m.test_share,
        m.seed,
        m.sample_size,
        m.retrain_every,
        m.clusters
            .map_or_else(|| "by silhouette".to_string(), |k| k.to_string())
    );
    for source in &config.sources {
        let _ = writeln!(
            out,
            "source {}: files '{}', format {}, key '{}'",
            source.name, source.files, source.format, source.key
        );
        for field in &source.fields {
            let chain: Vec<String> = field
                .lookup
                .iter()
                .map(|step| format!("{}.{}", config.lookups[step.table].name, step.column))
                .collect();
            let joined = if chain.is_empty() {
                String::new()
            } else {
                format!(", then {}", chain.join(" -> "))
            };
            let _ = writeln!(
                out,
                "  {} <- {} ({}{joined})",
                field.field,
                field.columns.join(" + "),
                field.merge
            );
        }
    }
    for lookup in &config.lookups {
        let _ = writeln!(
            out,
            "lookup {}: files '{}', key '{}'",
            lookup.name, lookup.files, lookup.key
        );
    }
    for dimension in &config.dimensions {
        let _ = writeln!(
            out,
            "dimension {} = field {}",
            dimension.name, dimension.field
        );
    }
    for tier in &config.tiers {
        let _ = writeln!(
            out,
            "tier {}: from {} purchases, weight {}",
            tier.name, tier.min_purchases, tier.weight
        );
    }
    for rule in &config.alerts {
        let scope = rule
            .dimension
            .as_deref()
            .map_or_else(|| "overall".to_string(), |d| format!("per {d}"));
        let _ = writeln!(
            out,
            "alert {}: {} {} {} over {}, {scope}, at least {} samples, {:?}",
            rule.name,
            rule.metric,
            rule.comparison,
            rule.threshold,
            rule.window,
            rule.min_samples,
            rule.severity
        );
    }
    out
}
