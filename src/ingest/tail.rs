//! Reading one drop: only complete records, and only those not read before.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::config::Format;
use crate::ingest::format::{self, CsvChunk, Document};
use crate::normalize::{RawRecord, Rejection};

/// Bytes read to decide the format of a drop whose configured format is "auto".
const DETECT_BYTES: u64 = 1024 * 1024;

/// Bytes at the start of a drop that its fingerprint covers.
const FINGERPRINT_BYTES: u64 = 1024;

/// How far one drop has been read: what a checkpoint records per drop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TailState {
    /// File name when last read.
    pub name: String,
    pub device: u64,
    pub inode: u64,
    /// FNV-1a hash of the first `fingerprint_len` bytes, which distinguishes a rewritten
    /// file or a reused inode from the file that was read.
    pub fingerprint: u64,
    pub fingerprint_len: u64,
    /// Byte offset just past the last complete record read.
    pub offset: u64,
    /// Line number of the first line not read yet.
    pub next_line: u64,
    pub header: Option<Vec<String>>,
    pub format: Option<Format>,
    /// Records of a JSON document already read; a document is parsed whole on each change.
    pub document_records: usize,
    /// Size of a JSON document rejected as invalid, so it is not rejected again until it
    /// changes.
    pub rejected_size: Option<u64>,
}

impl TailState {
    pub fn identity(&self) -> (u64, u64) {
        (self.device, self.inode)
    }
}

/// A drop being read.
#[derive(Debug)]
pub struct Tail {
    state: TailState,
    name: Arc<str>,
    header: Option<Arc<[String]>>,
    options: ReadOptions,
}

/// Parse settings of a drop, from its source or lookup config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    pub format: Format,
    pub delimiter: u8,
    /// Key of the array that contains the records when a JSON document is one object.
    pub json_key: Option<String>,
}

/// Records read from a drop in one pass.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    pub records: Vec<RawRecord>,
    pub rejections: Vec<Rejection>,
    /// True when the drop ends with bytes that are not yet a complete record.
    pub waiting: bool,
    /// Set when the drop was truncated or rewritten and read again from its start.
    pub restarted: bool,
}

/// Returns the FNV-1a hash of `bytes`, stable across builds and platforms.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Returns the device and inode of an open file.
#[cfg(unix)]
pub fn identity(metadata: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (metadata.dev(), metadata.ino())
}

