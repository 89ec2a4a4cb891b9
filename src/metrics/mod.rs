//! Metrics: per-case facts drawn from the resolved cases, then figures overall and per
//! segment for a window. Figures are recomputed from the case store rather than updated
//! in place, so every aggregate reflects the latest version of each case exactly once.

mod figures;
pub mod hints;
pub mod series;
mod window;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::cases::{CaseStore, ResolvedCase};
use crate::config::Config;
pub use figures::{Figures, FiguresBuilder, QUANTILE_RELATIVE_ERROR, Quantiles, weighted_index};
pub use window::Window;

/// Facts of one case that the metrics and the model read.
#[derive(Debug, Clone, Default)]
pub struct CaseFacts {
    pub key: String,
    /// Arrival sequence of the newest record in the case; it changes with every update.
    pub seq: u64,
    /// The time that places the case in a window: its creation, else its newest event.
    pub event_time: Option<i64>,
    pub newest_time: Option<i64>,
    pub satisfaction: Option<f64>,
    pub first_response_minutes: Option<f64>,
    pub resolution_minutes: Option<f64>,
    pub resolved: bool,
    /// Whether a resolved case with a due time was resolved by it.
    pub on_time: Option<bool>,
    /// Resolution (or, while open, the watermark) minus the due time, in days.
    pub lateness_days: Option<f64>,
    /// Due time minus creation, in days.
    pub promised_days: Option<f64>,
    pub amount: Option<f64>,
    pub person: Option<String>,
    pub purchases: Option<f64>,
    pub tier: Option<usize>,
    pub status: Option<String>,
    pub category: Option<String>,
    pub region: Option<String>,
    pub feedback: Option<String>,
    pub sentiment: Option<f64>,
    pub predicted: Option<f64>,
    /// Segment per configured dimension.
    pub segments: Vec<Option<String>>,
}

/// Computed field holding the customer's cluster label; a dimension may name it without a
/// source mapping it.
pub const CLUSTER_FIELD: &str = "cluster";

/// Label of cases that have no value for a dimension.
pub const NO_SEGMENT: &str = "(none)";

/// Builds the facts of every case. `clusters` maps a person to their cluster label, the
/// value of the computed field `cluster`; predictions and sentiment are filled in later.
pub fn case_facts(
    store: &CaseStore,
    config: &Config,
    clusters: &HashMap<String, String>,
) -> Vec<CaseFacts> {
    let resolved: Vec<ResolvedCase> = store.iter_resolved().collect();
    let watermark = resolved.iter().filter_map(newest_time).max();

    let mut purchases: HashMap<&str, u32> = HashMap::new();
    for case in &resolved {
        if let Some(person) = case.text("customer_id") {
            *purchases.entry(person).or_default() += 1;
        }
    }

    let mut facts = Vec::with_capacity(resolved.len());
    for case in &resolved {
        let created = case.time("created_at");
        let first_response = case.time("first_response_at");
        let resolved_at = case.time("resolved_at");
        let due = case.time("due_at").map(|due| {
            if config.due_whole_day {
                end_of_day(due, config)
            } else {
                due
            }
        });
        let status = case.text("status").map(str::to_string);
        let closed = status
            .as_deref()
            .is_some_and(|s| config.closed_statuses.iter().any(|c| c == s));
        let person = case.text("customer_id").map(str::to_string);
        let purchase_count = case.number("purchase_count").or_else(|| {
            person
                .as_deref()
                .and_then(|p| purchases.get(p))
                .map(|n| f64::from(*n))
        });
        let tier = purchase_count.and_then(|count| {
            config
                .tiers
                .iter()
                .position(|t| count >= f64::from(t.min_purchases))
        });
        let minutes = |from: Option<i64>, to: Option<i64>| match (from, to) {
            (Some(from), Some(to)) if to >= from => Some((to - from) as f64 / 60.0),
            _ => None,
        };
        let lateness_days = match (due, resolved_at.or(if closed { None } else { watermark })) {
            (Some(due), Some(end)) => Some((end - due) as f64 / 86_400.0),
            _ => None,
        };
        facts.push(CaseFacts {
            key: case.key.clone(),
            seq: case.seq,
            event_time: created.or_else(|| newest_time(case)),
            newest_time: newest_time(case),
            satisfaction: case.number("satisfaction"),
            first_response_minutes: minutes(created, first_response),
            resolution_minutes: minutes(created, resolved_at),
            resolved: resolved_at.is_some() || closed,
            on_time: resolved_at.zip(due).map(|(done, due)| done <= due),
            lateness_days,
            promised_days: created
                .zip(due)
                .map(|(created, due)| (due - created) as f64 / 86_400.0),
            amount: case.number("order_amount"),
            person,
            purchases: purchase_count,
            tier,
            status,
            category: case.text("category").map(str::to_string),
            region: case.text("region").map(str::to_string),
            feedback: case
                .text("feedback_text")
                .map(crate::normalize::privacy::mask),
            sentiment: None,
            predicted: None,
            segments: config
                .dimensions
                .iter()
                .map(|d| match d.field.as_str() {
                    CLUSTER_FIELD => case
                        .text("customer_id")
                        .and_then(|p| clusters.get(p))
                        .cloned(),
                    field => case.text(field).map(str::to_string),
                })
                .collect(),
        });
    }
    facts
}

