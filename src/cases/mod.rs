//! The case store: records merged by key into cases, with lookups joined when figures are
//! computed so a lookup row that arrives after its cases still applies.

mod lookup;

use std::collections::{BTreeMap, HashMap};

use crate::config::{Config, FieldMap, LookupMiss, LookupStep, Merge};
use crate::normalize::{CleanRecord, OrderKey};
pub use lookup::LookupTables;

/// The type a case field holds, fixed by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Seconds since the Unix epoch.
    Time,
    /// A satisfaction score from 1 to 5.
    Score,
    Number,
    Text,
}

impl FieldKind {
    pub fn of(field: &str) -> FieldKind {
        match field {
            "created_at" | "first_response_at" | "resolved_at" | "due_at" | "rated_at" => {
                FieldKind::Time
            }
            "satisfaction" => FieldKind::Score,
            "order_amount" | "purchase_count" => FieldKind::Number,
            _ => FieldKind::Text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    Time(i64),
    Number(f64),
    Text(String),
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Time(t) => Some(*t as f64),
            Value::Text(_) => None,
        }
    }

    pub fn as_time(&self) -> Option<i64> {
        match self {
            Value::Time(t) => Some(*t),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// The merge state of one field of one case.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
enum Slot {
    Set(Value),
    Ordered { order: OrderKey, value: Value },
    Sum(BTreeMap<String, f64>),
}

impl Slot {
    fn value(&self) -> Value {
        match self {
            Slot::Set(value) | Slot::Ordered { value, .. } => value.clone(),
            Slot::Sum(parts) => Value::Number(parts.values().sum()),
        }
    }
}

/// One case: its merged fields, by field index in `CaseStore::fields`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Case {
    slots: Vec<Option<Slot>>,
    /// Arrival sequence of the newest record applied, used to order equal timestamps.
    pub updated_seq: u64,
}

/// The cases by key, plus the lookup tables.
#[derive(Debug, Default)]
pub struct CaseStore {
    fields: std::sync::Arc<[String]>,
    /// Per field, the lookup chain to resolve it through and whether a miss keeps the value.
    chains: Vec<Option<(Vec<LookupStep>, bool)>>,
    keys: HashMap<String, usize>,
    cases: Vec<(String, Case)>,
    pub lookups: LookupTables,
    seq: u64,
}

impl CaseStore {
    pub fn new(config: &Config) -> CaseStore {
        let mut fields: Vec<String> = Vec::new();
        for source in &config.sources {
            for map in &source.fields {
                if !fields.contains(&map.field) {
                    fields.push(map.field.clone());
                }
            }
        }
        let chains = fields
            .iter()
            .map(|field| {
                config
                    .sources
                    .iter()
                    .flat_map(|s| &s.fields)
                    .find(|m| &m.field == field && !m.lookup.is_empty())
                    .map(|m| (m.lookup.clone(), m.lookup_miss == LookupMiss::Keep))
            })
            .collect();
        CaseStore {
            fields: fields.into(),
            chains,
            lookups: LookupTables::new(config.lookups.len()),
            ..CaseStore::default()
        }
    }

    pub fn len(&self) -> usize {
        self.cases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    pub fn field_index(&self, field: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == field)
    }

    /// Applies a clean record to its case, creating the case on first sight. Applying the
    /// same record twice leaves the case as applying it once.
    pub fn upsert(&mut self, source_fields: &[FieldMap], record: &CleanRecord) {
        self.seq += 1;
        let index = if let Some(index) = self.keys.get(&record.key) {
            *index
        } else {
            self.cases.push((record.key.clone(), Case::default()));
            self.keys.insert(record.key.clone(), self.cases.len() - 1);
            self.cases.len() - 1
        };
        let field_count = self.fields.len();
        let seq = self.seq;
        let (_, case) = &mut self.cases[index];
        case.slots.resize(field_count, None);
        case.updated_seq = seq;

        for update in &record.updates {
            let map = &source_fields[update.map];
            let Some(field) = self.fields.iter().position(|f| *f == map.field) else {
                continue;
            };
            merge_slot(&mut case.slots[field], &map.merge, update, &record.location);
        }
    }

    /// Iterates over cases with lookups resolved.
    pub fn iter_resolved(&self) -> impl Iterator<Item = ResolvedCase> + '_ {
        self.cases
            .iter()
            .map(move |(key, case)| self.resolve(key, case))
    }

    fn resolve(&self, key: &str, case: &Case) -> ResolvedCase {
        let mut values = Vec::with_capacity(self.fields.len());
        for (slot, chain) in case.slots.iter().zip(&self.chains) {
            let value = slot.as_ref().map(Slot::value);
            values.push(match (value, chain) {
                (Some(Value::Text(text)), Some((steps, keep))) => {
                    self.lookups.resolve(&text, steps, *keep)
                }
                (value, _) => value,
            });
        }
        values.resize(self.fields.len(), None);
        ResolvedCase {
            key: key.to_string(),
            seq: case.updated_seq,
            fields: self.fields.clone(),
            values,
        }
    }

    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    /// Takes the state a checkpoint saves: the cases in arrival order, the lookup tables
    /// and the arrival counter.
    pub fn to_saved(&self) -> SavedCases {
        SavedCases {
            cases: self.cases.clone(),
            lookups: self.lookups.clone(),
            seq: self.seq,
        }
    }

    /// Restores cases saved by `to_saved` under the same config.
    pub fn restore(&mut self, saved: SavedCases) {
        self.keys = saved
            .cases
            .iter()
            .enumerate()
            .map(|(index, (key, _))| (key.clone(), index))
            .collect();
        self.cases = saved.cases;
        self.lookups = saved.lookups;
        self.seq = saved.seq;
    }
}

fn merge_slot(
    slot: &mut Option<Slot>,
    merge: &Merge,
    update: &crate::normalize::FieldUpdate,
    location: &str,
) {
    match merge {
        Merge::Set => *slot = Some(Slot::Set(update.value.clone())),
        Merge::Latest { .. } => {
            let replace = match slot {
                Some(Slot::Ordered { order, .. }) => update.order >= *order,
                _ => true,
            };
            if replace {
                *slot = Some(Slot::Ordered {
                    order: update.order.clone(),
                    value: update.value.clone(),
                });
            }
        }
        Merge::First { .. } => {
            let replace = match slot {
                Some(Slot::Ordered { order, .. }) => update.order < *order,
                _ => true,
            };
            if replace {
                *slot = Some(Slot::Ordered {
                    order: update.order.clone(),
                    value: update.value.clone(),
                });
            }
        }
        Merge::Sum { by } => {
            let part = match (by, &update.order) {
                (Some(_), OrderKey::Missing) | (None, _) => location.to_string(),
                (Some(_), OrderKey::Text(text)) => text.clone(),
                (Some(_), other) => format!("{other:?}"),
            };
            let amount = update.value.as_f64().unwrap_or(0.0);
            match slot {
                Some(Slot::Sum(parts)) => {
                    parts.insert(part, amount);
                }
                _ => *slot = Some(Slot::Sum(BTreeMap::from([(part, amount)]))),
            }
        }
    }
}

/// The case store as a checkpoint saves it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SavedCases {
    cases: Vec<(String, Case)>,
    lookups: LookupTables,
    seq: u64,
}

/// A case with every lookup joined, as the metrics and the model read it.
#[derive(Debug, Clone)]
pub struct ResolvedCase {
    pub key: String,
    /// Arrival sequence of the newest record applied to the case.
    pub seq: u64,
    fields: std::sync::Arc<[String]>,
    values: Vec<Option<Value>>,
}

impl ResolvedCase {
    pub fn get(&self, field: &str) -> Option<&Value> {
        let index = self.fields.iter().position(|f| f == field)?;
        self.values.get(index)?.as_ref()
    }

    pub fn time(&self, field: &str) -> Option<i64> {
        self.get(field).and_then(Value::as_time)
    }

    pub fn number(&self, field: &str) -> Option<f64> {
        self.get(field).and_then(Value::as_f64)
    }

    pub fn text(&self, field: &str) -> Option<&str> {
        self.get(field).and_then(Value::as_text)
    }
}
