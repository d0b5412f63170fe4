#!/usr/bin/env bash
# The benchmark command: every figure of BENCHMARKS.md beside its baseline.
# Starts a throw-away PostgreSQL for figure 6 (installing it if missing).
#
#   bash scripts/bench.sh                      # print the figures
#   bash scripts/bench.sh --write BENCHMARKS.md.new
#   bash scripts/bench.sh --quick              # small sizes, for a smoke run
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
export ONSITE_PG_FSYNC=on
trap stop_postgres EXIT
start_postgres
export ONSITE_BENCH_PG_URL="$ONSITE_TEST_PG_URL"
cargo run --release -q -p onsite-bench -- "$@"
