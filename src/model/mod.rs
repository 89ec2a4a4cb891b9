//! The satisfaction regressor: a smartcore random forest on case features, evaluated on the
//! newest rated cases against the mean predictor, then used to predict every case.

mod features;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

use crate::config::ModelSettings;
use crate::metrics::CaseFacts;
pub use features::{FEATURE_NAMES, FeatureSchema, SCHEMA_VERSION};

type Forest = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

/// Held-out evaluation of a trained model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// How the held-out set was chosen: the newest cases by creation time.
    pub split: String,
    pub trained_on: usize,
    pub tested_on: usize,
    pub mae: f64,
    pub mse: f64,
    pub r2: f64,
    pub baseline_mae: f64,
    pub baseline_mse: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{rated} rated cases with a creation time; training needs at least {needed}")]
    NotEnoughRated { rated: usize, needed: usize },
    #[error("smartcore failed: {0}")]
    Fit(String),
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SatisfactionModel {
    pub version: u64,
    pub schema: FeatureSchema,
    pub evaluation: Evaluation,
    forest: Forest,
}

fn dense(rows: usize, values: Vec<f64>) -> Result<DenseMatrix<f64>, TrainError> {
    DenseMatrix::new(rows, FEATURE_NAMES.len(), values, false)
        .map_err(|e| TrainError::Fit(e.to_string()))
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

impl SatisfactionModel {
    /// Trains on the older rated cases and evaluates on the newest `test_share` of them.
    pub fn train(
        facts: &[CaseFacts],
        settings: &ModelSettings,
        version: u64,
    ) -> Result<Self, TrainError> {
        let mut rated: Vec<&CaseFacts> = facts
            .iter()
            .filter(|f| f.satisfaction.is_some_and(f64::is_finite) && f.event_time.is_some())
            .collect();
        if rated.len() < settings.min_rated {
            return Err(TrainError::NotEnoughRated {
                rated: rated.len(),
                needed: settings.min_rated,
            });
        }
        rated.sort_by(|a, b| {
            a.event_time
                .cmp(&b.event_time)
                .then_with(|| a.key.cmp(&b.key))
        });
        let test_len =
            ((rated.len() as f64 * settings.test_share).round() as usize).clamp(1, rated.len() - 1);
        let (train, test) = rated.split_at(rated.len() - test_len);

        let schema = FeatureSchema::learn(train);
        let target = |cases: &[&CaseFacts]| -> Vec<f64> {
            cases
                .iter()
                .map(|c| c.satisfaction.unwrap_or_default())
                .collect()
        };
        let (train_y, test_y) = (target(train), target(test));
        let parameters = RandomForestRegressorParameters::default()
            .with_n_trees(settings.trees)
            .with_max_depth(settings.max_depth)
            .with_min_samples_leaf(settings.min_samples_leaf)
            .with_m(FEATURE_NAMES.len())
            .with_seed(settings.seed);
        let forest = Forest::fit(
            &dense(train.len(), schema.matrix(train))?,
            &train_y,
            parameters,
        )
        .map_err(|e| TrainError::Fit(e.to_string()))?;

        let predicted = forest
            .predict(&dense(test.len(), schema.matrix(test))?)
            .map_err(|e| TrainError::Fit(e.to_string()))?;
        let baseline = mean(&train_y);
        let evaluation = evaluate(&predicted, &test_y, baseline, train.len());
        Ok(SatisfactionModel {
            version,
            schema,
            evaluation,
            forest,
        })
    }

    /// Predicts satisfaction for every case, clamped to the 1 to 5 scale, by case key.
    pub fn predict(&self, facts: &[CaseFacts]) -> HashMap<String, f64> {
        let cases: Vec<&CaseFacts> = facts.iter().collect();
        let mut predictions = HashMap::with_capacity(cases.len());
        // Chunks bound the size of each feature matrix.
        for chunk in cases.chunks(8192) {
            let Ok(matrix) = dense(chunk.len(), self.schema.matrix(chunk)) else {
                continue;
            };
            match self.forest.predict(&matrix) {
                Ok(values) => {
                    for (case, value) in chunk.iter().zip(values) {
                        predictions.insert(case.key.clone(), value.clamp(1.0, 5.0));
                    }
                }
                Err(err) => log::error!("model v{} failed to predict: {err}", self.version),
            }
        }
        predictions
    }
}

fn evaluate(predicted: &[f64], actual: &[f64], baseline: f64, trained_on: usize) -> Evaluation {
    let n = actual.len() as f64;
    let actual_mean = mean(actual);
    let mae = predicted
        .iter()
        .zip(actual)
        .map(|(p, a)| (p - a).abs())
        .sum::<f64>()
        / n;
    let mse = predicted
        .iter()
        .zip(actual)
        .map(|(p, a)| (p - a).powi(2))
        .sum::<f64>()
        / n;
    let baseline_mae = actual.iter().map(|a| (baseline - a).abs()).sum::<f64>() / n;
    let baseline_mse = actual.iter().map(|a| (baseline - a).powi(2)).sum::<f64>() / n;
    let total = actual
        .iter()
        .map(|a| (a - actual_mean).powi(2))
        .sum::<f64>()
        / n;
    let r2 = if total > 0.0 { 1.0 - mse / total } else { 0.0 };
    Evaluation {
        split: "time".to_string(),
        trained_on,
        tested_on: actual.len(),
        mae,
        mse,
        r2,
        baseline_mae,
        baseline_mse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ModelSettings {
        ModelSettings {
            min_rated: 10,
            trees: 10,
            max_depth: 6,
            min_samples_leaf: 2,
            test_share: 0.2,
            seed: 1,
        }
    }

    /// Cases whose rating falls with their lateness, so a forest can learn it.
    fn cases(count: usize) -> Vec<CaseFacts> {
        (0..count)
            .map(|i| {
                let late = (i % 10) as f64;
                CaseFacts {
                    key: format!("c{i}"),
                    event_time: Some(i as i64),
                    lateness_days: Some(late),
                    resolved: true,
                    satisfaction: Some(if late > 4.0 { 1.0 } else { 5.0 }),
                    ..CaseFacts::default()
                }
            })
            .collect()
    }

    #[test]
    fn forest_beats_mean_baseline() {
        let model = SatisfactionModel::train(&cases(300), &settings(), 1).expect("enough cases");
        let evaluation = &model.evaluation;
        assert_eq!(evaluation.trained_on, 240);
        assert_eq!(evaluation.tested_on, 60);
        assert!(
            evaluation.mae < evaluation.baseline_mae / 2.0,
            "{evaluation:?}"
        );
    }

    #[test]
    fn too_few_rated_is_an_error() {
        let error = SatisfactionModel::train(&cases(5), &settings(), 1).expect_err("five cases");
        assert!(matches!(
            error,
            TrainError::NotEnoughRated {
                rated: 5,
                needed: 10
            }
        ));
    }

    #[test]
    fn predicts_unrated_cases_within_scale() {
        let mut facts = cases(200);
        let model = SatisfactionModel::train(&facts, &settings(), 1).expect("enough cases");
        facts.push(CaseFacts {
            key: "unrated".to_string(),
            lateness_days: Some(f64::NAN),
            ..CaseFacts::default()
        });
        let predictions = model.predict(&facts);
        assert_eq!(predictions.len(), 201);
        let unrated = predictions["unrated"];
        assert!((1.0..=5.0).contains(&unrated), "{unrated}");
    }
}
