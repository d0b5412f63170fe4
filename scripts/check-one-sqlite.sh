#!/usr/bin/env bash
# One copy of SQLite in the workspace's binaries (issue 12: "check that no
# second copy of libsqlite3 is linked").
#
# The phone's store, HQ and the tests all open SQLite through rusqlite's
# bundled libsqlite3-sys. A second copy (another libsqlite3-sys version, or
# another crate bundling SQLite under its own `links` name) would link two
# SQLite libraries into one process: two sets of global state and file locks
# on the same database file, which SQLite documents as a way to corrupt it.
# Cargo refuses two packages with the same `links` value, not a copy under
# another name, so this looks at the resolved graph and at the CLI binary.
#
#   scripts/check-one-sqlite.sh             the workspace (builds the CLI)
#   scripts/check-one-sqlite.sh META BIN    a `cargo metadata` JSON file and a
#                                           binary instead (to see it fail)
set -euo pipefail
meta_file=${1:+$(realpath "$1")}
bin=${2:+$(realpath "$2")}
cd "$(dirname "$0")/.."

fail() {
  printf 'check-one-sqlite: %s\n' "$*" >&2
  exit 1
}

if [ -n "$meta_file" ]; then
  metadata=$(cat "$meta_file")
else
  host=$(rustc -vV | sed -n 's/^host: //p')
  # Only what is built for this machine (libsqlite3-sys lists a wasm-only
  # SQLite for wasm32 targets, which no binary here links).
  metadata=$(cargo metadata --format-version 1 --locked --filter-platform "$host")
  cargo build --quiet -p onsite-cli --bin onsite
  bin="${CARGO_TARGET_DIR:-$PWD/target}/debug/onsite"
fi

# Every package that links a native SQLite (by its `links` key) or is named
# like a SQLite or SQLCipher binding. The phone's store is encrypted with
# SQLCipher (issue 14): libsqlite3-sys compiles SQLCipher's amalgamation, which
# it takes from a source-only crate (sqlcipher-src: no `links`, a build
# dependency of libsqlite3-sys, nothing of it linked on its own). Such a source
# crate is part of the one copy, not a second one.
copies=$(jq -r '
  ([.packages[] | select(.name == "libsqlite3-sys") | .dependencies[]
    | select(.kind == "build") | .name]) as $sources_of_the_one
  | .packages[]
  | select(((.links // "") | test("sqlite|sqlcipher"; "i"))
           or (.name | test("^(lib)?sqlite3?-sys$|sqlcipher|sqlite3-src"; "i")))
  | select((.links == null and (.name as $n | $sources_of_the_one | index($n))) | not)
  | "\(.name) \(.version) (links = \(.links // "none"))"' <<<"$metadata" | sort -u)
count=$(grep -c . <<<"$copies" || true)
if [ "$count" -ne 1 ] || ! grep -q '^libsqlite3-sys ' <<<"$copies"; then
  fail "expected exactly one SQLite library (libsqlite3-sys) in the dependency graph, found $count:
$copies
(see: cargo tree --workspace -e normal,build -i libsqlite3-sys)"
fi
echo "one SQLite library in the dependency graph: $copies"

if [ -n "$bin" ]; then
  [ -f "$bin" ] || fail "no binary at $bin"
  # Each copy of SQLite defines its public functions once.
  defs=$(nm --defined-only "$bin" | grep -c ' sqlite3_libversion$' || true)
  [ "$defs" -eq 1 ] || fail "$bin defines sqlite3_libversion $defs times (expected once)"
  echo "one definition of sqlite3_libversion in $bin"
fi
