//! Configuration: the raw TOML file (`file`) checked into one `Config` whose values are all
//! valid, so later stages never re-check them.

mod check;
mod file;

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use glob::Pattern;

use crate::cases::FieldKind;
use crate::metrics::Window;
use file::ConfigFile;

/// The built-in config, equal to `config/csmon.toml`.
pub const DEFAULT_CONFIG: &str = include_str!("../../config/csmon.toml");

/// A config value that failed a check, with its key and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: invalid '{key}': {problem}; {fix}")]
pub struct ConfigError {
    pub origin: String,
    pub key: String,
    pub problem: String,
    pub fix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Auto,
    Csv,
    JsonLines,
    JsonArray,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Auto => "auto",
            Format::Csv => "csv",
            Format::JsonLines => "jsonl",
            Format::JsonArray => "json",
        })
    }
}

/// Rule that combines the records of one case into one field value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merge {
    /// The value of the record that arrived last.
    Set,
    /// The value of the record with the greatest `by` value; on a tie, the later record.
    Latest { by: String },
    /// The value of the record with the smallest `by` value; on a tie, the earlier record.
    First { by: String },
    /// The sum over records, one part per distinct `by` value (or per record location when
    /// `by` is absent), so a record read twice is counted once.
    Sum { by: Option<String> },
}

impl fmt::Display for Merge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Merge::Set => f.write_str("set"),
            Merge::Latest { by } => write!(f, "latest by {by}"),
            Merge::First { by } => write!(f, "first by {by}"),
            Merge::Sum { by: Some(by) } => write!(f, "sum, one part per {by}"),
            Merge::Sum { by: None } => f.write_str("sum, one part per record"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupMiss {
    /// A missing lookup row leaves the field empty.
    Empty,
    /// A missing lookup row keeps the value reached by the previous lookup step.
    Keep,
}

/// One step of a lookup chain: join `table` on the current value, then take `column`.
#[derive(Debug, Clone)]
pub struct LookupStep {
    pub table: usize,
    pub column: String,
}

#[derive(Debug, Clone)]
pub struct FieldMap {
    pub field: String,
    pub kind: FieldKind,
    pub columns: Vec<String>,
    pub merge: Merge,
    pub lookup: Vec<LookupStep>,
    pub lookup_miss: LookupMiss,
}

#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub files: Pattern,
    pub format: Format,
    pub key: String,
    pub delimiter: u8,
    /// Key of the array holding the records when a JSON drop is one object.
    pub json_key: Option<String>,
    pub event_time: Option<String>,
    pub fields: Vec<FieldMap>,
}

#[derive(Debug, Clone)]
pub struct Lookup {
    pub name: String,
    pub files: Pattern,
    pub format: Format,
    pub key: String,
    pub delimiter: u8,
    pub json_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Dimension {
    pub name: String,
    pub field: String,
}

#[derive(Debug, Clone)]
pub struct Tier {
    pub name: String,
    pub min_purchases: u32,
    pub weight: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Below,
    Above,
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Comparison::Below => "<",
            Comparison::Above => ">",
        })
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

#[derive(Debug, Clone)]
pub struct AlertRule {
    pub name: String,
    pub metric: String,
    pub dimension: Option<String>,
    pub comparison: Comparison,
    pub threshold: f64,
    pub min_samples: u64,
    pub severity: Severity,
    pub window: Window,
}

#[derive(Debug, Clone)]
pub struct ModelSettings {
    pub min_rated: usize,
    pub trees: usize,
    pub max_depth: u16,
    pub min_samples_leaf: usize,
    pub test_share: f64,
    pub seed: u64,
    /// Most rated cases a training run uses, drawn by reservoir sampling.
    pub sample_size: usize,
    /// New rated cases that start a background retrain; 0 turns the schedule off.
    pub retrain_every: usize,
    /// Customer clusters; `None` picks k from 2 to 6 by silhouette.
    pub clusters: Option<usize>,
}

impl Default for ModelSettings {
    fn default() -> Self {
        ModelSettings {
            min_rated: 200,
            trees: 60,
            max_depth: 14,
            min_samples_leaf: 5,
            test_share: 0.2,
            seed: 7,
            sample_size: 50_000,
            retrain_every: 1000,
            clusters: None,
        }
    }
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub origin: String,
    pub state_dir: PathBuf,
    pub timezone: jiff::tz::TimeZone,
    pub timezone_name: String,
    pub windows: Vec<Window>,
    pub min_segment_cases: u64,
    /// Statuses that close a case without a resolution time, such as "canceled".
    pub closed_statuses: Vec<String>,
    /// When set, a due time is a date: a case resolved any time on that day meets it.
    pub due_whole_day: bool,
    pub quiet_seconds: f64,
    /// A JSON document that stays invalid this long after its last write is quarantined.
    pub invalid_document_seconds: f64,
    pub refresh_millis: u64,
    pub model: ModelSettings,
    pub sources: Vec<Source>,
    pub lookups: Vec<Lookup>,
    pub dimensions: Vec<Dimension>,
    pub tiers: Vec<Tier>,
    pub alerts: Vec<AlertRule>,
    /// Key bindings of the screen: the defaults with the `[keys]` overrides applied.
    pub keys: crate::ui::keys::KeyMap,
}

