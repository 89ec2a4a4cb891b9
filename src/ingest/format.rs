//! Record parsing for each drop format, on byte ranges that hold only complete records.

use std::sync::Arc;

use crate::config::Format;
use crate::normalize::{RawRecord, Rejection};

/// Decides the format of a drop from its content, or returns `None` while it cannot tell
/// yet. `[` starts a JSON array. `{` starts JSON Lines when a complete line is a JSON object
/// on its own, else one JSON document (a pretty-printed object, or an array under a key).
/// Anything else is CSV. Until a `{` drop has a complete line it is undecided, unless it is
/// `quiet`, when it is read as JSON Lines.
pub fn detect(bytes: &[u8], quiet: bool) -> Option<Format> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => None,
        Some(b'[') => Some(Format::JsonArray),
        Some(b'{') => detect_object_start(bytes, quiet),
        Some(_) => Some(Format::Csv),
    }
}

fn detect_object_start(bytes: &[u8], quiet: bool) -> Option<Format> {
    let is_object = |line: &[u8]| {
        matches!(
            serde_json::from_slice(line),
            Ok(serde_json::Value::Object(_))
        )
    };
    let Some(last_newline) = bytes.iter().rposition(|&b| b == b'\n') else {
        return quiet.then_some(Format::JsonLines);
    };
    let mut lines = bytes[..last_newline]
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    if lines.next().is_some_and(is_object) {
        return Some(Format::JsonLines);
    }
    if serde_json::from_slice::<serde_json::Value>(bytes).is_ok() {
        return Some(Format::JsonArray);
    }
    if lines.any(is_object) {
        return Some(Format::JsonLines);
    }
    quiet.then_some(Format::JsonArray)
}

/// Maximum record length accepted, in bytes. A longer one is rejected, so one runaway line (a
/// binary file, a missing newline) cannot fill memory and every checkpoint.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Returns the length of the prefix of `bytes` that ends at a record boundary: after the
/// last newline outside CSV quotes. With `quote_aware` false every newline is a boundary.
pub fn complete_prefix(bytes: &[u8], quote_aware: bool) -> usize {
    let mut in_quotes = false;
    let mut end = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        match byte {
            b'"' if quote_aware => in_quotes = !in_quotes,
            b'\n' if !in_quotes => end = index + 1,
            _ => {}
        }
    }
    end
}

/// Reports whether `bytes` ends inside a quoted CSV field.
pub fn ends_in_quotes(bytes: &[u8]) -> bool {
    bytes.iter().filter(|&&b| b == b'"').count() % 2 == 1
}

pub struct CsvChunk<'a> {
    pub file: &'a Arc<str>,
    pub bytes: &'a [u8],
    /// Line number of the chunk's first line, 1-based.
    pub first_line: u64,
    pub delimiter: u8,
}

/// Parses complete CSV records. When `header` is empty the first record becomes the header.
/// Rows whose field count differs from the header's are rejected, because a missing or extra
/// delimiter shifts every later column and padding would put values under the wrong names.
pub fn parse_csv(
    chunk: &CsvChunk<'_>,
    header: &mut Option<Arc<[String]>>,
    records: &mut Vec<RawRecord>,
    rejections: &mut Vec<Rejection>,
) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(chunk.delimiter)
        .from_reader(chunk.bytes);
    let mut row = csv::ByteRecord::new();
    loop {
        let line = chunk.first_line + reader.position().line().saturating_sub(1);
        match reader.read_byte_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                rejections.push(Rejection::new(
                    chunk.file,
                    line,
                    "(record)",
                    "",
                    format!("unreadable CSV: {err}"),
                ));
                continue;
            }
        }
        if row.len() == 1 && row.get(0).is_some_and(<[u8]>::is_empty) {
            continue;
        }
        if row.as_slice().len() > MAX_RECORD_BYTES {
            let what = if header.is_none() { "header" } else { "record" };
            rejections.push(Rejection::new(
                chunk.file,
                line,
                "(record)",
                "",
                format!("{what} is longer than {MAX_RECORD_BYTES} bytes; check that this drop is CSV and has line breaks"),
            ));
            if header.is_none() {
                // Without a usable header every later row is rejected as ragged.
                *header = Some(Vec::new().into());
            }
            continue;
        }
        let fields: Vec<String> = row
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        let Some(columns) = header else {
            *header = Some(fields.into_iter().map(|f| f.trim().to_string()).collect());
            continue;
        };
        if fields.len() != columns.len() {
            rejections.push(Rejection::new(
                chunk.file,
                line,
                "(record)",
                &fields.join(","),
                format!(
                    "row has {} fields but the header has {}; fix the delimiters or quoting of this row",
                    fields.len(),
                    columns.len()
                ),
            ));
            continue;
        }
        records.push(RawRecord {
            file: chunk.file.clone(),
            line,
            columns: columns.clone(),
            values: fields.into_iter().map(Some).collect(),
        });
    }
}

