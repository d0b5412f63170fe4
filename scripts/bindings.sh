#!/usr/bin/env bash
# Builds libonsite_ffi for this machine and generates the Kotlin and Swift
# bindings from it in library mode, with the workspace's own uniffi-bindgen
# (so the generated code always matches the uniffi the library was built with).
#
#   bash scripts/bindings.sh            # debug build
#   PROFILE=release bash scripts/bindings.sh
#
# Outputs (not committed; regenerate after any change to bindings/):
#   android/onsite/src/generated/kotlin/app/onsite/ffi/onsite_ffi.kt
#   ios/Sources/Onsite/Generated/Onsite.swift
#   ios/Generated/OnsiteFFI/{OnsiteFFI.h,module.modulemap}   (headers for the XCFramework)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${PROFILE:-debug}
flags=()
[ "$profile" = release ] && flags+=(--release)
# The library as an app links it (no features: no HTTP stack of its own) and the
# bindgen binary; not the whole workspace, which would build the core a third way.
cargo build -q -p onsite-ffi -p onsite-bindgen "${flags[@]}"

case "$(uname -s)" in
  Darwin) lib=target/$profile/libonsite_ffi.dylib ;;
  *) lib=target/$profile/libonsite_ffi.so ;;
esac
# The workspace build above made target/$profile/uniffi-bindgen; running it
# directly (not `cargo run -p`) avoids rebuilding with another feature set.
bindgen=("target/$profile/uniffi-bindgen" generate --library "$lib" --no-format)

kotlin_out=android/onsite/src/generated/kotlin
rm -rf "$kotlin_out" && mkdir -p "$kotlin_out"
"${bindgen[@]}" --language kotlin --out-dir "$kotlin_out"

swift_tmp=$(mktemp -d)
trap 'rm -rf "$swift_tmp"' EXIT
"${bindgen[@]}" --language swift --out-dir "$swift_tmp"
mkdir -p ios/Sources/Onsite/Generated ios/Generated/OnsiteFFI
cp "$swift_tmp"/Onsite.swift ios/Sources/Onsite/Generated/Onsite.swift
cp "$swift_tmp"/OnsiteFFI.h ios/Generated/OnsiteFFI/OnsiteFFI.h
# An XCFramework's headers directory wants the module map under this name.
cp "$swift_tmp"/OnsiteFFI.modulemap ios/Generated/OnsiteFFI/module.modulemap

echo "bindings: $lib -> $kotlin_out, ios/Sources/Onsite/Generated, ios/Generated/OnsiteFFI"
