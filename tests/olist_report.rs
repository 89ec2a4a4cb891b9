//! `csmon report` on the Olist sample against figures computed here from the raw CSV files.

mod common;

use std::collections::HashMap;

use common::{config_in, f64_at, olist_dir, report_json, u64_at};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

type Row = HashMap<String, String>;

fn read(name: &str) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(olist_dir().join(name)).expect("sample file opens");
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("sample row parses");
            headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn seconds(text: &str, zone: &TimeZone) -> Option<i64> {
    if text.is_empty() {
        return None;
    }
    let civil: DateTime = text.parse().expect("Olist time");
    Some(
        civil
            .to_zoned(zone.clone())
            .expect("time exists")
            .timestamp()
            .as_second(),
    )
}

/// Value at rank floor(q * (n - 1)) of the sorted values.
fn exact_quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[(q * (sorted.len() - 1) as f64) as usize]
}

fn minutes_between(orders: &[Row], from: &str, to: &str, zone: &TimeZone) -> Vec<f64> {
    let mut minutes: Vec<f64> = orders
        .iter()
        .filter_map(|o| Some((seconds(&o[from], zone)?, seconds(&o[to], zone)?)))
        .filter(|(start, end)| end >= start)
        .map(|(start, end)| (end - start) as f64 / 60.0)
        .collect();
    minutes.sort_by(f64::total_cmp);
    minutes
}

struct Expected {
    rated: u64,
    csat_mean: f64,
    csat_pct: f64,
    state_means: HashMap<String, (u64, f64)>,
}

/// Latest survey response per order by `review_answer_timestamp`, the later row on a tie.
fn expected_satisfaction(orders: &[Row]) -> Expected {
    let mut latest: HashMap<String, (String, f64)> = HashMap::new();
    for review in read("olist_sample_order_reviews.csv") {
        let answered = review["review_answer_timestamp"].clone();
        let score: f64 = review["review_score"].parse().expect("score");
        let entry = latest
            .entry(review["order_id"].clone())
            .or_insert((answered.clone(), score));
        if answered >= entry.0 {
            *entry = (answered, score);
        }
    }
    let scores: Vec<f64> = latest.values().map(|(_, s)| *s).collect();
    let customers: HashMap<String, String> = read("olist_sample_customers.csv")
        .into_iter()
        .map(|c| (c["customer_id"].clone(), c["customer_state"].clone()))
        .collect();
    let mut by_state: HashMap<String, (u64, f64)> = HashMap::new();
    for order in orders {
        if let Some((_, score)) = latest.get(&order["order_id"]) {
            let state = customers[&order["customer_id"]].clone();
            let entry = by_state.entry(state).or_default();
            entry.0 += 1;
            entry.1 += score;
        }
    }
    Expected {
        rated: scores.len() as u64,
        csat_mean: scores.iter().sum::<f64>() / scores.len() as f64,
        csat_pct: scores.iter().filter(|s| **s >= 4.0).count() as f64 / scores.len() as f64,
        state_means: by_state
            .into_iter()
            .map(|(k, (n, sum))| (k, (n, sum / n as f64)))
            .collect(),
    }
}

fn assert_within_sketch_error(reported: f64, exact: f64, what: &str) {
    let bound = csmon::metrics::QUANTILE_RELATIVE_ERROR * exact.abs() + 1e-9;
    assert!(
        (reported - exact).abs() <= bound,
        "{what}: reported {reported}, exact {exact}"
    );
}

#[test]
fn report_matches_raw_files() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (config, _) = config_in(temp.path(), "olist.toml");
    let report = report_json(&config, &olist_dir());
    let orders = read("olist_sample_orders.csv");
    let expected = expected_satisfaction(&orders);

    assert_eq!(u64_at(&report, "/cases"), 8135);
    assert_eq!(u64_at(&report, "/cases"), orders.len() as u64);
    assert_eq!(u64_at(&report, "/rated"), expected.rated);
    assert_eq!(u64_at(&report, "/rejected_rows"), 0);
    assert!((f64_at(&report, "/csat_mean") - expected.csat_mean).abs() < 1e-9);
    assert!((f64_at(&report, "/csat_pct") - expected.csat_pct).abs() < 1e-9);

    let states = report
        .pointer("/segments/customer_state")
        .and_then(|v| v.as_array())
        .expect("state segments");
    assert_eq!(states.len(), expected.state_means.len());
    for state in states {
        let key = state["key"].as_str().expect("segment key");
        let (rated, mean) = expected.state_means[key];
        assert_eq!(state["rated"].as_u64(), Some(rated), "rated in {key}");
        let reported = state["csat_mean"].as_f64().expect("mean");
        assert!(
            (reported - mean).abs() < 1e-9,
            "{key}: {reported} against {mean}"
        );
    }
}

#[test]
fn report_percentiles_and_sla_match_raw_files() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (config, _) = config_in(temp.path(), "olist.toml");
    let report = report_json(&config, &olist_dir());
    let orders = read("olist_sample_orders.csv");
    let zone = TimeZone::get("America/Sao_Paulo").expect("zone");

    let first = minutes_between(
        &orders,
        "order_purchase_timestamp",
        "order_approved_at",
        &zone,
    );
    let resolution = minutes_between(
        &orders,
        "order_purchase_timestamp",
        "order_delivered_customer_date",
        &zone,
    );
    assert_within_sketch_error(
        f64_at(&report, "/first_response_minutes/p50"),
        exact_quantile(&first, 0.5),
        "first response p50",
    );
    assert_within_sketch_error(
        f64_at(&report, "/first_response_minutes/p90"),
        exact_quantile(&first, 0.9),
        "first response p90",
    );
    assert_within_sketch_error(
        f64_at(&report, "/resolution_minutes/p50"),
        exact_quantile(&resolution, 0.5),
        "resolution p50",
    );
    assert_within_sketch_error(
        f64_at(&report, "/resolution_minutes/p90"),
        exact_quantile(&resolution, 0.9),
        "resolution p90",
    );

    // The estimated delivery is a date, so delivery on that local day is on time.
    let delivered: Vec<&Row> = orders
        .iter()
        .filter(|o| {
            !o["order_delivered_customer_date"].is_empty()
                && !o["order_estimated_delivery_date"].is_empty()
        })
        .collect();
    let on_time = delivered
        .iter()
        .filter(|o| {
            o["order_delivered_customer_date"][..10] <= o["order_estimated_delivery_date"][..10]
        })
        .count();
    let expected = on_time as f64 / delivered.len() as f64;
    assert!((f64_at(&report, "/sla_attainment") - expected).abs() < 1e-9);
}

#[test]
fn model_beats_mean_baseline() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (config, _) = config_in(temp.path(), "olist.toml");
    let report = report_json(&config, &olist_dir());
    let mae = f64_at(&report, "/model/mae");
    let baseline = f64_at(&report, "/model/baseline_mae");
    assert!(mae < baseline, "MAE {mae} against baseline {baseline}");
    assert!(
        mae <= 0.9 * baseline,
        "MAE {mae} is not 10% below baseline {baseline}"
    );
    assert!(u64_at(&report, "/model/trained_on") > 6000);
    let predicted = f64_at(&report, "/predicted_csat_mean");
    assert!((1.0..=5.0).contains(&predicted));
}
