//! Checkpoints: the case store and the read position of every drop, saved so a restart or
//! a crash neither loses nor doubles a row.
//!
//! Each batch is appended to a journal as one JSON line containing both the clean records
//! and the read positions they reach, then fsynced, before it is applied. A crash
//! mid-append leaves a torn last line, which is ignored on restart, so those rows are read
//! again from the drops. A complete line is replayed, so its rows are not read again.
//!
//! When the journal grows past `COMPACT_BYTES`, and at a clean stop, the whole state is
//! written to `checkpoint.json` (write, fsync, rename) under a new generation, and a new
//! journal starts.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cases::SavedCases;
use crate::config::Config;
use crate::export::write_atomic;
use crate::ingest::{Batch, TailState, fnv1a, owner_only};
use crate::normalize::CleanRecord;

/// Journal size that triggers a compaction into a new checkpoint.
const COMPACT_BYTES: u64 = 32 * 1024 * 1024;
/// Bumped when the checkpoint layout changes; an older checkpoint is then ignored.
const LAYOUT_VERSION: u32 = 1;

/// Ingest totals kept across restarts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counters {
    pub rows_read: u64,
    pub rejected_rows: u64,
    pub rejections_by_reason: BTreeMap<String, u64>,
}

impl Counters {
    pub fn add(&mut self, rows_read: u64, reasons: &[String]) {
        self.rows_read += rows_read;
        self.rejected_rows += reasons.len() as u64;
        for reason in reasons {
            *self.rejections_by_reason.entry(reason.clone()).or_default() += 1;
        }
    }
}

/// One journal line: a batch as it was applied.
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    pub tails: Vec<TailState>,
    pub removed: Vec<(u64, u64)>,
    pub records: Vec<(usize, CleanRecord)>,
    pub lookup_rows: Vec<(usize, String, HashMap<String, String>)>,
    pub rows_read: u64,
    /// Rejection reason classes, one per rejected record.
    pub rejections: Vec<String>,
}

/// A borrowed `Entry`, so appending does not copy the batch.
#[derive(Serialize)]
struct EntryRef<'a> {
    tails: &'a [TailState],
    removed: &'a [(u64, u64)],
    records: &'a [(usize, CleanRecord)],
    lookup_rows: &'a [(usize, String, HashMap<String, String>)],
    rows_read: u64,
    rejections: &'a [String],
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    layout: u32,
    config_hash: u64,
    generation: u64,
    pub cases: SavedCases,
    pub tails: Vec<TailState>,
    pub counters: Counters,
}

/// State read back at start: the last checkpoint and the journal lines after it.
pub struct Restored {
    pub checkpoint: Option<Checkpoint>,
    pub entries: Vec<Entry>,
}

/// Hashes what decides how records become cases, and the watched folder, so a checkpoint
/// from another config or another folder sharing the state folder is not applied.
pub fn config_hash(config: &Config, folder: &Path) -> u64 {
    let text = format!(
        "{:?}|{:?}|{}|{}",
        config.sources,
        config.lookups,
        config.timezone_name,
        folder.display()
    );
    fnv1a(text.as_bytes())
}

pub struct StateStore {
    dir: PathBuf,
    config_hash: u64,
    generation: u64,
    journal: File,
    journal_bytes: u64,
}

/// Creates an empty journal file readable by its owner only.
fn create_journal(path: &Path) -> std::io::Result<File> {
    owner_only(
        OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(true),
    )
    .open(path)
}

fn journal_path(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("journal-{generation}.jsonl"))
}

