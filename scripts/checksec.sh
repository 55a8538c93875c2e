#!/bin/sh
# Checks with Debian's checksec that every binary DSS ships has PIE, full RELRO, a stack
# canary, NX and FORTIFY_SOURCE. Fails (exit 1) naming the binary and the missing property.
#   scripts/checksec.sh [build-dir]    default: build (the hardened release build of test.sh)
# The shipped binaries are the executables an install puts on a machine: the `dss` command
# (server, repo tooling, agent) and the libdss example. Test and benchmark programs are not
# shipped and are not checked.
set -eu
cd "$(dirname "$0")/.."
dir="${1:-build}"
if ! command -v checksec >/dev/null 2>&1; then
  echo "checksec: the checksec command is missing; run scripts/bootstrap.sh" >&2
  exit 1
fi
shipped="src/cli/dss examples/self_update"
failed=0
for rel in $shipped; do
  bin="$dir/$rel"
  if [ ! -f "$bin" ]; then
    echo "checksec: $bin was not built; build first with scripts/test.sh" >&2
    failed=1
    continue
  fi
  # One JSON object per file: relro, canary, nx, pie, fortify_source, ...
  out=$(checksec --output=json --file="$bin")
  missing=""
  echo "$out" | grep -q '"relro":"full"' || missing="$missing full-RELRO"
  echo "$out" | grep -q '"canary":"yes"' || missing="$missing stack-canary"
  echo "$out" | grep -q '"nx":"yes"' || missing="$missing NX"
  echo "$out" | grep -q '"pie":"yes"' || missing="$missing PIE"
  echo "$out" | grep -q '"fortify_source":"yes"' || missing="$missing FORTIFY_SOURCE"
  if [ -n "$missing" ]; then
    echo "checksec: $bin lacks:$missing (see cmake/Hardening.cmake)" >&2
    echo "$out" >&2
    failed=1
  else
    echo "checksec: $bin has PIE, full RELRO, stack canary, NX and FORTIFY_SOURCE"
  fi
done
exit "$failed"
