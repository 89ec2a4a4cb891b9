//! Helpers shared by the integration tests: paths, temporary configs and running the binary.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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

/// How long a test waits for csmon to reach an expected state.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A `csmon watch --headless` process whose stdout lines are collected.
pub struct Headless {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Headless {
    pub fn start(config: &Path, dir: &Path, extra: &[&str]) -> Headless {
        let mut child = Command::new(env!("CARGO_BIN_EXE_csmon"))
            .args([
                "--config",
                &config.display().to_string(),
                "watch",
                &dir.display().to_string(),
            ])
            .args(["--headless", "--interval", "0.2"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("csmon starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Headless {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stdout line that contains `needle` and returns it.
    pub fn wait_for_line(&mut self, needle: &str) -> String {
        self.wait_until(needle, |line| line.contains(needle))
    }

    /// Waits for a summary line whose `key=value` fields satisfy `check`.
    pub fn wait_for_summary(
        &mut self,
        what: &str,
        check: impl Fn(&HashMap<String, String>) -> bool,
    ) -> HashMap<String, String> {
        let line = self.wait_until(what, |line| {
            line.starts_with("cases=") && check(&summary_fields(line))
        });
        summary_fields(&line)
    }

    fn wait_until(&mut self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if check(&line) => return line,
                Ok(line) => self.seen.push(line),
                Err(_) => break,
            }
        }
        panic!(
            "no line with {what} within {PATIENCE:?}; last lines: {:?}",
            self.seen.iter().rev().take(3).collect::<Vec<_>>()
        );
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(&mut self) {
        self.signal("-TERM");
        let status = self.wait_exit();
        assert!(status.success(), "csmon exited with {status}");
    }

    /// Sends SIGKILL and waits for the process to end.
    pub fn kill(&mut self) {
        self.signal("-KILL");
        self.wait_exit();
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
    }

    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait works") {
                return status;
            }
            assert!(Instant::now() < deadline, "csmon did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Splits a summary line into its `key=value` fields.
pub fn summary_fields(line: &str) -> HashMap<String, String> {
    line.split_whitespace()
        .filter_map(|field| field.split_once('='))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// Reads `report.json` from a state folder.
pub fn final_report(state: &Path) -> serde_json::Value {
    let bytes = std::fs::read(state.join("report.json")).expect("report.json is written at exit");
    serde_json::from_slice(&bytes).expect("report.json is JSON")
}
