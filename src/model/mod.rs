//! Models: the satisfaction regressor (a smartcore random forest on case features), customer
//! clusters and feedback sentiment.
//!
//! The regressor reads no feedback text. In exports like Olist the text arrives together
//! with the rating, so a text feature would look excellent on held-out rated cases and tell
//! nothing about the unrated cases the model is for. The held-out error is still reported
//! separately for cases with and without text, to show that gap.

pub mod clusters;
mod features;
pub mod sentiment;

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

use crate::config::ModelSettings;
use crate::metrics::CaseFacts;
pub use features::{FEATURE_NAMES, FeatureSchema, SCHEMA_VERSION};

type Forest = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

/// Error figures of predictions against actual ratings, next to the mean predictor's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorFigures {
    pub tested_on: usize,
    pub mae: f64,
    pub mse: f64,
    pub r2: f64,
    pub baseline_mae: f64,
    pub baseline_mse: f64,
}

/// Held-out evaluation of a trained model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Held-out set of the main figures: "time", the newest cases by creation time.
    pub split: String,
    pub trained_on: usize,
    pub tested_on: usize,
    pub mae: f64,
    pub mse: f64,
    pub r2: f64,
    pub baseline_mae: f64,
    pub baseline_mse: f64,
    /// The same model settings evaluated on a random 80/20 split of the same cases.
    pub random_split: Option<ErrorFigures>,
    /// Time-split error on held-out cases that have feedback text, and on those without.
    pub with_text: Option<ErrorFigures>,
    pub without_text: Option<ErrorFigures>,
    /// Mean absolute error increase on the held-out set when one feature is shuffled.
    pub importance: Vec<(String, f64)>,
    /// Rated cases left out because their rating or time was missing or not finite.
    pub dropped_rows: usize,
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
    /// Keys of the held-out cases, so a challenger and the current model can be compared
    /// on the same cases.
    #[serde(skip)]
    pub test_keys: Vec<String>,
}

fn dense(rows: usize, values: Vec<f64>) -> Result<DenseMatrix<f64>, TrainError> {
    DenseMatrix::new(rows, FEATURE_NAMES.len(), values, false)
        .map_err(|e| TrainError::Fit(e.to_string()))
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// A small deterministic generator for sampling and shuffling.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % bound.max(1) as u64) as usize
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Keeps at most `size` items, each with equal chance (reservoir sampling), in input order.
fn reservoir<'a>(items: &[&'a CaseFacts], size: usize, random: &mut Lcg) -> Vec<&'a CaseFacts> {
    if items.len() <= size {
        return items.to_vec();
    }
    let mut kept: Vec<usize> = (0..size).collect();
    for index in size..items.len() {
        let slot = random.below(index + 1);
        if slot < size {
            kept[slot] = index;
        }
    }
    kept.sort_unstable();
    kept.into_iter().map(|i| items[i]).collect()
}

fn target(cases: &[&CaseFacts]) -> Vec<f64> {
    cases
        .iter()
        .map(|c| c.satisfaction.unwrap_or_default())
        .collect()
}

fn fit(
    schema: &FeatureSchema,
    train: &[&CaseFacts],
    settings: &ModelSettings,
) -> Result<Forest, TrainError> {
    let parameters = RandomForestRegressorParameters::default()
        .with_n_trees(settings.trees)
        .with_max_depth(settings.max_depth)
        .with_min_samples_leaf(settings.min_samples_leaf)
        .with_m(FEATURE_NAMES.len())
        .with_seed(settings.seed);
    Forest::fit(
        &dense(train.len(), schema.matrix(train))?,
        &target(train),
        parameters,
    )
    .map_err(|e| TrainError::Fit(e.to_string()))
}

fn predict_rows(forest: &Forest, rows: usize, values: Vec<f64>) -> Result<Vec<f64>, TrainError> {
    forest
        .predict(&dense(rows, values)?)
        .map_err(|e| TrainError::Fit(e.to_string()))
}

