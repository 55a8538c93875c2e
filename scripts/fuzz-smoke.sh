#!/bin/sh
# Builds the libFuzzer targets (in build-asan/, the clang ASan+UBSan build that
# scripts/test.sh --sanitize also uses) and runs each briefly (default 60 s) from the seed corpus
# in fuzz/corpus, as many at a time as there are cores. Each target gets the full time on a core
# of its own. Usage: scripts/fuzz-smoke.sh [seconds]
set -eu
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
seconds="${1:-60}"
jobs="$(nproc 2>/dev/null || echo 2)"
. ./scripts/asan-config.sh
targets="metadata_fuzz canonical_json_fuzz note_fuzz settings_fuzz totp_fuzz password_fuzz sbom_fuzz advisory_fuzz archive_fuzz transparency_fuzz http_request_fuzz"
# shellcheck disable=SC2086
cmake --build build-asan -j "$jobs" --target $targets
rm -f build-asan/*_fuzz.rc
echo "fuzz-smoke: $(echo $targets | wc -w) targets, ${seconds}s each, $jobs at a time"
# One runner per target; its exit status goes beside its log so a crash is never lost.
# shellcheck disable=SC2086,SC2016
printf '%s\n' $targets | xargs -P "$jobs" -I{} sh -c '
  t="$1"; work="build-asan/corpus-$t"
  mkdir -p "$work"
  "build-asan/fuzz/$t" -max_total_time="$2" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    "$work" fuzz/corpus >/dev/null 2>"build-asan/$t.log"
  echo $? >"build-asan/$t.rc"' sh {} "$seconds"
failed=0
for target in $targets; do
  code="$(cat "build-asan/$target.rc" 2>/dev/null || echo missing)"
  if [ "$code" != 0 ]; then
    echo "fuzz-smoke: $target failed (exit $code); its log:" >&2
    tail -50 "build-asan/$target.log" >&2
    failed=1
  else
    echo "fuzz-smoke: $target: $(tail -1 "build-asan/$target.log")"
  fi
done
exit "$failed"
