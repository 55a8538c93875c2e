#!/bin/sh
# Agent benchmark: (a) CPU per update cycle with nothing new and idle RSS, against a repository
# served on loopback HTTPS by a separate process; (b) installing a 100 MB release beside
# `tar --zstd -xf` + `sha256sum` of the same archive, in the same run, as a ratio.
# Figures, not pass/fail. Usage: scripts/bench-agent.sh [CYCLES] [RELEASE_MB]
set -eu
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
cmake -S . -B build -G Ninja -DDSS_WERROR=ON >/dev/null
nice cmake --build build --target dss_agent_bench >/dev/null
build/bench/dss_agent_bench "${1:-50}" "${2:-100}"
