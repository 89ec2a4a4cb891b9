//! `csmon replay` turns the Olist tables into timed drops that read back to the same figures.

mod common;

use std::path::Path;

use common::{config_in, olist_dir, report_json, u64_at};

/// Replays the Olist sample into `drops` as fast as possible, `batch` records per drop.
fn replay_olist(config: &Path, drops: &Path, batch: &str) {
    let output = common::csmon(&[
        "--config",
        &config.display().to_string(),
        "replay",
        &olist_dir().display().to_string(),
        "--to",
        &drops.display().to_string(),
        "--speed",
        "1e12",
        "--max-pause",
        "0",
        "--batch",
        batch,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn replayed_drops_give_same_report() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    let (config, _) = config_in(temp.path(), "olist.toml");
    replay_olist(&config, &drops, "2000");

    let names: Vec<String> = std::fs::read_dir(&drops)
        .expect("drops written")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let order_drops = names
        .iter()
        .filter(|n| n.ends_with("-olist_sample_orders.csv"))
        .count();
    assert!(
        order_drops >= 4,
        "orders arrive in several drops: {names:?}"
    );
    assert!(
        names.iter().any(|n| n == "olist_sample_customers.csv"),
        "lookups are copied whole"
    );
    assert!(
        !names.iter().any(|n| n.starts_with('.')),
        "no temporary file is left"
    );

    let replayed = report_json(&config, &drops);
    let original = report_json(&config, &olist_dir());
    for key in ["cases", "rated", "rejected_rows", "sla_cases", "backlog"] {
        assert_eq!(
            u64_at(&replayed, &format!("/{key}")),
            u64_at(&original, &format!("/{key}")),
            "{key}"
        );
    }
    for key in [
        "csat_mean",
        "csat_pct",
        "sla_attainment",
        "first_response_minutes",
        "resolution_minutes",
    ] {
        assert_eq!(replayed[key], original[key], "{key}");
    }
}

#[test]
fn drops_follow_event_time() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    let (config, _) = config_in(temp.path(), "olist.toml");
    replay_olist(&config, &drops, "500");

    let mut names: Vec<String> = std::fs::read_dir(&drops)
        .expect("drops")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with("-olist_sample_orders.csv"))
        .collect();
    names.sort();
    let mut previous_last = String::new();
    for name in names {
        let mut reader = csv::Reader::from_path(drops.join(&name)).expect("drop parses");
        let column = reader
            .headers()
            .expect("header")
            .iter()
            .position(|h| h == "order_purchase_timestamp")
            .expect("column");
        let times: Vec<String> = reader
            .records()
            .map(|r| r.expect("row")[column].to_string())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "{name} is in time order"
        );
        assert!(
            previous_last <= times[0],
            "{name} starts after the previous drop"
        );
        previous_last = times.last().expect("drop has rows").clone();
    }
}
