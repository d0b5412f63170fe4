#!/usr/bin/env bash
# The Kotlin JVM suite: the generated bindings + the thin Kotlin API + the
# tests, compiled with kotlinc and run on Java 17 with JNA against the host
# build of libonsite_ffi, syncing with a real `onsite hq serve` on 127.0.0.1.
# Installs what it lacks: Java 17 and JNA from Debian, kotlinc from npm. (The
# suite reads a phone's outbox from its encrypted store file with
# `onsite store outbox` and the store's key.)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
KOTLIN_VERSION=2.4.20
tools=${ONSITE_TOOLS:-$root/target/tools}

need_apt=()
command -v java >/dev/null || need_apt+=(openjdk-17-jdk-headless)
[ -f /usr/share/java/jna.jar ] || need_apt+=(libjna-java)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "kotlin: installing ${need_apt[*]} from Debian"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
kotlin_home=$tools/kotlin-$KOTLIN_VERSION/node_modules/kotlin-compiler
if [ ! -x "$kotlin_home/bin/kotlinc" ]; then
  echo "kotlin: installing kotlinc $KOTLIN_VERSION from npm"
  mkdir -p "$tools/kotlin-$KOTLIN_VERSION"
  npm install --silent --no-audit --no-fund --prefix "$tools/kotlin-$KOTLIN_VERSION" "kotlin-compiler@$KOTLIN_VERSION" >/dev/null
fi

bash scripts/bindings.sh   # libonsite_ffi.so as an app links it, and the generated Kotlin
cargo build -q -p onsite-cli   # the onsite binary: the suite's HQ and its store reader

lib=$kotlin_home/lib
cp="/usr/share/java/jna.jar:$lib/kotlinx-coroutines-core-jvm.jar:$lib/kotlin-test.jar"
out=$root/target/kotlin
rm -rf "$out" && mkdir -p "$out"
echo "kotlin: compiling bindings, API and suite"
JAVA_OPTS="-Xmx2g" "$kotlin_home/bin/kotlinc" -nowarn -jvm-target 17 -cp "$cp" -d "$out/classes" \
  android/onsite/src/generated/kotlin android/onsite/src/main/kotlin android/onsite/src/test/kotlin

echo "kotlin: running the suite"
java -Djna.library.path="$root/target/debug" -Donsite.bin="$root/target/debug/onsite" \
  -cp "$out/classes:$cp:$lib/kotlin-stdlib.jar" app.onsite.OnsiteJvmSuiteKt 2>&1 | tee "$out/suite.log"
