#!/usr/bin/env bash
# Builds libonsite_ffi.so for the four Android ABIs into android/onsite/src/main/jniLibs
# with cargo-ndk and the `mobile` profile (size-tuned: fat LTO, one codegen unit,
# opt-level z, stripped; see BENCHMARKS.md), then generates the Kotlin bindings. Needs the Android NDK
# (ANDROID_NDK_HOME) — not available on the CI machine; see android/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-ndk >/dev/null || cargo install cargo-ndk
rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android i686-linux-android
# Relocations packed (Android's own format, read by the loader since API 23),
# as scripts/size.sh packs them for x86_64: about 0.7 MB less per ABI. With
# --target (cargo-ndk passes it) RUSTFLAGS reaches the target's code only.
RUSTFLAGS="-C link-arg=-Wl,--pack-dyn-relocs=android" \
  cargo ndk --platform 24 -t arm64-v8a -t armeabi-v7a -t x86_64 -t x86 \
  -o android/onsite/src/main/jniLibs build --profile mobile -p onsite-ffi
ls -l android/onsite/src/main/jniLibs/*/libonsite_ffi.so
PROFILE=release bash scripts/bindings.sh
