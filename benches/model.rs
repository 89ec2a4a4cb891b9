//! Benchmark of the satisfaction regressor on synthetic rated cases.
//!
//! Times `SatisfactionModel::train` and `SatisfactionModel::predict`, and the smartcore forest's
//! own fit and predict on the same rows, which are the figures to set against scikit-learn.
//! Prints them as a table, and writes the encoded rows to a CSV so `benches/sklearn.sh` can fit
//! scikit-learn on identical data. Run `cargo bench --bench model -- --help` for the options.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail, ensure};
use clap::Parser;
use csmon::config::ModelSettings;
use csmon::metrics::CaseFacts;
use csmon::model::{FEATURE_NAMES, FeatureSchema, SatisfactionModel};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

type Forest = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

#[derive(Parser)]
#[command(about = "Time the satisfaction model's fit and predict on synthetic cases")]
struct Args {
    /// Number of synthetic rated cases to generate (at least 10).
    #[arg(long, env = "CSMON_BENCH_ROWS", default_value_t = 50_000)]
    rows: usize,
    /// Path of the CSV of encoded features, target and train/test split.
    #[arg(
        long,
        env = "CSMON_BENCH_CSV",
        default_value = "target/bench-model.csv"
    )]
    csv: PathBuf,
    /// Seed of the synthetic data generator.
    #[arg(long, default_value_t = 2024)]
    data_seed: u64,
    /// Number of timed fits per variant; the median is reported.
    #[arg(long, default_value_t = 3)]
    fit_repeats: usize,
    /// Number of timed predict runs over all rows; the median is reported.
    #[arg(long, default_value_t = 5)]
    predict_repeats: usize,
    /// Skip the variant with no depth limit.
    #[arg(long)]
    skip_full_depth: bool,
    /// Write the CSV and exit without fitting.
    #[arg(long)]
    csv_only: bool,
    /// Passed by `cargo bench` to every bench target; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// Returns the settings of every fit. The full-depth variant overrides `max_depth`.
fn settings(rows: usize) -> ModelSettings {
    ModelSettings {
        min_rated: 10,
        trees: 60,
        max_depth: 14,
        min_samples_leaf: 5,
        test_share: 0.2,
        seed: 7,
        // Every case is used, so the split matches the CSV's.
        sample_size: rows,
        ..ModelSettings::default()
    }
}

const STATUSES: &[(&str, f64)] = &[
    ("delivered", 0.90),
    ("shipped", 0.04),
    ("canceled", 0.025),
    ("unavailable", 0.01),
    ("invoiced", 0.01),
    ("processing", 0.01),
];
const CATEGORIES: usize = 70;
const REGIONS: usize = 27;
/// 2018-01-01T00:00:00Z in Unix seconds.
const START_SECONDS: i64 = 1_514_764_800;

/// Draws an index with probability proportional to its weight.
fn weighted(rng: &mut Xoshiro256PlusPlus, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut point = rng.random::<f64>() * total;
    for (index, weight) in weights.iter().enumerate() {
        if point < *weight {
            return index;
        }
        point -= weight;
    }
    weights.len() - 1
}

struct Generator {
    rng: Xoshiro256PlusPlus,
    status_weights: Vec<f64>,
    category_weights: Vec<f64>,
    region_weights: Vec<f64>,
}

impl Generator {
    fn new(seed: u64) -> Generator {
        // Zipf-like weights: a few large categories and regions and a long tail. With 70
        // categories, the tail goes past the schema's per-feature cap of 60 codes.
        let zipf = |count: usize, exponent: f64| -> Vec<f64> {
            (1..=count)
                .map(|rank| (rank as f64).powf(-exponent))
                .collect()
        };
        Generator {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            status_weights: STATUSES.iter().map(|(_, weight)| *weight).collect(),
            category_weights: zipf(CATEGORIES, 1.1),
            region_weights: zipf(REGIONS, 1.3),
        }
    }

    fn chance(&mut self, probability: f64) -> bool {
        self.rng.random_bool(probability)
    }

