#!/bin/sh
# Installs the Debian 12 packages DSS needs to build, test and run its demo, and only the
# ones that are missing. Safe to run repeatedly. Needs root (or sudo) only if something is
# missing.
#   scripts/bootstrap.sh           build, test and demo dependencies
#   scripts/bootstrap.sh --bench   also the benchmark baselines (wrk, nginx)
set -eu

PACKAGES="
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev
  libssl-dev libsodium-dev libcurl4-openssl-dev
  libsimdjson-dev nlohmann-json3-dev libvalijson-dev libexpected-dev libcli11-dev
  libboost1.81-dev libsqlite3-dev
  libunistring-dev libqrencode-dev wamerican libarchive-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  faketime time curl ca-certificates openssl
  rsyslog rsyslog-gnutls
"
if [ "${1:-}" = "--bench" ]; then
  PACKAGES="$PACKAGES wrk nginx-light"
fi

missing=""
for pkg in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $pkg"
  fi
done

if [ -z "$missing" ]; then
  echo "bootstrap: all build dependencies are installed"
  exit 0
fi

echo "bootstrap: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "bootstrap: these packages are missing and this user cannot install them:$missing" >&2
    echo "bootstrap: run this script as root, or install them with apt-get" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
