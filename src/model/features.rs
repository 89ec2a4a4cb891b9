//! The feature schema: how case facts become the finite numbers smartcore reads.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::metrics::CaseFacts;

/// Bumped whenever the features or their encoding change, so a saved model from an older
/// schema is retrained instead of fed the wrong columns.
pub const SCHEMA_VERSION: u32 = 1;

/// Stand-in for a missing number. The forest splits it off like any other value.
const MISSING: f64 = -1.0;
/// Stand-in for a missing lateness, which can itself be negative.
const MISSING_LATENESS: f64 = -999.0;
/// Categories kept per categorical feature; rarer ones share one code.
const MAX_CATEGORIES: usize = 60;

pub const FEATURE_NAMES: &[&str] = &[
    "first_response_minutes",
    "resolution_minutes",
    "resolved",
    "lateness_days",
    "promised_days",
    "amount",
    "purchase_count",
    "status",
    "category",
    "region",
];

/// Ordinal codes of the categorical features, learned from the training cases.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureSchema {
    pub version: u32,
    status: HashMap<String, usize>,
    category: HashMap<String, usize>,
    region: HashMap<String, usize>,
}

fn vocabulary<'a>(values: impl Iterator<Item = Option<&'a str>>) -> HashMap<String, usize> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for value in values.flatten() {
        *counts.entry(value).or_default() += 1;
    }
    let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    ranked
        .into_iter()
        .take(MAX_CATEGORIES)
        .enumerate()
        .map(|(code, (value, _))| (value.to_string(), code))
        .collect()
}

fn code(vocabulary: &HashMap<String, usize>, value: Option<&str>) -> f64 {
    let code = match value {
        Some(value) => vocabulary.get(value).copied().unwrap_or(vocabulary.len()),
        None => vocabulary.len() + 1,
    };
    code as f64
}

fn finite_or(value: Option<f64>, missing: f64) -> f64 {
    value.filter(|v| v.is_finite()).unwrap_or(missing)
}

impl FeatureSchema {
    pub fn learn(cases: &[&CaseFacts]) -> FeatureSchema {
        FeatureSchema {
            version: SCHEMA_VERSION,
            status: vocabulary(cases.iter().map(|c| c.status.as_deref())),
            category: vocabulary(cases.iter().map(|c| c.category.as_deref())),
            region: vocabulary(cases.iter().map(|c| c.region.as_deref())),
        }
    }

    /// Encodes one case; every value is finite.
    pub fn row(&self, case: &CaseFacts) -> [f64; FEATURE_NAMES.len()] {
        [
            finite_or(case.first_response_minutes, MISSING),
            finite_or(case.resolution_minutes, MISSING),
            f64::from(u8::from(case.resolved)),
            finite_or(case.lateness_days, MISSING_LATENESS),
            finite_or(case.promised_days, MISSING),
            finite_or(case.amount, MISSING),
            finite_or(case.purchases, MISSING),
            code(&self.status, case.status.as_deref()),
            code(&self.category, case.category.as_deref()),
            code(&self.region, case.region.as_deref()),
        ]
    }

    /// Encodes cases into one row-major buffer.
    pub fn matrix(&self, cases: &[&CaseFacts]) -> Vec<f64> {
        let mut values = Vec::with_capacity(cases.len() * FEATURE_NAMES.len());
        for case in cases {
            values.extend_from_slice(&self.row(case));
        }
        values
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "sentinels and exact sums compare exactly")]
mod tests {
    use super::*;

    #[test]
    fn non_finite_inputs_become_finite() {
        let case = CaseFacts {
            first_response_minutes: Some(f64::NAN),
            resolution_minutes: Some(f64::INFINITY),
            lateness_days: Some(f64::NEG_INFINITY),
            amount: None,
            status: Some("delivered".to_string()),
            ..CaseFacts::default()
        };
        let schema = FeatureSchema::learn(&[&case]);
        let row = schema.row(&case);
        assert!(row.iter().all(|v| v.is_finite()), "{row:?}");
        assert_eq!(row[0], MISSING);
        assert_eq!(row[3], MISSING_LATENESS);
        assert_eq!(row[7], 0.0, "the only status seen gets code 0");
    }

    #[test]
    fn unseen_and_missing_categories_get_own_codes() {
        let seen = CaseFacts {
            region: Some("SP".to_string()),
            ..CaseFacts::default()
        };
        let schema = FeatureSchema::learn(&[&seen]);
        let unseen = CaseFacts {
            region: Some("RJ".to_string()),
            ..CaseFacts::default()
        };
        assert_eq!(schema.row(&seen)[9], 0.0);
        assert_eq!(schema.row(&unseen)[9], 1.0);
        assert_eq!(schema.row(&CaseFacts::default())[9], 2.0);
    }
}
