//! The engine: owns the case store, applies batches from the reader, trains the model in
//! the background and publishes snapshots. The engine is moved into its own thread, so
//! the screen reads snapshots and never locks engine state.

mod checkpoint;
mod learning;
mod snapshot;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::alerts::{self, AlertBook, AlertEvent, AlertFile};
use crate::cases::CaseStore;
use crate::config::{Config, ModelSettings};
use crate::ingest::watcher::{self, Change};
use crate::ingest::{Batch, Ingestor, Quarantine, TailState};
use crate::metrics::{self, CaseFacts, Window};
use crate::ui::sanitize::clean;
use checkpoint::{Counters, StateStore};
pub use learning::ClusterStatus;
use learning::{Learning, TrainingOutcome};
pub use snapshot::{IngestStatus, ModelStatus, Snapshot};

/// File in the state folder with the alerts firing, so a restart does not fire them again.
const ACTIVE_ALERTS: &str = "alerts-active.json";

/// Starts watching `dir` (by polling with `poll`) and sends each change to the engine.
pub fn watch_into(
    dir: &Path,
    poll: bool,
    inputs: &mpsc::Sender<Input>,
) -> anyhow::Result<watcher::FolderWatch> {
    let sender = std::sync::Mutex::new(inputs.clone());
    watcher::start(dir, poll, move |change| {
        sender
            .lock()
            .is_ok_and(|s| s.send(Input::Change(change)).is_ok())
    })
    .with_context(|| format!("failed to watch {}", dir.display()))
}

/// Span over which the rows-per-second figure is measured.
const RATE_WINDOW: Duration = Duration::from_secs(5);

/// Requests to the engine from the screen or a signal handler.
#[derive(Debug)]
pub enum Command {
    Retrain,
    /// Retrains with other settings than the config's, for experiments and tests.
    RetrainWith(ModelSettings),
    Shutdown,
}

/// Everything the engine thread reacts to.
pub enum Input {
    Change(Change),
    Command(Command),
    Trained(Box<TrainingOutcome>),
}

pub struct Engine {
    config: Config,
    folder: PathBuf,
    ingestor: Ingestor,
    store: CaseStore,
    quarantine: Quarantine,
    alert_book: AlertBook,
    alert_file: AlertFile,
    learning: Learning,
    /// Settings of a training request made while another run was going.
    pending_training: Option<ModelSettings>,
    /// Rated cases in the last snapshot.
    rated: usize,
    /// Rows per second in the last snapshot.
    last_rate: f64,
    counters: Counters,
    /// File and reason pairs already logged.
    reported_rejections: HashSet<(String, String)>,
    /// Checkpoints and journal; absent for one-shot commands that keep no state.
    state: Option<StateStore>,
    throughput: VecDeque<(Instant, u64)>,
    sequence: u64,
    mode: String,
    /// Receives every alert change, for the headless printer.
    pub alert_events: Option<mpsc::Sender<AlertEvent>>,
}

impl Engine {
    /// Starts an engine that keeps no state between runs, for one-shot commands. Its
    /// rejections go to `report-quarantine.jsonl`, recreated each run.
    /// It reads each drop whole, as it is now: a last record without its newline counts,
    /// and a JSON document that does not parse is rejected at once.
    pub fn new(config: &Config, folder: &Path) -> anyhow::Result<Engine> {
        let mut config = config.clone();
        config.quiet_seconds = 0.0;
        config.invalid_document_seconds = 0.0;
        Engine::with_quarantine(
            &config,
            folder,
            &config.state_dir.join("report-quarantine.jsonl"),
            false,
        )
    }

