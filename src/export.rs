//! Exports: the figures on screen, and the last report, written to the state folder.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::Config;
use crate::engine::Snapshot;
use crate::ingest::owner_only;
use crate::report;

/// Writes `bytes` to `path` through a temporary file, fsync and rename, so a reader never
/// sees half a file and a crash leaves either the old or the new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{name}.tmp"));
    let mut file = owner_only(
        std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true),
    )
    .open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}

/// Writes the report of window "all" to `report.json` in the state folder.
pub fn write_report_file(config: &Config, snapshot: &Snapshot) -> anyhow::Result<PathBuf> {
    let path = config.state_dir.join("report.json");
    if let Some(all) = snapshot.window("all") {
        let text = serde_json::to_string_pretty(&report::to_json(snapshot, all))?;
        write_atomic(&path, text.as_bytes())
            .with_context(|| format!("failed to write {}", path.display()))?;
    }
    Ok(path)
}

/// Exports one window of a snapshot as `export-<time>.csv` and `.json` in the state folder
/// and returns both paths.
pub fn write_export(
    state_dir: &Path,
    snapshot: &Snapshot,
    window: &str,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let figures = snapshot
        .window(window)
        .with_context(|| format!("window '{window}' is not computed"))?;
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%S%.3fZ")
        .to_string();
    let csv_path = state_dir.join(format!("export-{stamp}.csv"));
    let json_path = state_dir.join(format!("export-{stamp}.json"));
    write_atomic(&csv_path, report::to_csv(figures)?.as_bytes())
        .with_context(|| format!("failed to write {}", csv_path.display()))?;
    let json = serde_json::to_string_pretty(&report::to_json(snapshot, figures))?;
    write_atomic(&json_path, json.as_bytes())
        .with_context(|| format!("failed to write {}", json_path.display()))?;
    Ok((csv_path, json_path))
}
