#!/usr/bin/env bash
# Runs every test of Onsite, installing what it needs when it is missing.
# This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# The Rust toolchain components the checks use.
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  step "installing rustfmt and clippy"
  rustup component add rustfmt clippy
fi

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "PostgreSQL for the HQ suite"
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
trap stop_postgres EXIT
start_postgres

step "cargo test (workspace)"
cargo test --workspace 2>&1 | tee /tmp/onsite-test.log
grep -E '^test result:' /tmp/onsite-test.log | awk '{p+=$4; f+=$6} END {printf "\nrust: %d passed, %d failed\n", p, f}'

step "Kotlin JVM suite (generated bindings + android API, against a real HQ)"
bash scripts/kotlin-test.sh

step "summary"
grep -E '^test result:' /tmp/onsite-test.log | awk '{p+=$4; f+=$6} END {printf "rust: %d passed, %d failed\n", p, f}'
tail -n 1 target/kotlin/suite.log
