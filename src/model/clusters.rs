//! Customer clusters: k-means on standardized per-customer features, each cluster named
//! from its centroid ("frequent, high spend, unhappy").

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use smartcore::cluster::kmeans::{KMeans, KMeansParameters};
use smartcore::linalg::basic::matrix::DenseMatrix;

use crate::metrics::CaseFacts;

/// Feature names with the words for a centroid far above and far below the mean.
const FEATURES: [(&str, &str, &str); 5] = [
    ("purchases", "frequent", "one-time"),
    ("spend", "high spend", "low spend"),
    ("rating", "happy", "unhappy"),
    ("resolution", "slow resolution", "fast resolution"),
    ("late share", "often late", "on time"),
];
/// Standard deviations from the mean that make a centroid feature worth naming.
const NOTABLE: f64 = 0.5;
/// Customers sampled to compute the silhouette, which costs the square of their count.
const SILHOUETTE_SAMPLE: usize = 1500;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterSummary {
    pub label: String,
    pub customers: usize,
    /// Centroid in standard deviations from the mean, in `FEATURES` order.
    pub centroid: Vec<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Clusters {
    pub k: usize,
    pub silhouette: Option<f64>,
    pub clusters: Vec<ClusterSummary>,
    /// Cluster label by person.
    #[serde(skip)]
    pub labels: HashMap<String, String>,
}

fn customer_rows(facts: &[CaseFacts]) -> (Vec<String>, Vec<[f64; 5]>) {
    #[derive(Default)]
    struct Acc {
        cases: f64,
        spend: f64,
        ratings: (f64, f64),
        resolution: (f64, f64),
        late: (f64, f64),
    }
    let mut people: BTreeMap<&str, Acc> = BTreeMap::new();
    for case in facts {
        let Some(person) = case.person.as_deref() else {
            continue;
        };
        let acc = people.entry(person).or_default();
        acc.cases += 1.0;
        acc.spend += case.amount.filter(|a| a.is_finite()).unwrap_or(0.0);
        if let Some(score) = case.satisfaction.filter(|s| s.is_finite()) {
            acc.ratings.0 += score;
            acc.ratings.1 += 1.0;
        }
        if let Some(minutes) = case.resolution_minutes.filter(|m| m.is_finite()) {
            acc.resolution.0 += minutes;
            acc.resolution.1 += 1.0;
        }
        if let Some(on_time) = case.on_time {
            acc.late.0 += f64::from(u8::from(!on_time));
            acc.late.1 += 1.0;
        }
    }
    let mean_of = |pairs: Vec<(f64, f64)>| {
        let (sum, count) = pairs
            .iter()
            .fold((0.0, 0.0), |(s, c), (ps, pc)| (s + ps, c + pc));
        if count > 0.0 { sum / count } else { 0.0 }
    };
    let rating_mean = mean_of(people.values().map(|a| a.ratings).collect());
    let resolution_mean = mean_of(people.values().map(|a| a.resolution).collect());
    let ratio =
        |(sum, count): (f64, f64), missing: f64| if count > 0.0 { sum / count } else { missing };

    let names = people.keys().map(|p| (*p).to_string()).collect();
    let rows = people
        .values()
        .map(|a| {
            [
                a.cases,
                a.spend,
                ratio(a.ratings, rating_mean),
                ratio(a.resolution, resolution_mean),
                ratio(a.late, 0.0),
            ]
        })
        .collect();
    (names, rows)
}

/// Scales each column to mean 0 and standard deviation 1; a constant column becomes 0.
fn standardize(rows: &mut [[f64; 5]]) {
    let n = rows.len() as f64;
    for column in 0..5 {
        let mean = rows.iter().map(|r| r[column]).sum::<f64>() / n;
        let variance = rows.iter().map(|r| (r[column] - mean).powi(2)).sum::<f64>() / n;
        let deviation = variance.sqrt();
        for row in rows.iter_mut() {
            row[column] = if deviation > 1e-12 {
                (row[column] - mean) / deviation
            } else {
                0.0
            };
        }
    }
}

fn distance(a: &[f64; 5], b: &[f64; 5]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Mean silhouette of the labelled rows; `None` with fewer than two clusters.
fn silhouette(rows: &[[f64; 5]], labels: &[usize], k: usize) -> Option<f64> {
    let mut total = 0.0;
    let mut counted = 0.0;
    for (i, row) in rows.iter().enumerate() {
        let mut sums = vec![(0.0, 0_usize); k];
        for (j, other) in rows.iter().enumerate() {
            if i != j {
                sums[labels[j]].0 += distance(row, other);
                sums[labels[j]].1 += 1;
            }
        }
        let own = sums[labels[i]];
        if own.1 == 0 {
            continue;
        }
        let a = own.0 / own.1 as f64;
        let b = sums
            .iter()
            .enumerate()
            .filter(|(c, s)| *c != labels[i] && s.1 > 0)
            .map(|(_, s)| s.0 / s.1 as f64)
            .fold(f64::INFINITY, f64::min);
        if b.is_finite() {
            let spread = a.max(b);
            total += if spread > 0.0 { (b - a) / spread } else { 0.0 };
            counted += 1.0;
        }
    }
    (counted > 0.0).then(|| total / counted)
}

fn fit(rows: &[[f64; 5]], k: usize, seed: u64) -> Option<Vec<usize>> {
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    let matrix = DenseMatrix::new(rows.len(), 5, flat, false).ok()?;
    let mut parameters = KMeansParameters::default().with_k(k).with_max_iter(100);
    parameters.seed = Some(seed);
    let model: KMeans<f64, usize, DenseMatrix<f64>, Vec<usize>> =
        KMeans::fit(&matrix, parameters).ok()?;
    let labels = model.predict(&matrix).ok()?;
    labels.iter().all(|l| *l < k).then_some(labels)
}

fn label(centroid: &[f64]) -> String {
    let mut notable: Vec<(f64, &str)> = centroid
        .iter()
        .zip(FEATURES)
        .filter(|(z, _)| z.abs() >= NOTABLE)
        .map(|(z, (_, high, low))| (z.abs(), if *z > 0.0 { high } else { low }))
        .collect();
    notable.sort_by(|a, b| b.0.total_cmp(&a.0));
    if notable.is_empty() {
        return "typical".to_string();
    }
    notable
        .iter()
        .take(3)
        .map(|(_, word)| *word)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Clusters the customers in `facts` into `k` groups, or the k from 2 to 6 with the best
/// silhouette when `k` is `None`. Works for any input: fewer distinct customers than k
/// lowers k, and a single distinct customer profile gives one cluster.
pub fn cluster(facts: &[CaseFacts], k: Option<usize>, seed: u64) -> Clusters {
    let (names, mut rows) = customer_rows(facts);
    if rows.is_empty() {
        return Clusters::default();
    }
    standardize(&mut rows);
    let distinct: HashSet<[u64; 5]> = rows.iter().map(|r| r.map(f64::to_bits)).collect();
    let max_k = distinct.len().min(k.unwrap_or(6));

    let step = rows.len().div_ceil(SILHOUETTE_SAMPLE).max(1);
    let sample: Vec<usize> = (0..rows.len()).step_by(step).collect();
    let sample_rows: Vec<[f64; 5]> = sample.iter().map(|i| rows[*i]).collect();
    let candidates: Vec<usize> = match k {
        Some(k) => vec![k.min(max_k)],
        None => (2..=max_k).collect(),
    };
    let mut best: Option<(usize, Vec<usize>, Option<f64>)> = None;
    for candidate in candidates.into_iter().filter(|k| *k >= 2) {
        let Some(labels) = fit(&rows, candidate, seed) else {
            continue;
        };
        let sample_labels: Vec<usize> = sample.iter().map(|i| labels[*i]).collect();
        let score = silhouette(&sample_rows, &sample_labels, candidate);
        if best
            .as_ref()
            .is_none_or(|(_, _, s)| score.unwrap_or(-1.0) > s.unwrap_or(-1.0))
        {
            best = Some((candidate, labels, score));
        }
    }
    let (k, labels, score) = best.unwrap_or_else(|| (1, vec![0; rows.len()], None));

    let mut clusters: Vec<ClusterSummary> = (0..k)
        .map(|cluster| {
            let members: Vec<&[f64; 5]> = rows
                .iter()
                .zip(&labels)
                .filter(|(_, l)| **l == cluster)
                .map(|(r, _)| r)
                .collect();
            let centroid = (0..5)
                .map(|c| {
                    if members.is_empty() {
                        0.0
                    } else {
                        members.iter().map(|r| r[c]).sum::<f64>() / members.len() as f64
                    }
                })
                .collect::<Vec<f64>>();
            ClusterSummary {
                label: format!("C{}: {}", cluster + 1, label(&centroid)),
                customers: members.len(),
                centroid,
            }
        })
        .collect();
    let by_person = names
        .into_iter()
        .zip(&labels)
        .map(|(name, l)| (name, clusters[*l].label.clone()))
        .collect();
    clusters.retain(|c| c.customers > 0);
    Clusters {
        k,
        silhouette: score,
        clusters,
        labels: by_person,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(person: &str, cases: usize, rating: f64, amount: f64) -> Vec<CaseFacts> {
        (0..cases)
            .map(|i| CaseFacts {
                key: format!("{person}-{i}"),
                person: Some(person.to_string()),
                satisfaction: Some(rating),
                amount: Some(amount),
                ..CaseFacts::default()
            })
            .collect()
    }

    #[test]
    fn k_above_distinct_customers() {
        let facts: Vec<CaseFacts> =
            [customer("a", 1, 5.0, 10.0), customer("b", 3, 1.0, 900.0)].concat();
        let clusters = cluster(&facts, Some(8), 1);
        assert_eq!(clusters.k, 2);
        assert_eq!(clusters.labels.len(), 2);
        assert_ne!(clusters.labels["a"], clusters.labels["b"]);
        for summary in &clusters.clusters {
            assert!(
                summary.centroid.iter().all(|v| v.is_finite()),
                "{summary:?}"
            );
        }
    }

    #[test]
    fn identical_customers_give_one_cluster() {
        let facts: Vec<CaseFacts> = (0..20)
            .flat_map(|i| customer(&format!("p{i}"), 1, 4.0, 50.0))
            .collect();
        let clusters = cluster(&facts, None, 1);
        assert_eq!(clusters.k, 1);
        assert_eq!(clusters.clusters.len(), 1);
        assert_eq!(clusters.clusters[0].label, "C1: typical");
        assert!(
            clusters.clusters[0].centroid.iter().all(|v| *v == 0.0),
            "constant columns standardize to 0"
        );
    }

    #[test]
    fn silhouette_picks_separated_groups() {
        let mut facts = Vec::new();
        for i in 0..30 {
            facts.extend(customer(&format!("happy{i}"), 1, 5.0, 20.0 + f64::from(i)));
            facts.extend(customer(&format!("big{i}"), 4, 1.0, 2000.0 + f64::from(i)));
        }
        let clusters = cluster(&facts, None, 1);
        assert_eq!(clusters.k, 2, "{:?}", clusters.silhouette);
        assert!(clusters.silhouette.is_some_and(|s| s > 0.8));
        let labels: Vec<&str> = clusters.clusters.iter().map(|c| c.label.as_str()).collect();
        assert!(
            labels
                .iter()
                .any(|l| l.contains("frequent") && l.contains("unhappy")),
            "{labels:?}"
        );
    }

    #[test]
    fn empty_input_has_no_clusters() {
        let clusters = cluster(&[], None, 1);
        assert_eq!(clusters.k, 0);
        assert!(clusters.labels.is_empty());
    }
}