impl StateStore {
    /// Opens the state folder, returning what to restore.
    pub fn open(
        dir: &Path,
        config: &Config,
        folder: &Path,
    ) -> anyhow::Result<(StateStore, Restored)> {
        std::fs::create_dir_all(dir)?;
        let config_hash = config_hash(config, folder);
        let checkpoint = read_checkpoint(&dir.join("checkpoint.json"), config_hash);
        let Some(checkpoint) = checkpoint else {
            // No usable checkpoint: journals of another config must not be replayed, so
            // start over with an empty generation 0 that records this config.
            remove_journals(dir, None);
            let journal = create_journal(&journal_path(dir, 0))?;
            let store = StateStore {
                dir: dir.to_path_buf(),
                config_hash,
                generation: 0,
                journal,
                journal_bytes: 0,
            };
            store.write_checkpoint(SavedCases::default(), Vec::new(), Counters::default())?;
            return Ok((
                store,
                Restored {
                    checkpoint: None,
                    entries: Vec::new(),
                },
            ));
        };

        let generation = checkpoint.generation;
        let path = journal_path(dir, generation);
        let (entries, valid_bytes) = read_journal(&path)?;
        let mut journal =
            owner_only(OpenOptions::new().create(true).read(true).write(true)).open(&path)?;
        // A torn last line from a crash is cut off, so later lines follow a whole one.
        journal.set_len(valid_bytes)?;
        journal.seek(SeekFrom::End(0))?;
        remove_journals(dir, Some(generation));
        let store = StateStore {
            dir: dir.to_path_buf(),
            config_hash,
            generation,
            journal,
            journal_bytes: valid_bytes,
        };
        Ok((
            store,
            Restored {
                checkpoint: Some(checkpoint),
                entries,
            },
        ))
    }

    fn write_checkpoint(
        &self,
        cases: SavedCases,
        tails: Vec<TailState>,
        counters: Counters,
    ) -> anyhow::Result<()> {
        let checkpoint = Checkpoint {
            layout: LAYOUT_VERSION,
            config_hash: self.config_hash,
            generation: self.generation,
            cases,
            tails,
            counters,
        };
        write_atomic(
            &self.dir.join("checkpoint.json"),
            &serde_json::to_vec(&checkpoint)?,
        )?;
        Ok(())
    }

    /// Appends a batch and fsyncs it; once this returns, the batch survives a crash.
    pub fn append(&mut self, batch: &Batch, reasons: &[String]) -> std::io::Result<()> {
        let entry = EntryRef {
            tails: &batch.tails,
            removed: &batch.removed,
            records: &batch.records,
            lookup_rows: &batch.lookup_rows,
            rows_read: batch.rows_read,
            rejections: reasons,
        };
        let mut line = serde_json::to_vec(&entry)?;
        line.push(b'\n');
        self.journal.write_all(&line)?;
        self.journal.sync_data()?;
        self.journal_bytes += line.len() as u64;
        Ok(())
    }

    pub fn needs_compaction(&self) -> bool {
        self.journal_bytes >= COMPACT_BYTES
    }

    /// Writes the whole state as a new checkpoint generation and starts an empty journal.
    /// The new journal exists before the checkpoint that names it, and the old journal is
    /// removed only after, so a crash at any step leaves a consistent pair.
    pub fn compact(
        &mut self,
        cases: SavedCases,
        tails: Vec<TailState>,
        counters: Counters,
    ) -> anyhow::Result<()> {
        let old = journal_path(&self.dir, self.generation);
        let journal = create_journal(&journal_path(&self.dir, self.generation + 1))?;
        self.generation += 1;
        if let Err(err) = self.write_checkpoint(cases, tails, counters) {
            self.generation -= 1;
            return Err(err);
        }
        self.journal = journal;
        self.journal_bytes = 0;
        if let Err(err) = std::fs::remove_file(&old) {
            log::debug!("failed to remove {}: {err}", old.display());
        }
        Ok(())
    }
}

fn read_checkpoint(path: &Path, config_hash: u64) -> Option<Checkpoint> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
        Err(err) => {
            log::warn!(
                "failed to read {}, starting from the drops: {err}",
                path.display()
            );
            return None;
        }
    };
    match serde_json::from_slice::<Checkpoint>(&bytes) {
        Ok(c) if c.layout == LAYOUT_VERSION && c.config_hash == config_hash => Some(c),
        Ok(_) => {
            log::info!(
                "{} was written for another config, folder or version; reading the drops from the start",
                path.display()
            );
            None
        }
        Err(err) => {
            log::warn!(
                "{} is invalid ({err}); reading the drops from the start",
                path.display()
            );
            None
        }
    }
}

