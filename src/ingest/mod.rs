//! Ingestion: which drops belong to which source, reading what is new in them, and
//! normalizing the records into a batch for the case store.
//!
//! Drops are tracked by file identity (device and inode, checked by a fingerprint of their
//! first bytes), not by name. So a drop renamed by a rotation is not read twice, and a new
//! file under an old name is read from its start.

pub mod format;
mod quarantine;
mod tail;
pub mod watcher;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::Config;
use crate::normalize::{self, CleanRecord, Rejection};
pub use quarantine::{Quarantine, owner_only};
use tail::Tail;
pub use tail::{ReadOptions, TailState, fnv1a};

/// Source or lookup a drop feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Source(usize),
    Lookup(usize),
}

/// Clean records and rejections from one pass over some drops, with the read positions
/// they reach: a checkpoint commits both together.
#[derive(Debug, Default)]
pub struct Batch {
    pub records: Vec<(usize, CleanRecord)>,
    pub lookup_rows: Vec<(usize, String, HashMap<String, String>)>,
    pub rejections: Vec<Rejection>,
    /// Records read, accepted or not.
    pub rows_read: u64,
    /// Read positions of the drops this pass touched.
    pub tails: Vec<TailState>,
    /// Drops no longer in the folder, by device and inode.
    pub removed: Vec<(u64, u64)>,
}

impl Batch {
    /// Reports whether the batch changes nothing, not even a read position.
    pub fn is_empty(&self) -> bool {
        self.rows_read == 0
            && self.rejections.is_empty()
            && self.tails.is_empty()
            && self.removed.is_empty()
    }
}

/// Per-drop progress shown on the Ingest view.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FileStats {
    pub target: String,
    pub rows: u64,
    pub rejected: u64,
    pub bytes_read: u64,
    pub waiting: bool,
}

