//! Folder watching with the notify debouncer, or by polling. The watcher only reports which
//! paths changed, and the reader decides what is new, so a lost or merged event costs a
//! re-read, never a row.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use notify::RecursiveMode;
use notify::event::{AccessKind, AccessMode, EventKind};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

/// A change in the watched folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Paths(Vec<PathBuf>),
    /// Events were lost (queue overflow), the watcher asked for a rescan, or a poll is due:
    /// list the folder.
    Rescan,
}

/// Keeps the watcher alive; dropping it stops the events.
pub enum FolderWatch {
    Notify(Box<Debouncer<notify::RecommendedWatcher, RecommendedCache>>),
    Poll(Arc<AtomicBool>),
}

impl FolderWatch {
    pub fn mode(&self) -> &'static str {
        match self {
            FolderWatch::Notify(_) => "notify",
            FolderWatch::Poll(_) => "poll",
        }
    }
}

impl Drop for FolderWatch {
    fn drop(&mut self) {
        if let FolderWatch::Poll(stop) = self {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

/// Starts watching `dir` (not its subfolders) with file events, and calls `on_change` for
/// each debounced group of changes. `on_change` returns false once the receiver is gone.
pub fn watch(
    dir: &Path,
    debounce: Duration,
    on_change: impl Fn(Change) -> bool + Send + 'static,
) -> notify::Result<FolderWatch> {
    let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
        let change = match result {
            Ok(events) if events.iter().any(|e| e.need_rescan()) => Change::Rescan,
            Ok(events) => {
                // Opening and reading a drop is an access event too, so csmon's own reads
                // would wake it again. Only a close after writing signals new data.
                let mut paths: Vec<PathBuf> = events
                    .iter()
                    .filter(|e| match e.kind {
                        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
                        EventKind::Access(_) => false,
                        _ => true,
                    })
                    .flat_map(|e| e.paths.iter().cloned())
                    .collect();
                paths.sort();
                paths.dedup();
                if paths.is_empty() {
                    return;
                }
                Change::Paths(paths)
            }
            Err(errors) => {
                for error in errors {
                    log::warn!("watcher error, listing the folder again: {error}");
                }
                Change::Rescan
            }
        };
        if !on_change(change) {
            log::debug!("watcher has no listener");
        }
    })?;
    debouncer.watch(dir, RecursiveMode::NonRecursive)?;
    Ok(FolderWatch::Notify(Box::new(debouncer)))
}

/// Calls `on_change` with `Change::Rescan` every `interval` until the returned guard drops
/// or `on_change` returns false.
pub fn poll(
    interval: Duration,
    on_change: impl Fn(Change) -> bool + Send + 'static,
) -> std::io::Result<FolderWatch> {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::Builder::new()
        .name("csmon-poll".to_string())
        .spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                std::thread::sleep(interval);
                if !on_change(Change::Rescan) {
                    break;
                }
            }
        })?;
    Ok(FolderWatch::Poll(stop))
}

/// Starts file events, or polling when `poll_mode` is set or events are unavailable.
pub fn start(
    dir: &Path,
    poll_mode: bool,
    on_change: impl Fn(Change) -> bool + Send + Sync + 'static,
) -> std::io::Result<FolderWatch> {
    let on_change = Arc::new(on_change);
    if !poll_mode {
        let callback = on_change.clone();
        match watch(dir, Duration::from_millis(200), move |change| {
            callback(change)
        }) {
            Ok(watch) => return Ok(watch),
            Err(err) => log::warn!(
                "file events unavailable for {}, polling every second instead: {err}",
                dir.display()
            ),
        }
    }
    poll(Duration::from_secs(1), move |change| on_change(change))
}
