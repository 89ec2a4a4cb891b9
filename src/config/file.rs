//! Raw config file structs: a mirror of the TOML text, checked later by `Config::from_file`.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub state_dir: Option<String>,
    pub timezone: Option<String>,
    pub windows: Option<Vec<String>>,
    pub min_segment_cases: Option<u64>,
    pub closed_statuses: Option<Vec<String>>,
    pub due_whole_day: Option<bool>,
    pub ingest: Option<IngestFile>,
    pub model: Option<ModelFile>,
    #[serde(default)]
    pub source: Vec<SourceFile>,
    #[serde(default)]
    pub lookup: Vec<LookupFile>,
    #[serde(default)]
    pub dimension: Vec<DimensionFile>,
    #[serde(default)]
    pub tier: Vec<TierFile>,
    #[serde(default)]
    pub alert: Vec<AlertFile>,
    /// Key bindings of the screen: action name to one key or a list of keys.
    pub keys: Option<BTreeMap<String, KeyList>>,
}

/// One key name, or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestFile {
    pub quiet_seconds: Option<f64>,
    pub invalid_document_seconds: Option<f64>,
    pub delimiter: Option<String>,
    pub refresh_millis: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub min_rated: Option<usize>,
    pub trees: Option<usize>,
    pub max_depth: Option<u16>,
    pub min_samples_leaf: Option<usize>,
    pub test_share: Option<f64>,
    pub seed: Option<u64>,
    pub sample_size: Option<usize>,
    pub retrain_every: Option<usize>,
    pub clusters: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    pub name: String,
    pub files: String,
    pub format: Option<String>,
    pub key: String,
    pub delimiter: Option<String>,
    pub json_key: Option<String>,
    /// Column whose value orders the records of this source in `csmon replay`.
    pub event_time: Option<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldFile>,
}

/// A field mapping: either a bare column name or a table with the merge details.
#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a column name, or a table such as { column = \"score\", merge = \"latest\", by = \"rated_at\" }"
)]
pub enum FieldFile {
    Column(String),
    Detailed(FieldDetail),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDetail {
    pub column: Option<String>,
    pub columns: Option<Vec<String>>,
    pub merge: Option<String>,
    pub by: Option<String>,
    #[serde(default)]
    pub lookup: Vec<String>,
    pub lookup_miss: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupFile {
    pub name: String,
    pub files: String,
    pub format: Option<String>,
    pub key: String,
    pub delimiter: Option<String>,
    pub json_key: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionFile {
    pub name: String,
    pub field: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierFile {
    pub name: String,
    pub min_purchases: u32,
    pub weight: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertFile {
    pub name: String,
    pub metric: String,
    pub dimension: Option<String>,
    pub op: String,
    pub threshold: f64,
    pub min_samples: Option<u64>,
    pub severity: Option<String>,
    pub window: Option<String>,
}