    /// Starts an engine that resumes from the checkpoint in the state folder and journals
    /// every batch, for `watch`. Its rejections are appended to `quarantine.jsonl`.
    pub fn open(config: &Config, folder: &Path) -> anyhow::Result<Engine> {
        let mut engine = Engine::with_quarantine(
            config,
            folder,
            &config.state_dir.join("quarantine.jsonl"),
            true,
        )?;
        let (state, restored) = StateStore::open(&config.state_dir, config, &engine.folder)
            .with_context(|| {
                format!(
                    "failed to open the checkpoint in {}",
                    config.state_dir.display()
                )
            })?;
        let mut tails: HashMap<(u64, u64), TailState> = HashMap::new();
        let resumed = restored.checkpoint.is_some();
        if let Some(checkpoint) = restored.checkpoint {
            engine.store.restore(checkpoint.cases);
            engine.counters = checkpoint.counters;
            tails.extend(checkpoint.tails.into_iter().map(|t| (t.identity(), t)));
        }
        let replayed = restored.entries.len();
        for entry in restored.entries {
            for (table, key, row) in entry.lookup_rows {
                engine.store.lookups.insert(table, key, row);
            }
            for (source, record) in &entry.records {
                if let Some(source) = engine.config.sources.get(*source) {
                    engine.store.upsert(&source.fields, record);
                }
            }
            engine.counters.add(entry.rows_read, &entry.rejections);
            tails.extend(entry.tails.into_iter().map(|t| (t.identity(), t)));
            for identity in entry.removed {
                tails.remove(&identity);
            }
        }
        if !engine.store.is_empty() || replayed > 0 {
            log::info!(
                "resumed {} cases and {} drops from the checkpoint and {replayed} journal entries",
                engine.store.len(),
                tails.len()
            );
        }
        engine.ingestor.restore(tails.into_values().collect());
        engine.learning = Learning::new(Some(config.state_dir.join("model.json")));
        engine.state = Some(state);
        if resumed {
            engine.alert_book = AlertBook::load(&config.state_dir.join(ACTIVE_ALERTS));
        }
        Ok(engine)
    }

