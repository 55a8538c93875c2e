# Sourced by scripts/test.sh --sanitize and scripts/fuzz-smoke.sh: configures build-asan/, one
# clang build with AddressSanitizer and UndefinedBehaviorSanitizer for the tests and with libFuzzer
# coverage for the fuzz targets. Both scripts configure it the same way, so neither undoes the other.
if ! command -v clang++ >/dev/null 2>&1; then
  echo "build-asan: clang++ not found; scripts/bootstrap.sh should have installed it" >&2
  exit 1
fi
CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DDSS_WERROR=ON -DDSS_SANITIZE=ON \
  -DDSS_FUZZ=ON -DDSS_BENCH=OFF >/dev/null
