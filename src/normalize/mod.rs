//! Normalization: a raw record mapped to typed case fields, or rejected with the field, the
//! value and the reason.

pub mod privacy;
mod time;

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use jiff::tz::TimeZone;
use serde::Serialize;

use crate::cases::{FieldKind, Value};
use crate::config::{Lookup, Merge, Source};
pub use time::{format_time, parse_time};

/// A record as read from a drop: column names and their values, `None` for null.
#[derive(Debug, Clone)]
pub struct RawRecord {
    pub file: Arc<str>,
    /// 1-based line of the record's first line, or its index in a JSON array.
    pub line: u64,
    pub columns: Arc<[String]>,
    pub values: Vec<Option<String>>,
}

impl RawRecord {
    pub fn get(&self, column: &str) -> Option<&str> {
        let index = self.columns.iter().position(|c| c == column)?;
        self.values
            .get(index)?
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// A rejected record, as written to the quarantine file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rejection {
    pub file: String,
    pub line: u64,
    pub field: String,
    pub value: String,
    pub reason: String,
}

impl Rejection {
    pub fn new(file: &str, line: u64, field: &str, value: &str, reason: impl Into<String>) -> Self {
        Rejection {
            file: file.to_string(),
            line,
            field: field.to_string(),
            value: value.chars().take(200).collect(),
            reason: reason.into(),
        }
    }
}

/// The value of a merge `by` column, compared as a time, a number or text.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub enum OrderKey {
    Missing,
    Number(f64),
    Text(String),
}

impl Eq for OrderKey {}

impl PartialOrd for OrderKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderKey {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (OrderKey::Missing, OrderKey::Missing) => Ordering::Equal,
            (OrderKey::Missing, _) | (OrderKey::Number(_), OrderKey::Text(_)) => Ordering::Less,
            (_, OrderKey::Missing) | (OrderKey::Text(_), OrderKey::Number(_)) => Ordering::Greater,
            (OrderKey::Number(a), OrderKey::Number(b)) => a.total_cmp(b),
            (OrderKey::Text(a), OrderKey::Text(b)) => a.cmp(b),
        }
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct FieldUpdate {
    /// Index of the field mapping in its source.
    pub map: usize,
    pub value: Value,
    pub order: OrderKey,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CleanRecord {
    pub key: String,
    pub location: String,
    pub updates: Vec<FieldUpdate>,
}

/// Maps a raw record through its source's field mappings. Empty values leave a field as it
/// is. Any value that fails to parse rejects the whole record, so a case never mixes halves
/// of two versions.
pub fn normalize(
    source: &Source,
    zone: &TimeZone,
    raw: &RawRecord,
) -> Result<CleanRecord, Rejection> {
    let Some(key) = raw.get(&source.key) else {
        return Err(Rejection::new(
            &raw.file,
            raw.line,
            &source.key,
            "",
            format!("missing case key: fill column '{}'", source.key),
        ));
    };

    let mut updates = Vec::with_capacity(source.fields.len());
    for (index, map) in source.fields.iter().enumerate() {
        let parts: Vec<&str> = map
            .columns
            .iter()
            .filter_map(|column| raw.get(column))
            .collect();
        if parts.is_empty() {
            continue;
        }
        let text = parts.join(" / ");
        let column = map.columns.join("+");
        let value = parse_value(map.kind, &text, zone)
            .map_err(|reason| Rejection::new(&raw.file, raw.line, &column, &text, reason))?;
        let order = match &map.merge {
            Merge::Latest { by } | Merge::First { by } | Merge::Sum { by: Some(by) } => {
                order_key(raw.get(by), zone)
            }
            Merge::Set | Merge::Sum { by: None } => OrderKey::Missing,
        };
        updates.push(FieldUpdate {
            map: index,
            value,
            order,
        });
    }

    check_order(source, raw, &updates)?;
    Ok(CleanRecord {
        key: key.to_string(),
        location: raw.location(),
        updates,
    })
}

/// Rejects a record whose resolution or first response comes before its creation.
fn check_order(source: &Source, raw: &RawRecord, updates: &[FieldUpdate]) -> Result<(), Rejection> {
    let time_of = |field: &str| {
        updates
            .iter()
            .find(|u| source.fields[u.map].field == field)
            .and_then(|u| u.value.as_time().map(|t| (t, &source.fields[u.map])))
    };
    let Some((created, _)) = time_of("created_at") else {
        return Ok(());
    };
    for later in ["first_response_at", "resolved_at"] {
        if let Some((time, map)) = time_of(later)
            && time < created
        {
            let column = map.columns.join("+");
            return Err(Rejection::new(
                &raw.file,
                raw.line,
                &column,
                raw.get(&column).unwrap_or_default(),
                format!("{later} is before created_at; check the clock or the column mapping"),
            ));
        }
    }
    Ok(())
}

fn parse_value(kind: FieldKind, text: &str, zone: &TimeZone) -> Result<Value, String> {
    match kind {
        FieldKind::Time => parse_time(text, zone).map(Value::Time),
        FieldKind::Score => {
            let score = parse_number(text)?;
            if (1.0..=5.0).contains(&score) {
                Ok(Value::Number(score))
            } else {
                Err(format!(
                    "score {text} is outside 1 to 5; fix the value or map another column"
                ))
            }
        }
        FieldKind::Number => parse_number(text).map(Value::Number),
        FieldKind::Text => Ok(Value::Text(text.to_string())),
    }
}

fn parse_number(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(number) if number.is_finite() => Ok(number),
        _ => Err(format!(
            "'{text}' is not a finite number; write digits with '.' as the decimal point"
        )),
    }
}

fn order_key(text: Option<&str>, zone: &TimeZone) -> OrderKey {
    let Some(text) = text else {
        return OrderKey::Missing;
    };
    if let Ok(time) = parse_time(text, zone) {
        return OrderKey::Number(time as f64);
    }
    match text.parse::<f64>() {
        Ok(number) if number.is_finite() => OrderKey::Number(number),
        _ => OrderKey::Text(text.to_string()),
    }
}

/// Turns a raw record of a lookup table into its key and row.
pub fn lookup_row(
    lookup: &Lookup,
    raw: &RawRecord,
) -> Result<(String, HashMap<String, String>), Rejection> {
    let Some(key) = raw.get(&lookup.key) else {
        return Err(Rejection::new(
            &raw.file,
            raw.line,
            &lookup.key,
            "",
            format!("missing lookup key: fill column '{}'", lookup.key),
        ));
    };
    let row = raw
        .columns
        .iter()
        .zip(&raw.values)
        .filter_map(|(column, value)| Some((column.clone(), value.as_ref()?.trim().to_string())))
        .collect();
    Ok((key.to_string(), row))
}
