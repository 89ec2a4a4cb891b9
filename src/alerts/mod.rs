//! Alert rules: a figure compared with a threshold, overall or per segment, firing while the
//! comparison holds on enough samples and resolved when it stops holding.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::{AlertRule, Comparison, Config, Severity};
use crate::ingest::owner_only;
use crate::metrics::{Figures, Window, WindowFigures};

/// A rule that holds for the overall figures or for one segment.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Alert {
    pub rule: String,
    pub severity: Severity,
    pub metric: String,
    pub window: Window,
    pub dimension: Option<String>,
    pub segment: Option<String>,
    pub value: f64,
    pub threshold: f64,
    pub samples: u64,
}

impl Alert {
    /// Identity of an alert across evaluations: its rule and segment.
    fn id(&self) -> (String, Option<String>) {
        (self.rule.clone(), self.segment.clone())
    }

    pub fn describe(&self) -> String {
        let scope = match (&self.dimension, &self.segment) {
            (Some(dimension), Some(segment)) => {
                format!("{dimension}={}", crate::ui::sanitize::clean(segment))
            }
            _ => "overall".to_string(),
        };
        format!(
            "{} [{scope}, {}]: {} is {:.3} against threshold {} (n={})",
            self.rule, self.window, self.metric, self.value, self.threshold, self.samples
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transition {
    Firing,
    Resolved,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertEvent {
    pub state: Transition,
    /// Watermark when the change was seen, in epoch seconds.
    pub event_time: Option<i64>,
    pub model_version: Option<u64>,
    #[serde(flatten)]
    pub alert: Alert,
}

fn breaches(rule: &AlertRule, figures: &Figures) -> Option<(f64, u64)> {
    let (value, samples) = figures.metric(&rule.metric)?;
    if samples < rule.min_samples {
        return None;
    }
    let holds = match rule.comparison {
        Comparison::Below => value < rule.threshold,
        Comparison::Above => value > rule.threshold,
    };
    holds.then_some((value, samples))
}

/// Returns every alert whose rule is met now. Segments with fewer cases than
/// `min_segment_cases` never fire.
pub fn evaluate(config: &Config, figures: &BTreeMap<String, WindowFigures>) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for rule in &config.alerts {
        let Some(window) = figures.get(&rule.window.to_string()) else {
            continue;
        };
        let alert = |value, samples, segment: Option<&str>| Alert {
            rule: rule.name.clone(),
            severity: rule.severity,
            metric: rule.metric.clone(),
            window: rule.window,
            dimension: rule.dimension.clone(),
            segment: segment.map(str::to_string),
            value,
            threshold: rule.threshold,
            samples,
        };
        match &rule.dimension {
            None => {
                if let Some((value, samples)) = breaches(rule, &window.overall) {
                    alerts.push(alert(value, samples, None));
                }
            }
            Some(dimension) => {
                let Some(table) = window.dimensions.iter().find(|t| &t.name == dimension) else {
                    continue;
                };
                for row in table
                    .rows
                    .iter()
                    .filter(|r| r.figures.cases >= config.min_segment_cases)
                {
                    if let Some((value, samples)) = breaches(rule, &row.figures) {
                        alerts.push(alert(value, samples, Some(&row.key)));
                    }
                }
            }
        }
    }
    alerts
}

/// Returns the current value and sample count of an alert's figure, breaching or not.
pub fn current_value(
    figures: &BTreeMap<String, WindowFigures>,
    alert: &Alert,
) -> Option<(f64, u64)> {
    let window = figures.get(&alert.window.to_string())?;
    let segment_figures = match (&alert.dimension, &alert.segment) {
        (Some(dimension), Some(segment)) => {
            let table = window.dimensions.iter().find(|t| &t.name == dimension)?;
            &table.rows.iter().find(|r| &r.key == segment)?.figures
        }
        _ => &window.overall,
    };
    segment_figures.metric(&alert.metric)
}

/// The alerts firing now, and the changes since the last evaluation.
#[derive(Debug, Default)]
pub struct AlertBook {
    active: BTreeMap<(String, Option<String>), Alert>,
}

impl AlertBook {
    /// Takes the alerts that hold now and returns what started and stopped firing. A
    /// resolved alert carries the value `current` gives for it now, when there is one.
    pub fn update(
        &mut self,
        holding: Vec<Alert>,
        current: impl Fn(&Alert) -> Option<(f64, u64)>,
        event_time: Option<i64>,
        model_version: Option<u64>,
    ) -> Vec<AlertEvent> {
        let mut events = Vec::new();
        let mut next = BTreeMap::new();
        for alert in holding {
            let id = alert.id();
            if !self.active.contains_key(&id) {
                events.push(AlertEvent {
                    state: Transition::Firing,
                    event_time,
                    model_version,
                    alert: alert.clone(),
                });
            }
            next.insert(id, alert);
        }
        for (id, mut alert) in std::mem::take(&mut self.active) {
            if !next.contains_key(&id) {
                if let Some((value, samples)) = current(&alert) {
                    alert.value = value;
                    alert.samples = samples;
                }
                events.push(AlertEvent {
                    state: Transition::Resolved,
                    event_time,
                    model_version,
                    alert,
                });
            }
        }
        self.active = next;
        events
    }

    /// Loads the alerts that were firing when the state in `path` was saved, so a restart
    /// does not report them as firing again. A missing or invalid file starts empty.
    pub fn load(path: &Path) -> AlertBook {
        let Ok(bytes) = std::fs::read(path) else {
            return AlertBook::default();
        };
        match serde_json::from_slice::<Vec<Alert>>(&bytes) {
            Ok(alerts) => AlertBook {
                active: alerts.into_iter().map(|a| (a.id(), a)).collect(),
            },
            Err(err) => {
                log::warn!(
                    "{} is invalid ({err}); firing alerts will be reported again",
                    path.display()
                );
                AlertBook::default()
            }
        }
    }

    /// Saves the firing alerts to `path` atomically.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let alerts: Vec<&Alert> = self.active.values().collect();
        crate::export::write_atomic(path, &serde_json::to_vec(&alerts)?)?;
        Ok(())
    }

    pub fn active(&self) -> Vec<Alert> {
        let mut alerts: Vec<Alert> = self.active.values().cloned().collect();
        alerts.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.rule.cmp(&b.rule))
        });
        alerts
    }
}

