//! Ingestion: which drops belong to which source, reading what is new in them, and
//! normalizing the records into a batch for the case store.

pub mod format;
mod quarantine;
mod tail;
pub mod watcher;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::Config;
use crate::normalize::{self, CleanRecord, Rejection};
pub use quarantine::{Quarantine, owner_only};
use tail::Tail;

/// What a drop feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Source(usize),
    Lookup(usize),
}

/// Clean records and rejections from one pass over some drops.
#[derive(Debug, Default)]
pub struct Batch {
    pub records: Vec<(usize, CleanRecord)>,
    pub lookup_rows: Vec<(usize, String, HashMap<String, String>)>,
    pub rejections: Vec<Rejection>,
    /// Records read, accepted or not.
    pub rows_read: u64,
    /// Newest time of any accepted record, in epoch seconds.
    pub newest_event: Option<i64>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.rows_read == 0 && self.rejections.is_empty()
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

/// Reads drops of one folder.
pub struct Ingestor {
    config: Config,
    tails: HashMap<PathBuf, (Target, Tail)>,
    pub files: BTreeMap<String, FileStats>,
    ignored: std::collections::HashSet<PathBuf>,
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

impl Ingestor {
    pub fn new(config: &Config) -> Ingestor {
        Ingestor {
            config: config.clone(),
            tails: HashMap::new(),
            files: BTreeMap::new(),
            ignored: std::collections::HashSet::new(),
        }
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

    /// Lists the drops in `dir` that feed a source or lookup, sorted by name.
    pub fn list(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            let name = entry.file_name();
            if self.target_of(&name.to_string_lossy()).is_some() {
                paths.push(entry.path());
            }
        }
        paths.sort();
        Ok(paths)
    }

    /// Reads everything new in the given drops.
    pub fn read_paths(&mut self, paths: &[PathBuf]) -> Batch {
        let mut batch = Batch::default();
        let quiet = Duration::from_secs_f64(self.config.quiet_seconds);
        for path in paths {
            self.read_one(path, quiet, &mut batch);
        }
        batch
    }

    /// Reads every complete record of one drop, from its start, without normalizing them.
    pub fn read_all_records(&mut self, path: &Path) -> Vec<crate::normalize::RawRecord> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (format, delimiter) = match self.target_of(&name) {
            Some(Target::Source(i)) => (
                self.config.sources[i].format,
                self.config.sources[i].delimiter,
            ),
            Some(Target::Lookup(i)) => (
                self.config.lookups[i].format,
                self.config.lookups[i].delimiter,
            ),
            None => return Vec::new(),
        };
        let mut tail = Tail::new(path, format, delimiter);
        match tail.read(Duration::ZERO) {
            Ok(outcome) => outcome.records,
            Err(err) => {
                log::warn!("{name}: read failed: {err}");
                Vec::new()
            }
        }
    }

    fn read_one(&mut self, path: &Path, quiet: Duration, batch: &mut Batch) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(target) = self.target_of(&name) else {
            if self.ignored.insert(path.to_path_buf()) && !is_temporary(&name) {
                log::debug!("{name}: matches no source or lookup, ignored");
            }
            return;
        };
        let (format, delimiter, target_name) = match target {
            Target::Source(i) => {
                let s = &self.config.sources[i];
                (s.format, s.delimiter, s.name.clone())
            }
            Target::Lookup(i) => {
                let l = &self.config.lookups[i];
                (l.format, l.delimiter, l.name.clone())
            }
        };
        let (_, tail) = self
            .tails
            .entry(path.to_path_buf())
            .or_insert_with(|| (target, Tail::new(path, format, delimiter)));

        let outcome = match tail.read(quiet) {
            Ok(outcome) => outcome,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                self.tails.remove(path);
                return;
            }
            Err(err) => {
                log::warn!("{name}: read failed, retrying on the next change: {err}");
                return;
            }
        };
        let offset = tail.offset();
        let stats = self.files.entry(name).or_default();
        stats.target = target_name;
        stats.bytes_read = offset;
        stats.waiting = outcome.waiting;
        stats.rows += outcome.records.len() as u64;
        stats.rejected += outcome.rejections.len() as u64;

        batch.rows_read += (outcome.records.len() + outcome.rejections.len()) as u64;
        batch.rejections.extend(outcome.rejections);
        for raw in outcome.records {
            let result = match target {
                Target::Source(i) => {
                    normalize::normalize(&self.config.sources[i], &self.config.timezone, &raw).map(
                        |clean| {
                            let newest = newest_time(&self.config, i, &clean);
                            batch.newest_event = batch.newest_event.max(newest);
                            batch.records.push((i, clean));
                        },
                    )
                }
                Target::Lookup(i) => normalize::lookup_row(&self.config.lookups[i], &raw)
                    .map(|(key, row)| batch.lookup_rows.push((i, key, row))),
            };
            if let Err(rejection) = result {
                stats.rejected += 1;
                stats.rows -= 1;
                batch.rejections.push(rejection);
            }
        }
    }
}

/// Newest event time in a clean record: creation, first response, resolution or rating.
fn newest_time(config: &Config, source: usize, record: &CleanRecord) -> Option<i64> {
    let fields = &config.sources[source].fields;
    record
        .updates
        .iter()
        .filter(|u| {
            matches!(
                fields[u.map].field.as_str(),
                "created_at" | "first_response_at" | "resolved_at" | "rated_at"
            )
        })
        .filter_map(|u| u.value.as_time())
        .max()
}
