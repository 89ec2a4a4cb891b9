//! Time buckets over a window, for the sparklines of the screen, and the worst cases of each
//! segment, for its drill-down view.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::metrics::{CaseFacts, Window};

/// Number of buckets a window is split into.
pub const BUCKETS: usize = 24;

/// Number of worst cases kept per segment.
pub const WORST_CASES: usize = 5;

/// Figures of one time bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Bucket {
    /// Start of the bucket, in epoch seconds.
    pub start: i64,
    pub cases: u64,
    pub rated: u64,
    /// Ratings of 4 or 5.
    pub satisfied: u64,
    /// First response p90 in minutes: the value at rank floor(0.9 (n - 1)), exact.
    pub first_response_p90: Option<f64>,
}

impl Bucket {
    pub fn csat_pct(&self) -> Option<f64> {
        (self.rated > 0).then(|| self.satisfied as f64 / self.rated as f64)
    }
}

/// Equal-width event-time buckets, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Series {
    pub bucket_seconds: i64,
    pub buckets: Vec<Bucket>,
}

/// A case as the drill-down view lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseSummary {
    pub key: String,
    pub satisfaction: Option<f64>,
    pub resolution_minutes: Option<f64>,
    pub resolved: bool,
    pub feedback: Option<String>,
}

/// The trend and the worst cases of one segment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SegmentDetail {
    pub trend: Series,
    pub worst_cases: Vec<CaseSummary>,
}

/// Trends of a window: overall, and per dimension (in config order) per segment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WindowSeries {
    pub overall: Series,
    pub segments: Vec<BTreeMap<String, SegmentDetail>>,
}

/// Returns the first and last second the buckets cover, or `None` when no case has a time.
fn span(cases: &[&CaseFacts], window: Window, watermark: Option<i64>) -> Option<(i64, i64)> {
    let end = watermark?;
    let start = match window {
        Window::Last(seconds) => end - seconds,
        Window::All => cases.iter().filter_map(|c| c.event_time).min()? - 1,
    };
    Some((start, end.max(start + 1)))
}

fn series(cases: &[&CaseFacts], bounds: Option<(i64, i64)>) -> Series {
    let Some((start, end)) = bounds else {
        return Series::default();
    };
    let bucket_seconds = ((end - start) as f64 / BUCKETS as f64).ceil().max(1.0) as i64;
    let mut buckets: Vec<Bucket> = (0..BUCKETS)
        .map(|i| Bucket {
            start: start + i as i64 * bucket_seconds,
            ..Bucket::default()
        })
        .collect();
    let mut response_minutes: Vec<Vec<f64>> = vec![Vec::new(); BUCKETS];
    for case in cases {
        let Some(time) = case.event_time else {
            continue;
        };
        // A window contains the times in (start, end], so `time - 1` puts `end` in the last
        // bucket and `start + 1` in the first.
        let index = ((time - 1 - start).max(0) / bucket_seconds).min(BUCKETS as i64 - 1) as usize;
        let bucket = &mut buckets[index];
        bucket.cases += 1;
        if let Some(score) = case.satisfaction {
            bucket.rated += 1;
            bucket.satisfied += u64::from(score >= 4.0);
        }
        if let Some(minutes) = case.first_response_minutes {
            response_minutes[index].push(minutes);
        }
    }
    for (bucket, mut values) in buckets.iter_mut().zip(response_minutes) {
        values.sort_by(f64::total_cmp);
        let rank = (0.9 * (values.len() as f64 - 1.0)).floor().max(0.0) as usize;
        bucket.first_response_p90 = values.get(rank).copied();
    }
    Series {
        bucket_seconds,
        buckets,
    }
}

/// Orders cases worst first: lowest rating, then unresolved, then longest resolution.
fn worst_first(a: &CaseFacts, b: &CaseFacts) -> std::cmp::Ordering {
    let rating = |c: &CaseFacts| c.satisfaction.unwrap_or(f64::INFINITY);
    rating(a)
        .total_cmp(&rating(b))
        .then(a.resolved.cmp(&b.resolved))
        .then(
            b.resolution_minutes
                .unwrap_or(0.0)
                .total_cmp(&a.resolution_minutes.unwrap_or(0.0)),
        )
        .then_with(|| a.key.cmp(&b.key))
}