/// Reports whether a file name belongs to a writer still at work or to an editor, so it is
/// never read: dot files, `~` backups and `.tmp`, `.swp`, `.part` and `.crdownload` files.
pub fn is_temporary(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || [".tmp", ".swp", ".swx", ".part", ".crdownload"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// Reads drops of one folder.
pub struct Ingestor {
    config: Config,
    tails: HashMap<(u64, u64), Tail>,
    pub files: BTreeMap<String, FileStats>,
    ignored: HashSet<String>,
}

impl Ingestor {
    pub fn new(config: &Config) -> Ingestor {
        Ingestor {
            config: config.clone(),
            tails: HashMap::new(),
            files: BTreeMap::new(),
            ignored: HashSet::new(),
        }
    }

    /// Resumes reading from checkpointed positions.
    pub fn restore(&mut self, states: Vec<TailState>) {
        for state in states {
            if let Some(target) = self.target_of(&state.name) {
                let identity = state.identity();
                let name = state.name.clone();
                let target_name = self.target_name(target);
                let stats = self.files.entry(name).or_default();
                stats.target = target_name;
                stats.bytes_read = state.offset;
                self.tails
                    .insert(identity, Tail::restore(state, self.options(target)));
            }
        }
    }

    /// Read positions of every known drop.
    pub fn states(&self) -> Vec<TailState> {
        let mut states: Vec<TailState> = self.tails.values().map(Tail::state).collect();
        states.sort_by(|a, b| a.name.cmp(&b.name));
        states
    }

    /// Returns what a drop with this file name feeds, if anything.
    pub fn target_of(&self, name: &str) -> Option<Target> {
        if is_temporary(name) {
            return None;
        }
        if let Some(index) = self
            .config
            .sources
            .iter()
            .position(|s| s.files.matches(name))
        {
            return Some(Target::Source(index));
        }
        self.config
            .lookups
            .iter()
            .position(|l| l.files.matches(name))
            .map(Target::Lookup)
    }

    fn options(&self, target: Target) -> ReadOptions {
        match target {
            Target::Source(i) => {
                let s = &self.config.sources[i];
                ReadOptions {
                    format: s.format,
                    delimiter: s.delimiter,
                    json_key: s.json_key.clone(),
                }
            }
            Target::Lookup(i) => {
                let l = &self.config.lookups[i];
                ReadOptions {
                    format: l.format,
                    delimiter: l.delimiter,
                    json_key: l.json_key.clone(),
                }
            }
        }
    }

    fn target_name(&self, target: Target) -> String {
        match target {
            Target::Source(i) => self.config.sources[i].name.clone(),
            Target::Lookup(i) => self.config.lookups[i].name.clone(),
        }
    }

    /// Lists the drops in `dir` that feed a source or lookup, sorted by name.
    pub fn list(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            // Symbolic links count when they point at a file, as the watcher reports them.
            if !std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
                continue;
            }
            if self
                .target_of(&entry.file_name().to_string_lossy())
                .is_some()
            {
                paths.push(entry.path());
            }
        }
        paths.sort();
        Ok(paths)
    }

    /// Lists `dir`, reads everything new, and drops the read positions of files that left the folder.
    pub fn scan(&mut self, dir: &Path) -> std::io::Result<Batch> {
        let paths = self.list(dir)?;
        let mut present = HashSet::new();
        for path in &paths {
            if let Ok(metadata) = std::fs::metadata(path) {
                present.insert(tail::identity(&metadata));
            }
        }
        let mut batch = self.read_paths(&paths);
        let gone: Vec<(u64, u64)> = self
            .tails
            .keys()
            .filter(|id| !present.contains(id))
            .copied()
            .collect();
        for identity in gone {
            if let Some(tail) = self.tails.remove(&identity) {
                log::debug!(
                    "{}: no longer in the folder, its read position is dropped",
                    tail.state().name
                );
            }
            batch.removed.push(identity);
        }
        Ok(batch)
    }

    /// Reads everything new in the given drops.
    pub fn read_paths(&mut self, paths: &[PathBuf]) -> Batch {
        let mut batch = Batch::default();
        let quiet = Duration::from_secs_f64(self.config.quiet_seconds);
        let invalid_after = Duration::from_secs_f64(self.config.invalid_document_seconds);
        for path in paths {
            self.read_one(path, quiet, invalid_after, &mut batch);
        }
        batch
    }

    fn read_one(
        &mut self,
        path: &Path,
        quiet: Duration,
        invalid_after: Duration,
        batch: &mut Batch,
    ) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(target) = self.target_of(&name) else {
            if !is_temporary(&name) && self.ignored.insert(name.clone()) {
                log::debug!("{name}: matches no source or lookup, ignored");
            }
            return;
        };
        let identity = match std::fs::metadata(path) {
            Ok(metadata) if metadata.is_file() => tail::identity(&metadata),
            Ok(_) => return,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return,
            Err(err) => {
                log::warn!("{name}: failed to read metadata, retrying on the next change: {err}");
                return;
            }
        };
        let options = self.options(target);
        let tail = self
            .tails
            .entry(identity)
            .or_insert_with(|| Tail::new(&name, identity, options));
        let before = tail.state();

        let outcome = match tail.read(path, quiet, invalid_after) {
            Ok(outcome) => outcome,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return,
            Err(err) => {
                log::warn!("{name}: read failed, retrying on the next change: {err}");
                return;
            }
        };
        let after = tail.state();
        if after != before {
            batch.tails.push(after);
        }
        let offset = tail.offset();
        let target_name = self.target_name(target);
        let stats = self.files.entry(name.clone()).or_default();
        stats.target = target_name;
        stats.bytes_read = offset;
        stats.waiting = outcome.waiting;
        stats.rejected += outcome.rejections.len() as u64;

        if before.offset == 0
            && let Some(first) = outcome.records.first()
        {
            self.warn_missing_columns(target, first);
        }
        let stats = self.files.entry(name).or_default();
        batch.rows_read += (outcome.records.len() + outcome.rejections.len()) as u64;
        batch.rejections.extend(outcome.rejections);
        for raw in outcome.records {
            let result = match target {
                Target::Source(i) => {
                    normalize::normalize(&self.config.sources[i], &self.config.timezone, &raw)
                        .map(|clean| batch.records.push((i, clean)))
                }
                Target::Lookup(i) => normalize::lookup_row(&self.config.lookups[i], &raw)
                    .map(|(key, row)| batch.lookup_rows.push((i, key, row))),
            };
            match result {
                Ok(()) => stats.rows += 1,
                Err(rejection) => {
                    stats.rejected += 1;
                    batch.rejections.push(rejection);
                }
            }
        }
    }

    /// Warns once per drop when its first record lacks a column the config maps, because
    /// then every record would be rejected or miss a field for the same reason.
    fn warn_missing_columns(&self, target: Target, first: &crate::normalize::RawRecord) {
        let (name, key, mapped): (&str, &str, Vec<&str>) = match target {
            Target::Source(i) => {
                let source = &self.config.sources[i];
                let mapped = source
                    .fields
                    .iter()
                    .flat_map(|f| f.columns.iter().map(String::as_str))
                    .collect();
                (&source.name, &source.key, mapped)
            }
            Target::Lookup(i) => (
                &self.config.lookups[i].name,
                &self.config.lookups[i].key,
                Vec::new(),
            ),
        };
        let has = |column: &str| first.columns.iter().any(|c| c == column);
        if !has(key) {
            log::warn!(
                "{}: no column '{}', the key of '{name}'; every record will be rejected. Columns: {}",
                crate::ui::sanitize::clean(&first.file),
                crate::ui::sanitize::clean(key),
                crate::ui::sanitize::clean(&first.columns.join(", "))
            );
        }
        let mut missing: Vec<&str> = mapped.into_iter().filter(|c| !has(c)).collect();
        missing.dedup();
        // JSON records leave out empty fields, so only a CSV header says a column is absent.
        if !missing.is_empty() && first.line > 1 {
            log::info!(
                "{}: no column {} mapped by '{name}'; check the column names in the config",
                crate::ui::sanitize::clean(&first.file),
                crate::ui::sanitize::clean(
                    &missing
                        .iter()
                        .map(|c| format!("'{c}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            );
        }
    }

    /// Reads every complete record of one drop, from its start, without normalizing them.
    pub fn read_all_records(&self, path: &Path) -> Vec<crate::normalize::RawRecord> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(target) = self.target_of(&name) else {
            return Vec::new();
        };
        let mut tail = Tail::new(&name, (0, 0), self.options(target));
        match tail.read(path, Duration::ZERO, Duration::ZERO) {
            Ok(outcome) => outcome.records,
            Err(err) => {
                log::warn!("{name}: read failed: {err}");
                Vec::new()
            }
        }
    }
}
