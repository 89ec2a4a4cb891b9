//! Ingestion under a real watcher: every row that lands in the folder counts once, through
//! renames, partial writes, truncation, restarts and crashes.

#![allow(
    clippy::format_collect,
    clippy::format_push_string,
    reason = "test data reads best built line by line"
)]

mod common;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Headless, config_in, f64_at, final_report, report_json, u64_at};

/// A temporary drops folder with the default config pointed at its own state folder.
struct Setup {
    _temp: tempfile::TempDir,
    drops: PathBuf,
    config: PathBuf,
    state: PathBuf,
}

fn setup() -> Setup {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    std::fs::create_dir(&drops).expect("drops folder");
    let (config, state) = config_in(temp.path(), "csmon.toml");
    Setup {
        drops,
        config,
        state,
        _temp: temp,
    }
}

impl Setup {
    fn start(&self) -> Headless {
        Headless::start(&self.config, &self.drops, &[])
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.drops.join(name), bytes).expect("write drop");
    }

    fn append(&self, name: &str, bytes: &[u8]) {
        let mut file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(self.drops.join(name))
            .expect("open drop");
        file.write_all(bytes).expect("append");
    }

    fn quarantine(&self) -> String {
        std::fs::read_to_string(self.state.join("quarantine.jsonl")).unwrap_or_default()
    }
}

fn ticket_line(id: &str, created: &str) -> String {
    format!("{{\"ticket_id\":\"{id}\",\"created_at\":\"{created}\",\"channel\":\"chat\"}}\n")
}

fn count(fields: &std::collections::HashMap<String, String>, key: &str) -> u64 {
    fields[key].parse().expect("count")
}

#[test]
fn temp_rename_and_editor_saves() {
    let setup = setup();
    let mut csmon = setup.start();
    let answers = |third: u8| {
        format!(
            "ticket_id,score,comment,rated_at\nA,5,ok,2026-12-01T10:00:00Z\nB,5,ok,2026-12-01T10:00:00Z\nC,{third},ok,2026-12-01T10:00:00Z\n"
        )
    };

    setup.write(".feedback-7.csv.tmp", answers(5).as_bytes());
    std::fs::rename(
        setup.drops.join(".feedback-7.csv.tmp"),
        setup.drops.join("feedback-7.csv"),
    )
    .expect("rename");
    csmon.wait_for_summary("3 rated cases", |f| count(f, "rated") == 3);

    // An editor saves by writing a new file and renaming it over the old one.
    for third in [3, 1] {
        setup.write("feedback-7.csv~", answers(third).as_bytes());
        std::fs::rename(
            setup.drops.join("feedback-7.csv~"),
            setup.drops.join("feedback-7.csv"),
        )
        .expect("rename");
        std::thread::sleep(Duration::from_millis(600));
    }
    csmon.wait_for_summary("edited rating", |f| f["csat_pct"] == "66.7%");
    csmon.terminate();

    let report = final_report(&setup.state);
    assert_eq!(u64_at(&report, "/cases"), 3);
    assert!(
        (f64_at(&report, "/csat_mean") - 11.0 / 3.0).abs() < 1e-9,
        "the last edit counts"
    );
}

#[test]
fn json_array_written_in_two_parts() {
    let setup = setup();
    let mut csmon = setup.start();
    let first = "[\n{\"ticket_id\":\"A\",\"created_at\":\"2026-12-01T10:00:00Z\"},\n";
    let second = "{\"ticket_id\":\"B\",\"created_at\":\"2026-12-01T11:00:00Z\"}\n]\n";
    setup.write("tickets-1.json", first.as_bytes());
    std::thread::sleep(Duration::from_secs(2));
    setup.append("tickets-1.json", second.as_bytes());

    csmon.wait_for_summary("both records", |f| count(f, "cases") == 2);
    csmon.terminate();
    let report = final_report(&setup.state);
    assert_eq!(u64_at(&report, "/rows_read"), 2);
    assert_eq!(u64_at(&report, "/rejected_rows"), 0);
    assert_eq!(setup.quarantine(), "");
}