/// Parses JSON Lines; each line that is not a JSON object is rejected on its own.
pub fn parse_json_lines(
    file: &Arc<str>,
    bytes: &[u8],
    first_line: u64,
    records: &mut Vec<RawRecord>,
    rejections: &mut Vec<Rejection>,
) {
    let mut shared = None;
    for (offset, line_bytes) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = first_line + offset as u64;
        if line_bytes.len() > MAX_RECORD_BYTES {
            rejections.push(Rejection::new(
                file,
                line,
                "(record)",
                "",
                format!("line is longer than {MAX_RECORD_BYTES} bytes; split it into records of one line each"),
            ));
            continue;
        }
        let text = String::from_utf8_lossy(line_bytes);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(object)) => {
                records.push(object_record(file, line, object, &mut shared));
            }
            Ok(_) => rejections.push(Rejection::new(
                file,
                line,
                "(record)",
                text,
                "line is JSON but not an object; write one {...} per line",
            )),
            Err(err) => rejections.push(Rejection::new(
                file,
                line,
                "(record)",
                text,
                format!("invalid JSON: {err}"),
            )),
        }
    }
}

/// Outcome of parsing a whole JSON document.
pub enum Document {
    Records(Vec<RawRecord>, Vec<Rejection>),
    Invalid(String),
}

/// Parses a JSON array of objects, a single object, or an object wrapping an array under
/// `wrapper_key`. A record's line is its 1-based index in the array.
pub fn parse_json_document(file: &Arc<str>, bytes: &[u8], wrapper_key: Option<&str>) -> Document {
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(err) => return Document::Invalid(format!("invalid JSON: {err}")),
    };
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut object) => match wrapper_key.and_then(|k| object.remove(k)) {
            Some(serde_json::Value::Array(items)) => items,
            _ => vec![serde_json::Value::Object(object)],
        },
        _ => {
            return Document::Invalid(
                "JSON document is neither an array nor an object".to_string(),
            );
        }
    };
    let mut records = Vec::with_capacity(items.len());
    let mut shared = None;
    let mut rejections = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let line = index as u64 + 1;
        match item {
            serde_json::Value::Object(object) => {
                records.push(object_record(file, line, object, &mut shared));
            }
            other => rejections.push(Rejection::new(
                file,
                line,
                "(record)",
                &other.to_string(),
                "array item is not an object; write each record as {...}",
            )),
        }
    }
    Document::Records(records, rejections)
}

/// Turns a JSON object into a record. Records of one drop usually share their keys, so the
/// previous record's column list is reused when the keys match, which saves memory.
fn object_record(
    file: &Arc<str>,
    line: u64,
    object: serde_json::Map<String, serde_json::Value>,
    shared: &mut Option<Arc<[String]>>,
) -> RawRecord {
    let same = shared.as_ref().is_some_and(|columns| {
        columns.len() == object.len() && columns.iter().zip(object.keys()).all(|(a, b)| a == b)
    });
    if !same {
        *shared = Some(object.keys().cloned().collect());
    }
    let values = object
        .into_iter()
        .map(|(_, value)| match value {
            serde_json::Value::Null => None,
            serde_json::Value::String(text) => Some(text),
            other => Some(other.to_string()),
        })
        .collect();
    let columns = shared.clone().unwrap_or_default();
    RawRecord {
        file: file.clone(),
        line,
        columns,
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_by_content() {
        let cases: [(&str, bool, Option<Format>); 9] = [
            ("[{\"a\":1}]", false, Some(Format::JsonArray)),
            ("{\"a\":1}\n{\"a\":2}\n", false, Some(Format::JsonLines)),
            ("{\"a\":NaN}\n{\"a\":2}\n", false, Some(Format::JsonLines)),
            (
                "{\n  \"records\": [\n    {\"a\": 1}\n  ]\n}\n",
                false,
                Some(Format::JsonArray),
            ),
            ("{\n  \"records\": [\n", false, None),
            ("{\n  \"records\": [\n", true, Some(Format::JsonArray)),
            ("{\"a\":", false, None),
            ("a,b\n1,2\n", false, Some(Format::Csv)),
            ("  \n", true, None),
        ];
        for (text, quiet, expected) in cases {
            assert_eq!(detect(text.as_bytes(), quiet), expected, "{text:?}");
        }
    }

    #[test]
    fn complete_prefix_respects_quotes() {
        assert_eq!(complete_prefix(b"a,b\n1,\"x\ny\"\n2,", true), 12);
        assert_eq!(complete_prefix(b"a,b\n1,\"x\ny", true), 4);
        assert_eq!(complete_prefix(b"{}\n{", false), 3);
    }
}