    /// Draws a standard normal value with the Box-Muller transform.
    fn normal(&mut self) -> f64 {
        let u1: f64 = 1.0 - self.rng.random::<f64>();
        let u2: f64 = self.rng.random();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.rng.random::<f64>()).ln()
    }

    /// Returns `None` with probability `missing`, else `value`.
    fn with_gaps(&mut self, value: Option<f64>, missing: f64) -> Option<f64> {
        if self.chance(missing) { None } else { value }
    }

    /// Generates case `index`. Creation times rise with `index`, about three minutes apart.
    fn case(&mut self, index: usize) -> CaseFacts {
        let created = START_SECONDS + index as i64 * 180 + self.rng.random_range(0..180);
        let status = STATUSES[weighted(&mut self.rng, &self.status_weights)].0;
        let delivered = status == "delivered";
        let closed = matches!(status, "canceled" | "unavailable");
        let open = !delivered && !closed;

        let promised_days = 5.0 + self.rng.random::<f64>() * 35.0;
        let lateness_days = if delivered && self.chance(0.08) {
            Some(0.5 + self.exponential(6.0))
        } else if delivered {
            Some(-self.rng.random::<f64>() * promised_days * 0.8)
        } else if open {
            Some(-5.0 + 10.0 * self.normal())
        } else {
            None
        };
        let resolution_minutes = if delivered {
            let days = (promised_days + lateness_days.unwrap_or(0.0)).max(0.2);
            Some(days * 1440.0)
        } else if closed {
            Some(self.log_normal(2.0 * 1440.0, 0.8))
        } else {
            None
        };
        let first_response_minutes = self.log_normal(90.0, 1.2);
        let amount = self.log_normal(90.0, 0.9);
        let purchases = 1.0 + self.exponential(0.3).floor();
        let category = weighted(&mut self.rng, &self.category_weights);
        let region = weighted(&mut self.rng, &self.region_weights);

        // The rating follows the true values, before gaps hide some of them.
        let mut score = 4.35;
        if closed {
            score -= 2.2;
        }
        if open {
            score -= 1.2;
        }
        if let Some(late) = lateness_days.filter(|late| *late > 0.0) {
            score -= 1.3 + 0.12 * late.min(20.0);
        }
        if let Some(minutes) = resolution_minutes {
            score -= (0.04 * (minutes / 1440.0 - 10.0).max(0.0)).min(1.0);
        }
        if first_response_minutes > 1440.0 {
            score -= 0.3;
        }
        score -= 0.15 * (amount / 90.0).ln();
        score += 0.05 * ((region % 5) as f64 - 2.0);
        score += 0.9 * self.normal();
        let satisfaction = score.round().clamp(1.0, 5.0);

        let resolved = !open;
        CaseFacts {
            key: format!("bench-{index:07}"),
            event_time: Some(created),
            newest_time: Some(created + resolution_minutes.map_or(0, |m| (m * 60.0) as i64)),
            satisfaction: Some(satisfaction),
            first_response_minutes: self.with_gaps(Some(first_response_minutes), 0.08),
            resolution_minutes: self.with_gaps(resolution_minutes, 0.02),
            resolved,
            on_time: lateness_days.filter(|_| resolved).map(|late| late <= 0.0),
            lateness_days: self.with_gaps(lateness_days, 0.03),
            promised_days: self.with_gaps(Some(promised_days), 0.02),
            amount: self.with_gaps(Some(amount), 0.01),
            purchases: self.with_gaps(Some(purchases), 0.04),
            status: (!self.chance(0.005)).then(|| status.to_string()),
            category: (!self.chance(0.015)).then(|| format!("category_{category:02}")),
            region: (!self.chance(0.005)).then(|| format!("region_{region:02}")),
            ..CaseFacts::default()
        }
    }
}

/// Splits the rated cases as `SatisfactionModel::train` does when `sample_size` keeps every
/// case: sorted by creation time then key, with the newest `test_share` held out. Returns
/// (train, test).
fn time_split<'a>(
    cases: &'a [CaseFacts],
    settings: &ModelSettings,
) -> (Vec<&'a CaseFacts>, Vec<&'a CaseFacts>) {
    let mut rated: Vec<&CaseFacts> = cases.iter().collect();
    rated.sort_by(|a, b| {
        a.event_time
            .cmp(&b.event_time)
            .then_with(|| a.key.cmp(&b.key))
    });
    let test_len =
        ((rated.len() as f64 * settings.test_share).round() as usize).clamp(1, rated.len() - 1);
    let test = rated.split_off(rated.len() - test_len);
    (rated, test)
}

fn write_csv(
    path: &Path,
    schema: &FeatureSchema,
    train: &[&CaseFacts],
    test: &[&CaseFacts],
) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("failed to create folder {}", parent.display()))?;
    }
    let mut writer = csv::Writer::from_path(path)
        .with_context(|| format!("failed to create {}", path.display()))?;
    let mut header: Vec<&str> = FEATURE_NAMES.to_vec();
    header.extend(["satisfaction", "split"]);
    writer.write_record(&header)?;
    let parts = [("train", train), ("test", test)];
    for (split, cases) in parts {
        for case in cases {
            // `f64::to_string` prints the shortest text that parses back to the same value.
            let mut record: Vec<String> = schema.row(case).iter().map(f64::to_string).collect();
            record.push(case.satisfaction.unwrap_or_default().to_string());
            record.push(split.to_string());
            writer.write_record(&record)?;
        }
    }
    writer
        .flush()
        .with_context(|| format!("failed to write {}", path.display()))?;
    Ok(())
}