#[test]
fn json_lines_split_mid_record() {
    let setup = setup();
    let mut csmon = setup.start();
    let second = ticket_line("B", "2026-12-01T11:00:00Z");
    let (head, rest) = second.split_at(20);
    setup.write(
        "tickets-1.jsonl",
        format!("{}{head}", ticket_line("A", "2026-12-01T10:00:00Z")).as_bytes(),
    );

    let fields = csmon.wait_for_summary("first record", |f| count(f, "cases") == 1);
    assert_eq!(count(&fields, "rows"), 1, "the half record is not read");
    setup.append("tickets-1.jsonl", rest.as_bytes());
    csmon.wait_for_summary("second record", |f| count(f, "cases") == 2);
    csmon.terminate();
    let report = final_report(&setup.state);
    assert_eq!(u64_at(&report, "/rows_read"), 2);
    assert_eq!(u64_at(&report, "/rejected_rows"), 0);
}

#[test]
fn truncated_and_rewritten_longer() {
    let setup = setup();
    let mut csmon = setup.start();
    let header = "ticket_id,created_at,channel\n";
    let old: String = (0..10)
        .map(|i| format!("OLD{i},2026-12-01T10:00:00Z,email\n"))
        .collect();
    setup.write("tickets.csv", format!("{header}{old}").as_bytes());
    csmon.wait_for_summary("10 old cases", |f| count(f, "cases") == 10);

    // Same file, truncated and rewritten at once, longer than the old read offset.
    let new: String = (0..100)
        .map(|i| format!("NEW{i:03},2026-12-01T11:00:00Z,chat\n"))
        .collect();
    let mut file = OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(setup.drops.join("tickets.csv"))
        .expect("open");
    file.write_all(format!("{header}{new}").as_bytes())
        .expect("rewrite");
    drop(file);

    // Policy: cases read before the truncation stay, and the new rows are read from byte 0.
    csmon.wait_for_summary("100 new cases", |f| count(f, "cases") == 110);
    csmon.terminate();
    let report = final_report(&setup.state);
    assert_eq!(u64_at(&report, "/cases"), 110);
    assert_eq!(
        u64_at(&report, "/rows_read"),
        110,
        "no row skipped or doubled"
    );
    let channels = report["segments"]["channel"].as_array().expect("channels");
    let chat = channels
        .iter()
        .find(|s| s["key"] == "chat")
        .expect("chat segment");
    assert_eq!(chat["cases"], 100);
}

#[test]
fn rotation_while_stopped() {
    let setup = setup();
    let mut csmon = setup.start();
    let today: String = (0..50)
        .map(|i| ticket_line(&format!("D1-{i}"), "2026-12-01T10:00:00Z"))
        .collect();
    setup.write("tickets-today.jsonl", today.as_bytes());
    csmon.wait_for_summary("50 cases", |f| count(f, "cases") == 50);
    csmon.terminate();

    std::fs::rename(
        setup.drops.join("tickets-today.jsonl"),
        setup.drops.join("tickets-2024-05-01.jsonl"),
    )
    .expect("rotate");
    let fresh: String = (0..5)
        .map(|i| ticket_line(&format!("D2-{i}"), "2026-12-02T10:00:00Z"))
        .collect();
    setup.write("tickets-today.jsonl", fresh.as_bytes());

    let mut csmon = setup.start();
    csmon.wait_for_summary("55 cases", |f| count(f, "cases") == 55);
    csmon.terminate();
    let report = final_report(&setup.state);
    assert_eq!(u64_at(&report, "/cases"), 55);
    assert_eq!(
        u64_at(&report, "/rows_read"),
        55,
        "the rotated file is not read again"
    );
}

