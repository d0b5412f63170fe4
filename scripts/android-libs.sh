#!/usr/bin/env bash
# Builds libonsite_ffi.so for the Android ABIs into android/onsite/src/main/jniLibs
# with cargo-ndk, then generates the Kotlin bindings. Needs the Android NDK
# (ANDROID_NDK_HOME) — not available on the CI machine; see android/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-ndk >/dev/null || cargo install cargo-ndk
rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
cargo ndk --platform 24 -t arm64-v8a -t armeabi-v7a -t x86_64 \
  -o android/onsite/src/main/jniLibs build --release -p onsite-ffi
PROFILE=release bash scripts/bindings.sh
