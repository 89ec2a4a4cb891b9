//! Sentiment scoring on real Chinese reviews: the lexicon, and the classifier trained on the
//! older 80% of each file, scored on the newest 20%. The review files are third-party test
//! data of unclear licence, so they are read from the shared data folder and never shipped.
//!
//! Run: `cargo bench --bench sentiment_zh` (folder from `CSMON_ZH_DATA`, default
//! `../shared/data/real-zh`).

use std::path::PathBuf;
use std::time::Instant;

use csmon::metrics::CaseFacts;
use csmon::model::sentiment::{SentimentModel, lexicon_score};

fn main() {
    let folder = std::env::var_os("CSMON_ZH_DATA")
        .map_or_else(|| PathBuf::from("../shared/data/real-zh"), PathBuf::from);
    for name in ["waimai_10k.csv", "online_shopping_10_cats_slice.csv"] {
        let path = folder.join(name);
        let Ok(mut reader) = csv::Reader::from_path(&path) else {
            println!("{}: not found, skipped", path.display());
            continue;
        };
        let headers = reader.headers().expect("header").clone();
        let label = headers
            .iter()
            .position(|h| h == "label")
            .expect("label column");
        let review = headers
            .iter()
            .position(|h| h == "review")
            .expect("review column");
        let rows: Vec<(bool, String)> = reader
            .records()
            .filter_map(Result::ok)
            .filter_map(|r| Some((r.get(label)? == "1", r.get(review)?.to_string())))
            .collect();

        // Rows are shuffled by a fixed stride so both labels land in the held-out part.
        let mut facts: Vec<CaseFacts> = rows
            .iter()
            .enumerate()
            .map(|(i, (positive, text))| CaseFacts {
                key: format!("r{i}"),
                event_time: Some(((i * 7919) % rows.len()) as i64),
                satisfaction: Some(if *positive { 5.0 } else { 1.0 }),
                feedback: Some(text.clone()),
                ..CaseFacts::default()
            })
            .collect();
        facts.sort_by_key(|f| f.event_time);

        let covered = rows
            .iter()
            .filter(|(_, t)| lexicon_score(t).is_some())
            .count();
        let started = Instant::now();
        let model = SentimentModel::train(&facts);
        let seconds = started.elapsed().as_secs_f64();
        let e = &model.evaluation;
        println!(
            "{name}: {} reviews, lexicon words in {:.1}% of them",
            rows.len(),
            100.0 * covered as f64 / rows.len() as f64
        );
        println!(
            "  held-out {} reviews; lexicon accuracy {:.4} macro F1 {:.4}",
            e.tested_on, e.lexicon.accuracy, e.lexicon.macro_f1
        );
        if let Some(c) = &e.classifier {
            println!(
                "  classifier accuracy {:.4} macro F1 {:.4} (trained on {} in {seconds:.2} s); chosen: {}",
                c.accuracy, c.macro_f1, e.trained_on, e.chosen
            );
        }
    }
}
