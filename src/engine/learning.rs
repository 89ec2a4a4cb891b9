//! The learned part of the engine: the serving satisfaction model with its challenger rule,
//! feedback sentiment and customer clusters, and the caches that keep scoring off the
//! refresh path.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::config::ModelSettings;
use crate::engine::ModelStatus;
use crate::ingest::fnv1a;
use crate::metrics::CaseFacts;
use crate::model::SatisfactionModel;
use crate::model::clusters::{self, Clusters};
use crate::model::sentiment::SentimentModel;

/// Everything one training run produces, built off the engine thread.
pub struct TrainingOutcome {
    pub regressor: Result<SatisfactionModel, String>,
    /// MAE of the serving model on the challenger's held-out cases.
    pub current_mae: Option<f64>,
    pub sentiment: SentimentModel,
    pub clusters: Clusters,
    pub rated: usize,
    /// Set when the run panicked, so nothing but the error is installed.
    pub panicked: bool,
}

impl TrainingOutcome {
    /// Builds the outcome of a run that panicked. Installing it changes nothing but the
    /// error shown.
    pub fn failed(reason: &str) -> TrainingOutcome {
        TrainingOutcome {
            regressor: Err(reason.to_string()),
            current_mae: None,
            sentiment: SentimentModel::lexicon_only(),
            clusters: Clusters::default(),
            rated: 0,
            panicked: true,
        }
    }
}

/// Trains a challenger regressor, the sentiment scorer and the clusters.
pub fn train(
    facts: &[CaseFacts],
    settings: &ModelSettings,
    version: u64,
    current: Option<&SatisfactionModel>,
) -> TrainingOutcome {
    let regressor = SatisfactionModel::train(facts, settings, version).map_err(|e| e.to_string());
    let current_mae = match (&regressor, current) {
        (Ok(challenger), Some(current)) => current.mae_on(facts, &challenger.test_keys),
        _ => None,
    };
    TrainingOutcome {
        regressor,
        current_mae,
        sentiment: SentimentModel::train(facts),
        clusters: clusters::cluster(facts, settings.clusters, settings.seed),
        rated: facts.iter().filter(|f| f.satisfaction.is_some()).count(),
        panicked: false,
    }
}

/// Cluster summary for the Model screen and the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterStatus {
    pub k: usize,
    pub silhouette: Option<f64>,
    pub clusters: Vec<clusters::ClusterSummary>,
}

pub struct Learning {
    model: Option<Arc<SatisfactionModel>>,
    sentiment: SentimentModel,
    clusters: Clusters,
    /// Prediction per case key with the case version it was made for.
    predictions: HashMap<String, (u64, f64)>,
    predicted_by: Option<u64>,
    predicted_lookups: u64,
    /// Sentiment per case key with a hash of the text it was computed from.
    sentiment_cache: HashMap<String, (u64, f64)>,
    pub status: ModelStatus,
    /// Rated cases when the last training started, for the retrain schedule.
    pub rated_at_training: usize,
    path: Option<PathBuf>,
}