/// Returns the last second of the local day that starts at `due`.
fn end_of_day(due: i64, config: &Config) -> i64 {
    let Ok(timestamp) = jiff::Timestamp::from_second(due) else {
        return due;
    };
    let zoned = timestamp.to_zoned(config.timezone.clone());
    zoned
        .date()
        .tomorrow()
        .ok()
        .and_then(|next| next.to_zoned(config.timezone.clone()).ok())
        .map_or(due, |next| next.timestamp().as_second() - 1)
}

fn newest_time(case: &ResolvedCase) -> Option<i64> {
    ["created_at", "first_response_at", "resolved_at", "rated_at"]
        .iter()
        .filter_map(|field| case.time(field))
        .max()
}

/// Returns the newest event time over all cases.
pub fn watermark(facts: &[CaseFacts]) -> Option<i64> {
    facts.iter().filter_map(|f| f.newest_time).max()
}

/// One segment's row in a dimension table.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentRow {
    pub key: String,
    pub figures: Figures,
    pub previous: Option<Figures>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DimensionTable {
    pub name: String,
    /// Rows sorted by case count, largest first.
    pub rows: Vec<SegmentRow>,
}

/// Figures for one window: overall, the window before it, and per segment.
#[derive(Debug, Clone, Serialize)]
pub struct WindowFigures {
    pub window: Window,
    pub watermark: Option<i64>,
    pub overall: Figures,
    pub previous: Option<Figures>,
    pub dimensions: Vec<DimensionTable>,
    /// Time buckets and worst cases, for the screen; left out of serialized output.
    #[serde(skip)]
    pub series: series::WindowSeries,
}

/// Computes the figures of `window` ending at the newest event time in `facts`.
pub fn window_figures(facts: &[CaseFacts], config: &Config, window: Window) -> WindowFigures {
    let watermark = watermark(facts);
    let weights: Vec<f64> = config.tiers.iter().map(|t| t.weight).collect();
    let in_window = |shift: i64| {
        facts
            .iter()
            .filter(move |f| window.contains(f.event_time, watermark, shift))
    };

    let overall = build(&weights, in_window(0));
    let previous = matches!(window, Window::Last(_)).then(|| build(&weights, in_window(1)));

    let dimensions = config
        .dimensions
        .iter()
        .enumerate()
        .map(|(index, dimension)| {
            let mut current: BTreeMap<&str, FiguresBuilder<'_>> = BTreeMap::new();
            for case in in_window(0) {
                current
                    .entry(segment_of(case, index))
                    .or_insert_with(|| FiguresBuilder::new(&weights))
                    .add(case);
            }
            let mut before: BTreeMap<&str, FiguresBuilder<'_>> = BTreeMap::new();
            if previous.is_some() {
                for case in in_window(1) {
                    before
                        .entry(segment_of(case, index))
                        .or_insert_with(|| FiguresBuilder::new(&weights))
                        .add(case);
                }
            }
            let mut rows: Vec<SegmentRow> = current
                .into_iter()
                .map(|(key, builder)| SegmentRow {
                    key: key.to_string(),
                    figures: builder.finish(),
                    previous: before.remove(key).map(FiguresBuilder::finish),
                })
                .collect();
            rows.sort_by(|a, b| {
                b.figures
                    .cases
                    .cmp(&a.figures.cases)
                    .then_with(|| a.key.cmp(&b.key))
            });
            DimensionTable {
                name: dimension.name.clone(),
                rows,
            }
        })
        .collect();

    let cases: Vec<&CaseFacts> = in_window(0).collect();
    let series = series::window_series(
        &cases,
        window,
        watermark,
        config.dimensions.len(),
        segment_of,
    );

    WindowFigures {
        window,
        watermark,
        overall,
        previous,
        dimensions,
        series,
    }
}

fn segment_of(case: &CaseFacts, dimension: usize) -> &str {
    case.segments
        .get(dimension)
        .and_then(Option::as_deref)
        .unwrap_or(NO_SEGMENT)
}

fn build<'a>(weights: &'a [f64], cases: impl Iterator<Item = &'a CaseFacts>) -> Figures {
    let mut builder = FiguresBuilder::new(weights);
    cases.for_each(|case| builder.add(case));
    builder.finish()
}
