#!/usr/bin/env bash
# Fit scikit-learn's random forest on the same synthetic rows as `cargo bench --bench model`.
#
# Creates a venv under target/, installs scikit-learn and numpy from PyPI, writes the CSV with
# the Rust bench binary (no fitting there), then runs benches/sklearn_model.py on it.
# CSMON_BENCH_ROWS sets the row count for both steps; extra arguments go to the Python script.
set -euo pipefail

cd "$(dirname "$0")/.."
venv=target/sklearn-venv
csv=${CSMON_BENCH_CSV:-target/bench-model.csv}

if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
fi
# Pinned so reruns compare against the versions recorded in BENCHMARKS.md.
"$venv/bin/pip" install --quiet --disable-pip-version-check scikit-learn==1.9.1 numpy==2.4.6

cargo bench --bench model -- --csv "$csv" --csv-only

# The OPENBLAS_* settings of some machines slow a current numpy, so this run drops them.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
    "$venv/bin/python" benches/sklearn_model.py --csv "$csv" "$@"
