#!/bin/sh
# clang-format over every C++ file in git (.clang-format at the root).
#   scripts/format.sh           rewrite the files in place
#   scripts/format.sh --check   change nothing; fail naming each file that is not formatted (CI)
set -eu
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null 2>&1; then
  echo "format: clang-format is missing; run scripts/bootstrap.sh" >&2
  exit 1
fi
files="$(git ls-files '*.cc' '*.h')"
if [ "${1:-}" = "--check" ]; then
  report="$(mktemp)"
  trap 'rm -f "$report"' EXIT
  # shellcheck disable=SC2086
  if ! clang-format --dry-run -Werror $files 2>"$report"; then
    grep -o '^[^:]*:[0-9]*:[0-9]*: error' "$report" | cut -d: -f1 | sort -u |
      sed 's/^/format: not clang-format clean: /' >&2
    echo "format: run scripts/format.sh and commit the result" >&2
    exit 1
  fi
  echo "format: $(echo "$files" | wc -l) files are clang-format clean"
else
  # shellcheck disable=SC2086
  clang-format -i $files
fi