#[cfg(not(unix))]
pub fn identity(_metadata: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

impl Tail {
    pub fn new(name: &str, identity: (u64, u64), options: ReadOptions) -> Tail {
        let state = TailState {
            name: name.to_string(),
            device: identity.0,
            inode: identity.1,
            fingerprint: fnv1a(&[]),
            fingerprint_len: 0,
            offset: 0,
            next_line: 1,
            header: None,
            format: None,
            document_records: 0,
            rejected_size: None,
        };
        Tail::restore(state, options)
    }

    /// Resumes a drop from a checkpoint.
    pub fn restore(state: TailState, options: ReadOptions) -> Tail {
        Tail {
            name: state.name.as_str().into(),
            header: state.header.clone().map(Into::into),
            state,
            options,
        }
    }

    pub fn state(&self) -> TailState {
        let mut state = self.state.clone();
        state.header = self.header.as_ref().map(|h| h.to_vec());
        state
    }

    pub fn offset(&self) -> u64 {
        self.state.offset
    }

    fn reset(&mut self) {
        let identity = self.state.identity();
        let name = self.state.name.clone();
        *self = Tail::new(&name, identity, self.options.clone());
    }

    /// Checks that the bytes the fingerprint covers are unchanged, then extends the
    /// fingerprint to the first `FINGERPRINT_BYTES` bytes now present.
    fn check_fingerprint(&mut self, file: &mut File, size: u64) -> std::io::Result<bool> {
        let cover = size.min(FINGERPRINT_BYTES);
        let mut head = vec![0; usize::try_from(cover).unwrap_or(0)];
        file.seek(SeekFrom::Start(0))?;
        file.read_exact(&mut head)?;
        let known = usize::try_from(self.state.fingerprint_len).unwrap_or(usize::MAX);
        let same = head.len() >= known && fnv1a(&head[..known]) == self.state.fingerprint;
        if same {
            self.state.fingerprint = fnv1a(&head);
            self.state.fingerprint_len = cover;
        }
        Ok(same)
    }

    /// Reads what is new in the drop at `path`. A trailing record without its newline is read
    /// only once the file has been quiet for `quiet`.
    pub fn read(
        &mut self,
        path: &Path,
        quiet: Duration,
        invalid_after: Duration,
    ) -> std::io::Result<ReadOutcome> {
        let mut outcome = ReadOutcome::default();
        let mut file = File::open(path)?;
        let metadata = file.metadata()?;
        let size = metadata.len();
        if let Some(name) = path.file_name() {
            let name = name.to_string_lossy();
            if *name != *self.state.name {
                self.state.name = name.to_string();
                self.name = name.as_ref().into();
            }
        }
        if size < self.state.offset || !self.check_fingerprint(&mut file, size)? {
            log::info!(
                "{}: truncated or rewritten, reading it again from the start",
                self.name
            );
            self.reset();
            self.check_fingerprint(&mut file, size)?;
            outcome.restarted = true;
        }
        let age = metadata
            .modified()
            .ok()
            .and_then(|m| SystemTime::now().duration_since(m).ok());
        let is_quiet = age.is_some_and(|age| age >= quiet);

        let format = if let Some(format) = self.state.format {
            format
        } else if self.options.format == Format::Auto {
            let mut head = Vec::new();
            file.seek(SeekFrom::Start(0))?;
            (&mut file).take(DETECT_BYTES).read_to_end(&mut head)?;
            let decided = format::detect(
                strip_bom(&head),
                is_quiet || head.len() as u64 == DETECT_BYTES,
            );
            let Some(format) = decided else {
                outcome.waiting = !head.iter().all(u8::is_ascii_whitespace);
                return Ok(outcome);
            };
            self.state.format = Some(format);
            format
        } else {
            self.state.format = Some(self.options.format);
            self.options.format
        };

        match format {
            Format::JsonArray => {
                let given_up = age.is_some_and(|age| age >= invalid_after);
                self.read_document(&mut file, size, given_up, &mut outcome)?;
            }
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
        let offset = self.state.offset;
        if size == offset {
            return Ok(());
        }
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = Vec::with_capacity(usize::try_from(size - offset).unwrap_or(0));
        file.take(size - offset).read_to_end(&mut bytes)?;
        let skip = if offset == 0 {
            bytes.len() - strip_bom(&bytes).len()
        } else {
            0
        };

        let quote_aware = format == Format::Csv;
        let mut end = format::complete_prefix(&bytes, quote_aware);
        // A quote still open once the writer is quiet will not close: the rest of the file
        // is rejected as one record, so it neither blocks the drop nor passes as a value.
        let mut unclosed = None;
        if end < bytes.len() {
            if !is_quiet {
                outcome.waiting = true;
            } else if quote_aware && format::ends_in_quotes(&bytes[end..]) {
                unclosed = Some(end);
            } else {
                end = bytes.len();
            }
        }
        if end > skip {
            self.parse_chunk(&bytes[skip..end], format, outcome);
            self.state.offset = offset + end as u64;
        }
        if let Some(start) = unclosed {
            let line = self.state.next_line;
            let rest = String::from_utf8_lossy(&bytes[start.max(skip)..]);
            outcome.rejections.push(Rejection::new(
                &self.name,
                line,
                "(record)",
                &rest,
                "unclosed quote: the record and everything after it in the file are one field; close the quote and write the rows again",
            ));
            self.state.next_line += bytes[start..].iter().filter(|&&b| b == b'\n').count() as u64;
            self.state.offset = offset + bytes.len() as u64;
        }
        Ok(())
    }

    /// Parses complete records and advances the line count past them.
    fn parse_chunk(&mut self, chunk: &[u8], format: Format, outcome: &mut ReadOutcome) {
        if format == Format::Csv {
            let csv_chunk = CsvChunk {
                file: &self.name,
                bytes: chunk,
                first_line: self.state.next_line,
                delimiter: self.options.delimiter,
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
                self.state.next_line,
                &mut outcome.records,
                &mut outcome.rejections,
            );
        }
        self.state.next_line += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
    }

    fn read_document(
        &mut self,
        file: &mut File,
        size: u64,
        given_up: bool,
        outcome: &mut ReadOutcome,
    ) -> std::io::Result<()> {
        if size == self.state.offset || self.state.rejected_size == Some(size) {
            return Ok(());
        }
        file.seek(SeekFrom::Start(0))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        match format::parse_json_document(
            &self.name,
            strip_bom(&bytes),
            self.options.json_key.as_deref(),
        ) {
            Document::Records(records, rejections) => {
                let seen = self.state.document_records;
                self.state.document_records = records.len();
                outcome.records.extend(records.into_iter().skip(seen));
                outcome
                    .rejections
                    .extend(rejections.into_iter().filter(|r| r.line as usize > seen));
                self.state.offset = size;
            }
            Document::Invalid(reason) if given_up => {
                outcome.rejections.push(Rejection::new(
                    &self.name,
                    0,
                    "(file)",
                    "",
                    format!("{reason}; the whole file is rejected, so fix it and write it again"),
                ));
                self.state.rejected_size = Some(size);
            }
            // A document still being written is invalid until its last byte lands.
            Document::Invalid(_) => outcome.waiting = true,
        }
        Ok(())
    }
}

pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_known_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
