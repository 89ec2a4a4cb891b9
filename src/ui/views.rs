//! The table behind each tab, as `e` and `csmon export` write it: the same rows, sort,
//! filter and window as on screen, with figures at full precision.

use serde_json::{Value, json};

use crate::export::ViewTable;
use crate::metrics::Figures;
use crate::ui::app::{App, Tab};
use crate::ui::columns::{COLUMNS, sort_name};

/// Returns the table the current tab shows.
pub fn current_view(app: &App) -> ViewTable {
    let base = ViewTable {
        tab: app.tab.title().to_string(),
        window: app.window_label().to_string(),
        model_version: app.snapshot.model.version,
        ..ViewTable::default()
    };
    match app.tab {
        Tab::Overview => overview(app, base),
        Tab::Segments if app.drilled.is_some() => drill_down(app, base),
        Tab::Segments => segments(app, base),
        Tab::Model => model(app, base),
        Tab::Alerts => alerts(app, base),
        Tab::Ingest => ingest(app, base),
    }
}

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(ToString::to_string).collect()
}

/// Returns a figure as JSON: whole numbers as integers, so counts read "31", not "31.0".
fn number(value: Option<f64>) -> Value {
    match value {
        Some(v) if v.fract() == 0.0 && v.abs() < 9e15 => json!(v as i64),
        other => json!(other),
    }
}

fn figure_values(figures: &Figures) -> impl Iterator<Item = Value> + '_ {
    COLUMNS.iter().map(|c| number((c.value)(figures)))
}

fn segments(app: &App, mut view: ViewTable) -> ViewTable {
    view.dimension = app.dimension_name().map(str::to_string);
    view.sort = Some(sort_name(app.sort).to_string());
    view.descending = Some(app.descending);
    view.filter = Some(app.filter.clone());
    view.columns = std::iter::once("segment".to_string())
        .chain(COLUMNS.iter().map(|c| c.name.to_string()))
        .chain(COLUMNS.iter().map(|c| format!("previous_{}", c.name)))
        .collect();
    view.rows = app
        .rows()
        .iter()
        .map(|row| {
            let previous: Vec<Value> = match &row.previous {
                Some(p) => figure_values(p).collect(),
                None => vec![Value::Null; COLUMNS.len()],
            };
            std::iter::once(json!(row.key))
                .chain(figure_values(&row.figures))
                .chain(previous)
                .collect()
        })
        .collect();
    view
}

fn drill_down(app: &App, mut view: ViewTable) -> ViewTable {
    view.dimension = app.dimension_name().map(str::to_string);
    view.segment.clone_from(&app.drilled);
    view.columns = columns(&[
        "case",
        "satisfaction",
        "resolved",
        "resolution_minutes",
        "feedback",
    ]);
    let detail = app
        .figures()
        .and_then(|f| f.series.segments.get(app.dimension))
        .and_then(|segments| segments.get(app.drilled.as_deref()?));
    view.rows = detail
        .map(|d| d.worst_cases.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|case| {
            vec![
                json!(case.key),
                json!(case.satisfaction),
                json!(case.resolved),
                json!(case.resolution_minutes),
                json!(case.feedback),
            ]
        })
        .collect();
    view
}

/// Reads one figure of the overall figures.
type FigureOf = fn(&Figures) -> Option<f64>;

fn overview(app: &App, mut view: ViewTable) -> ViewTable {
    view.columns = columns(&["figure", "value", "previous"]);
    let empty = Figures::default();
    let window = app.figures();
    let current = window.map_or(&empty, |f| &f.overall);
    let previous = window.and_then(|f| f.previous.as_ref());
    let figures: [(&str, FigureOf); 14] = [
        ("cases", |f| Some(f.cases as f64)),
        ("rated", |f| Some(f.rated as f64)),
        ("csat_mean", |f| f.csat_mean),
        ("csat_pct", |f| f.csat_pct),
        ("satisfaction_index", |f| f.satisfaction_index),
        ("loyalty_index", |f| f.loyalty_index),
        ("sla_attainment", |f| f.sla_attainment),
        ("sla_cases", |f| Some(f.sla_cases as f64)),
        ("negative_feedback_share", |f| f.negative_feedback_share),
        ("predicted_csat_mean", |f| f.predicted_csat_mean),
        ("first_response_p50_minutes", |f| {
            f.first_response_minutes.p50
        }),
        ("first_response_p90_minutes", |f| {
            f.first_response_minutes.p90
        }),
        ("resolution_p90_minutes", |f| f.resolution_minutes.p90),
        ("backlog", |f| Some(f.backlog as f64)),
    ];
    view.rows = figures
        .iter()
        .map(|(name, value)| {
            vec![
                json!(name),
                number(value(current)),
                number(previous.and_then(value)),
            ]
        })
        .collect();
    view
}

