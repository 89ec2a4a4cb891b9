//! Reading one drop: only complete records, and only those not read before.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::config::Format;
use crate::ingest::format::{self, CsvChunk, Document};
use crate::normalize::{RawRecord, Rejection};

/// How far one drop has been read.
#[derive(Debug)]
pub struct Tail {
    path: PathBuf,
    name: Arc<str>,
    configured: Format,
    format: Option<Format>,
    delimiter: u8,
    identity: Option<(u64, u64)>,
    offset: u64,
    next_line: u64,
    header: Option<Arc<[String]>>,
    /// Records of a JSON document already read; a document is re-parsed whole on change.
    document_records: usize,
    /// Size of a JSON document rejected as invalid, so it is not rejected again until it changes.
    rejected_size: Option<u64>,
}

/// Records read from a drop in one pass.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    pub records: Vec<RawRecord>,
    pub rejections: Vec<Rejection>,
    /// True when the drop ends with bytes that are not yet a complete record.
    pub waiting: bool,
    /// Set when the drop was truncated or replaced and read again from its start.
    pub restarted: bool,
}

impl Tail {
    pub fn new(path: &Path, configured: Format, delimiter: u8) -> Tail {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Tail {
            path: path.to_path_buf(),
            name: name.into(),
            configured,
            format: None,
            delimiter,
            identity: None,
            offset: 0,
            next_line: 1,
            header: None,
            document_records: 0,
            rejected_size: None,
        }
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn reset(&mut self) {
        self.format = None;
        self.offset = 0;
        self.next_line = 1;
        self.header = None;
        self.document_records = 0;
        self.rejected_size = None;
    }

    /// Reads what is new. A trailing record without its newline is read only once the file
    /// has been quiet for `quiet`.
    pub fn read(&mut self, quiet: Duration) -> std::io::Result<ReadOutcome> {
        let mut outcome = ReadOutcome::default();
        let mut file = File::open(&self.path)?;
        let metadata = file.metadata()?;
        let identity = file_identity(&metadata);
        let size = metadata.len();
        if self.identity.is_some_and(|known| known != identity) || size < self.offset {
            log::info!(
                "{}: replaced or truncated, reading it again from the start",
                self.name
            );
            self.reset();
            outcome.restarted = true;
        }
        self.identity = Some(identity);
        let is_quiet = metadata
            .modified()
            .ok()
            .and_then(|m| SystemTime::now().duration_since(m).ok())
            .is_some_and(|age| age >= quiet);

        let format = if let Some(format) = self.format {
            format
        } else {
            {
                let mut head = vec![0; 4096];
                let read = file.read(&mut head)?;
                head.truncate(read);
                let head = strip_bom(&head);
                if head.iter().all(u8::is_ascii_whitespace) {
                    return Ok(outcome);
                }
                let format = match self.configured {
                    Format::Auto => format::detect(head),
                    other => other,
                };
                self.format = Some(format);
                format
            }
        };

        match format {
            Format::JsonArray => self.read_document(&mut file, size, is_quiet, &mut outcome)?,
            _ => self.read_lines(&mut file, size, format, is_quiet, &mut outcome)?,
        }
        Ok(outcome)
    }

    fn read_lines(
        &mut self,
        file: &mut File,
        size: u64,
        format: Format,
        is_quiet: bool,
        outcome: &mut ReadOutcome,
    ) -> std::io::Result<()> {
        if size == self.offset {
            return Ok(());
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut bytes = Vec::with_capacity(usize::try_from(size - self.offset).unwrap_or(0));
        file.take(size - self.offset).read_to_end(&mut bytes)?;
        let skip = if self.offset == 0 {
            bytes.len() - strip_bom(&bytes).len()
        } else {
            0
        };

        let quote_aware = format == Format::Csv;
        let mut end = format::complete_prefix(&bytes, quote_aware);
        if end < bytes.len() {
            let tail_is_whole = !(quote_aware && format::ends_in_quotes(&bytes[end..]));
            if is_quiet && tail_is_whole {
                end = bytes.len();
            } else {
                outcome.waiting = true;
            }
        }
        if end <= skip {
            return Ok(());
        }
        let chunk = &bytes[skip..end];
        if format == Format::Csv {
            let csv_chunk = CsvChunk {
                file: &self.name,
                bytes: chunk,
                first_line: self.next_line,
                delimiter: self.delimiter,
            };
            format::parse_csv(
                &csv_chunk,
                &mut self.header,
                &mut outcome.records,
                &mut outcome.rejections,
            );
        } else {
            format::parse_json_lines(
                &self.name,
                chunk,
                self.next_line,
                &mut outcome.records,
                &mut outcome.rejections,
            );
        }
        self.next_line += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        self.offset += end as u64;
        Ok(())
    }

    fn read_document(
        &mut self,
        file: &mut File,
        size: u64,
        is_quiet: bool,
        outcome: &mut ReadOutcome,
    ) -> std::io::Result<()> {
        if size == self.offset || self.rejected_size == Some(size) {
            return Ok(());
        }
        file.seek(SeekFrom::Start(0))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        match format::parse_json_document(&self.name, strip_bom(&bytes), None) {
            Document::Records(records, rejections) => {
                let seen = self.document_records;
                self.document_records = records.len();
                outcome.records.extend(records.into_iter().skip(seen));
                outcome
                    .rejections
                    .extend(rejections.into_iter().filter(|r| r.line as usize > seen));
                self.offset = size;
            }
            Document::Invalid(reason) if is_quiet => {
                outcome.rejections.push(Rejection::new(
                    &self.name,
                    0,
                    "(file)",
                    "",
                    format!("{reason}; the file stayed invalid after writes stopped, so fix and rewrite it"),
                ));
                self.rejected_size = Some(size);
            }
            // A document still being written is invalid until its last byte lands.
            Document::Invalid(_) => outcome.waiting = true,
        }
        Ok(())
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes)
}

#[cfg(unix)]
fn file_identity(metadata: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (metadata.dev(), metadata.ino())
}

#[cfg(not(unix))]
fn file_identity(_metadata: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}
