"""Fit scikit-learn's RandomForestRegressor on the CSV that `cargo bench --bench model` writes.

The settings match the Rust benchmark: 60 trees, max_depth 14, min_samples_leaf 5, every
feature considered at each split, random_state 7. Fit and predict are timed with n_jobs=1
and with n_jobs=2. Predict runs over all rows, and each figure is the median of its repeats.
"""

import argparse
import csv
import os
import statistics
import time

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestRegressor
from threadpoolctl import threadpool_info

FEATURE_COUNT = 10


def load(path):
    """Load the CSV into (x, y, is_train) arrays, checking the header."""
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if len(header) != FEATURE_COUNT + 2 or header[-2:] != ["satisfaction", "split"]:
            raise SystemExit(
                f"{path}: invalid header {header}. Regenerate the file with "
                "`cargo bench --bench model -- --csv-only`"
            )
        rows = list(reader)
    x = np.array([row[:FEATURE_COUNT] for row in rows], dtype=np.float64)
    y = np.array([row[FEATURE_COUNT] for row in rows], dtype=np.float64)
    is_train = np.array([row[FEATURE_COUNT + 1] == "train" for row in rows])
    return x, y, is_train


def timed(function, repeats):
    """Call `function` `repeats` times and return the median elapsed seconds, the median
    CPU seconds of this process and the last result.

    CPU time leaves out the time that other processes hold a core, so for one thread on a
    busy machine it is closer to the undisturbed figure. With several threads it is their
    sum and no measure of speed.
    """
    walls = []
    cpus = []
    result = None
    for _ in range(repeats):
        cpu_start = time.process_time()
        start = time.perf_counter()
        result = function()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu_start)
    return statistics.median(walls), statistics.median(cpus), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default="target/bench-model.csv", help="input CSV path")
    parser.add_argument("--trees", type=int, default=60, help="number of trees")
    parser.add_argument("--fit-repeats", type=int, default=3, help="timed fits per variant")
    parser.add_argument(
        "--predict-repeats", type=int, default=5, help="timed predicts over all rows"
    )
    parser.add_argument(
        "--skip-full-depth", action="store_true", help="skip the variant with max_depth=None"
    )
    args = parser.parse_args()

    x, y, is_train = load(args.csv)
    x_train, y_train = x[is_train], y[is_train]
    x_test, y_test = x[~is_train], y[~is_train]
    baseline_mae = float(np.mean(np.abs(y_test - y_train.mean())))

    print(
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"{len(y)} rows ({len(y_train)} train, {len(y_test)} test) from {args.csv}"
    )
    # The forest code does not call BLAS, so these lines only record which kernel numpy loaded.
    for pool in threadpool_info():
        print(
            f"threadpool {pool.get('internal_api')}: {pool.get('num_threads')} threads, "
            f"{pool.get('architecture')}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}"
        )
    print(
        f"median of {args.fit_repeats} fits and {args.predict_repeats} predicts over all rows. "
        "n_jobs=1 figures show elapsed time, then the process's CPU time in brackets."
    )
    print()
    print("| variant | n_jobs | rows | trees | fit s | predict rows/s | test MAE | baseline MAE |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")

    depths = [("max_depth 14", 14)]
    if not args.skip_full_depth:
        depths.append(("no depth limit", None))
    for label, depth in depths:
        for jobs in (1, 2):

            def fit():
                forest = RandomForestRegressor(
                    n_estimators=args.trees,
                    max_depth=depth,
                    min_samples_leaf=5,
                    max_features=1.0,
                    n_jobs=jobs,
                    random_state=7,
                )
                return forest.fit(x_train, y_train)

            fit_wall, fit_cpu, forest = timed(fit, args.fit_repeats)
            predict_wall, predict_cpu, _ = timed(lambda: forest.predict(x), args.predict_repeats)
            mae = float(np.mean(np.abs(forest.predict(x_test) - y_test)))
            fit_text = f"{fit_wall:.2f}"
            predict_text = f"{len(y) / predict_wall:.0f}"
            if jobs == 1:
                fit_text += f" ({fit_cpu:.2f})"
                predict_text += f" ({len(y) / predict_cpu:.0f})"
            print(
                f"| {label} | {jobs} | {len(y)} | {args.trees} | {fit_text} | "
                f"{predict_text} | {mae:.4f} | {baseline_mae:.4f} |"
            )


if __name__ == "__main__":
    main()