fn model(app: &App, mut view: ViewTable) -> ViewTable {
    let model = &app.snapshot.model;
    view.columns = columns(&["figure", "value"]);
    let mut rows = vec![
        vec![json!("version"), json!(model.version)],
        vec![json!("training"), json!(model.training)],
        vec![json!("last_error"), json!(model.last_error)],
    ];
    if let Some(e) = &model.evaluation {
        rows.extend([
            vec![json!("split"), json!(e.split)],
            vec![json!("trained_on"), json!(e.trained_on)],
            vec![json!("tested_on"), json!(e.tested_on)],
            vec![json!("mae"), json!(e.mae)],
            vec![json!("baseline_mae"), json!(e.baseline_mae)],
            vec![json!("mse"), json!(e.mse)],
            vec![json!("baseline_mse"), json!(e.baseline_mse)],
            vec![json!("r2"), json!(e.r2)],
        ]);
    }
    view.rows = rows;
    view
}

fn alerts(app: &App, mut view: ViewTable) -> ViewTable {
    view.columns = columns(&[
        "severity",
        "rule",
        "window",
        "dimension",
        "segment",
        "metric",
        "value",
        "threshold",
        "samples",
    ]);
    view.rows = app
        .snapshot
        .alerts
        .iter()
        .map(|a| {
            vec![
                json!(a.severity),
                json!(a.rule),
                json!(a.window),
                json!(a.dimension),
                json!(a.segment),
                json!(a.metric),
                json!(a.value),
                json!(a.threshold),
                json!(a.samples),
            ]
        })
        .collect();
    view
}

fn ingest(app: &App, mut view: ViewTable) -> ViewTable {
    view.columns = columns(&[
        "file",
        "source",
        "rows",
        "rejected",
        "bytes_read",
        "waiting",
    ]);
    view.rows = app
        .snapshot
        .ingest
        .files
        .iter()
        .map(|(name, stats)| {
            vec![
                json!(name),
                json!(stats.target),
                json!(stats.rows),
                json!(stats.rejected),
                json!(stats.bytes_read),
                json!(stats.waiting),
            ]
        })
        .collect();
    view
}

/// Choices of `csmon export`, the same ones the keys make on screen.
#[derive(Debug, Clone, Default)]
pub struct ViewOptions {
    pub tab: String,
    pub window: String,
    pub dimension: Option<String>,
    /// A column header ("CSAT%") or export name (`csat_pct`), or "segment".
    pub sort: Option<String>,
    pub ascending: bool,
    pub filter: Option<String>,
    /// Segment to drill into on the Segments tab.
    pub segment: Option<String>,
}

/// Builds the app state that `options` describe, or an error that names the invalid value
/// and lists the valid ones.
pub fn app_for(
    snapshot: std::sync::Arc<crate::engine::Snapshot>,
    options: &ViewOptions,
) -> anyhow::Result<App> {
    use anyhow::bail;

    let mut app = App::new(snapshot);
    let Some(tab) = Tab::ALL
        .iter()
        .find(|t| t.title().eq_ignore_ascii_case(&options.tab))
    else {
        let names: Vec<String> = Tab::ALL.iter().map(|t| t.title().to_lowercase()).collect();
        bail!(
            "invalid --tab '{}': use one of {}",
            options.tab,
            names.join(", ")
        );
    };
    app.tab = *tab;

    let Some(window) = app
        .snapshot
        .window_order
        .iter()
        .position(|w| *w == options.window)
    else {
        bail!(
            "invalid --window '{}': use one of {}",
            options.window,
            app.snapshot.window_order.join(", ")
        );
    };
    app.window = window;

    if let Some(dimension) = &options.dimension {
        let Some(index) = app.snapshot.dimensions.iter().position(|d| d == dimension) else {
            bail!(
                "invalid --dimension '{dimension}': use one of {}",
                app.snapshot.dimensions.join(", ")
            );
        };
        app.dimension = index;
    }
    if let Some(sort) = &options.sort {
        let index = if sort == "segment" {
            Some(0)
        } else {
            COLUMNS
                .iter()
                .position(|c| c.name == sort || c.header == sort)
                .map(|i| i + 1)
        };
        let Some(index) = index else {
            let names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
            bail!(
                "invalid --sort '{sort}': use segment or one of {}",
                names.join(", ")
            );
        };
        app.sort = index;
    }
    app.descending = !options.ascending;
    app.filter = options.filter.clone().unwrap_or_default();
    if let Some(segment) = &options.segment {
        if app
            .table()
            .is_none_or(|t| !t.rows.iter().any(|r| &r.key == segment))
        {
            bail!("invalid --segment '{segment}': no such segment in this dimension and window");
        }
        app.drilled = Some(segment.clone());
    }
    Ok(app)
}
