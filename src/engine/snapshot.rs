//! The snapshot: the immutable set of figures the screen, the headless printer and the
//! exporter draw from.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::alerts::Alert;
use crate::engine::ClusterStatus;
use crate::ingest::FileStats;
use crate::metrics::WindowFigures;
use crate::metrics::hints::Hint;
use crate::model::Evaluation;
use crate::model::sentiment::SentimentEvaluation;

/// State of the model as the screen shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ModelStatus {
    pub version: Option<u64>,
    pub evaluation: Option<Evaluation>,
    pub training: bool,
    /// Reason the last training did not produce a serving model, if it did not.
    pub last_error: Option<String>,
    /// Challengers rejected because they were worse than the serving model.
    pub rejected: u64,
    pub sentiment: Option<SentimentEvaluation>,
    pub clusters: ClusterStatus,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestStatus {
    pub folder: String,
    /// Change detection mode: "notify", "poll" or "scan".
    pub mode: String,
    pub rows_read: u64,
    pub rejected_rows: u64,
    pub rows_per_second: f64,
    pub files: BTreeMap<String, FileStats>,
    pub rejections_by_reason: BTreeMap<String, u64>,
    pub quarantine_file: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    /// Increases with every snapshot, so readers can tell a new one.
    pub sequence: u64,
    pub cases: usize,
    /// Figures per window, keyed by the window's label ("24h", "all").
    pub windows: BTreeMap<String, WindowFigures>,
    /// Window labels in the order the config lists them.
    pub window_order: Vec<String>,
    pub dimensions: Vec<String>,
    pub min_segment_cases: u64,
    pub model: ModelStatus,
    pub alerts: Vec<Alert>,
    /// Improvement hints over all data, costliest first.
    pub hints: Vec<Hint>,
    pub ingest: IngestStatus,
}

impl Snapshot {
    pub fn window(&self, label: &str) -> Option<&WindowFigures> {
        self.windows.get(label)
    }
}
