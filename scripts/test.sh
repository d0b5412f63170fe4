#!/usr/bin/env bash
# Runs every test of Onsite, installing what it needs when it is missing.
# This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# A clean run gains nothing from incremental compilation, and its caches were
# 3 GB of the target directory (a CI machine ran out of disk). A developer who
# runs this again and again can set CARGO_INCREMENTAL=1.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

# The Rust toolchain components the checks use.
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  step "installing rustfmt and clippy"
  rustup component add rustfmt clippy
fi

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "one SQLite library linked (dependency graph and the onsite binary)"
bash scripts/check-one-sqlite.sh

step "the phone library's size: mobile profile, 6 MB budget (scripts/size.sh)"
bash scripts/size.sh

step "fuzz targets compile (fuzz/ is outside the workspace)"
# libfuzzer-sys builds libFuzzer's C++ sources even for a check: it needs a C++ compiler.
if ! command -v c++ >/dev/null 2>&1; then
  step "installing g++ (for libfuzzer-sys)"
  apt-get update -qq && apt-get install -y -qq g++
fi
# Stable Rust is enough to type-check the targets; fuzzing itself needs nightly (see fuzz/README.md).
# The workspace's target directory, so shared dependencies are not built twice.
cargo check --manifest-path fuzz/Cargo.toml --all-targets --target-dir "${CARGO_TARGET_DIR:-$PWD/target}"

step "PostgreSQL for the HQ suite"
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
trap stop_postgres EXIT
start_postgres

step "cargo test (workspace)"
cargo test --workspace 2>&1 | tee /tmp/onsite-test.log
grep -E '^test result:' /tmp/onsite-test.log | awk '{p+=$4; f+=$6} END {printf "\nrust: %d passed, %d failed\n", p, f}'

step "console in a real browser (Debian's chromium through chromedriver, against onsite hq serve)"
# Debian's own builds (no browser download); a Chinese font so the screenshots read.
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1 ||
  ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  step "installing chromium, chromium-driver and fonts-wqy-microhei (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >/dev/null
fi
# The suite drives the real `onsite` binary, which `cargo test` does not build.
cargo build -q -p onsite-cli
cargo test -p onsite-tests --test console_browser -- --ignored --test-threads=1 2>&1 | tee -a /tmp/onsite-test.log
echo "screenshots: ${CARGO_TARGET_DIR:-target}/console-screenshots/"

step "contract tests (schemathesis against a live HQ, admin and device token)"
bash scripts/contract-test.sh

step "Kotlin JVM suite (generated bindings + android API, against a real HQ)"
bash scripts/kotlin-test.sh

step "summary"
grep -E '^test result:' /tmp/onsite-test.log | awk '{p+=$4; f+=$6} END {printf "rust: %d passed, %d failed\n", p, f}'
tail -n 1 target/kotlin/suite.log
