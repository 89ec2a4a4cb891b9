//! The learned part on real data: the regressor against its baseline, the sentiment scorers,
//! the challenger rule driven through the engine's command channel, and a restart that
//! loads the saved model.

#![allow(
    clippy::format_push_string,
    reason = "test data reads best built line by line"
)]

mod common;

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use csmon::config::{Config, ModelSettings};
use csmon::engine::{Command, Engine, Input, Snapshot};

fn olist_config(state: &Path) -> Config {
    let text = std::fs::read_to_string(common::root().join("config/olist.toml")).expect("config");
    let text = text
        .replace(
            "state_dir = \".csmon/olist\"",
            &format!("state_dir = {:?}", state.display().to_string()),
        )
        .replace("min_rated = 200", "min_rated = 1000000")
        .replace("sample_size = 50000", "sample_size = 1000000")
        .replace("retrain_every = 1000", "retrain_every = 0");
    Config::parse(&text, "test config", state).expect("config is valid")
}

/// An engine running in its own thread, as `watch` runs it, with its snapshots collected.
struct Running {
    inputs: mpsc::Sender<Input>,
    snapshots: mpsc::Receiver<Snapshot>,
    thread: std::thread::JoinHandle<Snapshot>,
    _watch: csmon::ingest::watcher::FolderWatch,
}

impl Running {
    fn start(config: &Config, dir: &Path) -> Running {
        let engine = Engine::open(config, dir).expect("engine opens");
        let (inputs, receiver) = mpsc::channel();
        let (publish, snapshots) = mpsc::channel();
        let retrain = inputs.clone();
        let watch = csmon::engine::watch_into(dir, false, &inputs).expect("folder watch starts");
        let thread = std::thread::spawn(move || {
            engine.run(&receiver, &retrain, move |snapshot| {
                let _ = publish.send(snapshot);
            })
        });
        Running {
            inputs,
            snapshots,
            thread,
            _watch: watch,
        }
    }

    fn send(&self, command: Command) {
        self.inputs
            .send(Input::Command(command))
            .expect("engine listens");
    }

