//! Malformed rows: counted, written to the quarantine file with file, line, field and
//! reason, and never a reason to stop reading the rest of the drop.

mod common;

use common::{config_in, report_json, u64_at};

const TICKETS: &str = "\
ticket_id,customer_id,created_at,first_response_at,resolved_at,due_at,channel,agent,region,category,priority,status,order_amount,updated_at
T1,c1,2026-12-01T08:00:00Z,2026-12-01T08:10:00Z,,,chat,ana,north,billing,low,open,10.5,2026-12-01T08:10:00Z
T2,c2,2026-12-01T09:00:00Z,,,,chat,ana,north,billing,low,open,12abc,2026-12-01T09:00:00Z
T3,c3,yesterday,,,,email,bo,south,billing,low,open,20,2026-12-01T09:00:00Z
T4,c4,2026-12-01T10:00:00Z,,,,email,bo,south,billing,low,open,30,2026-12-01T10:00:00Z
";

const FEEDBACK: &str = "\
ticket_id,score,comment,rated_at
T1,5,great,2026-12-01T12:00:00Z
T4,7,typo,2026-12-01T12:00:00Z
";

#[test]
fn malformed_rows_go_to_quarantine() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    std::fs::create_dir(&drops).expect("drops folder");
    std::fs::write(drops.join("tickets-1.csv"), TICKETS).expect("write tickets");
    std::fs::write(drops.join("feedback-1.csv"), FEEDBACK).expect("write feedback");
    let (config, state) = config_in(temp.path(), "csmon.toml");

    let report = report_json(&config, &drops);
    assert_eq!(u64_at(&report, "/rejected_rows"), 3);
    assert_eq!(
        u64_at(&report, "/cases"),
        2,
        "T1 and T4 are read around the bad rows"
    );
    assert_eq!(
        u64_at(&report, "/rated"),
        1,
        "the score 7 answer is rejected"
    );

    let text = std::fs::read_to_string(state.join("report-quarantine.jsonl"))
        .expect("quarantine file exists");
    let entries: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("quarantine line is JSON"))
        .collect();
    assert_eq!(entries.len(), 3);

    let find = |field: &str| {
        entries
            .iter()
            .find(|e| e["field"] == field)
            .unwrap_or_else(|| panic!("no entry for {field}: {text}"))
    };
    let amount = find("order_amount");
    assert_eq!(amount["file"], "tickets-1.csv");
    assert_eq!(amount["line"], 3);
    assert_eq!(amount["value"], "12abc");
    assert!(
        amount["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not a finite number"))
    );

    let time = find("created_at");
    assert_eq!(time["line"], 4);
    assert!(
        time["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not a time"))
    );

    let score = find("score");
    assert_eq!(score["file"], "feedback-1.csv");
    assert_eq!(score["line"], 3);
    assert!(
        score["reason"]
            .as_str()
            .is_some_and(|r| r.contains("outside 1 to 5"))
    );
}

#[test]
fn ragged_rows_are_rejected_not_padded() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    std::fs::create_dir(&drops).expect("drops folder");
    let text = "ticket_id,created_at,channel\nA,2026-12-01T08:00:00Z,chat\nB,2026-12-01T08:00:00Z\nC,2026-12-01T08:00:00Z,chat,extra\nD,2026-12-01T09:00:00Z,email\n";
    std::fs::write(drops.join("tickets.csv"), text).expect("write tickets");
    let (config, state) = config_in(temp.path(), "csmon.toml");

    let report = report_json(&config, &drops);
    assert_eq!(u64_at(&report, "/cases"), 2);
    assert_eq!(u64_at(&report, "/rejected_rows"), 2);
    let quarantine =
        std::fs::read_to_string(state.join("report-quarantine.jsonl")).expect("quarantine file");
    assert!(
        quarantine.contains("row has 2 fields but the header has 3"),
        "{quarantine}"
    );
    assert!(
        quarantine.contains("row has 4 fields but the header has 3"),
        "{quarantine}"
    );
}
