//! Exports: the figures on screen, and the last report, written to the state folder.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;
use serde_json::{Map, Value};

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

/// A table as one tab of the screen shows it, with what chose its rows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ViewTable {
    pub tab: String,
    pub window: String,
    /// Version of the model whose predictions the view shows, if any.
    pub model_version: Option<u64>,
    pub dimension: Option<String>,
    /// Segment of the drill-down view.
    pub segment: Option<String>,
    pub sort: Option<String>,
    pub descending: Option<bool>,
    pub filter: Option<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// Writes a view as `export-<time>-<tab>.csv` and `.json` in the state folder and returns
/// both paths. The CSV contains the header and rows. The JSON also names the tab, window, dimension,
/// sort and filter that chose them.
pub fn write_view(state_dir: &Path, view: &ViewTable) -> anyhow::Result<(PathBuf, PathBuf)> {
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%S%.3fZ")
        .to_string();
    let tab = view.tab.to_lowercase();
    let csv_path = state_dir.join(format!("export-{stamp}-{tab}.csv"));
    let json_path = state_dir.join(format!("export-{stamp}-{tab}.json"));

    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&view.columns)?;
    for row in &view.rows {
        writer.write_record(row.iter().map(csv_cell))?;
    }
    let csv = writer
        .into_inner()
        .context("failed to build the CSV text")?;
    write_atomic(&csv_path, &csv)
        .with_context(|| format!("failed to write {}", csv_path.display()))?;

    let rows: Vec<Map<String, Value>> = view
        .rows
        .iter()
        .map(|row| {
            view.columns
                .iter()
                .cloned()
                .zip(row.iter().cloned())
                .collect()
        })
        .collect();
    let mut json = serde_json::to_value(view)?;
    if let Some(object) = json.as_object_mut() {
        object.insert("rows".to_string(), serde_json::to_value(rows)?);
    }
    let text = serde_json::to_string_pretty(&json)? + "\n";
    write_atomic(&json_path, text.as_bytes())
        .with_context(|| format!("failed to write {}", json_path.display()))?;
    Ok((csv_path, json_path))
}

/// Formats a JSON value as a CSV field: strings bare, null empty, numbers in full.
fn csv_cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