    fn wait_for(&self, what: &str, check: impl Fn(&Snapshot) -> bool) -> Snapshot {
        let deadline = Instant::now() + Duration::from_secs(120);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.snapshots.recv_timeout(left) {
                Ok(snapshot) if check(&snapshot) => return snapshot,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no snapshot with {what}");
    }

    fn stop(self) -> Snapshot {
        self.send(Command::Shutdown);
        self.thread.join().expect("engine thread ends")
    }
}

fn weak() -> ModelSettings {
    ModelSettings {
        min_rated: 10,
        trees: 1,
        max_depth: 1,
        min_samples_leaf: 1,
        ..ModelSettings::default()
    }
}

fn strong() -> ModelSettings {
    ModelSettings {
        min_rated: 10,
        ..ModelSettings::default()
    }
}

#[test]
fn challenger_swapped_only_when_not_worse() {
    let temp = tempfile::tempdir().expect("temp dir");
    let config = olist_config(temp.path());
    let running = Running::start(&config, &common::olist_dir());
    running.wait_for("all cases", |s| s.cases == 8135);

    running.send(Command::RetrainWith(weak()));
    let first = running.wait_for("model v1", |s| {
        s.model.version == Some(1) && !s.model.training
    });
    let weak_mae = first.model.evaluation.as_ref().expect("evaluation").mae;

    running.send(Command::RetrainWith(strong()));
    let second = running.wait_for("model v2", |s| {
        s.model.version == Some(2) && !s.model.training
    });
    let strong_mae = second.model.evaluation.as_ref().expect("evaluation").mae;
    assert!(
        strong_mae < weak_mae,
        "the better challenger is swapped in: {strong_mae} against {weak_mae}"
    );
    assert_eq!(second.model.rejected, 0);

    running.send(Command::RetrainWith(weak()));
    let third = running.wait_for("a rejected challenger", |s| {
        s.model.rejected == 1 && !s.model.training
    });
    assert_eq!(
        third.model.version,
        Some(2),
        "the worse challenger is not swapped in"
    );
    let reason = third.model.last_error.as_deref().expect("reason is shown");
    assert!(
        reason.contains("rejected") && reason.contains("worse"),
        "{reason}"
    );
    let before = running.stop();

    // A restart loads the saved model and predicts the same.
    let running = Running::start(&config, &common::olist_dir());
    let after = running.wait_for("the loaded model's predictions", |s| {
        s.cases == 8135
            && s.window("all")
                .is_some_and(|w| w.overall.predicted_csat_mean.is_some())
    });
    assert_eq!(after.model.version, Some(2));
    let predicted = |s: &Snapshot| s.window("all").and_then(|w| w.overall.predicted_csat_mean);
    assert_eq!(predicted(&after), predicted(&before));
    let states = |s: &Snapshot| -> Vec<Option<f64>> {
        s.window("all").expect("all").dimensions[0]
            .rows
            .iter()
            .map(|r| r.figures.predicted_csat_mean)
            .collect()
    };
    assert_eq!(states(&after), states(&before));
    running.stop();
}

/// Runs `csmon train --format json` on the Olist sample and returns its output.
fn train_json(config: &Path) -> serde_json::Value {
    let output = common::csmon(&[
        "--config",
        &config.display().to_string(),
        "train",
        &common::olist_dir().display().to_string(),
        "--format",
        "json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn train_command_beats_baseline_and_saves() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (config, state) = common::config_in(temp.path(), "olist.toml");
    let status = train_json(&config);

    let mae = common::f64_at(&status, "/evaluation/mae");
    let baseline = common::f64_at(&status, "/evaluation/baseline_mae");
    assert!(
        mae <= 0.9 * baseline,
        "time-split MAE {mae} against baseline {baseline}"
    );
    let random = common::f64_at(&status, "/evaluation/random_split/mae");
    assert!(random < common::f64_at(&status, "/evaluation/random_split/baseline_mae"));
    let importance = status
        .pointer("/evaluation/importance")
        .and_then(|v| v.as_array())
        .expect("importance");
    assert_eq!(importance.len(), csmon::model::FEATURE_NAMES.len());
    assert!(state.join("model.json").exists(), "train saves the model");

    let table = common::csmon(&[
        "--config",
        &config.display().to_string(),
        "train",
        &common::olist_dir().display().to_string(),
    ]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains(&format!("{mae:.4}")), "{text}");
    assert!(text.contains(&format!("{baseline:.4}")), "{text}");
}

#[test]
fn sentiment_classifier_beats_lexicon_on_olist() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (config, _) = common::config_in(temp.path(), "olist.toml");
    let status = train_json(&config);
    let lexicon = common::f64_at(&status, "/sentiment/lexicon/macro_f1");
    let classifier = common::f64_at(&status, "/sentiment/classifier/macro_f1");
    assert!(common::u64_at(&status, "/sentiment/tested_on") > 500);
    assert!(
        lexicon > 0.7,
        "the lexicon reads Portuguese: macro F1 {lexicon}"
    );
    assert!(
        classifier > lexicon,
        "classifier {classifier} against lexicon {lexicon}"
    );
    assert_eq!(status["sentiment"]["chosen"], "classifier");
}

#[test]
fn engine_keeps_ingesting_during_retrain() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    std::fs::create_dir(&drops).expect("drops");
    let mut tickets = String::new();
    let mut answers = String::new();
    for i in 0..50_000 {
        let hour = i % 24;
        tickets.push_str(&format!(
            "{{\"ticket_id\":\"T{i}\",\"customer_id\":\"c{}\",\"created_at\":\"2026-11-{:02}T{hour:02}:00:00Z\",\"resolved_at\":\"2026-11-{:02}T{hour:02}:30:00Z\",\"channel\":\"{}\",\"order_amount\":{}}}\n",
            i % 9000,
            1 + i % 28,
            2 + i % 27,
            ["chat", "email", "phone"][i % 3],
            10 + i % 500
        ));
        answers.push_str(&format!(
            "{{\"ticket_id\":\"T{i}\",\"score\":{},\"rated_at\":\"2026-11-30T00:00:00Z\"}}\n",
            1 + (i * 7 + i / 3) % 5
        ));
    }
    std::fs::write(drops.join("tickets-big.jsonl"), tickets).expect("write tickets");
    std::fs::write(drops.join("feedback-big.jsonl"), answers).expect("write answers");
    let text = std::fs::read_to_string(common::root().join("config/csmon.toml")).expect("config");
    let text = text
        .replace(
            "state_dir = \".csmon/state\"",
            &format!(
                "state_dir = {:?}",
                temp.path().join("state").display().to_string()
            ),
        )
        .replace("retrain_every = 500", "retrain_every = 0")
        .replace("min_rated = 50", "min_rated = 1000000")
        .replace("sample_size = 50000", "sample_size = 1000000");
    let config = Config::parse(&text, "test config", temp.path()).expect("config");

    let running = Running::start(&config, &drops);
    running.wait_for("50000 cases", |s| s.cases == 50_000);
    running.send(Command::RetrainWith(strong()));
    running.wait_for("training to start", |s| s.model.training);
    std::fs::write(
        drops.join("tickets-late.jsonl"),
        "{\"ticket_id\":\"LATE\",\"created_at\":\"2026-12-01T00:00:00Z\"}\n",
    )
    .expect("write");
    let during = running.wait_for("the new drop", |s| s.cases == 50_001);
    assert!(
        during.model.training,
        "the drop was read while the retrain ran"
    );
    let done = running.wait_for("the retrained model", |s| {
        s.model.version == Some(1) && !s.model.training
    });
    assert_eq!(
        done.model
            .evaluation
            .as_ref()
            .map(|e| e.trained_on + e.tested_on),
        Some(50_000)
    );
    running.stop();
}
