#!/usr/bin/env bash
# Runs the test suite. The screen test drives the real binary in tmux, so tmux is
# installed from Debian's packages when missing (this needs root, as on CI).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v tmux >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux
fi

cargo test --release --locked
