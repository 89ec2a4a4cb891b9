//! `csmon watch --headless` with a real notify watcher: the Olist tables dropped one by one
//! into the watched folder end with the same figures as one `report` over them.

mod common;

use std::time::Duration;

use common::{Headless, config_in, olist_dir, report_json};

/// Compares two JSON values, numbers within a relative 1e-12, because sums over cases
/// read in another order may differ in the last bits.
fn assert_close(live: &serde_json::Value, once: &serde_json::Value, what: &str) {
    match (live, once) {
        (serde_json::Value::Number(a), serde_json::Value::Number(b)) => {
            let (a, b) = (a.as_f64().expect("number"), b.as_f64().expect("number"));
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "{what}: {a} against {b}"
            );
        }
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            assert_eq!(a.len(), b.len(), "{what}");
            for (key, value) in a {
                assert_close(value, &b[key], &format!("{what}.{key}"));
            }
        }
        _ => assert_eq!(live, once, "{what}"),
    }
}

/// Compares the figures that do not depend on when the model was trained.
fn assert_same_figures(live: &serde_json::Value, once: &serde_json::Value) {
    for key in [
        "cases",
        "rated",
        "rejected_rows",
        "csat_mean",
        "csat_pct",
        "satisfaction_index",
        "loyalty_index",
        "sla_attainment",
        "backlog",
        "first_response_minutes",
        "resolution_minutes",
    ] {
        assert_close(&live[key], &once[key], key);
    }
    for dimension in [
        "customer_state",
        "product_category",
        "order_status",
        "payment_type",
        "seller",
    ] {
        let strip = |value: &serde_json::Value| -> Vec<(
            serde_json::Value,
            serde_json::Value,
            serde_json::Value,
            serde_json::Value,
        )> {
            value["segments"][dimension]
                .as_array()
                .expect("segments")
                .iter()
                .map(|row| {
                    (
                        row["key"].clone(),
                        row["cases"].clone(),
                        row["rated"].clone(),
                        row["csat_mean"].clone(),
                    )
                })
                .collect()
        };
        assert_eq!(strip(live), strip(once), "segments of {dimension} differ");
    }
}