#[test]
fn bom_and_crlf() {
    let setup = setup();
    let csv = "\u{feff}ticket_id,created_at,channel\r\nA,2026-12-01T10:00:00Z,chat\r\nB,2026-12-01T10:00:00Z,email\r\n";
    let json = "\u{feff}[{\"ticket_id\":\"C\",\"created_at\":\"2026-12-01T10:00:00Z\",\"channel\":\"phone\"}]";
    setup.write("tickets-1.csv", csv.as_bytes());
    setup.write("tickets-2.json", json.as_bytes());
    let report = report_json(&setup.config, &setup.drops);
    assert_eq!(
        u64_at(&report, "/cases"),
        3,
        "the first header name matches after the BOM"
    );
    assert_eq!(u64_at(&report, "/rejected_rows"), 0);
    let keys: Vec<&str> = report["segments"]["channel"]
        .as_array()
        .expect("channels")
        .iter()
        .filter_map(|s| s["key"].as_str())
        .collect();
    assert_eq!(keys.len(), 3);
    for key in keys {
        assert!(!key.ends_with('\r'), "{key:?} ends in CR");
        assert!(["chat", "email", "phone"].contains(&key), "{key:?}");
    }
}

#[test]
fn quoted_newline_split_across_writes() {
    let setup = setup();
    let mut csmon = setup.start();
    let text = "ticket_id,created_at,category\nA,2026-12-01T10:00:00Z,\"first line\nsecond \"\"quoted\"\" line\"\nB,2026-12-01T10:00:00Z,plain\n";
    let split = text.find("line\n").expect("newline inside quotes") + "line\n".len();
    setup.write("tickets-1.csv", &text.as_bytes()[..split]);
    std::thread::sleep(Duration::from_millis(800));
    setup.append("tickets-1.csv", &text.as_bytes()[split..]);

    csmon.wait_for_summary("two cases", |f| count(f, "cases") == 2);
    csmon.terminate();
    let report = final_report(&setup.state);
    assert_eq!(u64_at(&report, "/rows_read"), 2);
    assert_eq!(u64_at(&report, "/rejected_rows"), 0);
    let keys: Vec<&str> = report["segments"]["category"]
        .as_array()
        .expect("categories")
        .iter()
        .filter_map(|s| s["key"].as_str())
        .collect();
    assert!(
        keys.contains(&"first line\nsecond \"quoted\" line"),
        "{keys:?}"
    );
}

#[test]
fn nan_infinity_and_null_scores() {
    let setup = setup();
    let tickets: String = ["A", "B", "C", "D", "E"]
        .iter()
        .map(|id| ticket_line(id, "2026-12-01T10:00:00Z"))
        .collect();
    setup.write("tickets-1.jsonl", tickets.as_bytes());
    let answers = [
        r#"{"ticket_id":"A","score":NaN,"rated_at":"2026-12-01T12:00:00Z"}"#,
        r#"{"ticket_id":"B","score":Infinity,"rated_at":"2026-12-01T12:00:00Z"}"#,
        r#"{"ticket_id":"C","score":null,"rated_at":"2026-12-01T12:00:00Z"}"#,
        r#"{"ticket_id":"D","score":4,"rated_at":"2026-12-01T12:00:00Z"}"#,
        r#"{"ticket_id":"E","score":"NaN","rated_at":"2026-12-01T12:00:00Z"}"#,
    ];
    setup.write("feedback-1.jsonl", (answers.join("\n") + "\n").as_bytes());
    let report = report_json(&setup.config, &setup.drops);
    assert_eq!(u64_at(&report, "/cases"), 5);
    assert_eq!(u64_at(&report, "/rated"), 1, "only D has a finite score");
    assert_eq!(
        u64_at(&report, "/rejected_rows"),
        3,
        "A, B and E are rejected; null is no score"
    );
    assert!((f64_at(&report, "/csat_mean") - 4.0).abs() < 1e-12);
}

#[test]
fn three_json_shapes_same_cases() {
    let setup = setup();
    let a = r#"{"ticket_id":"A","created_at":"2026-12-01T10:00:00Z"}"#;
    let b = r#"{"ticket_id":"B","created_at":"2026-12-01T11:00:00Z"}"#;
    setup.write("tickets-array.json", format!("[{a},{b}]").as_bytes());
    setup.write("tickets-lines.json", format!("{a}\n{b}\n").as_bytes());
    setup.write(
        "tickets-wrapped.json",
        format!("{{\"records\": [\n  {a},\n  {b}\n]}}").as_bytes(),
    );
    let report = report_json(&setup.config, &setup.drops);
    assert_eq!(u64_at(&report, "/cases"), 2);
    assert_eq!(u64_at(&report, "/rows_read"), 6);
    assert_eq!(u64_at(&report, "/rejected_rows"), 0);
}