impl SatisfactionModel {
    /// Trains on the older rated cases and evaluates on the newest `test_share` of them,
    /// using at most `sample_size` rated cases drawn by reservoir sampling.
    pub fn train(
        facts: &[CaseFacts],
        settings: &ModelSettings,
        version: u64,
    ) -> Result<Self, TrainError> {
        let rated_all: Vec<&CaseFacts> =
            facts.iter().filter(|f| f.satisfaction.is_some()).collect();
        let usable: Vec<&CaseFacts> = rated_all
            .iter()
            .copied()
            .filter(|f| f.satisfaction.is_some_and(f64::is_finite) && f.event_time.is_some())
            .collect();
        let dropped_rows = rated_all.len() - usable.len();
        // Both the training and the held-out part need at least one case, whatever the
        // settings are.
        if usable.len() < settings.min_rated.max(2) || settings.sample_size < 2 {
            return Err(TrainError::NotEnoughRated {
                rated: usable.len(),
                needed: settings.min_rated,
            });
        }
        let mut random = Lcg(settings.seed);
        let mut rated = reservoir(&usable, settings.sample_size, &mut random);
        rated.sort_by(|a, b| {
            a.event_time
                .cmp(&b.event_time)
                .then_with(|| a.key.cmp(&b.key))
        });
        let test_len =
            ((rated.len() as f64 * settings.test_share).round() as usize).clamp(1, rated.len() - 1);
        let (train, test) = rated.split_at(rated.len() - test_len);

        let schema = FeatureSchema::learn(train);
        let forest = fit(&schema, train, settings)?;
        let baseline = mean(&target(train));
        let predicted = predict_rows(&forest, test.len(), schema.matrix(test))?;
        let main = error_figures(&predicted, &target(test), baseline);

        let split_by_text = |with: bool| {
            let (p, a): (Vec<f64>, Vec<f64>) = test
                .iter()
                .zip(&predicted)
                .filter(|(c, _)| {
                    c.feedback.as_deref().is_some_and(|t| !t.trim().is_empty()) == with
                })
                .map(|(c, p)| (*p, c.satisfaction.unwrap_or_default()))
                .unzip();
            (!a.is_empty()).then(|| error_figures(&p, &a, baseline))
        };
        let importance = permutation_importance(&forest, &schema, test, main.mae, &mut random)?;
        let random_split = random_split(&rated, test_len, settings, &mut random).ok();

        let evaluation = Evaluation {
            split: "time".to_string(),
            trained_on: train.len(),
            tested_on: test.len(),
            mae: main.mae,
            mse: main.mse,
            r2: main.r2,
            baseline_mae: main.baseline_mae,
            baseline_mse: main.baseline_mse,
            random_split,
            with_text: split_by_text(true),
            without_text: split_by_text(false),
            importance,
            dropped_rows,
        };
        let test_keys = test.iter().map(|c| c.key.clone()).collect();
        Ok(SatisfactionModel {
            version,
            schema,
            evaluation,
            forest,
            test_keys,
        })
    }

    /// Mean absolute error of this model on the cases with the given keys that are rated.
    pub fn mae_on(&self, facts: &[CaseFacts], keys: &[String]) -> Option<f64> {
        let requested: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
        let cases: Vec<&CaseFacts> = facts
            .iter()
            .filter(|f| {
                requested.contains(f.key.as_str()) && f.satisfaction.is_some_and(f64::is_finite)
            })
            .collect();
        if cases.is_empty() {
            return None;
        }
        let predicted = predict_rows(&self.forest, cases.len(), self.schema.matrix(&cases)).ok()?;
        let actual = target(&cases);
        Some(
            predicted
                .iter()
                .zip(&actual)
                .map(|(p, a)| (p.clamp(1.0, 5.0) - a).abs())
                .sum::<f64>()
                / actual.len() as f64,
        )
    }

    /// Predicts satisfaction for the given cases, clamped to the 1 to 5 scale, by case key.
    /// Rows are split across the available cores, because smartcore predicts one row at a
    /// time.
    pub fn predict(&self, facts: &[&CaseFacts]) -> HashMap<String, f64> {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let chunk = facts.len().div_ceil(threads).clamp(256, 8192);
        let results: Vec<Vec<(String, f64)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = facts
                .chunks(chunk)
                .map(|part| scope.spawn(move || self.predict_chunk(part)))
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        results.into_iter().flatten().collect()
    }

    fn predict_chunk(&self, cases: &[&CaseFacts]) -> Vec<(String, f64)> {
        match predict_rows(&self.forest, cases.len(), self.schema.matrix(cases)) {
            Ok(values) => cases
                .iter()
                .zip(values)
                .map(|(c, v)| (c.key.clone(), v.clamp(1.0, 5.0)))
                .collect(),
            Err(err) => {
                log::error!("model v{} failed to predict: {err}", self.version);
                Vec::new()
            }
        }
    }

    /// Saves the model to `path` atomically.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec(self)?;
        crate::export::write_atomic(path, &bytes)?;
        Ok(())
    }

    /// Loads a saved model; `None` when there is none or its feature schema is older.
    pub fn load(path: &Path) -> Option<SatisfactionModel> {
        let bytes = std::fs::read(path).ok()?;
        match serde_json::from_slice::<SatisfactionModel>(&bytes) {
            Ok(model) if model.schema.version == SCHEMA_VERSION => Some(model),
            Ok(_) => {
                log::info!(
                    "{} has an older feature schema; a new model will be trained",
                    path.display()
                );
                None
            }
            Err(err) => {
                log::warn!(
                    "{} is invalid ({err}); a new model will be trained",
                    path.display()
                );
                None
            }
        }
    }
}