fn median(mut durations: Vec<Duration>) -> Duration {
    durations.sort();
    let middle = durations.len() / 2;
    if durations.len().is_multiple_of(2) {
        (durations[middle - 1] + durations[middle]) / 2
    } else {
        durations[middle]
    }
}

/// Returns the CPU time that the calling thread has used so far, from the first field of
/// `/proc/thread-self/schedstat` (Linux, nanoseconds), or `None` where that file is missing.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Median elapsed time and median CPU time of the calling thread over the repeats. The CPU
/// time leaves out the time that other processes hold the core, so on a busy machine it is
/// closer to the undisturbed figure. It counts only the calling thread.
struct Timing {
    wall: Duration,
    cpu: Option<Duration>,
}

/// Calls `run` `repeats` times and returns its timing and the last result.
fn timed<T>(
    repeats: usize,
    mut run: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(Timing, T)> {
    let mut walls = Vec::with_capacity(repeats);
    let mut cpus = Vec::with_capacity(repeats);
    let mut result = None;
    for _ in 0..repeats {
        let cpu_start = thread_cpu_time();
        let start = Instant::now();
        let value = run()?;
        walls.push(start.elapsed());
        if let (Some(before), Some(after)) = (cpu_start, thread_cpu_time()) {
            cpus.push(after.saturating_sub(before));
        }
        result = Some(value);
    }
    let result = result.context("the repeat count must be at least 1")?;
    let cpu = (cpus.len() == walls.len()).then(|| median(cpus));
    Ok((
        Timing {
            wall: median(walls),
            cpu,
        },
        result,
    ))
}

/// Fits the forest alone, with the parameters that `SatisfactionModel::train` gives smartcore.
// NOTE: this copies the parameter list of `fit` in src/model/mod.rs. `measure` fails when the
// two forests' held-out MAE differ, which is how a change there shows up here.
fn fit_forest(
    x: &DenseMatrix<f64>,
    y: &Vec<f64>,
    settings: &ModelSettings,
) -> anyhow::Result<Forest> {
    let parameters = RandomForestRegressorParameters::default()
        .with_n_trees(settings.trees)
        .with_max_depth(settings.max_depth)
        .with_min_samples_leaf(settings.min_samples_leaf)
        .with_m(FEATURE_NAMES.len())
        .with_seed(settings.seed);
    Forest::fit(x, y, parameters).map_err(|e| anyhow!("smartcore fit failed: {e}"))
}

fn dense(schema: &FeatureSchema, cases: &[&CaseFacts]) -> anyhow::Result<DenseMatrix<f64>> {
    DenseMatrix::new(
        cases.len(),
        FEATURE_NAMES.len(),
        schema.matrix(cases),
        false,
    )
    .map_err(|e| anyhow!("failed to build the feature matrix: {e}"))
}

fn mean_absolute_error(predicted: &[f64], actual: &[f64]) -> f64 {
    let total: f64 = predicted
        .iter()
        .zip(actual)
        .map(|(p, a)| (p - a).abs())
        .sum();
    total / actual.len() as f64
}

/// The cases in CSV order (train rows, then test rows) and the schema that encodes them.
struct Data<'a> {
    cases: Vec<&'a CaseFacts>,
    train: Vec<&'a CaseFacts>,
    test: Vec<&'a CaseFacts>,
    schema: FeatureSchema,
}

struct Figures {
    train: Timing,
    forest_fit: Timing,
    predict: Timing,
    forest_predict: Timing,
    mae: f64,
    baseline_mae: f64,
}