/// Computes the trends of the cases in a window. `segment_of(case, dimension)` names the
/// segment of a case; `dimensions` is the number of configured dimensions.
pub fn window_series<'a>(
    cases: &[&'a CaseFacts],
    window: Window,
    watermark: Option<i64>,
    dimensions: usize,
    segment_of: impl Fn(&'a CaseFacts, usize) -> &'a str,
) -> WindowSeries {
    let bounds = span(cases, window, watermark);
    let segments = (0..dimensions)
        .map(|dimension| {
            let mut groups: BTreeMap<&str, Vec<&CaseFacts>> = BTreeMap::new();
            for case in cases {
                groups
                    .entry(segment_of(case, dimension))
                    .or_default()
                    .push(case);
            }
            groups
                .into_iter()
                .map(|(key, mut members)| {
                    let trend = series(&members, bounds);
                    members.sort_by(|a, b| worst_first(a, b));
                    let worst_cases = members
                        .iter()
                        .take(WORST_CASES)
                        .map(|c| CaseSummary {
                            key: c.key.clone(),
                            satisfaction: c.satisfaction,
                            resolution_minutes: c.resolution_minutes,
                            resolved: c.resolved,
                            feedback: c.feedback.clone(),
                        })
                        .collect();
                    (key.to_string(), SegmentDetail { trend, worst_cases })
                })
                .collect()
        })
        .collect();
    WindowSeries {
        overall: series(cases, bounds),
        segments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(key: &str, time: i64, score: Option<f64>, response: Option<f64>) -> CaseFacts {
        CaseFacts {
            key: key.to_string(),
            event_time: Some(time),
            satisfaction: score,
            first_response_minutes: response,
            segments: vec![Some(
                if score == Some(1.0) { "bad" } else { "good" }.to_string(),
            )],
            ..CaseFacts::default()
        }
    }

    fn segment(case: &CaseFacts, dimension: usize) -> &str {
        case.segments[dimension].as_deref().unwrap_or("(none)")
    }

    #[test]
    fn buckets_cover_window_end_to_end() {
        let facts = [
            case("a", 2, Some(5.0), Some(10.0)),
            case("b", 2400, Some(1.0), Some(30.0)),
            case("c", 2400, Some(4.0), Some(20.0)),
        ];
        let cases: Vec<&CaseFacts> = facts.iter().collect();
        let series = window_series(&cases, Window::Last(2400), Some(2400), 1, segment);
        let buckets = &series.overall.buckets;

        assert_eq!(buckets.len(), BUCKETS);
        assert_eq!(series.overall.bucket_seconds, 100);
        assert_eq!(buckets[0].cases, 1);
        assert_eq!(buckets[BUCKETS - 1].cases, 2);
        assert_eq!(buckets[BUCKETS - 1].csat_pct(), Some(0.5));
        assert_eq!(buckets[BUCKETS - 1].first_response_p90, Some(20.0));
        assert_eq!(buckets[1].csat_pct(), None);
    }

    #[test]
    fn worst_cases_put_lowest_rating_first() {
        let facts = [
            case("a", 10, Some(1.0), None),
            case("b", 20, None, None),
            case("c", 30, Some(3.0), None),
        ];
        let cases: Vec<&CaseFacts> = facts.iter().collect();
        let series = window_series(&cases, Window::All, Some(30), 1, |c, _| {
            if c.key == "b" { "x" } else { "y" }
        });
        let y = &series.segments[0]["y"];
        let keys: Vec<&str> = y.worst_cases.iter().map(|c| c.key.as_str()).collect();

        assert_eq!(keys, ["a", "c"]);
        assert_eq!(y.trend.buckets.iter().map(|b| b.cases).sum::<u64>(), 2);
        assert_eq!(series.segments[0]["x"].worst_cases.len(), 1);
    }
}