/// Appends alert changes to `alerts.jsonl` in the state folder.
pub struct AlertFile {
    path: PathBuf,
}

impl AlertFile {
    pub fn new(state_dir: &Path) -> AlertFile {
        AlertFile {
            path: state_dir.join("alerts.jsonl"),
        }
    }

    pub fn append(&self, events: &[AlertEvent]) -> std::io::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = owner_only(OpenOptions::new().create(true).append(true)).open(&self.path)?;
        let mut buffer = Vec::new();
        for event in events {
            serde_json::to_writer(&mut buffer, event)?;
            buffer.push(b'\n');
        }
        file.write_all(&buffer)
    }

    /// Logs each change at a level that matches its severity.
    pub fn log(events: &[AlertEvent]) {
        for event in events {
            let text = event.alert.describe();
            match (event.state, event.alert.severity) {
                (Transition::Resolved, _) => log::info!("RESOLVED {text}"),
                (Transition::Firing, Severity::Critical) => log::error!("FIRING {text}"),
                (Transition::Firing, Severity::Warning) => log::warn!("FIRING {text}"),
                (Transition::Firing, Severity::Info) => log::info!("FIRING {text}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(segment: &str, value: f64) -> Alert {
        Alert {
            rule: "low".to_string(),
            severity: Severity::Warning,
            metric: "csat_pct".to_string(),
            window: Window::All,
            dimension: Some("region".to_string()),
            segment: Some(segment.to_string()),
            value,
            threshold: 0.5,
            samples: 40,
        }
    }

    #[test]
    fn book_reports_firing_and_resolved_once() {
        let mut book = AlertBook::default();
        let events = book.update(vec![alert("north", 0.4)], |_| None, Some(1), None);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].state, Transition::Firing);

        let events = book.update(vec![alert("north", 0.41)], |_| None, Some(2), None);
        assert!(events.is_empty(), "a held alert fires once");
        assert_eq!(book.active().len(), 1);

        let events = book.update(Vec::new(), |_| Some((0.62, 45)), Some(3), Some(7));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].state, Transition::Resolved);
        assert!(
            (events[0].alert.value - 0.62).abs() < 1e-12,
            "the resolved event shows the value now"
        );
        assert_eq!(events[0].alert.samples, 45);
        assert_eq!(events[0].model_version, Some(7));
        assert!(book.active().is_empty());
    }
}
