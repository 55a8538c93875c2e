#!/bin/sh
# Builds the libFuzzer targets with clang and runs each briefly (default 60 s) from the
# seed corpus in fuzz/corpus. Usage: scripts/fuzz-smoke.sh [seconds]
set -eu
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
seconds="${1:-60}"
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz-smoke: clang++ not found; scripts/bootstrap.sh should have installed it" >&2
  exit 1
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DDSS_FUZZ=ON -DDSS_TESTS=OFF \
  -DDSS_BENCH=OFF -DDSS_SANITIZE=ON >/dev/null
targets="metadata_fuzz canonical_json_fuzz note_fuzz settings_fuzz totp_fuzz password_fuzz sbom_fuzz advisory_fuzz archive_fuzz transparency_fuzz http_request_fuzz"
# shellcheck disable=SC2086
cmake --build build-fuzz --target $targets
for target in $targets; do
  work="build-fuzz/corpus-$target"
  mkdir -p "$work"
  echo "fuzz-smoke: $target for ${seconds}s"
  "build-fuzz/fuzz/$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 "$work" fuzz/corpus >/dev/null 2>"build-fuzz/$target.log" || {
    tail -50 "build-fuzz/$target.log" >&2
    exit 1
  }
  tail -1 "build-fuzz/$target.log"
done