/// Metric names an alert rule may watch.
pub const ALERT_METRICS: &[&str] = &[
    "csat_mean",
    "csat_pct",
    "satisfaction_index",
    "sla_attainment",
    "first_response_p90_minutes",
    "resolution_p90_minutes",
    "predicted_csat_mean",
    "backlog",
];

impl Config {
    /// Loads the config from `--config`, else `$CSMON_CONFIG`, else the built-in default.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let from_env = std::env::var_os("CSMON_CONFIG").map(PathBuf::from);
        match path.map(Path::to_path_buf).or(from_env) {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("failed to read config file {}", path.display()))?;
                let base = path.parent().unwrap_or(Path::new("."));
                Ok(Config::parse(&text, &path.display().to_string(), base)?)
            }
            None => Ok(Config::parse(
                DEFAULT_CONFIG,
                "built-in config",
                Path::new("."),
            )?),
        }
    }

    /// Parses and checks config text. `origin` names it in messages; a relative `state_dir`
    /// stays relative to the working directory, as a user typing a path expects.
    pub fn parse(text: &str, origin: &str, _base: &Path) -> Result<Config, ConfigError> {
        let raw: ConfigFile = toml::from_str(text).map_err(|err| {
            let key = err.span().map_or_else(String::new, |span| {
                let line = text[..span.start].lines().count().max(1);
                let content = text.lines().nth(line - 1).unwrap_or_default().trim();
                format!("line {line}: {content}")
            });
            ConfigError {
                origin: origin.to_string(),
                key,
                problem: err.message().to_string(),
                fix: "correct the TOML at that place; unknown keys are rejected".to_string(),
            }
        })?;
        check::Checker { origin }.check(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[[source]]
name = "tickets"
files = "*.csv"
key = "id"
[source.fields]
created_at = "created"
"#;

    fn error_of(text: &str) -> ConfigError {
        Config::parse(text, "test.toml", Path::new(".")).expect_err("config is invalid")
    }

    #[test]
    fn shipped_configs_are_valid() {
        for name in ["csmon.toml", "olist.toml"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("config")
                .join(name);
            let text = std::fs::read_to_string(&path).expect("shipped config");
            Config::parse(&text, name, Path::new(".")).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn builtin_default_is_csmon_toml() {
        let config = Config::parse(DEFAULT_CONFIG, "built-in", Path::new(".")).expect("valid");
        assert_eq!(config.sources.len(), 2);
        assert_eq!(config.state_dir, PathBuf::from(".csmon/state"));
    }

    #[test]
    fn errors_name_key_and_fix() {
        let cases = [
            (
                MINIMAL.replace(
                    "created_at = \"created\"",
                    "status = { column = \"s\", merge = \"newest\" }",
                ),
                "source[0].fields.status.merge",
                "use \"set\"",
            ),
            (
                MINIMAL.replace(
                    "created_at = \"created\"",
                    "status = { column = \"s\", merge = \"latest\" }",
                ),
                "source[0].fields.status.by",
                "name the column",
            ),
            (
                MINIMAL.replace(
                    "created_at = \"created\"",
                    "channel = { column = \"c\", merge = \"sum\" }",
                ),
                "source[0].fields.channel.merge",
                "order_amount",
            ),
            (
                MINIMAL.replace(
                    "created_at = \"created\"",
                    "region = { column = \"c\", lookup = [\"nope.state\"] }",
                ),
                "source[0].fields.region.lookup",
                "add that [[lookup]]",
            ),
            (
                format!("timezone = \"Mars/Olympus\"\n{MINIMAL}"),
                "timezone",
                "IANA",
            ),
            (
                format!("windows = [\"3w\"]\n{MINIMAL}"),
                "windows",
                "\"24h\"",
            ),
            (
                format!(
                    "{MINIMAL}\n[[alert]]\nname = \"x\"\nmetric = \"happiness\"\nop = \"<\"\nthreshold = 1\n"
                ),
                "alert[0].metric",
                "csat_pct",
            ),
            (
                format!("{MINIMAL}\n[[dimension]]\nname = \"agent\"\nfield = \"agent\"\n"),
                "dimension[0].field",
                "map 'agent'",
            ),
            (
                format!("{MINIMAL}\n[[tier]]\nname = \"t\"\nmin_purchases = 1\nweight = -1\n"),
                "tier[0].weight",
                "above 0",
            ),
            (
                format!("colour = \"red\"\n{MINIMAL}"),
                "line 1: colour = \"red\"",
                "unknown keys",
            ),
            (String::new(), "source", "add at least one"),
            (
                format!("{MINIMAL}\n[keys]\nsort = \"j\"\n"),
                "keys.sort",
                "also bound to 'down'",
            ),
            (
                format!("{MINIMAL}\n[keys]\nsnooze = \"z\"\n"),
                "keys.snooze",
                "use one of quit",
            ),
        ];
        for (text, key, fix) in cases {
            let error = error_of(&text);
            assert_eq!(error.key, key, "{error}");
            let message = error.to_string();
            assert!(
                message.contains(fix),
                "message '{message}' should contain '{fix}'"
            );
            assert!(message.starts_with("test.toml: "), "{message}");
        }
    }
}
