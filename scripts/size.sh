#!/usr/bin/env bash
# The size of the library an app ships (issue 16): libonsite_ffi built with the
# `mobile` profile (as scripts/android-libs.sh and ios/build-xcframework.sh build
# it), for this machine's target (x86_64 Linux, a proxy for arm64-v8a; see
# BENCHMARKS.md), held to a budget so that a dependency that doubles it is
# noticed the day it lands. The test command runs it.
#
#   bash scripts/size.sh                  # build, print the size, check the budget
#   bash scripts/size.sh --against REV    # also REV's library with its release
#                                         # profile, stripped, built in this run
#   bash scripts/size.sh --release        # also this tree's release profile, stripped
#   bash scripts/size.sh --crates         # where the bytes go, by crate
# The benchmark command reads its `*_bytes=` lines (figure 7).
set -euo pipefail
cd "$(dirname "$0")/.."

# 6 MB (10^6 bytes): the budget. The target is 5 MB (BENCHMARKS.md).
budget=${ONSITE_LIB_BUDGET_BYTES:-6000000}
target=${CARGO_TARGET_DIR:-$PWD/target}
against=""
crates=false
release=false
while [ $# -gt 0 ]; do
  case "$1" in
    --against) against=$2; shift 2 ;;
    --crates) crates=true; shift ;;
    --release) release=true; shift ;;
    *) echo "usage: $0 [--against REV] [--release] [--crates]" >&2; exit 2 ;;
  esac
done

mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }

# The cdylib alone: the staticlib and rlib the crate also declares are not what
# an Android app packs. Relative relocations packed (RELR, as the Android build
# packs them with --pack-dyn-relocs): ~0.7 MB of the table that otherwise lists
# one pointer fix-up per vtable and string slot. The flag reaches only this final
# link, so the dependencies' builds are shared with the plain builds.
cargo rustc -q -p onsite-ffi --lib --profile mobile --crate-type cdylib -- -C link-arg=-Wl,-z,pack-relative-relocs
lib=$target/mobile/libonsite_ffi.so
size=$(stat -c %s "$lib")
echo "libonsite_ffi.so, mobile profile (stripped): $size bytes ($(mb "$size")), budget $(mb "$budget")"
echo "mobile_bytes=$size"

if $release; then
  cargo rustc -q -p onsite-ffi --lib --release --crate-type cdylib
  strip -o "$target/release/libonsite_ffi.stripped.so" "$target/release/libonsite_ffi.so"
  rel=$(stat -c %s "$target/release/libonsite_ffi.stripped.so")
  echo "libonsite_ffi.so, release profile (stripped): $rel bytes ($(mb "$rel"))"
  echo "release_bytes=$rel"
fi

if [ -n "$against" ]; then
  # REV as it was, in a throw-away worktree, with its own release profile.
  dir=$(mktemp -d)
  trap 'git worktree remove --force "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
  git worktree add -q --detach "$dir" "$against"
  (cd "$dir" && CARGO_TARGET_DIR=$target/size-against \
    cargo rustc -q -p onsite-ffi --lib --release --crate-type cdylib)
  strip -o "$target/size-against/libonsite_ffi.stripped.so" "$target/size-against/release/libonsite_ffi.so"
  old=$(stat -c %s "$target/size-against/libonsite_ffi.stripped.so")
  echo "libonsite_ffi.so at $against, release profile (stripped): $old bytes ($(mb "$old"))"
  echo "against_bytes=$old"
  awk -v a="$size" -v b="$old" 'BEGIN { printf "ratio: %.2f\n", a / b }'
fi

if $crates; then
  # The same build with its symbols kept (a separate target directory, so the
  # stripped one stays as it is), each symbol's bytes summed by the crate its
  # name comes from; C symbols by library. (cargo-bloat does the same for
  # binaries, but refuses a crate that also declares staticlib and rlib.)
  CARGO_PROFILE_MOBILE_STRIP=false CARGO_TARGET_DIR=$target/size-symbols \
    cargo rustc -q -p onsite-ffi --lib --profile mobile --crate-type cdylib -- -C link-arg=-Wl,-z,pack-relative-relocs \
    -C "link-arg=-Wl,-Map=$target/size-symbols/libonsite_ffi.map"
  python3 scripts/size_by_crate.py "$target/size-symbols/mobile/libonsite_ffi.so" "$target/size-symbols/libonsite_ffi.map"
fi

if [ "$size" -gt "$budget" ]; then
  echo "libonsite_ffi.so is $(mb "$size"), over the $(mb "$budget") budget:" >&2
  echo "see which crate grew with: bash scripts/size.sh --crates" >&2
  exit 1
fi
