//! Replay: a historical export written into a folder as a sequence of small timed drops, in
//! event-time order and `speed` times faster than real time, so `watch` shows history live.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::config::{Config, Format};
use crate::export::write_atomic;
use crate::ingest::{Ingestor, Target};
use crate::normalize::{RawRecord, format_time, parse_time};

pub struct Options {
    pub speed: f64,
    /// Maximum real pause between two drops, so quiet months do not stall the replay.
    pub max_pause: Duration,
    /// Maximum records in one drop.
    pub batch: usize,
}

/// Real time between two progress lines on stderr.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// Real time a drop may span: records closer than this in replayed time share one drop.
const DROP_SPAN: Duration = Duration::from_millis(250);

struct Event {
    time: i64,
    table: usize,
    record: RawRecord,
}

/// One table of the export: its file name, format and records.
struct Table {
    name: String,
    format: Format,
}

/// Writes every table of `source` into `to`: lookups first, whole, then the source records
/// in drops ordered by event time. Returns a one-line summary.
pub fn run(config: &Config, source: &Path, to: &Path, options: &Options) -> anyhow::Result<String> {
    std::fs::create_dir_all(to).with_context(|| format!("failed to create {}", to.display()))?;
    let ingestor = Ingestor::new(config);
    let paths = ingestor
        .list(source)
        .with_context(|| format!("failed to list {}", source.display()))?;

    let mut tables = Vec::new();
    let mut events = Vec::new();
    for path in &paths {
        let name = file_name(path);
        match ingestor.target_of(&name) {
            Some(Target::Lookup(_)) => {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("failed to read {}", path.display()))?;
                write_atomic(&to.join(&name), &bytes)
                    .with_context(|| format!("failed to write {name} into {}", to.display()))?;
                log::info!("copied lookup {name}");
            }
            Some(Target::Source(index)) => {
                let (format, records) = read_all(&ingestor, path)?;
                let column = config.sources[index].event_time.as_deref();
                tables.push(Table {
                    name: name.clone(),
                    format,
                });
                let table = tables.len() - 1;
                for record in records {
                    let time = column
                        .and_then(|c| record.get(c))
                        .and_then(|t| parse_time(t, &config.timezone).ok());
                    events.push((time, table, index, record));
                }
            }
            None => {}
        }
    }

    // Records with no time of their own take the earliest time of their case.
    let mut case_times: HashMap<String, i64> = HashMap::new();
    for (time, _, index, record) in &events {
        if let (Some(time), Some(key)) = (time, record.get(&config.sources[*index].key)) {
            let entry = case_times.entry(key.to_string()).or_insert(*time);
            *entry = (*entry).min(*time);
        }
    }
    let earliest = case_times.values().min().copied().unwrap_or(0);
    let mut events: Vec<Event> = events
        .into_iter()
        .map(|(time, table, index, record)| {
            let time = time
                .or_else(|| {
                    record
                        .get(&config.sources[index].key)
                        .and_then(|k| case_times.get(k).copied())
                })
                .unwrap_or(earliest);
            Event {
                time,
                table,
                record,
            }
        })
        .collect();
    events.sort_by_key(|e| e.time);
    let drops = write_drops(&tables, &events, to, options)?;
    Ok(format!(
        "replay wrote {drops} drops with {} records into {}",
        events.len(),
        to.display()
    ))
}

fn write_drops(
    tables: &[Table],
    events: &[Event],
    to: &Path,
    options: &Options,
) -> anyhow::Result<usize> {
    let span_seconds = (DROP_SPAN.as_secs_f64() * options.speed) as i64;
    let mut sequence = 0;
    let mut start = 0;
    let mut last_progress = Instant::now();
    while start < events.len() {
        if last_progress.elapsed() >= PROGRESS_EVERY {
            eprintln!(
                "replay: {start} of {} records written, event time {}",
                events.len(),
                format_time(events[start].time)
            );
            last_progress = Instant::now();
        }
        let began = Instant::now();
        let first_time = events[start].time;
        let mut end = start + 1;
        while end < events.len()
            && end - start < options.batch
            && events[end].time - first_time <= span_seconds
        {
            end += 1;
        }
        for (table_index, table) in tables.iter().enumerate() {
            let records: Vec<&RawRecord> = events[start..end]
                .iter()
                .filter(|e| e.table == table_index)
                .map(|e| &e.record)
                .collect();
            if records.is_empty() {
                continue;
            }
            sequence += 1;
            let path = to.join(format!("{sequence:06}-{}", table.name));
            write_atomic(&path, &encode(table.format, &records)?)
                .with_context(|| format!("failed to write {}", path.display()))?;
        }
        if end < events.len() {
            let gap = (events[end].time - first_time).max(0) as f64 / options.speed;
            let pause = Duration::from_secs_f64(gap.min(options.max_pause.as_secs_f64()));
            std::thread::sleep(pause.saturating_sub(began.elapsed()));
        }
        start = end;
    }
    Ok(sequence)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads every record of one table, whatever its format.
fn read_all(ingestor: &Ingestor, path: &Path) -> anyhow::Result<(Format, Vec<RawRecord>)> {
    let bytes =
        std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
    let format = crate::ingest::format::detect(
        bytes
            .strip_prefix(b"\xEF\xBB\xBF".as_slice())
            .unwrap_or(&bytes),
        true,
    )
    .unwrap_or(Format::Csv);
    let records = ingestor.read_all_records(path);
    Ok((format, records))
}

fn encode(format: Format, records: &[&RawRecord]) -> anyhow::Result<Vec<u8>> {
    match format {
        Format::Csv | Format::Auto => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            if let Some(first) = records.first() {
                writer.write_record(first.columns.iter())?;
            }
            for record in records {
                writer.write_record(record.values.iter().map(|v| v.as_deref().unwrap_or("")))?;
            }
            Ok(writer.into_inner()?)
        }
        Format::JsonLines | Format::JsonArray => {
            let objects: Vec<serde_json::Value> = records.iter().map(|r| to_object(r)).collect();
            if format == Format::JsonArray {
                return Ok(serde_json::to_vec_pretty(&objects)?);
            }
            let mut out = Vec::new();
            for object in objects {
                serde_json::to_writer(&mut out, &object)?;
                out.push(b'\n');
            }
            Ok(out)
        }
    }
}

fn to_object(record: &RawRecord) -> serde_json::Value {
    let map = record
        .columns
        .iter()
        .zip(&record.values)
        .map(|(column, value)| {
            (
                column.clone(),
                value
                    .clone()
                    .map_or(serde_json::Value::Null, serde_json::Value::String),
            )
        })
        .collect();
    serde_json::Value::Object(map)
}