/// Times `SatisfactionModel::train` and `predict`, then the forest's own fit and predict.
fn measure(
    all: &[CaseFacts],
    data: &Data,
    settings: &ModelSettings,
    args: &Args,
) -> anyhow::Result<Figures> {
    let (train, model) = timed(args.fit_repeats, || {
        Ok(SatisfactionModel::train(all, settings, 1)?)
    })?;
    ensure!(
        model.evaluation.trained_on == data.train.len(),
        "the model trained on {} cases but the CSV marks {} as train",
        model.evaluation.trained_on,
        data.train.len()
    );
    // The CSV rows must be the rows the forest was fitted on, bit for bit.
    let mismatch = data.cases.iter().find(|case| {
        model.schema.row(case).map(f64::to_bits) != data.schema.row(case).map(f64::to_bits)
    });
    if let Some(case) = mismatch {
        bail!(
            "case {} encodes differently in the fitted model than in the CSV",
            case.key
        );
    }
    let (predict, predictions) = timed(args.predict_repeats, || Ok(model.predict(&data.cases)))?;
    ensure!(
        predictions.len() == data.cases.len(),
        "predict returned {} values for {} cases",
        predictions.len(),
        data.cases.len()
    );

    let train_x = dense(&data.schema, &data.train)?;
    let train_y: Vec<f64> = data
        .train
        .iter()
        .map(|c| c.satisfaction.unwrap_or_default())
        .collect();
    let test_y: Vec<f64> = data
        .test
        .iter()
        .map(|c| c.satisfaction.unwrap_or_default())
        .collect();
    let (forest_fit, forest) = timed(args.fit_repeats, || {
        fit_forest(&train_x, &train_y, settings)
    })?;
    let all_x = dense(&data.schema, &data.cases)?;
    let (forest_predict, _) = timed(args.predict_repeats, || {
        forest
            .predict(&all_x)
            .map_err(|e| anyhow!("smartcore predict failed: {e}"))
    })?;
    let test_predicted = forest
        .predict(&dense(&data.schema, &data.test)?)
        .map_err(|e| anyhow!("smartcore predict failed: {e}"))?;
    let forest_mae = mean_absolute_error(&test_predicted, &test_y);
    ensure!(
        (forest_mae - model.evaluation.mae).abs() < 1e-9,
        "the forest fitted here has held-out MAE {forest_mae} but the model's is {}; \
         update fit_forest to the parameters in src/model/mod.rs",
        model.evaluation.mae
    );
    Ok(Figures {
        train,
        forest_fit,
        predict,
        forest_predict,
        mae: model.evaluation.mae,
        baseline_mae: model.evaluation.baseline_mae,
    })
}

fn seconds(timing: &Timing) -> String {
    match timing.cpu {
        Some(cpu) => format!(
            "{:.2} ({:.2})",
            timing.wall.as_secs_f64(),
            cpu.as_secs_f64()
        ),
        None => format!("{:.2}", timing.wall.as_secs_f64()),
    }
}

fn throughput(rows: usize, wall: Duration, cpu: Option<Duration>) -> String {
    let rate = |time: Duration| rows as f64 / time.as_secs_f64();
    match cpu {
        Some(cpu) => format!("{:.0} ({:.0})", rate(wall), rate(cpu)),
        None => format!("{:.0}", rate(wall)),
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(
        args.rows >= 10,
        "--rows must be at least 10, got {}",
        args.rows
    );
    ensure!(args.fit_repeats >= 1, "--fit-repeats must be at least 1");
    ensure!(
        args.predict_repeats >= 1,
        "--predict-repeats must be at least 1"
    );

    let mut generator = Generator::new(args.data_seed);
    let all: Vec<CaseFacts> = (0..args.rows).map(|index| generator.case(index)).collect();
    let base = settings(all.len());
    let (train, test) = time_split(&all, &base);
    let schema = FeatureSchema::learn(&train);
    write_csv(&args.csv, &schema, &train, &test)?;
    println!(
        "wrote {} rows ({} train, {} test) to {}",
        all.len(),
        train.len(),
        test.len(),
        args.csv.display()
    );
    if args.csv_only {
        return Ok(());
    }
    let cases: Vec<&CaseFacts> = train.iter().chain(&test).copied().collect();
    let data = Data {
        cases,
        train,
        test,
        schema,
    };

    let mut variants = vec![(format!("max_depth {}", base.max_depth), base.clone())];
    if !args.skip_full_depth {
        // ModelSettings has no value for "no limit", and smartcore 0.7 itself reads a missing
        // max_depth as u16::MAX.
        let full = ModelSettings {
            max_depth: u16::MAX,
            ..base.clone()
        };
        variants.push(("no depth limit".to_string(), full));
    }
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!(
        "smartcore random forest, {} trees, min_samples_leaf {}, all {} features per split, \
         median of {} fits and {} predicts over all rows",
        base.trees,
        base.min_samples_leaf,
        FEATURE_NAMES.len(),
        args.fit_repeats,
        args.predict_repeats
    );
    println!(
        "train() s: SatisfactionModel::train, all of its work, one thread. predict() rows/s: \
         SatisfactionModel::predict, which uses the {threads} available cores. forest fit s and \
         forest predict rows/s: smartcore's fit and predict alone, one thread. Single-thread \
         figures show elapsed time, then the measuring thread's CPU time in brackets."
    );
    println!();
    println!(
        "| variant | rows | trees | train() s | forest fit s | predict() rows/s \
         | forest predict rows/s | test MAE | baseline MAE |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (label, settings) in &variants {
        let figures = measure(&all, &data, settings, &args)?;
        let rows = data.cases.len();
        println!(
            "| {label} | {rows} | {} | {} | {} | {} | {} | {:.4} | {:.4} |",
            settings.trees,
            seconds(&figures.train),
            seconds(&figures.forest_fit),
            throughput(rows, figures.predict.wall, None),
            throughput(
                rows,
                figures.forest_predict.wall,
                figures.forest_predict.cpu
            ),
            figures.mae,
            figures.baseline_mae
        );
    }
    Ok(())
}
