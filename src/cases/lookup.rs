//! Lookup tables: reference rows by key, replaced whole when a row with the same key arrives.

use std::collections::HashMap;

use crate::cases::Value;
use crate::config::LookupStep;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct LookupTables {
    tables: Vec<HashMap<String, HashMap<String, String>>>,
    /// Rows inserted so far, so readers can tell that joins may have changed.
    #[serde(default)]
    pub version: u64,
}

impl LookupTables {
    pub fn new(count: usize) -> LookupTables {
        LookupTables {
            tables: vec![HashMap::new(); count],
            version: 0,
        }
    }

    /// Stores a lookup row; a later row with the same key replaces the earlier one.
    pub fn insert(&mut self, table: usize, key: String, row: HashMap<String, String>) {
        // A store restored from an empty checkpoint has no tables yet.
        if self.tables.len() <= table {
            self.tables.resize_with(table + 1, HashMap::new);
        }
        self.tables[table].insert(key, row);
        self.version += 1;
    }

    pub fn rows(&self, table: usize) -> usize {
        self.tables.get(table).map_or(0, HashMap::len)
    }

    /// Follows a lookup chain from `start`. A missing row or an empty value ends the chain:
    /// with `keep` the value reached by the last successful step is returned, else none.
    pub fn resolve(&self, start: &str, steps: &[LookupStep], keep: bool) -> Option<Value> {
        let mut current = start.to_string();
        let mut joined = false;
        for step in steps {
            let next = self
                .tables
                .get(step.table)
                .and_then(|table| table.get(&current))
                .and_then(|row| row.get(&step.column))
                .filter(|value| !value.is_empty());
            match next {
                Some(value) => {
                    current.clone_from(value);
                    joined = true;
                }
                None if keep && joined => return Some(Value::Text(current)),
                None => return None,
            }
        }
        Some(Value::Text(current))
    }
}
