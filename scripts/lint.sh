#!/bin/sh
# Static analysis gate (CI step 3, docs/adr/0033-static-analysis-gates.md): clang-tidy with the
# checks in .clang-tidy over every .cc in src/ and examples/ (and the headers they include from
# src/, include/dss/ and examples/), then cppcheck over the same translation units. Fails on any
# finding that is not suppressed with a reason: inline (`// NOLINT(check): reason`,
# `// cppcheck-suppress id`), in .clang-tidy-baseline, or in .cppcheck-suppressions. A baseline
# entry that no longer matches a finding fails too, so the baseline only shrinks.
#   scripts/lint.sh              everything (what CI runs)
#   scripts/lint.sh FILE.cc...   only these files (a quick local check; skips the stale check)
set -eu
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh

root="$(pwd)"
dir=build-lint
out="$dir/lint"
jobs="$(nproc 2>/dev/null || echo 2)"
start=$(date +%s)

# The compilation database, made with clang so every flag in it is one clang-tidy understands
# (the hardening probe drops GCC-only flags). Nothing is compiled for clang-tidy: no source in
# src/ or examples/ includes a generated file.
CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DDSS_WERROR=ON -DDSS_TESTS=OFF -DDSS_PCH=OFF \
  -DDSS_BENCH=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null

if [ "$#" -gt 0 ]; then
  files="$*"
  partial=1
else
  files="$(find src examples -name '*.cc' | sort)"
  partial=0
fi

rm -rf "$out"
mkdir -p "$out/tidy"
echo "lint: clang-tidy on $(echo "$files" | wc -w) files, $jobs at a time"
# One output file per translation unit; the exit status goes beside it so a crash is not lost.
# shellcheck disable=SC2086,SC2016
printf '%s\n' $files | xargs -P "$jobs" -I{} sh -c '
  f="$1"; o="$2/tidy/$(echo "$f" | tr / _)"
  clang-tidy-14 -p "$3" --quiet "$f" >"$o.txt" 2>&1
  echo $? >"$o.rc"' sh {} "$out" "$dir"
tidy_end=$(date +%s)

# Findings: "<path>:<line>:<col>: warning|error: <message> [<checks>]", with their note lines.
# Header findings repeat once per translation unit; each is reported once.
status=0
cat "$out"/tidy/*.txt | awk -v root="$root/" -v partial="$partial" '
  function flush() {
    if (key == "") return
    if (!(key in seen)) {
      seen[key] = 1
      if (!baselined(path, check, msg)) { printf "%s", block; n++ }
    }
    key = ""; block = ""
  }
  function baselined(p, c, m,   i, k) {
    for (i = 1; i <= nb; i++) {
      if (bp[i] == p && index("," c ",", "," bc[i] ",") > 0 && index(m, bm[i]) > 0) {
        used[i] = 1; return 1
      }
    }
    return 0
  }
  BEGIN {
    FS = "|"
    while ((getline line < ".clang-tidy-baseline") > 0) {
      if (line ~ /^[ \t]*(#|$)/) continue
      split(line, f, "|")
      nb++; bp[nb] = f[1]; bc[nb] = f[2]; bm[nb] = f[3]; bline[nb] = line
    }
  }
  /^\/[^:]+:[0-9]+:[0-9]+: (warning|error): / {
    flush()
    line = $0
    if (index(line, root) == 1) line = substr(line, length(root) + 1)
    path = line; sub(/:.*/, "", path)
    check = ""
    if (match(line, /\[[^]]+\]$/)) check = substr(line, RSTART + 1, RLENGTH - 2)
    msg = line; sub(/^[^:]+:[0-9]+:[0-9]+: (warning|error): /, "", msg)
    key = line; block = line "\n"
    next
  }
  /^[0-9]+ (warnings?|errors?)( and [0-9]+ (warnings?|errors?))? (generated|treated as errors)/ { next }
  /^Suppressed [0-9]+ warnings/ || /^Use -header-filter=/ { next }
  {
    line = $0
    if (index(line, root) == 1) line = substr(line, length(root) + 1)
    if (key != "") block = block line "\n"; else if (line != "") { print line; n++ }
  }
  END {
    flush()
    if (!partial) for (i = 1; i <= nb; i++) if (!(i in used)) {
      print ".clang-tidy-baseline: stale entry (matches no finding; delete it): " bline[i]; n++
    }
    if (n > 0) { print "lint: clang-tidy: " n " finding(s)"; exit 1 }
  }' || status=1
for rc in "$out"/tidy/*.rc; do
  code="$(cat "$rc")"
  if [ "$code" -gt 1 ]; then
    echo "lint: clang-tidy exited with $code on $(basename "$rc" .rc)" >&2
    status=1
  fi
done

# cppcheck reads the same compilation database; the two generated sources (embedded word lists
# and schemas) must exist for it to load, and are excluded from the analysis with -i.
generated="$(ninja -C "$dir" -t targets all |
  awk -F: '$2 ~ /CUSTOM_COMMAND/ && $1 ~ /\.cc$/ && $1 !~ /^\// { print $1 }')"
# shellcheck disable=SC2086
ninja -C "$dir" $generated >/dev/null
# "information" adds one message: unmatchedSuppression, a suppression that matches nothing (stale).
cppcheck_files=""
if [ "$partial" = 1 ]; then
  for f in $files; do cppcheck_files="$cppcheck_files --file-filter=*$f"; done
  cppcheck_files="$cppcheck_files --suppress=unmatchedSuppression"
fi
echo "lint: cppcheck"
# shellcheck disable=SC2086
if ! cppcheck --project="$dir/compile_commands.json" -i "$dir" $cppcheck_files \
  --enable=warning,performance,portability,information --inline-suppr \
  --suppressions-list=.cppcheck-suppressions --error-exitcode=1 -j "$jobs" --quiet \
  --template='{file}:{line}:{column}: {severity}: {message} [{id}]' >"$out/cppcheck.txt" 2>&1; then
  status=1
fi
if [ -s "$out/cppcheck.txt" ]; then
  sed "s|^$root/||" "$out/cppcheck.txt"
  status=1
fi

end=$(date +%s)
echo "lint: clang-tidy $((tidy_end - start))s, cppcheck $((end - tidy_end))s"
if [ "$status" -ne 0 ]; then
  echo "lint: FAILED: fix each finding above, or suppress it with a reason (docs/adr/0033)" >&2
  exit 1
fi
echo "lint: no findings"
