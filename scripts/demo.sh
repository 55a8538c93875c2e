#!/bin/sh
# End-to-end demo on the embedded default (local files, no other server):
#   `dss repo` creates a TUF repository and publishes a release, `dss repo serve` serves it over
#   HTTPS on loopback, and `dss-tuf-client` fetches, verifies and downloads it. Then an attacker
#   tampers with the release on the server, and the client refuses it.
set -eu
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build --target dss

DSS="$PWD/build/src/cli/dss"
CLIENT="$PWD/build/src/cli/dss-tuf-client"
OUT="$PWD/demo-out"
rm -rf "$OUT"
mkdir -p "$OUT"

# No default passwords: fresh random passphrases for this demo's offline and online keys.
DSS_OFFLINE_PASSPHRASE="$(openssl rand -hex 16)"
DSS_ONLINE_PASSPHRASE="$(openssl rand -hex 16)"
export DSS_OFFLINE_PASSPHRASE DSS_ONLINE_PASSPHRASE

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Provider: create a repository (keys for root, targets, snapshot, timestamp)"
"$DSS" repo init "$OUT/repo"

step "Provider: publish release 1.0 of app/hello.txt"
echo "hello from release 1.0" > "$OUT/hello.txt"
"$DSS" repo add-target "$OUT/repo" "$OUT/hello.txt" --as app/hello.txt

step "Provider: status and offline verification"
"$DSS" repo status "$OUT/repo"
"$DSS" repo verify "$OUT/repo"

step "Serve the repository over HTTPS on loopback"
"$DSS" repo serve "$OUT/repo" --port 0 --port-file "$OUT/port" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT INT TERM
i=0
while [ ! -s "$OUT/port" ]; do
  i=$((i + 1)); [ $i -gt 100 ] && { echo "server did not start" >&2; exit 1; }
  sleep 0.1
done
PORT="$(cat "$OUT/port")"
URL="https://127.0.0.1:$PORT"
export DSS_CA_FILE="$OUT/repo/tls/cert.pem"

step "Device: trust root v1 (shipped with the product), refresh, download"
"$CLIENT" --metadata-dir "$OUT/device" init "$OUT/repo/metadata/1.root.json"
"$CLIENT" --metadata-url "$URL/metadata/" --metadata-dir "$OUT/device" refresh
"$CLIENT" --metadata-url "$URL/metadata/" --metadata-dir "$OUT/device" \
  --target-name app/hello.txt --target-dir "$OUT/device-targets" --target-base-url "$URL/targets/" download
echo "downloaded: $(cat "$OUT/device-targets/app%2Fhello.txt")"
echo "trusted metadata on the device: $(ls "$OUT/device" | tr '\n' ' ')"

step "Attack: replace the release on the server with a malicious build"
for f in "$OUT"/repo/targets/app/*.hello.txt; do printf 'malicious build!!!!!!!' > "$f"; done
if "$CLIENT" --metadata-url "$URL/metadata/" --metadata-dir "$OUT/device" \
  --target-name app/hello.txt --target-dir "$OUT/device-targets-2" --target-base-url "$URL/targets/" download; then
  echo "FAIL: the tampered release was accepted" >&2
  exit 1
fi
echo "refused, as it must be; nothing was written: $(ls "$OUT/device-targets-2" 2>/dev/null | wc -l) files"

step "The provider's offline check finds the tampering too"
"$DSS" repo verify "$OUT/repo" || echo "(verify reported the problem above)"

step "Demo complete"
