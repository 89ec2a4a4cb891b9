//! Checks of the raw config file, one key after another, into one `Config`.

use std::path::PathBuf;

use glob::Pattern;

use super::file::{self, ConfigFile, FieldFile};
use super::{
    ALERT_METRICS, AlertRule, Comparison, Config, ConfigError, Dimension, FieldMap, Format, Lookup,
    LookupMiss, LookupStep, Merge, ModelSettings, Severity, Source, Tier,
};
use crate::cases::FieldKind;
use crate::metrics::Window;

pub(super) struct Checker<'a> {
    pub(super) origin: &'a str,
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

    pub(super) fn check(&self, raw: ConfigFile) -> Result<Config, ConfigError> {
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
