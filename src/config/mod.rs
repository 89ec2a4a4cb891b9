//! Configuration: the raw TOML file (`file`) checked into one `Config` whose values are all
//! valid, so later stages never re-check them.

mod file;

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use glob::Pattern;

use crate::cases::FieldKind;
use crate::metrics::Window;
use file::{ConfigFile, FieldFile};

/// The built-in config, equal to `config/csmon.toml`.
pub const DEFAULT_CONFIG: &str = include_str!("../../config/csmon.toml");

/// A config value that failed a check, with the key that holds it and how to fix it.
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

/// How records of one case combine into one field value.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
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
        Checker { origin }.check(raw)
    }
}

struct Checker<'a> {
    origin: &'a str,
}

impl Checker<'_> {
    fn error(&self, key: &str, problem: impl Into<String>, fix: impl Into<String>) -> ConfigError {
        ConfigError {
            origin: self.origin.to_string(),
            key: key.to_string(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    fn check(&self, raw: ConfigFile) -> Result<Config, ConfigError> {
        let timezone_name = raw.timezone.unwrap_or_else(|| "UTC".to_string());
        let timezone = jiff::tz::TimeZone::get(&timezone_name).map_err(|_| {
            self.error(
                "timezone",
                format!("'{timezone_name}' is not a known time zone"),
                "use an IANA name such as 'UTC' or 'America/Sao_Paulo'",
            )
        })?;

        let windows = self.windows(raw.windows)?;
        let ingest = raw.ingest.unwrap_or_default();
        let quiet_seconds = self.seconds("ingest.quiet_seconds", ingest.quiet_seconds, 2.0)?;
        let invalid_document_seconds = self.seconds(
            "ingest.invalid_document_seconds",
            ingest.invalid_document_seconds,
            30.0,
        )?;
        let default_delimiter = self.delimiter("ingest.delimiter", ingest.delimiter.as_deref())?;

        let lookups = raw
            .lookup
            .iter()
            .enumerate()
            .map(|(i, lookup)| {
                Ok(Lookup {
                    name: lookup.name.clone(),
                    files: self.pattern(&format!("lookup[{i}].files"), &lookup.files)?,
                    format: self
                        .format(&format!("lookup[{i}].format"), lookup.format.as_deref())?,
                    key: lookup.key.clone(),
                    json_key: lookup.json_key.clone(),
                    delimiter: match &lookup.delimiter {
                        Some(d) => self.delimiter(&format!("lookup[{i}].delimiter"), Some(d))?,
                        None => default_delimiter,
                    },
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;

        let mut sources = Vec::new();
        for (i, source) in raw.source.into_iter().enumerate() {
            sources.push(self.source(i, source, &lookups, default_delimiter)?);
        }
        if sources.is_empty() {
            return Err(self.error(
                "source",
                "no [[source]] table",
                "add at least one [[source]] with name, files, key and fields",
            ));
        }

        let known_fields: Vec<&str> = sources
            .iter()
            .flat_map(|s| s.fields.iter().map(|f| f.field.as_str()))
            .collect();
        let dimensions = raw
            .dimension
            .into_iter()
            .enumerate()
            .map(|(i, dimension)| {
                if dimension.field != crate::metrics::CLUSTER_FIELD
                    && !known_fields.contains(&dimension.field.as_str())
                {
                    return Err(self.error(
                        &format!("dimension[{i}].field"),
                        format!("no source maps the field '{}'", dimension.field),
                        format!("map '{}' in a [source.fields] table", dimension.field),
                    ));
                }
                Ok(Dimension {
                    name: dimension.name,
                    field: dimension.field,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        let tiers = self.tiers(raw.tier)?;
        let alerts = self.alerts(raw.alert, &dimensions)?;
        let model = self.model(&raw.model.unwrap_or_default())?;
        let keys = self.keys(raw.keys.unwrap_or_default())?;

        Ok(Config {
            origin: self.origin.to_string(),
            state_dir: PathBuf::from(raw.state_dir.unwrap_or_else(|| ".csmon".to_string())),
            timezone,
            timezone_name,
            windows,
            min_segment_cases: raw.min_segment_cases.unwrap_or(20),
            closed_statuses: raw.closed_statuses.unwrap_or_default(),
            due_whole_day: raw.due_whole_day.unwrap_or(false),
            quiet_seconds,
            invalid_document_seconds,
            refresh_millis: ingest.refresh_millis.unwrap_or(500).max(50),
            model,
            sources,
            lookups,
            dimensions,
            tiers,
            alerts,
            keys,
        })
    }

    fn keys(
        &self,
        raw: std::collections::BTreeMap<String, file::KeyList>,
    ) -> Result<crate::ui::keys::KeyMap, ConfigError> {
        let overrides = raw
            .into_iter()
            .map(|(action, keys)| {
                let keys = match keys {
                    file::KeyList::One(key) => vec![key],
                    file::KeyList::Many(keys) => keys,
                };
                (action, keys)
            })
            .collect();
        crate::ui::keys::KeyMap::with_overrides(&overrides)
            .map_err(|e| self.error(&e.key, e.problem, e.fix))
    }

    fn seconds(&self, key: &str, value: Option<f64>, default: f64) -> Result<f64, ConfigError> {
        let seconds = value.unwrap_or(default);
        if seconds.is_finite() && seconds >= 0.0 {
            Ok(seconds)
        } else {
            Err(self.error(
                key,
                format!("{seconds} is not a duration"),
                "use a number of seconds, 0 or more",
            ))
        }
    }

    fn windows(&self, raw: Option<Vec<String>>) -> Result<Vec<Window>, ConfigError> {
        let names = raw.unwrap_or_else(|| {
            ["1h", "24h", "7d", "all"]
                .iter()
                .map(ToString::to_string)
                .collect()
        });
        if names.is_empty() {
            return Err(self.error("windows", "the list is empty", "list at least \"all\""));
        }
        names
            .iter()
            .map(|name| {
                Window::parse(name).ok_or_else(|| {
                    self.error(
                        "windows",
                        format!("'{name}' is not a window"),
                        "use a number with m, h or d, such as \"24h\", or \"all\"",
                    )
                })
            })
            .collect()
    }

    fn pattern(&self, key: &str, text: &str) -> Result<Pattern, ConfigError> {
        Pattern::new(text).map_err(|err| {
            self.error(
                key,
                format!("'{text}' is not a glob: {err}"),
                "use a file-name glob such as \"*orders*.csv\"",
            )
        })
    }

    fn format(&self, key: &str, text: Option<&str>) -> Result<Format, ConfigError> {
        match text.unwrap_or("auto") {
            "auto" => Ok(Format::Auto),
            "csv" => Ok(Format::Csv),
            "jsonl" | "ndjson" => Ok(Format::JsonLines),
            "json" => Ok(Format::JsonArray),
            other => Err(self.error(
                key,
                format!("'{other}' is not a format"),
                "use \"auto\", \"csv\", \"jsonl\" or \"json\"",
            )),
        }
    }

    fn delimiter(&self, key: &str, text: Option<&str>) -> Result<u8, ConfigError> {
        let text = text.unwrap_or(",");
        let text = if text == "\\t" { "\t" } else { text };
        match text.as_bytes() {
            [byte] if byte.is_ascii() && *byte != b'"' && *byte != b'\n' => Ok(*byte),
            _ => Err(self.error(
                key,
                format!("'{text}' is not a single ASCII character"),
                "use one character such as \",\", \";\" or \"\\t\"",
            )),
        }
    }

    fn source(
        &self,
        index: usize,
        raw: file::SourceFile,
        lookups: &[Lookup],
        default_delimiter: u8,
    ) -> Result<Source, ConfigError> {
        let prefix = format!("source[{index}]");
        if raw.key.trim().is_empty() {
            return Err(self.error(
                &format!("{prefix}.key"),
                "it is empty",
                "name the column that holds the case key",
            ));
        }
        let mut fields = Vec::new();
        for (field, mapping) in raw.fields {
            fields.push(self.field(
                &format!("{prefix}.fields.{field}"),
                &field,
                mapping,
                lookups,
            )?);
        }
        if fields.is_empty() {
            return Err(self.error(
                &format!("{prefix}.fields"),
                "no field is mapped",
                "map at least one case field, such as created_at = \"created\"",
            ));
        }
        Ok(Source {
            files: self.pattern(&format!("{prefix}.files"), &raw.files)?,
            format: self.format(&format!("{prefix}.format"), raw.format.as_deref())?,
            delimiter: match &raw.delimiter {
                Some(d) => self.delimiter(&format!("{prefix}.delimiter"), Some(d))?,
                None => default_delimiter,
            },
            name: raw.name,
            key: raw.key,
            json_key: raw.json_key,
            event_time: raw.event_time,
            fields,
        })
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one check after another, in key order"
    )]
    fn field(
        &self,
        key: &str,
        field: &str,
        raw: FieldFile,
        lookups: &[Lookup],
    ) -> Result<FieldMap, ConfigError> {
        let detail = match raw {
            FieldFile::Column(column) => file::FieldDetail {
                column: Some(column),
                columns: None,
                merge: None,
                by: None,
                lookup: Vec::new(),
                lookup_miss: None,
            },
            FieldFile::Detailed(detail) => detail,
        };
        let columns = match (detail.column, detail.columns) {
            (Some(column), None) => vec![column],
            (None, Some(columns)) if !columns.is_empty() => columns,
            _ => {
                return Err(self.error(
                    key,
                    "it needs exactly one of 'column' or 'columns'",
                    "write column = \"name\", or columns = [\"a\", \"b\"] to join several",
                ));
            }
        };
        let merge = match (detail.merge.as_deref().unwrap_or("set"), detail.by) {
            ("set", None) => Merge::Set,
            ("latest", Some(by)) => Merge::Latest { by },
            ("first", Some(by)) => Merge::First { by },
            ("sum", by) => Merge::Sum { by },
            ("latest" | "first", None) => {
                return Err(self.error(
                    &format!("{key}.by"),
                    "it is missing",
                    "name the column that orders the records, such as by = \"updated_at\"",
                ));
            }
            ("set", Some(_)) => {
                return Err(self.error(
                    &format!("{key}.by"),
                    "merge \"set\" takes no 'by'",
                    "use merge = \"latest\" to order by that column",
                ));
            }
            (other, _) => {
                return Err(self.error(
                    &format!("{key}.merge"),
                    format!("'{other}' is not a merge mode"),
                    "use \"set\", \"latest\", \"first\" or \"sum\"",
                ));
            }
        };
        let kind = FieldKind::of(field);
        if matches!(merge, Merge::Sum { .. }) && kind != FieldKind::Number {
            return Err(self.error(
                &format!("{key}.merge"),
                format!("'{field}' is not a numeric field"),
                "use merge = \"sum\" only on order_amount or purchase_count",
            ));
        }
        let lookup = detail
            .lookup
            .iter()
            .map(|step| {
                let (table, column) = step.split_once('.').ok_or_else(|| {
                    self.error(
                        &format!("{key}.lookup"),
                        format!("'{step}' is not TABLE.COLUMN"),
                        "write each step as \"lookup_name.column\"",
                    )
                })?;
                let table = lookups
                    .iter()
                    .position(|l| l.name == table)
                    .ok_or_else(|| {
                        self.error(
                            &format!("{key}.lookup"),
                            format!("no [[lookup]] is named '{table}'"),
                            "add that [[lookup]] or fix the name",
                        )
                    })?;
                Ok(LookupStep {
                    table,
                    column: column.to_string(),
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        if !lookup.is_empty() && kind != FieldKind::Text {
            return Err(self.error(
                &format!("{key}.lookup"),
                format!("'{field}' is not a text field"),
                "join lookups only into text fields such as customer_id, region or category",
            ));
        }
        let lookup_miss = match detail.lookup_miss.as_deref() {
            None | Some("empty") => LookupMiss::Empty,
            Some("keep") => LookupMiss::Keep,
            Some(other) => {
                return Err(self.error(
                    &format!("{key}.lookup_miss"),
                    format!("'{other}' is not a choice"),
                    "use \"empty\" or \"keep\"",
                ));
            }
        };
        Ok(FieldMap {
            field: field.to_string(),
            kind,
            columns,
            merge,
            lookup,
            lookup_miss,
        })
    }

    fn tiers(&self, raw: Vec<file::TierFile>) -> Result<Vec<Tier>, ConfigError> {
        let mut tiers = Vec::new();
        for (i, tier) in raw.into_iter().enumerate() {
            if !(tier.weight.is_finite() && tier.weight > 0.0) {
                return Err(self.error(
                    &format!("tier[{i}].weight"),
                    format!("{} is not a positive number", tier.weight),
                    "use a weight above 0, such as 0.7",
                ));
            }
            if tiers
                .iter()
                .any(|t: &Tier| t.min_purchases == tier.min_purchases)
            {
                return Err(self.error(
                    &format!("tier[{i}].min_purchases"),
                    format!("another tier also starts at {}", tier.min_purchases),
                    "give each tier its own min_purchases",
                ));
            }
            tiers.push(Tier {
                name: tier.name,
                min_purchases: tier.min_purchases,
                weight: tier.weight,
            });
        }
        if tiers.is_empty() {
            tiers.push(Tier {
                name: "all".to_string(),
                min_purchases: 1,
                weight: 1.0,
            });
        }
        tiers.sort_by_key(|t| std::cmp::Reverse(t.min_purchases));
        Ok(tiers)
    }

    fn alerts(
        &self,
        raw: Vec<file::AlertFile>,
        dimensions: &[Dimension],
    ) -> Result<Vec<AlertRule>, ConfigError> {
        raw.into_iter()
            .enumerate()
            .map(|(i, alert)| {
                let key = format!("alert[{i}]");
                if !ALERT_METRICS.contains(&alert.metric.as_str()) {
                    return Err(self.error(
                        &format!("{key}.metric"),
                        format!("'{}' is not a metric", alert.metric),
                        format!("use one of {}", ALERT_METRICS.join(", ")),
                    ));
                }
                if let Some(dimension) = &alert.dimension
                    && !dimensions.iter().any(|d| &d.name == dimension)
                {
                    return Err(self.error(
                        &format!("{key}.dimension"),
                        format!("no [[dimension]] is named '{dimension}'"),
                        "add that [[dimension]] or fix the name",
                    ));
                }
                let comparison = match alert.op.as_str() {
                    "<" | "below" => Comparison::Below,
                    ">" | "above" => Comparison::Above,
                    other => {
                        return Err(self.error(
                            &format!("{key}.op"),
                            format!("'{other}' is not a comparison"),
                            "use \"<\" or \">\"",
                        ));
                    }
                };
                let severity = match alert.severity.as_deref().unwrap_or("warning") {
                    "info" => Severity::Info,
                    "warning" => Severity::Warning,
                    "critical" => Severity::Critical,
                    other => {
                        return Err(self.error(
                            &format!("{key}.severity"),
                            format!("'{other}' is not a severity"),
                            "use \"info\", \"warning\" or \"critical\"",
                        ));
                    }
                };
                let window_name = alert.window.unwrap_or_else(|| "all".to_string());
                let window = Window::parse(&window_name).ok_or_else(|| {
                    self.error(
                        &format!("{key}.window"),
                        format!("'{window_name}' is not a window"),
                        "use \"24h\", \"7d\" or \"all\"",
                    )
                })?;
                if !alert.threshold.is_finite() {
                    return Err(self.error(
                        &format!("{key}.threshold"),
                        "it is not finite",
                        "use a plain number",
                    ));
                }
                Ok(AlertRule {
                    name: alert.name,
                    metric: alert.metric,
                    dimension: alert.dimension,
                    comparison,
                    threshold: alert.threshold,
                    min_samples: alert.min_samples.unwrap_or(1),
                    severity,
                    window,
                })
            })
            .collect()
    }

    fn model(&self, raw: &file::ModelFile) -> Result<ModelSettings, ConfigError> {
        let test_share = raw.test_share.unwrap_or(0.2);
        if !(test_share > 0.0 && test_share < 1.0) {
            return Err(self.error(
                "model.test_share",
                format!("{test_share} is outside 0..1"),
                "use a share such as 0.2",
            ));
        }
        let trees = raw.trees.unwrap_or(60);
        if trees == 0 {
            return Err(self.error("model.trees", "it is 0", "use 1 or more trees, such as 60"));
        }
        if raw.clusters == Some(0) {
            return Err(self.error(
                "model.clusters",
                "it is 0",
                "use 1 or more, or leave it out to pick k by silhouette",
            ));
        }
        let defaults = ModelSettings::default();
        let min_rated = raw.min_rated.unwrap_or(defaults.min_rated).max(10);
        let sample_size = raw.sample_size.unwrap_or(defaults.sample_size);
        if sample_size < min_rated {
            return Err(self.error(
                "model.sample_size",
                format!("{sample_size} is below min_rated ({min_rated}, at least 10)"),
                "use a sample of at least min_rated cases, such as 50000",
            ));
        }
        Ok(ModelSettings {
            min_rated,
            trees,
            max_depth: raw.max_depth.unwrap_or(defaults.max_depth),
            min_samples_leaf: raw
                .min_samples_leaf
                .unwrap_or(defaults.min_samples_leaf)
                .max(1),
            test_share,
            seed: raw.seed.unwrap_or(defaults.seed),
            sample_size,
            retrain_every: raw.retrain_every.unwrap_or(defaults.retrain_every),
            clusters: raw.clusters,
        })
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
