//! The one-shot report: figures over all data as JSON, a table or CSV.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

use crate::engine::Snapshot;
use crate::metrics::{Figures, SegmentRow, WindowFigures};

/// Segment fields of the report, one object per segment.
#[derive(Debug, Serialize)]
struct SegmentJson<'a> {
    key: &'a str,
    cases: u64,
    rated: u64,
    csat_mean: Option<f64>,
    csat_pct: Option<f64>,
    resolution_p50_minutes: Option<f64>,
    predicted_csat_mean: Option<f64>,
    first_response_p90_minutes: Option<f64>,
    resolution_p90_minutes: Option<f64>,
    sla_attainment: Option<f64>,
    satisfaction_index: Option<f64>,
}

impl<'a> From<&'a SegmentRow> for SegmentJson<'a> {
    fn from(row: &'a SegmentRow) -> Self {
        let f = &row.figures;
        SegmentJson {
            key: &row.key,
            cases: f.cases,
            rated: f.rated,
            csat_mean: f.csat_mean,
            csat_pct: f.csat_pct,
            resolution_p50_minutes: f.resolution_minutes.p50,
            predicted_csat_mean: f.predicted_csat_mean,
            first_response_p90_minutes: f.first_response_minutes.p90,
            resolution_p90_minutes: f.resolution_minutes.p90,
            sla_attainment: f.sla_attainment,
            satisfaction_index: f.satisfaction_index,
        }
    }
}

fn figures_json(figures: &Figures) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("cases".into(), json!(figures.cases));
    map.insert("rated".into(), json!(figures.rated));
    map.insert("csat_mean".into(), json!(figures.csat_mean));
    map.insert("csat_pct".into(), json!(figures.csat_pct));
    map.insert(
        "satisfaction_index".into(),
        json!(figures.satisfaction_index),
    );
    map.insert("loyalty_index".into(), json!(figures.loyalty_index));
    map.insert("repeat_rate".into(), json!(figures.repeat_rate));
    map.insert(
        "first_response_minutes".into(),
        json!(figures.first_response_minutes),
    );
    map.insert(
        "resolution_minutes".into(),
        json!(figures.resolution_minutes),
    );
    map.insert("sla_attainment".into(), json!(figures.sla_attainment));
    map.insert("sla_cases".into(), json!(figures.sla_cases));
    map.insert("backlog".into(), json!(figures.backlog));
    map.insert(
        "predicted_csat_mean".into(),
        json!(figures.predicted_csat_mean),
    );
    map
}

/// Builds the report object for one window of a snapshot.
pub fn to_json(snapshot: &Snapshot, window: &WindowFigures) -> Value {
    let mut map = figures_json(&window.overall);
    map.insert("window".into(), json!(window.window));
    map.insert(
        "watermark".into(),
        json!(window.watermark.map(crate::normalize::format_time)),
    );
    map.insert("rejected_rows".into(), json!(snapshot.ingest.rejected_rows));
    map.insert("rows_read".into(), json!(snapshot.ingest.rows_read));
    let model = match (&snapshot.model.evaluation, snapshot.model.version) {
        (Some(e), Some(version)) => json!({
            "version": version,
            "trained_on": e.trained_on,
            "tested_on": e.tested_on,
            "split": e.split,
            "mae": e.mae,
            "baseline_mae": e.baseline_mae,
            "mse": e.mse,
            "baseline_mse": e.baseline_mse,
            "r2": e.r2,
            "random_split": e.random_split,
            "with_text": e.with_text,
            "without_text": e.without_text,
            "importance": e.importance.iter().map(|(name, value)| json!({"feature": name, "mae_increase": value})).collect::<Vec<_>>(),
            "dropped_rows": e.dropped_rows,
        }),
        _ => json!({ "error": snapshot.model.last_error }),
    };
    map.insert("model".into(), model);
    let segments: serde_json::Map<String, Value> = window
        .dimensions
        .iter()
        .map(|table| {
            let rows: Vec<SegmentJson<'_>> = table.rows.iter().map(SegmentJson::from).collect();
            (table.name.clone(), json!(rows))
        })
        .collect();
    map.insert("segments".into(), Value::Object(segments));
    map.insert("alerts".into(), json!(snapshot.alerts));
    map.insert("hints".into(), json!(snapshot.hints));
    map.insert("sentiment".into(), json!(snapshot.model.sentiment));
    map.insert("clusters".into(), json!(snapshot.model.clusters));
    Value::Object(map)
}

fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.decimals$}"))
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// Renders the report as aligned text tables.
pub fn to_table(snapshot: &Snapshot, window: &WindowFigures) -> String {
    let f = &window.overall;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "csmon report, window {}, {} cases ({} rated), {} rows read, {} rejected",
        window.window, f.cases, f.rated, snapshot.ingest.rows_read, snapshot.ingest.rejected_rows
    );
    let rows = [
        ("CSAT mean", number(f.csat_mean, 3)),
        ("CSAT %", percent(f.csat_pct)),
        ("satisfaction index", number(f.satisfaction_index, 3)),
        ("loyalty index", number(f.loyalty_index, 2)),
        (
            "first response p50 / p90 (min)",
            format!(
                "{} / {}",
                number(f.first_response_minutes.p50, 1),
                number(f.first_response_minutes.p90, 1)
            ),
        ),
        (
            "resolution p50 / p90 (min)",
            format!(
                "{} / {}",
                number(f.resolution_minutes.p50, 1),
                number(f.resolution_minutes.p90, 1)
            ),
        ),
        ("SLA attainment", percent(f.sla_attainment)),
        ("backlog", f.backlog.to_string()),
        ("predicted CSAT mean", number(f.predicted_csat_mean, 3)),
    ];
    for (label, value) in rows {
        let _ = writeln!(out, "  {label:<32} {value}");
    }
    match &snapshot.model.evaluation {
        Some(e) => {
            let _ = writeln!(
                out,
                "  {:<32} MAE {:.3} against baseline {:.3}, R^2 {:.3}, trained on {}, tested on {}",
                "model", e.mae, e.baseline_mae, e.r2, e.trained_on, e.tested_on
            );
        }
        None => {
            let _ = writeln!(
                out,
                "  {:<32} {}",
                "model",
                snapshot
                    .model
                    .last_error
                    .as_deref()
                    .unwrap_or("not trained")
            );
        }
    }
    write_segments(&mut out, window);
    write_hints_and_alerts(&mut out, snapshot);
    out
}

fn write_segments(out: &mut String, window: &WindowFigures) {
    for table in &window.dimensions {
        let _ = writeln!(
            out,
            "\n{:<28} {:>7} {:>7} {:>6} {:>7} {:>9} {:>6}",
            table.name, "cases", "rated", "csat", "csat%", "res p50h", "pred"
        );
        for row in table.rows.iter().take(15) {
            let r = &row.figures;
            let key: String = crate::ui::sanitize::clean(&row.key)
                .chars()
                .take(28)
                .collect();
            let _ = writeln!(
                out,
                "{key:<28} {:>7} {:>7} {:>6} {:>7} {:>9} {:>6}",
                r.cases,
                r.rated,
                number(r.csat_mean, 2),
                percent(r.csat_pct),
                number(r.resolution_minutes.p50.map(|m| m / 60.0), 1),
                number(r.predicted_csat_mean, 2)
            );
        }
        if table.rows.len() > 15 {
            let _ = writeln!(out, "... {} more", table.rows.len() - 15);
        }
    }
}

fn write_hints_and_alerts(out: &mut String, snapshot: &Snapshot) {
    if !snapshot.hints.is_empty() {
        let _ = writeln!(
            out,
            "\nimprovement hints (rating points lost = gap x rated cases):"
        );
        for hint in snapshot.hints.iter().take(5) {
            let _ = writeln!(
                out,
                "  {}={}: CSAT {:.2}, {:.0} points lost{}",
                hint.dimension,
                crate::ui::sanitize::clean(&hint.segment),
                hint.csat_mean,
                hint.cost,
                hint.driver
                    .as_deref()
                    .map(|d| format!(", {d}"))
                    .unwrap_or_default()
            );
        }
    }
    if !snapshot.alerts.is_empty() {
        let _ = writeln!(out, "\nalerts firing:");
        for alert in &snapshot.alerts {
            let _ = writeln!(out, "  {:?} {}", alert.severity, alert.describe());
        }
    }
}

/// Renders the per-segment figures as CSV: one row per dimension and segment, the overall
/// figures first under dimension "all".
pub fn to_csv(window: &WindowFigures) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "dimension",
        "segment",
        "cases",
        "rated",
        "csat_mean",
        "csat_pct",
        "satisfaction_index",
        "first_response_p90_minutes",
        "resolution_p50_minutes",
        "resolution_p90_minutes",
        "sla_attainment",
        "predicted_csat_mean",
    ])?;
    let overall = SegmentRow {
        key: "all".to_string(),
        figures: window.overall.clone(),
        previous: None,
    };
    let rows = std::iter::once(("all", &overall)).chain(
        window
            .dimensions
            .iter()
            .flat_map(|t| t.rows.iter().map(move |r| (t.name.as_str(), r))),
    );
    let cell = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for (dimension, row) in rows {
        let f = &row.figures;
        writer.write_record([
            dimension.to_string(),
            row.key.clone(),
            f.cases.to_string(),
            f.rated.to_string(),
            cell(f.csat_mean),
            cell(f.csat_pct),
            cell(f.satisfaction_index),
            cell(f.first_response_minutes.p90),
            cell(f.resolution_minutes.p50),
            cell(f.resolution_minutes.p90),
            cell(f.sla_attainment),
            cell(f.predicted_csat_mean),
        ])?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}
