//! Helpers shared by the integration tests: paths, temporary configs and running the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn olist_dir() -> PathBuf {
    root().join("sample-data/olist")
}

pub fn tickets_dir() -> PathBuf {
    root().join("sample-data/tickets")
}

/// Writes a copy of a shipped config whose `state_dir` points into `dir`, and returns its
/// path and the state folder.
pub fn config_in(dir: &Path, shipped: &str) -> (PathBuf, PathBuf) {
    let text = std::fs::read_to_string(root().join("config").join(shipped))
        .expect("shipped config is readable");
    let state = dir.join("state");
    let mut replaced = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with("state_dir") {
                replaced = true;
                format!("state_dir = {:?}", state.display().to_string())
            } else {
                line.to_string()
            }
        })
        .collect();
    assert!(replaced, "{shipped} sets state_dir");
    std::fs::create_dir_all(dir).expect("config folder");
    let path = dir.join(shipped);
    std::fs::write(&path, lines.join("\n")).expect("temp config is writable");
    (path, state)
}

pub fn csmon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_csmon"))
        .args(args)
        .output()
        .expect("csmon binary runs")
}

/// Runs `csmon report --format json` and parses its output. Exit code 0 (no alert) and 3
/// (an alert fires) both mean success.
pub fn report_json(config: &Path, dir: &Path) -> serde_json::Value {
    let output = csmon(&[
        "--config",
        &config.display().to_string(),
        "report",
        &dir.display().to_string(),
        "--format",
        "json",
    ]);
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 3)),
        "report exited with {code:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("report prints JSON")
}

pub fn f64_at(value: &serde_json::Value, pointer: &str) -> f64 {
    value
        .pointer(pointer)
        .and_then(serde_json::Value::as_f64)
        .unwrap_or_else(|| panic!("{pointer} is a number in {value}"))
}

pub fn u64_at(value: &serde_json::Value, pointer: &str) -> u64 {
    value
        .pointer(pointer)
        .and_then(serde_json::Value::as_u64)
        .unwrap_or_else(|| panic!("{pointer} is a count"))
}

/// Copies every file of `from` into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("target folder");
    for entry in std::fs::read_dir(from).expect("source folder") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}
