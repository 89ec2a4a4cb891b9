//! Improvement hints: the segments whose satisfaction gap to the overall mean, times their
//! rated cases, costs the most, each with the figure that differs most from the overall.

use serde::Serialize;

use crate::metrics::{Figures, WindowFigures};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hint {
    pub dimension: String,
    pub segment: String,
    pub cases: u64,
    pub csat_mean: f64,
    /// Overall CSAT mean minus the segment's.
    pub gap: f64,
    /// `gap` times the segment's rated cases: the rating points lost there.
    pub cost: f64,
    /// The figure that differs most from the overall, as text.
    pub driver: Option<String>,
}

/// Figures where higher is worse, with their names in hints.
fn drivers(f: &Figures) -> [(&'static str, Option<f64>); 5] {
    let share = |part: u64, whole: u64| (whole > 0).then(|| part as f64 / whole as f64);
    [
        ("late resolutions", f.sla_attainment.map(|s| 1.0 - s)),
        ("resolution time p50", f.resolution_minutes.p50),
        ("first response p50", f.first_response_minutes.p50),
        ("open cases", share(f.backlog, f.cases)),
        ("negative feedback", f.negative_feedback_share),
    ]
}

fn driver(segment: &Figures, overall: &Figures) -> Option<String> {
    drivers(segment)
        .into_iter()
        .zip(drivers(overall))
        .filter_map(|((name, value), (_, base))| {
            let (value, base) = (value?, base?);
            (base > 0.0 && value > base).then(|| (name, value / base))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|(_, ratio)| *ratio >= 1.1)
        .map(|(name, ratio)| format!("{name} {ratio:.1}x the average"))
}

/// Returns up to `per_dimension` hints per dimension, costliest first, over segments with
/// at least `min_cases` cases.
pub fn hints(figures: &WindowFigures, min_cases: u64, per_dimension: usize) -> Vec<Hint> {
    let overall = &figures.overall;
    let Some(overall_mean) = overall.csat_mean else {
        return Vec::new();
    };
    let mut all = Vec::new();
    for table in &figures.dimensions {
        let mut hints: Vec<Hint> = table
            .rows
            .iter()
            .filter(|row| row.figures.cases >= min_cases)
            .filter_map(|row| {
                let mean = row.figures.csat_mean?;
                let gap = overall_mean - mean;
                (gap > 0.0).then(|| Hint {
                    dimension: table.name.clone(),
                    segment: row.key.clone(),
                    cases: row.figures.cases,
                    csat_mean: mean,
                    gap,
                    cost: gap * row.figures.rated as f64,
                    driver: driver(&row.figures, overall),
                })
            })
            .collect();
        hints.sort_by(|a, b| b.cost.total_cmp(&a.cost));
        hints.truncate(per_dimension);
        all.extend(hints);
    }
    all.sort_by(|a, b| b.cost.total_cmp(&a.cost));
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{DimensionTable, Quantiles, SegmentRow, Window};

    fn figures(cases: u64, mean: f64, sla: f64) -> Figures {
        Figures {
            cases,
            rated: cases,
            csat_mean: Some(mean),
            sla_attainment: Some(sla),
            resolution_minutes: Quantiles {
                p50: Some(100.0),
                p90: Some(200.0),
            },
            ..Figures::default()
        }
    }

    #[test]
    fn costliest_segment_first_with_driver() {
        let row = |key: &str, cases, mean, sla| SegmentRow {
            key: key.to_string(),
            figures: figures(cases, mean, sla),
            previous: None,
        };
        let window = WindowFigures {
            window: Window::All,
            watermark: None,
            overall: figures(300, 4.0, 0.9),
            previous: None,
            dimensions: vec![DimensionTable {
                name: "region".to_string(),
                rows: vec![
                    row("north", 200, 4.4, 0.95),
                    row("south", 80, 3.0, 0.7),
                    row("east", 10, 1.0, 0.9),
                    row("west", 50, 3.5, 0.9),
                ],
            }],
            series: crate::metrics::series::WindowSeries::default(),
        };
        let hints = hints(&window, 20, 3);
        let segments: Vec<&str> = hints.iter().map(|h| h.segment.as_str()).collect();
        assert_eq!(
            segments,
            ["south", "west"],
            "east is below the minimum and north is above the mean"
        );
        assert!((hints[0].cost - 80.0).abs() < 1e-9);
        assert_eq!(
            hints[0].driver.as_deref(),
            Some("late resolutions 3.0x the average")
        );
        assert_eq!(
            hints[1].driver, None,
            "west differs in nothing but its rating"
        );
    }
}