fn random_split(
    rated: &[&CaseFacts],
    test_len: usize,
    settings: &ModelSettings,
    random: &mut Lcg,
) -> Result<ErrorFigures, TrainError> {
    let mut shuffled = rated.to_vec();
    random.shuffle(&mut shuffled);
    let (train, test) = shuffled.split_at(shuffled.len() - test_len);
    let schema = FeatureSchema::learn(train);
    let forest = fit(&schema, train, settings)?;
    let predicted = predict_rows(&forest, test.len(), schema.matrix(test))?;
    Ok(error_figures(
        &predicted,
        &target(test),
        mean(&target(train)),
    ))
}

/// Increase of the held-out MAE when one feature column is shuffled, per feature, largest
/// first.
fn permutation_importance(
    forest: &Forest,
    schema: &FeatureSchema,
    test: &[&CaseFacts],
    base_mae: f64,
    random: &mut Lcg,
) -> Result<Vec<(String, f64)>, TrainError> {
    let width = FEATURE_NAMES.len();
    let values = schema.matrix(test);
    let actual = target(test);
    let mut importance = Vec::with_capacity(width);
    for (column, name) in FEATURE_NAMES.iter().enumerate() {
        let mut order: Vec<usize> = (0..test.len()).collect();
        random.shuffle(&mut order);
        let mut permuted = values.clone();
        for (row, source) in order.iter().enumerate() {
            permuted[row * width + column] = values[source * width + column];
        }
        let predicted = predict_rows(forest, test.len(), permuted)?;
        let mae = predicted
            .iter()
            .zip(&actual)
            .map(|(p, a)| (p - a).abs())
            .sum::<f64>()
            / actual.len() as f64;
        importance.push(((*name).to_string(), mae - base_mae));
    }
    importance.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(importance)
}

fn error_figures(predicted: &[f64], actual: &[f64], baseline: f64) -> ErrorFigures {
    let n = actual.len().max(1) as f64;
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
    ErrorFigures {
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
            seed: 1,
            ..ModelSettings::default()
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
                    feedback: (i % 2 == 0).then(|| "text".to_string()),
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
        let random = evaluation.random_split.expect("random split");
        assert!(random.mae < random.baseline_mae / 2.0, "{random:?}");
        assert_eq!(
            evaluation.with_text.expect("with text").tested_on
                + evaluation.without_text.expect("without text").tested_on,
            60
        );
        assert_eq!(
            evaluation.importance[0].0, "lateness_days",
            "{:?}",
            evaluation.importance
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
    fn non_finite_rows_are_dropped_and_counted() {
        let mut facts = cases(100);
        facts[3].satisfaction = Some(f64::NAN);
        facts[4].satisfaction = Some(f64::INFINITY);
        facts[5].event_time = None;
        facts[6].amount = Some(f64::NAN);
        facts[7].resolution_minutes = Some(f64::NEG_INFINITY);
        let model = SatisfactionModel::train(&facts, &settings(), 1).expect("enough cases");
        assert_eq!(model.evaluation.dropped_rows, 3);
        assert_eq!(model.evaluation.trained_on + model.evaluation.tested_on, 97);
        assert!(model.evaluation.mae.is_finite());
    }

    #[test]
    fn reservoir_bounds_training_rows() {
        let limited = ModelSettings {
            sample_size: 50,
            ..settings()
        };
        let model = SatisfactionModel::train(&cases(400), &limited, 1).expect("enough cases");
        assert_eq!(model.evaluation.trained_on + model.evaluation.tested_on, 50);
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
        let all: Vec<&CaseFacts> = facts.iter().collect();
        let predictions = model.predict(&all);
        assert_eq!(predictions.len(), 201);
        let unrated = predictions["unrated"];
        assert!((1.0..=5.0).contains(&unrated), "{unrated}");
    }

    #[test]
    fn saved_model_predicts_the_same() {
        let temp = tempfile::tempdir().expect("temp dir");
        let facts = cases(200);
        let all: Vec<&CaseFacts> = facts.iter().collect();
        let model = SatisfactionModel::train(&facts, &settings(), 4).expect("enough cases");
        let path = temp.path().join("model.json");
        model.save(&path).expect("save");
        let loaded = SatisfactionModel::load(&path).expect("load");
        assert_eq!(loaded.version, 4);
        assert_eq!(loaded.evaluation, model.evaluation);
        assert_eq!(loaded.predict(&all), model.predict(&all));
    }
}
