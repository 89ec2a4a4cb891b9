//! `csmon export` on the sample tickets: the file contains the rows of the chosen tab with the
//! same sort, filter and window as the screen.

mod common;

fn export(config: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "--config".to_string(),
        config.display().to_string(),
        "export".to_string(),
        common::tickets_dir().display().to_string(),
    ];
    args.extend(extra.iter().map(ToString::to_string));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    common::csmon(&args)
}

#[test]
fn export_writes_sorted_filtered_segments() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (config, state) = common::config_in(temp.path(), "csmon.toml");
    let output = export(
        &config,
        &[
            "--tab",
            "segments",
            "--sort",
            "csat_pct",
            "--ascending",
            "--filter",
            "A",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let paths: Vec<&str> = stdout.lines().collect();
    assert_eq!(paths.len(), 2, "{stdout}");
    assert!(
        paths[0].starts_with(&state.display().to_string()),
        "{stdout}"
    );
    assert!(paths[0].ends_with("-segments.csv"), "{stdout}");

    let csv = std::fs::read_to_string(paths[0]).expect("CSV is readable");
    let segments: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|line| line.split(',').next().expect("segment column"))
        .collect();
    assert_eq!(segments, ["social", "email", "chat"], "{csv}");
    assert!(
        csv.starts_with("segment,cases,rated,csat_mean,csat_pct,"),
        "{csv}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(paths[1]).expect("JSON is readable"))
            .expect("JSON parses");
    assert_eq!(json["tab"], "Segments");
    assert_eq!(json["window"], "all");
    assert_eq!(json["dimension"], "channel");
    assert_eq!(json["sort"], "CSAT%");
    assert_eq!(json["descending"], false);
    assert_eq!(json["filter"], "A");
    assert_eq!(json["rows"][0]["segment"], "social");
    assert_eq!(json["rows"][0]["cases"], 34);
}

#[test]
fn export_rejects_unknown_tab() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (config, _) = common::config_in(temp.path(), "csmon.toml");
    let output = export(&config, &["--tab", "graphs"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid --tab 'graphs'"), "{stderr}");
    assert!(
        stderr.contains("overview, segments, model, alerts, ingest"),
        "{stderr}"
    );
}

#[test]
fn export_writes_each_tab() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (config, _) = common::config_in(temp.path(), "csmon.toml");
    for (tab, first_column) in [
        ("overview", "figure"),
        ("model", "figure"),
        ("alerts", "severity"),
        ("ingest", "file"),
    ] {
        let output = export(&config, &["--tab", tab]);
        assert!(
            output.status.success(),
            "{tab}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let csv_path = stdout.lines().next().expect("CSV path");
        let csv = std::fs::read_to_string(csv_path).expect("CSV is readable");
        assert!(csv.starts_with(first_column), "{tab}: {csv}");
        assert!(csv.lines().count() > 1, "{tab} has rows: {csv}");
    }
}