/// Reads the complete lines of a journal and returns them with the byte length they span.
fn read_journal(path: &Path) -> std::io::Result<(Vec<Entry>, u64)> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(err) => return Err(err),
    };
    let mut reader = BufReader::new(file);
    let mut entries = Vec::new();
    let mut valid = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 || line.last() != Some(&b'\n') {
            break;
        }
        match serde_json::from_slice::<Entry>(&line) {
            Ok(entry) => {
                entries.push(entry);
                valid += read as u64;
            }
            Err(err) => {
                log::warn!(
                    "{}: journal line after byte {valid} is invalid ({err}); later lines are dropped and their rows read again",
                    path.display()
                );
                break;
            }
        }
    }
    Ok((entries, valid))
}

/// Removes journal files other than the one of generation `keep`.
fn remove_journals(dir: &Path, keep: Option<u64>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let keep = keep.map(|generation| format!("journal-{generation}.jsonl"));
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_journal = name
            .strip_prefix("journal-")
            .and_then(|rest| rest.strip_suffix(".jsonl"))
            .is_some();
        if is_journal && Some(&name) != keep.as_ref() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(state: &Path) -> Config {
        let text =
            crate::config::DEFAULT_CONFIG.replace(".csmon/state", &state.display().to_string());
        Config::parse(&text, "test", state).expect("default config is valid")
    }

    fn batch(rows: u64) -> Batch {
        Batch {
            rows_read: rows,
            ..Batch::default()
        }
    }

    #[test]
    fn torn_last_line_is_dropped() {
        let temp = tempfile::tempdir().expect("temp dir");
        let config = config(temp.path());
        let (mut store, restored) =
            StateStore::open(temp.path(), &config, temp.path()).expect("open");
        assert!(restored.entries.is_empty());
        store.append(&batch(3), &[]).expect("append");
        store
            .append(&batch(4), &["bad".to_string()])
            .expect("append");
        drop(store);

        let journal = temp.path().join("journal-0.jsonl");
        let mut file = OpenOptions::new()
            .append(true)
            .open(&journal)
            .expect("journal");
        file.write_all(b"{\"tails\":[],\"removed\":[],\"rec")
            .expect("torn write");
        drop(file);

        let (mut store, restored) =
            StateStore::open(temp.path(), &config, temp.path()).expect("reopen");
        let rows: Vec<u64> = restored.entries.iter().map(|e| e.rows_read).collect();
        assert_eq!(rows, [3, 4]);
        assert_eq!(restored.entries[1].rejections, ["bad"]);
        store.append(&batch(5), &[]).expect("append after the cut");
        drop(store);
        let (_, restored) =
            StateStore::open(temp.path(), &config, temp.path()).expect("reopen again");
        let rows: Vec<u64> = restored.entries.iter().map(|e| e.rows_read).collect();
        assert_eq!(rows, [3, 4, 5], "the line after the cut is whole");
    }

    #[test]
    fn compaction_starts_new_generation() {
        let temp = tempfile::tempdir().expect("temp dir");
        let config = config(temp.path());
        let (mut store, _) = StateStore::open(temp.path(), &config, temp.path()).expect("open");
        store.append(&batch(3), &[]).expect("append");
        let counters = Counters {
            rows_read: 3,
            ..Counters::default()
        };
        store
            .compact(SavedCases::default(), Vec::new(), counters)
            .expect("compact");
        store.append(&batch(2), &[]).expect("append");
        drop(store);

        assert!(!temp.path().join("journal-0.jsonl").exists());
        let (_, restored) = StateStore::open(temp.path(), &config, temp.path()).expect("reopen");
        let checkpoint = restored.checkpoint.expect("checkpoint");
        assert_eq!(checkpoint.counters.rows_read, 3);
        assert_eq!(
            restored.entries.len(),
            1,
            "only the batch after the compaction is replayed"
        );
    }

    #[test]
    fn other_config_starts_over() {
        let temp = tempfile::tempdir().expect("temp dir");
        let (mut store, _) =
            StateStore::open(temp.path(), &config(temp.path()), temp.path()).expect("open");
        store.append(&batch(3), &[]).expect("append");
        drop(store);

        let mut other = config(temp.path());
        other.timezone_name = "America/Sao_Paulo".to_string();
        let (_, restored) = StateStore::open(temp.path(), &other, temp.path()).expect("reopen");
        assert!(restored.checkpoint.is_none());
        assert!(
            restored.entries.is_empty(),
            "journal of another config is not replayed"
        );
    }
}
