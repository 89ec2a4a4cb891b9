//! Figures over a set of cases: satisfaction, the tier-weighted indices, time percentiles,
//! SLA attainment, backlog and predictions.

use std::collections::HashMap;

use serde::Serialize;
use sketches_ddsketch::{Config as SketchConfig, DDSketch};

use crate::metrics::CaseFacts;

/// Relative error bound of the p50 and p90 figures: a reported quantile q' lies within
/// 1% of a value whose rank is the requested one.
pub const QUANTILE_RELATIVE_ERROR: f64 = 0.01;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Quantiles {
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub cases: u64,
    pub rated: u64,
    pub csat_mean: Option<f64>,
    pub csat_pct: Option<f64>,
    pub satisfaction_index: Option<f64>,
    pub loyalty_index: Option<f64>,
    pub repeat_rate: Option<f64>,
    pub first_response_minutes: Quantiles,
    pub resolution_minutes: Quantiles,
    pub sla_attainment: Option<f64>,
    /// Resolved cases with a due time: the sample behind `sla_attainment`.
    pub sla_cases: u64,
    /// Cases not resolved yet.
    pub backlog: u64,
    pub predicted_csat_mean: Option<f64>,
    pub negative_feedback_share: Option<f64>,
    /// Cases with scored feedback text: the sample behind `negative_feedback_share`.
    pub feedback_cases: u64,
}

impl Figures {
    /// Returns a figure by the name alert rules use, with the sample count behind it.
    pub fn metric(&self, name: &str) -> Option<(f64, u64)> {
        match name {
            "csat_mean" => self.csat_mean.map(|v| (v, self.rated)),
            "csat_pct" => self.csat_pct.map(|v| (v, self.rated)),
            "satisfaction_index" => self.satisfaction_index.map(|v| (v, self.rated)),
            "sla_attainment" => self.sla_attainment.map(|v| (v, self.sla_cases)),
            "first_response_p90_minutes" => {
                self.first_response_minutes.p90.map(|v| (v, self.cases))
            }
            "resolution_p90_minutes" => self.resolution_minutes.p90.map(|v| (v, self.cases)),
            "predicted_csat_mean" => self.predicted_csat_mean.map(|v| (v, self.cases)),
            "backlog" => Some((self.backlog as f64, self.cases)),
            _ => None,
        }
    }
}

/// Tier-weighted mean: the sum of weight times mean over tiers present, divided by the sum
/// of their weights. Tiers with no mean are left out of both sums.
pub fn weighted_index(tiers: &[(f64, Option<f64>)]) -> Option<f64> {
    let (sum, weights) = tiers
        .iter()
        .filter_map(|(weight, mean)| mean.map(|m| (weight * m, *weight)))
        .fold((0.0, 0.0), |(s, w), (ws, wt)| (s + ws, w + wt));
    (weights > 0.0).then(|| sum / weights)
}

/// Accumulates figures case by case.
pub struct FiguresBuilder<'a> {
    tier_weights: &'a [f64],
    figures: Figures,
    satisfaction_sum: f64,
    satisfied: u64,
    first_response: DDSketch,
    resolution: DDSketch,
    sla_met: u64,
    predicted_sum: f64,
    predicted: u64,
    tier_ratings: Vec<(f64, u64)>,
    /// Per person: tier and total order amount over the cases added.
    people: HashMap<&'a str, (usize, Option<f64>)>,
    sentiment_negative: u64,
    sentiment_scored: u64,
}

fn sketch() -> DDSketch {
    DDSketch::new(SketchConfig::new(QUANTILE_RELATIVE_ERROR, 4096, 1e-9))
}

impl<'a> FiguresBuilder<'a> {
    pub fn new(tier_weights: &'a [f64]) -> Self {
        FiguresBuilder {
            tier_weights,
            figures: Figures::default(),
            satisfaction_sum: 0.0,
            satisfied: 0,
            first_response: sketch(),
            resolution: sketch(),
            sla_met: 0,
            predicted_sum: 0.0,
            predicted: 0,
            tier_ratings: vec![(0.0, 0); tier_weights.len()],
            people: HashMap::new(),
            sentiment_negative: 0,
            sentiment_scored: 0,
        }
    }

    pub fn add(&mut self, case: &'a CaseFacts) {
        let figures = &mut self.figures;
        figures.cases += 1;
        if let Some(score) = case.satisfaction {
            figures.rated += 1;
            self.satisfaction_sum += score;
            if score >= 4.0 {
                self.satisfied += 1;
            }
            if let Some(tier) = case.tier {
                self.tier_ratings[tier].0 += score;
                self.tier_ratings[tier].1 += 1;
            }
        }
        if let Some(minutes) = case.first_response_minutes {
            self.first_response.add(minutes);
        }
        if let Some(minutes) = case.resolution_minutes {
            self.resolution.add(minutes);
        }
        if !case.resolved {
            figures.backlog += 1;
        }
        if let Some(on_time) = case.on_time {
            figures.sla_cases += 1;
            self.sla_met += u64::from(on_time);
        }
        if let Some(prediction) = case.predicted {
            self.predicted_sum += prediction;
            self.predicted += 1;
        }
        if let Some(sentiment) = case.sentiment {
            self.sentiment_scored += 1;
            self.sentiment_negative += u64::from(sentiment < 0.0);
        }
        if let (Some(person), Some(tier)) = (case.person.as_deref(), case.tier) {
            let entry = self.people.entry(person).or_insert((tier, None));
            if let Some(amount) = case.amount {
                entry.1 = Some(entry.1.unwrap_or(0.0) + amount);
            }
        }
    }

