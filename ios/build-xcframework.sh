#!/usr/bin/env bash
# Builds OnsiteFFI.xcframework (static libonsite_ffi for iOS devices, the iOS
# simulators and macOS, with the OnsiteFFI C module) and generates the Swift
# sources, so `swift build` / `swift test` / Xcode can use this package.
# Runs on macOS with Xcode and rustup.
#
#   bash ios/build-xcframework.sh            # the `mobile` profile (size-tuned, see BENCHMARKS.md)
#   ONSITE_BIN=$PWD/target/debug/onsite swift test --package-path ios   # the XCTest suite
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh needs macOS with Xcode" >&2; exit 1; }

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "${targets[@]}"
for t in "${targets[@]}"; do
  # The size profile (fat LTO, one codegen unit, opt-level z); static libraries
  # keep their symbols for the app's link, which drops what the app does not call.
  cargo build --profile mobile -p onsite-ffi --target "$t"
done

# Swift sources and the C header + module map, from the host library (library mode).
PROFILE=release bash scripts/bindings.sh

out=target/xcframework
rm -rf "$out" ios/OnsiteFFI.xcframework
mkdir -p "$out/ios-sim" "$out/macos"
# One library per platform: the simulator and macOS slices are fat (arm64 + x86_64).
lipo -create target/aarch64-apple-ios-sim/mobile/libonsite_ffi.a target/x86_64-apple-ios/mobile/libonsite_ffi.a \
  -output "$out/ios-sim/libonsite_ffi.a"
lipo -create target/aarch64-apple-darwin/mobile/libonsite_ffi.a target/x86_64-apple-darwin/mobile/libonsite_ffi.a \
  -output "$out/macos/libonsite_ffi.a"

headers=ios/Generated/OnsiteFFI
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/mobile/libonsite_ffi.a -headers "$headers" \
  -library "$out/ios-sim/libonsite_ffi.a" -headers "$headers" \
  -library "$out/macos/libonsite_ffi.a" -headers "$headers" \
  -output ios/OnsiteFFI.xcframework
echo "ios/OnsiteFFI.xcframework and ios/Sources/Onsite/Generated/Onsite.swift are ready"