impl Learning {
    /// Starts with the model saved at `path`, if any.
    pub fn new(path: Option<PathBuf>) -> Learning {
        let model = path.as_deref().and_then(SatisfactionModel::load);
        let mut status = ModelStatus::default();
        if let Some(model) = &model {
            log::info!(
                "loaded model v{} from {}",
                model.version,
                path.as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            status.version = Some(model.version);
            status.evaluation = Some(model.evaluation.clone());
        }
        Learning {
            model: model.map(Arc::new),
            sentiment: SentimentModel::lexicon_only(),
            clusters: Clusters::default(),
            predictions: HashMap::new(),
            predicted_by: None,
            predicted_lookups: 0,
            sentiment_cache: HashMap::new(),
            status,
            rated_at_training: 0,
            path,
        }
    }

    pub fn current(&self) -> Option<Arc<SatisfactionModel>> {
        self.model.clone()
    }

    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    pub fn cluster_labels(&self) -> &HashMap<String, String> {
        &self.clusters.labels
    }

    /// Installs a training outcome. The challenger replaces the serving model only when its
    /// held-out MAE is not worse than the serving model's on the same cases.
    pub fn install(&mut self, outcome: TrainingOutcome) {
        self.status.training = false;
        if let Err(err) = &outcome.regressor
            && outcome.panicked
        {
            log::error!("{err}");
            self.status.last_error = Some(err.clone());
            return;
        }
        self.sentiment = outcome.sentiment;
        self.status.sentiment = Some(self.sentiment.evaluation.clone());
        self.sentiment_cache.clear();
        self.clusters = outcome.clusters;
        self.status.clusters = ClusterStatus {
            k: self.clusters.k,
            silhouette: self.clusters.silhouette,
            clusters: self.clusters.clusters.clone(),
        };

        let challenger = match outcome.regressor {
            Ok(challenger) => challenger,
            Err(err) => {
                if self.model.is_some() {
                    log::warn!("model training failed, the previous model keeps serving: {err}");
                } else {
                    log::warn!("model training failed: {err}");
                }
                self.status.last_error = Some(err);
                return;
            }
        };
        let e = &challenger.evaluation;
        if let Some(current_mae) = outcome.current_mae
            && e.mae > current_mae
        {
            let message = format!(
                "challenger v{} rejected: held-out MAE {:.3} is worse than the serving model's {current_mae:.3} on the same {} cases",
                challenger.version, e.mae, e.tested_on
            );
            log::warn!("{message}");
            self.status.last_error = Some(message);
            self.status.rejected += 1;
            return;
        }
        log::info!(
            "model v{} serving: trained on {} cases, held-out MAE {:.3} against baseline {:.3}{}",
            challenger.version,
            e.trained_on,
            e.mae,
            e.baseline_mae,
            outcome
                .current_mae
                .map(|m| format!(", previous model {m:.3}"))
                .unwrap_or_default()
        );
        if let Some(path) = &self.path
            && let Err(err) = challenger.save(path)
        {
            log::error!(
                "failed to save model v{} to {}: {err:#}",
                challenger.version,
                path.display()
            );
        }
        self.status.version = Some(challenger.version);
        self.status.evaluation = Some(challenger.evaluation.clone());
        self.status.last_error = None;
        self.model = Some(Arc::new(challenger));
    }

    /// Fills `predicted` and `sentiment` of every case, scoring only cases that changed
    /// since they were last scored, or all after a model or lookup change.
    pub fn score(&mut self, facts: &mut [CaseFacts], lookup_version: u64) {
        self.score_sentiment(facts);
        let Some(model) = &self.model else {
            return;
        };
        let everything =
            self.predicted_by != Some(model.version) || self.predicted_lookups != lookup_version;
        let stale: Vec<&CaseFacts> = facts
            .iter()
            .filter(|f| {
                everything
                    || self
                        .predictions
                        .get(&f.key)
                        .is_none_or(|(seq, _)| *seq != f.seq)
            })
            .collect();
        if !stale.is_empty() {
            let seqs: HashMap<&str, u64> = stale.iter().map(|f| (f.key.as_str(), f.seq)).collect();
            for (key, value) in model.predict(&stale) {
                let seq = seqs.get(key.as_str()).copied().unwrap_or_default();
                self.predictions.insert(key, (seq, value));
            }
        }
        self.predicted_by = Some(model.version);
        self.predicted_lookups = lookup_version;
        for case in facts.iter_mut() {
            case.predicted = self.predictions.get(&case.key).map(|(_, value)| *value);
        }
    }

    fn score_sentiment(&mut self, facts: &mut [CaseFacts]) {
        let hash = |text: &str| fnv1a(text.as_bytes());
        let missing: Vec<usize> = facts
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.feedback.as_deref().is_some_and(|text| {
                    self.sentiment_cache
                        .get(&f.key)
                        .is_none_or(|(h, _)| *h != hash(text))
                })
            })
            .map(|(i, _)| i)
            .collect();
        if !missing.is_empty() {
            let texts: Vec<Option<&str>> = missing
                .iter()
                .map(|i| facts[*i].feedback.as_deref())
                .collect();
            let scores = self.sentiment.score_all(&texts);
            for (index, score) in missing.iter().zip(scores) {
                let case = &facts[*index];
                if let (Some(score), Some(text)) = (score, case.feedback.as_deref()) {
                    self.sentiment_cache
                        .insert(case.key.clone(), (hash(text), score));
                }
            }
        }
        for case in facts.iter_mut() {
            case.sentiment = case
                .feedback
                .as_ref()
                .and_then(|_| self.sentiment_cache.get(&case.key))
                .map(|(_, s)| *s);
        }
    }
}