    pub fn finish(mut self) -> Figures {
        let ratio = |part: u64, whole: u64| (whole > 0).then(|| part as f64 / whole as f64);
        let figures = &mut self.figures;
        figures.csat_mean =
            (figures.rated > 0).then(|| self.satisfaction_sum / figures.rated as f64);
        figures.csat_pct = ratio(self.satisfied, figures.rated);
        figures.sla_attainment = ratio(self.sla_met, figures.sla_cases);
        figures.predicted_csat_mean =
            (self.predicted > 0).then(|| self.predicted_sum / self.predicted as f64);
        figures.negative_feedback_share = ratio(self.sentiment_negative, self.sentiment_scored);
        figures.feedback_cases = self.sentiment_scored;
        figures.first_response_minutes = quantiles(&self.first_response);
        figures.resolution_minutes = quantiles(&self.resolution);

        let satisfaction: Vec<(f64, Option<f64>)> = self
            .tier_weights
            .iter()
            .zip(&self.tier_ratings)
            .map(|(weight, (sum, count))| (*weight, (*count > 0).then(|| sum / *count as f64)))
            .collect();
        figures.satisfaction_index = weighted_index(&satisfaction);

        let mut spend = vec![(0.0, 0_u64); self.tier_weights.len()];
        for (tier, amount) in self.people.values() {
            if let Some(amount) = amount {
                spend[*tier].0 += amount;
                spend[*tier].1 += 1;
            }
        }
        let loyalty: Vec<(f64, Option<f64>)> = self
            .tier_weights
            .iter()
            .zip(&spend)
            .map(|(weight, (sum, count))| (*weight, (*count > 0).then(|| sum / *count as f64)))
            .collect();
        figures.loyalty_index = weighted_index(&loyalty);
        figures.repeat_rate = repeat_rate(&self.people, self.tier_weights.len());
        self.figures
    }
}

/// Share of people in any tier but the lowest, that is with more than one purchase when
/// the lowest tier starts at one.
fn repeat_rate(people: &HashMap<&str, (usize, Option<f64>)>, tiers: usize) -> Option<f64> {
    if people.is_empty() || tiers < 2 {
        return None;
    }
    let lowest = tiers - 1;
    let repeat = people.values().filter(|(tier, _)| *tier != lowest).count();
    Some(repeat as f64 / people.len() as f64)
}

fn quantiles(sketch: &DDSketch) -> Quantiles {
    let at = |q| sketch.quantile(q).ok().flatten();
    Quantiles {
        p50: at(0.5),
        p90: at(0.9),
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "sentinels and exact sums compare exactly")]
mod tests {
    use super::*;

    fn customer(person: String, tier: usize, score: f64, amount: f64) -> CaseFacts {
        CaseFacts {
            person: Some(person),
            tier: Some(tier),
            satisfaction: Some(score),
            amount: Some(amount),
            resolved: true,
            ..CaseFacts::default()
        }
    }

    #[test]
    fn worked_example_gives_sm_and_cl() {
        // 60 frequent customers rating 4.5 (weight 0.7) and 40 occasional ones rating 3.5
        // (weight 0.3), with mean spends 3000 and 2000.
        let weights = [0.7, 0.3];
        let mut cases = Vec::new();
        for i in 0..60 {
            cases.push(customer(format!("frequent-{i}"), 0, 4.5, 3000.0));
        }
        for i in 0..40 {
            cases.push(customer(format!("occasional-{i}"), 1, 3.5, 2000.0));
        }
        let mut builder = FiguresBuilder::new(&weights);
        for case in &cases {
            builder.add(case);
        }
        let figures = builder.finish();

        let sm = figures.satisfaction_index.expect("both tiers are rated");
        let cl = figures.loyalty_index.expect("both tiers have spend");
        assert!((sm - 4.2).abs() < 1e-9, "SM was {sm}");
        assert!((cl - 2700.0).abs() < 1e-9, "CL was {cl}");
        assert_eq!(figures.repeat_rate, Some(0.6));
    }

    #[test]
    fn weighted_index_skips_absent_tiers() {
        assert_eq!(weighted_index(&[(0.7, None), (0.3, Some(2.0))]), Some(2.0));
        assert_eq!(weighted_index(&[(0.7, None)]), None);
    }

    #[test]
    fn csat_pct_counts_four_and_five() {
        let weights = [1.0];
        let cases: Vec<CaseFacts> = [1.0, 2.0, 4.0, 5.0]
            .iter()
            .map(|s| CaseFacts {
                satisfaction: Some(*s),
                ..CaseFacts::default()
            })
            .collect();
        let mut builder = FiguresBuilder::new(&weights);
        for case in &cases {
            builder.add(case);
        }
        let figures = builder.finish();
        assert_eq!(figures.rated, 4);
        assert_eq!(figures.csat_mean, Some(3.0));
        assert_eq!(figures.csat_pct, Some(0.5));
        assert_eq!(figures.backlog, 4);
    }
}