#[test]
fn drops_one_by_one_match_report() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    std::fs::create_dir(&drops).expect("drops folder");
    let (config, state) = config_in(temp.path(), "olist.toml");
    let mut csmon = Headless::start(&config, &drops, &[]);
    csmon.wait_for_line("cases=0");

    // Orders last, so cases first exist without their timeline and then gain it.
    let mut names: Vec<String> = std::fs::read_dir(olist_dir())
        .expect("sample folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort_by_key(|name| name.contains("_orders"));
    for (index, name) in names.iter().enumerate() {
        let bytes = std::fs::read(olist_dir().join(name)).expect("sample file");
        if index % 2 == 0 {
            // A producer that writes a temporary file and renames it into place.
            let temporary = drops.join(format!(".{name}.tmp"));
            std::fs::write(&temporary, &bytes).expect("write temporary");
            std::fs::rename(&temporary, drops.join(name)).expect("rename");
        } else {
            // A producer that writes in place, in two parts.
            let (head, tail) = bytes.split_at(bytes.len() / 2);
            std::fs::write(drops.join(name), head).expect("write first half");
            std::thread::sleep(Duration::from_millis(150));
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(drops.join(name))
                .expect("reopen");
            std::io::Write::write_all(&mut file, tail).expect("write second half");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    csmon.wait_for_line("cases=8135 rated=8062");
    csmon.wait_for_line("rows=47242");
    csmon.terminate();

    let live: serde_json::Value = serde_json::from_slice(
        &std::fs::read(state.join("report.json")).expect("final report.json"),
    )
    .expect("JSON");
    let (once_config, _) = config_in(&temp.path().join("once"), "olist.toml");
    let once = report_json(&once_config, &olist_dir());
    assert_same_figures(&live, &once);
}

#[test]
fn headless_prints_alerts_and_summaries() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    common::copy_dir(&common::tickets_dir(), &drops);
    let (config, state) = config_in(temp.path(), "csmon.toml");
    let mut csmon = Headless::start(&config, &drops, &["--poll"]);

    let alert = csmon.wait_for_line("\"state\":\"firing\"");
    let event: serde_json::Value = serde_json::from_str(&alert).expect("alert line is JSON");
    assert_eq!(event["rule"], "unhappy channel");
    assert_eq!(event["segment"], "social");
    let summary = csmon.wait_for_line("cases=120");
    assert!(summary.contains("rejected=1"), "{summary}");
    csmon.terminate();

    let alerts = std::fs::read_to_string(state.join("alerts.jsonl")).expect("alerts.jsonl written");
    assert!(
        alerts.lines().any(|l| l.contains("unhappy channel")),
        "{alerts}"
    );
}

#[test]
fn sigkill_keeps_lookup_joins() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    common::copy_dir(&olist_dir(), &drops);
    let (config, state) = config_in(temp.path(), "olist.toml");

    // Killed before any clean stop, so the restart replays the journal alone.
    let mut csmon = Headless::start(&config, &drops, &[]);
    csmon.wait_for_line("cases=8135 rated=8062");
    csmon.wait_for_line("rows=47242");
    csmon.kill();

    let mut csmon = Headless::start(&config, &drops, &[]);
    csmon.wait_for_line("cases=8135 rated=8062");
    csmon.terminate();
    // A second restart reads the checkpoint the clean stop wrote.
    let mut csmon = Headless::start(&config, &drops, &[]);
    csmon.wait_for_line("cases=8135 rated=8062");
    csmon.terminate();

    let live = common::final_report(&state);
    let (once_config, _) = config_in(&temp.path().join("once"), "olist.toml");
    let once = report_json(&once_config, &olist_dir());
    assert_eq!(live["rows_read"], once["rows_read"], "no row read twice");
    assert_same_figures(&live, &once);
}

#[test]
fn other_folder_does_not_inherit_state() {
    let temp = tempfile::tempdir().expect("temp dir");
    let first = temp.path().join("first");
    common::copy_dir(&common::tickets_dir(), &first);
    let second = temp.path().join("second");
    std::fs::create_dir(&second).expect("second folder");
    let (config, _) = config_in(temp.path(), "csmon.toml");

    let mut csmon = Headless::start(&config, &first, &[]);
    csmon.wait_for_line("cases=120");
    csmon.terminate();

    let mut csmon = Headless::start(&config, &second, &[]);
    let summary = csmon.wait_for_line("cases=");
    assert!(summary.starts_with("cases=0 "), "{summary}");
    csmon.terminate();
}

#[test]
fn restart_does_not_fire_again() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    common::copy_dir(&common::tickets_dir(), &drops);
    let (config, state) = config_in(temp.path(), "csmon.toml");

    let mut csmon = Headless::start(&config, &drops, &[]);
    csmon.wait_for_line("\"rule\":\"unhappy channel\"");
    csmon.wait_for_line("cases=120");
    csmon.terminate();

    let mut csmon = Headless::start(&config, &drops, &[]);
    csmon.wait_for_line("cases=120");
    csmon.wait_for_line("cases=120");
    csmon.terminate();
    let firing: Vec<&String> = csmon
        .seen
        .iter()
        .filter(|l| l.contains("\"state\":\"firing\""))
        .collect();
    assert!(
        firing.is_empty(),
        "a restart reports no alert as newly firing: {firing:?}"
    );

    let log = std::fs::read_to_string(state.join("alerts.jsonl")).expect("alerts.jsonl");
    let count = log
        .lines()
        .filter(|l| l.contains("unhappy channel") && l.contains("firing"))
        .count();
    assert_eq!(count, 1, "{log}");
}
