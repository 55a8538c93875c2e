#!/bin/sh
# Installs what is missing, builds DSS with warnings as errors, and runs every test.
#   scripts/test.sh             hardened release build without debug information (build/)
#   scripts/test.sh --sanitize  AddressSanitizer + UndefinedBehaviorSanitizer build with clang
#                               (build-asan/); the same build holds the libFuzzer targets that
#                               scripts/fuzz-smoke.sh runs, so CI compiles the tree twice, not three
#                               times (docs/adr/0034-build-time.md)
set -eu
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh

mode="${1:-}"
jobs="$(nproc 2>/dev/null || echo 2)"
case "$mode" in
  "")
    dir=build
    # Release: the same flags as the default build without debug information (CMakeLists.txt).
    cmake -S . -B "$dir" -G Ninja -DDSS_WERROR=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
    ;;
  --sanitize)
    dir=build-asan
    . ./scripts/asan-config.sh
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    ;;
  *)
    echo "usage: scripts/test.sh [--sanitize]" >&2
    exit 2
    ;;
esac
cmake --build "$dir" -j "$jobs"
cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 300