#[test]
fn time_forms_land_on_same_instant() {
    let setup = setup();
    // 2024-05-01T11:00:00Z in five forms; the config's zone is UTC.
    let forms = [
        "1714561200000",
        "1714561200",
        "2024-05-01T11:00:00Z",
        "2024-05-01T08:00:00-03:00",
        "2024-05-01 11:00:00",
    ];
    let mut text = String::from("ticket_id,created_at,resolved_at\n");
    for (i, form) in forms.iter().enumerate() {
        text.push_str(&format!("T{i},{form},2024-05-01T12:00:00Z\n"));
    }
    text.push_str("T9,01/05/2024,2024-05-01T12:00:00Z\n");
    setup.write("tickets-1.csv", text.as_bytes());

    let report = report_json(&setup.config, &setup.drops);
    assert_eq!(u64_at(&report, "/cases"), 5);
    for quantile in ["p50", "p90"] {
        let minutes = f64_at(&report, &format!("/resolution_minutes/{quantile}"));
        assert!(
            (minutes - 60.0).abs() <= 0.6,
            "{quantile} is {minutes}, every form is 60 minutes from resolution"
        );
    }
    let quarantine =
        std::fs::read_to_string(setup.state.join("report-quarantine.jsonl")).expect("quarantine");
    assert!(quarantine.contains("ambiguous"), "{quarantine}");
    assert!(
        quarantine.contains("\"value\":\"01/05/2024\""),
        "{quarantine}"
    );
}

/// A deterministic generator for the crash test, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

fn write_known_set(drops: &Path, random: &mut Lcg) -> Vec<(String, Vec<u8>)> {
    let mut chunks = Vec::new();
    for file in 0..3 {
        let mut text = String::new();
        for i in 0..120 {
            let id = format!("K{file}-{i}");
            text.push_str(&ticket_line(
                &id,
                &format!("2026-12-0{}T{:02}:00:00Z", 1 + file, i % 24),
            ));
            if i % 3 == 0 {
                text.push_str(&format!("{{\"ticket_id\":\"{id}\",\"status\":\"solved\",\"updated_at\":\"2026-12-05T00:00:00Z\",\"resolved_at\":\"2026-12-05T00:00:00Z\"}}\n"));
            }
        }
        let bytes = text.into_bytes();
        let mut start = 0;
        while start < bytes.len() {
            let end = (start + 50 + random.next(900) as usize).min(bytes.len());
            chunks.push((format!("tickets-{file}.jsonl"), bytes[start..end].to_vec()));
            start = end;
        }
    }
    let _ = drops;
    chunks
}

#[test]
fn sigkill_restarts_lose_and_double_nothing() {
    let setup = setup();
    let mut random = Lcg(20_261_204);
    let chunks = write_known_set(&setup.drops, &mut random);
    let per_kill = chunks.len().div_ceil(24);

    let mut kills = 0;
    let mut written = 0;
    while written < chunks.len() {
        let mut csmon = setup.start();
        for (name, bytes) in chunks.iter().skip(written).take(per_kill) {
            setup.append(name, bytes);
            std::thread::sleep(Duration::from_millis(random.next(60)));
        }
        written = (written + per_kill).min(chunks.len());
        std::thread::sleep(Duration::from_millis(random.next(400)));
        csmon.kill();
        kills += 1;
    }
    assert!(kills >= 20, "killed {kills} times");

    let mut csmon = setup.start();
    csmon.wait_for_summary("all 360 cases", |f| count(f, "cases") == 360);
    std::thread::sleep(Duration::from_secs(3));
    csmon.terminate();
    let live = final_report(&setup.state);

    let (once_config, _) = config_in(&setup.drops.with_file_name("once"), "csmon.toml");
    let once = report_json(&once_config, &setup.drops);
    for key in [
        "cases",
        "rows_read",
        "rejected_rows",
        "backlog",
        "resolution_minutes",
    ] {
        assert_eq!(live[key], once[key], "{key} after {kills} kills");
    }
    assert_eq!(
        u64_at(&live, "/rows_read"),
        480,
        "360 tickets and 120 updates, each once"
    );
}
