#!/bin/sh
# End-to-end demo on the embedded default (local files, no other server):
#   `dss repo` creates a TUF repository and publishes a release, `dss repo serve` serves it over
#   HTTPS on loopback, and `dss-tuf-client` fetches, verifies and downloads it. Then an attacker
#   tampers with the release on the server, and the client refuses it.
# Then the product story: the provider publishes a release with its SBOM, `dss agent` on a
# device installs it by itself, the provider publishes a fix and an advisory, and the agent
# installs the fix at once and reports the advisory it closed.
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

step "Provider: publish myapp 1.0, a tar.zst release with its SBOM and a health check"
make_release() {  # version
  rm -rf "$OUT/app-$1" && mkdir -p "$OUT/app-$1/bin"
  printf '#!/bin/sh\nexit 0\n' > "$OUT/app-$1/bin/health" && chmod 0755 "$OUT/app-$1/bin/health"
  echo "myapp $1" > "$OUT/app-$1/VERSION"
  tar --zstd -cf "$OUT/myapp-$1.tar.zst" -C "$OUT/app-$1" .
  cat > "$OUT/sbom-$1.json" <<SBOM
{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
 "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
 "metadata": {"timestamp": "2026-11-23T00:00:00Z", "authors": [{"name": "Demo release team"}],
   "component": {"type": "application", "bom-ref": "myapp", "name": "myapp", "version": "$1",
     "supplier": {"name": "Demo Corp"}, "purl": "pkg:generic/demo/myapp@$1"}},
 "components": [{"type": "library", "bom-ref": "zstd", "name": "zstd", "version": "1.5.4",
   "supplier": {"name": "Meta"}, "purl": "pkg:deb/debian/libzstd1@1.5.4"}],
 "dependencies": [{"ref": "myapp", "dependsOn": ["zstd"]}]}
SBOM
}
echo '{"health": {"command": ["bin/health"], "tries": 2, "within_s": 20}}' > "$OUT/health.json"
make_release 1.0
"$DSS" --state "$OUT/provider" repo release publish "$OUT/repo" myapp 1.0 "$OUT/myapp-1.0.tar.zst" \
  --sbom "$OUT/sbom-1.0.json" --dss-json "$OUT/health.json"
echo "A release without its SBOM is refused:"
"$DSS" --state "$OUT/provider" repo release publish "$OUT/repo" myapp 1.1 "$OUT/myapp-1.0.tar.zst" || true

step "Device: the agent installs it by itself"
DEV="$OUT/device-state"
install -d -m 0700 "$DEV"
# The agent refuses to run outside its security domain. Where this demo machine is outside it
# (running as root, no time sync), the owner loosens exactly that, acknowledged and audited.
if [ "$(id -u)" = 0 ]; then
  "$DSS" --state "$DEV" settings set domain.refuse_root off --reason "demo runs as root" \
    --accept-risk "I accept the risk of loosening domain.refuse_root to off"
fi
if ! "$DSS" --state "$DEV" doctor 2>/dev/null | grep -q "^PASS     clock"; then
  "$DSS" --state "$DEV" settings set domain.require_clock_sync off --reason "demo machine has no time sync" \
    --accept-risk "I accept the risk of loosening domain.require_clock_sync to off"
fi
agent() {
  "$DSS" --state "$DEV" agent --repo "$URL/" --root "$OUT/repo/metadata/1.root.json" \
    --install-root "$OUT/install" --app myapp --ca-file "$DSS_CA_FILE" "$@"
}
agent once
echo "installed: $(cat "$OUT/install/current/VERSION")"

step "Provider: publish the fix 1.1 and an advisory (CVSS vector and CWE required)"
make_release 1.1
"$DSS" --state "$OUT/provider" repo release publish "$OUT/repo" myapp 1.1 "$OUT/myapp-1.1.tar.zst" \
  --sbom "$OUT/sbom-1.1.json" --dss-json "$OUT/health.json"
cat > "$OUT/advisory.json" <<'OSV'
{"id": "DEMO-2026-0001", "summary": "Path traversal in the upload handler",
 "affected": [{"package": {"ecosystem": "DSS", "name": "myapp"},
   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]}],
 "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
 "database_specific": {"cwe_ids": ["CWE-22"]}}
OSV
"$DSS" --state "$OUT/provider" repo advisory publish "$OUT/repo" "$OUT/advisory.json"

step "Device: the next cycle installs the fix with no action from anyone"
agent once
echo "installed: $(cat "$OUT/install/current/VERSION")"
agent status

step "Demo complete"
