#!/bin/sh
# Installs the Debian 12 packages DSS needs to build, test and run its demo, and only the
# ones that are missing. Safe to run repeatedly. Needs root (or sudo) only if something is
# missing.
#   scripts/bootstrap.sh           build, test, lint and demo dependencies
#   scripts/bootstrap.sh --bench   also the benchmark baselines (wrk, nginx)
# valijson (header-only) comes from Debian too, but not through `apt-get install`: its package
# depends on Qt 5, Poco, yaml-cpp and more (70 packages, 105 MiB) that DSS never uses. The package
# itself is fetched with `apt-get download`, which checks it against Debian's signed index, and its
# headers are unpacked into .deps/libvalijson-dev/ (docs/adr/0039-valijson-without-its-dependency-chain.md).
# Then it installs the pinned npm packages of tools/sbom-check (the SBOM schema check the tests
# run, docs/adr/0032-project-sbom.md) with `npm ci`, again only when they are missing or their
# lock file changed. Any failure, npm's included, fails the script.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"

PACKAGES="
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev clang-tidy clang-format cppcheck
  libssl-dev libsodium-dev libcurl4-openssl-dev
  libsimdjson-dev nlohmann-json3-dev libexpected-dev libcli11-dev
  libboost1.81-dev libsqlite3-dev
  libunistring-dev libqrencode-dev wamerican libarchive-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  faketime time curl ca-certificates openssl
  rsyslog rsyslog-gnutls
  checksec ccache
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
# Node.js and npm run tools/sbom-check. Any installation that provides both commands will do
# (NodeSource's nodejs bundles npm and conflicts with Debian's npm package); otherwise Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing="$missing nodejs npm"
fi

if [ -z "$missing" ]; then
  echo "bootstrap: all build dependencies are installed"
else
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
fi

# valijson: the Debian package, downloaded and unpacked (not installed), again only when missing
# or when Debian has another version. CMakeLists.txt looks for its headers here first.
deps="$root/.deps"
valijson="$deps/libvalijson-dev"
candidate() { apt-cache show --no-all-versions libvalijson-dev 2>/dev/null | sed -n 's/^Version: //p'; }
have="$(sed -n 's/^Version: //p' "$valijson/DEBIAN/control" 2>/dev/null || true)"
want_v="$(candidate)"
if [ -z "$have" ] || { [ -n "$want_v" ] && [ "$have" != "$want_v" ]; }; then
  if [ -z "$want_v" ]; then
    # A machine whose package lists were never fetched (a fresh container) knows no candidate.
    SUDO=""
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    want_v="$(candidate)"
  fi
  echo "bootstrap: fetching libvalijson-dev $want_v (apt-get download) into .deps/"
  tmp="$(mktemp -d)"
  chown _apt "$tmp" 2>/dev/null || true  # apt downloads as its sandbox user when it can
  deb=""
  if (cd "$tmp" && apt-get download -qq libvalijson-dev 2>"$tmp/apt.err"); then
    deb="$(find "$tmp" -maxdepth 1 -name 'libvalijson-dev_*.deb' | head -1)"
  fi
  if [ -z "$deb" ]; then
    cat "$tmp/apt.err" >&2
    rm -rf "$tmp"
    echo "bootstrap: apt-get download libvalijson-dev failed; it needs the Debian archive once" >&2
    exit 1
  fi
  # Unpacked next to its final place, then renamed: an interrupted run leaves the old tree.
  mkdir -p "$deps"
  rm -rf "$valijson.new"
  dpkg-deb -x "$deb" "$valijson.new"
  dpkg-deb -e "$deb" "$valijson.new/DEBIAN"
  rm -rf "$tmp" "$valijson.old"
  if [ -d "$valijson" ]; then mv "$valijson" "$valijson.old"; fi
  mv "$valijson.new" "$valijson"
  rm -rf "$valijson.old"
fi

# tools/sbom-check: ajv and its formats, exactly as pinned (with hashes) in package-lock.json.
# No install scripts run. The stamp records which lock file node_modules was installed from.
check_dir="$root/tools/sbom-check"
stamp="$check_dir/node_modules/.dss-package-lock.sha256"
want="$(sha256sum "$check_dir/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "bootstrap: installing the pinned npm packages of tools/sbom-check (npm ci)"
  if ! (cd "$check_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error); then
    echo "bootstrap: npm ci failed in tools/sbom-check; the SBOM tests need it. It needs the npm" >&2
    echo "bootstrap: registry (registry.npmjs.org) once; run scripts/bootstrap.sh again when it is reachable" >&2
    exit 1
  fi
  echo "$want" >"$stamp"
fi