    fn with_quarantine(
        config: &Config,
        folder: &Path,
        quarantine_path: &Path,
        append: bool,
    ) -> anyhow::Result<Engine> {
        std::fs::create_dir_all(&config.state_dir).with_context(|| {
            format!(
                "failed to create state folder {}",
                config.state_dir.display()
            )
        })?;
        let quarantine = Quarantine::create(quarantine_path, append).with_context(|| {
            format!(
                "failed to create quarantine file {}",
                quarantine_path.display()
            )
        })?;
        Ok(Engine {
            ingestor: Ingestor::new(config),
            store: CaseStore::new(config),
            quarantine,
            alert_book: AlertBook::default(),
            alert_file: AlertFile::new(&config.state_dir),
            learning: Learning::new(None),
            pending_training: None,
            rated: 0,
            last_rate: 0.0,
            counters: Counters::default(),
            reported_rejections: HashSet::new(),
            state: None,
            throughput: VecDeque::new(),
            sequence: 0,
            mode: "scan".to_string(),
            alert_events: None,
            // Events name absolute paths, so the folder is made absolute to match them.
            folder: std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf()),
            config: config.clone(),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn set_mode(&mut self, mode: &str) {
        self.mode = mode.to_string();
    }

    /// Lists the folder, reads what is new in every drop, and drops the read positions of files that left it.
    /// Returns whether anything changed.
    pub fn scan(&mut self) -> anyhow::Result<bool> {
        let batch = self
            .ingestor
            .scan(&self.folder)
            .with_context(|| format!("failed to list {}", self.folder.display()))?;
        Ok(self.apply(batch))
    }

    /// Reads what is new in the given drops; paths outside the folder are ignored. Returns
    /// whether anything changed.
    pub fn read_paths(&mut self, paths: &[PathBuf]) -> bool {
        let paths: Vec<PathBuf> = paths
            .iter()
            .filter(|p| p.parent() == Some(self.folder.as_path()))
            .cloned()
            .collect();
        let batch = self.ingestor.read_paths(&paths);
        self.apply(batch)
    }

    /// Drops whose last bytes are not a complete record yet.
    fn waiting_paths(&self) -> Vec<PathBuf> {
        self.ingestor
            .files
            .iter()
            .filter(|(_, s)| s.waiting)
            .map(|(name, _)| self.folder.join(name))
            .collect()
    }

    /// Applies a batch: quarantine first, then the journal, then the case store. A crash
    /// before the journal line is synced reads the batch again on restart, so its
    /// quarantine lines may repeat but its rows count once.
    fn apply(&mut self, mut batch: Batch) -> bool {
        if batch.is_empty() {
            return false;
        }
        if let Err(err) = self.quarantine.write(&batch.rejections) {
            log::error!(
                "failed to write {}: {err}",
                self.quarantine.path().display()
            );
        }
        let reasons: Vec<String> = batch
            .rejections
            .iter()
            .map(|r| reason_class(&r.reason))
            .collect();
        if let Some(state) = &mut self.state
            && let Err(err) = state.append(&batch, &reasons)
        {
            log::error!("failed to append to the journal; a restart reads this batch again: {err}");
        }

        for (table, key, row) in std::mem::take(&mut batch.lookup_rows) {
            self.store.lookups.insert(table, key, row);
        }
        for (source, record) in &batch.records {
            self.store
                .upsert(&self.config.sources[*source].fields, record);
        }
        self.counters.add(batch.rows_read, &reasons);
        log_rejections(&batch, &mut self.reported_rejections);

        if self
            .state
            .as_ref()
            .is_some_and(StateStore::needs_compaction)
        {
            self.compact();
        }
        true
    }

    /// Writes a full checkpoint and starts a new journal.
    pub fn compact(&mut self) {
        let cases = self.store.to_saved();
        let tails = self.ingestor.states();
        let counters = self.counters.clone();
        if let Some(state) = &mut self.state
            && let Err(err) = state.compact(cases, tails, counters)
        {
            log::error!("failed to write the checkpoint; the journal keeps every batch: {err:#}");
        }
    }

    /// Saves the serving model to `model.json` in the state folder and returns the path.
    pub fn save_model(&self) -> anyhow::Result<Option<PathBuf>> {
        let Some(model) = self.learning.current() else {
            return Ok(None);
        };
        let path = self.config.state_dir.join("model.json");
        model.save(&path)?;
        Ok(Some(path))
    }

    /// Trains the models on the current cases, in this thread.
    pub fn train_now(&mut self) {
        let facts = self.facts();
        let version = self.learning.status.version.unwrap_or(0) + 1;
        let current = self.learning.current();
        let outcome = learning::train(&facts, &self.config.model, version, current.as_deref());
        self.learning.rated_at_training = outcome.rated;
        self.learning.install(outcome);
    }

    /// Facts of every case with predictions and sentiment filled in.
    fn facts(&mut self) -> Vec<CaseFacts> {
        let mut facts =
            metrics::case_facts(&self.store, &self.config, self.learning.cluster_labels());
        self.learning.score(&mut facts, self.store.lookups.version);
        facts
    }

    /// Computes a new snapshot: predictions, figures per window, alerts.
    pub fn snapshot(&mut self) -> Snapshot {
        let facts = self.facts();

        let mut windows: Vec<Window> = self.config.windows.clone();
        for rule in &self.config.alerts {
            if !windows.contains(&rule.window) {
                windows.push(rule.window);
            }
        }
        if !windows.contains(&Window::All) {
            windows.push(Window::All);
        }
        let figures: BTreeMap<String, metrics::WindowFigures> = windows
            .iter()
            .map(|w| {
                (
                    w.to_string(),
                    metrics::window_figures(&facts, &self.config, *w),
                )
            })
            .collect();

        self.rated = figures
            .get("all")
            .map_or(0, |all| all.overall.rated as usize);
        let hints = figures
            .get("all")
            .map(|all| metrics::hints::hints(all, self.config.min_segment_cases, 3))
            .unwrap_or_default();
        let holding = alerts::evaluate(&self.config, &figures);
        let watermark = metrics::watermark(&facts);
        let events = self.alert_book.update(
            holding,
            |alert| alerts::current_value(&figures, alert),
            watermark,
            self.learning.status.version,
        );
        AlertFile::log(&events);
        if self.state.is_some()
            && !events.is_empty()
            && let Err(err) = self
                .alert_book
                .save(&self.config.state_dir.join(ACTIVE_ALERTS))
        {
            log::error!("failed to save the firing alerts: {err:#}");
        }
        if let Err(err) = self.alert_file.append(&events) {
            log::error!("failed to append to alerts.jsonl: {err}");
        }
        if let Some(sender) = &self.alert_events {
            for event in events {
                let _ = sender.send(event);
            }
        }

        self.sequence += 1;
        self.last_rate = self.rows_per_second();
        Snapshot {
            sequence: self.sequence,
            min_segment_cases: self.config.min_segment_cases,
            cases: self.store.len(),
            windows: figures,
            window_order: self
                .config
                .windows
                .iter()
                .map(ToString::to_string)
                .collect(),
            dimensions: self
                .config
                .dimensions
                .iter()
                .map(|d| d.name.clone())
                .collect(),
            model: self.learning.status.clone(),
            alerts: self.alert_book.active(),
            hints,
            ingest: IngestStatus {
                folder: self.folder.display().to_string(),
                mode: self.mode.clone(),
                rows_read: self.counters.rows_read,
                rejected_rows: self.counters.rejected_rows,
                rows_per_second: self.last_rate,
                files: self.ingestor.files.clone(),
                rejections_by_reason: self.counters.rejections_by_reason.clone(),
                quarantine_file: self.quarantine.path().display().to_string(),
            },
        }
    }

    fn rows_per_second(&mut self) -> f64 {
        let now = Instant::now();
        self.throughput.push_back((now, self.counters.rows_read));
        while self.throughput.len() > 2 && now.duration_since(self.throughput[0].0) > RATE_WINDOW {
            self.throughput.pop_front();
        }
        let (start, rows) = self.throughput[0];
        let seconds = now.duration_since(start).as_secs_f64();
        if seconds > 0.0 {
            (self.counters.rows_read - rows) as f64 / seconds
        } else {
            0.0
        }
    }

    /// Runs the engine loop until `Command::Shutdown` or until every sender is gone,
    /// publishing a snapshot after each change at most every `refresh_millis`.
    pub fn run(
        mut self,
        inputs: &mpsc::Receiver<Input>,
        retrain: &mpsc::Sender<Input>,
        publish: impl Fn(Snapshot),
    ) -> Snapshot {
        let refresh = Duration::from_millis(self.config.refresh_millis);
        let mut dirty = true;
        let mut last_publish = Instant::now()
            .checked_sub(refresh)
            .unwrap_or_else(Instant::now);
        if let Err(err) = self.scan() {
            log::error!("{err:#}");
        }
        loop {
            match inputs.recv_timeout(refresh) {
                Ok(Input::Change(Change::Paths(paths))) => dirty |= self.read_paths(&paths),
                Ok(Input::Change(Change::Rescan)) => match self.scan() {
                    Ok(changed) => dirty |= changed,
                    Err(err) => log::error!("{err:#}"),
                },
                Ok(Input::Command(Command::Retrain)) => {
                    self.start_training(retrain, self.config.model.clone());
                    dirty = true;
                }
                Ok(Input::Command(Command::RetrainWith(settings))) => {
                    self.start_training(retrain, settings);
                    dirty = true;
                }
                Ok(Input::Command(Command::Shutdown))
                | Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Ok(Input::Trained(outcome)) => {
                    self.learning.install(*outcome);
                    if let Some(settings) = self.pending_training.take() {
                        self.start_training(retrain, settings);
                    }
                    dirty = true;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let waiting = self.waiting_paths();
                    if !waiting.is_empty() {
                        dirty |= self.read_paths(&waiting);
                    }
                    // Once rows stop arriving, one more snapshot brings the rate back to 0.
                    dirty |= self.last_rate > 0.0 && last_publish.elapsed() >= RATE_WINDOW;
                }
            }
            if dirty && last_publish.elapsed() >= refresh {
                publish(self.snapshot());
                last_publish = Instant::now();
                dirty = false;
                if self.training_due() {
                    self.start_training(retrain, self.config.model.clone());
                }
            }
        }
        let last = self.snapshot();
        self.compact();
        publish(last.clone());
        last
    }

    /// Reports whether the schedule calls for a training run: the first once enough cases
    /// are rated, then one per `retrain_every` new rated cases.
    fn training_due(&self) -> bool {
        let settings = &self.config.model;
        let since = self.rated.saturating_sub(self.learning.rated_at_training);
        if self.learning.status.training {
            return false;
        }
        if self.learning.has_model() {
            settings.retrain_every > 0 && since >= settings.retrain_every
        } else {
            self.rated >= settings.min_rated && since > 0
        }
    }

    /// Trains in a background thread; a request during a run starts once it ends.
    fn start_training(&mut self, results: &mpsc::Sender<Input>, settings: ModelSettings) {
        if self.learning.status.training {
            log::info!("a training run is in progress; the request starts when it ends");
            self.pending_training = Some(settings);
            return;
        }
        self.learning.status.training = true;
        let facts = self.facts();
        self.learning.rated_at_training = self.rated;
        let version = self.learning.status.version.unwrap_or(0) + 1;
        let current = self.learning.current();
        let results = results.clone();
        log::info!(
            "training model v{version} on {} cases in the background",
            facts.len()
        );
        let spawned = std::thread::Builder::new()
            .name("csmon-train".to_string())
            .spawn(move || {
                let outcome = std::panic::catch_unwind(|| {
                    learning::train(&facts, &settings, version, current.as_deref())
                });
                let outcome = outcome.unwrap_or_else(|_| {
                    TrainingOutcome::failed("training panicked; the previous model keeps serving")
                });
                let _ = results.send(Input::Trained(Box::new(outcome)));
            });
        if let Err(err) = spawned {
            self.learning.status.training = false;
            log::error!("failed to start the training thread: {err}");
        }
    }
}

/// Groups rejection reasons by their text before the first ':' or ';', without the values
/// they quote, so counts per reason do not split on the values inside them.
fn reason_class(reason: &str) -> String {
    let mut unquoted = String::new();
    for (index, part) in reason.split('\'').enumerate() {
        unquoted.push_str(if index % 2 == 0 { part } else { "..." });
    }
    let cut = unquoted.find([':', ';']).unwrap_or(unquoted.len());
    unquoted[..cut].trim().to_string()
}

/// Logs one warning the first time a file rejects records for a reason. Later rejections
/// of that file and reason are only counted, so a bad export does not flood the log.
fn log_rejections(batch: &Batch, reported: &mut HashSet<(String, String)>) {
    let mut counts: BTreeMap<(&str, String), (u64, u64, &str)> = BTreeMap::new();
    for rejection in &batch.rejections {
        let entry = counts
            .entry((&rejection.file, reason_class(&rejection.reason)))
            .or_insert((0, rejection.line, &rejection.field));
        entry.0 += 1;
    }
    for ((file, reason), (count, line, field)) in counts {
        if reported.insert((file.to_string(), reason.clone())) {
            log::warn!(
                "{}: {count} record(s) quarantined, first at line {line}, field '{}': {}; later ones are only counted",
                clean(file),
                clean(field),
                clean(&reason)
            );
        }
    }
}
