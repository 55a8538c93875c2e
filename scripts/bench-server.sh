#!/bin/sh
# Control-plane benchmark. In one run, on loopback, with the same certificate (ECDSA P-256),
# the same protocol (TLS 1.3 only, the server's default) and the same load generator (wrk,
# keep-alive), it measures:
#   1. GET /repo/metadata/timestamp.json from `dss server` and the same file from nginx (the baseline);
#   2. signed device check-ins per second into `dss server` (each verified, replay-checked,
#      stored and audited), against the same nginx baseline;
# and prints requests/s, the ratio to nginx, and p99 latency. Figures, not pass/fail.
# Usage: scripts/bench-server.sh [SECONDS] [CONNECTIONS]
set -eu
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh --bench
secs="${1:-10}"
conns="${2:-32}"
threads=2
cmake -S . -B build -G Ninja -DDSS_WERROR=ON >/dev/null
nice cmake --build build --target dss dss_checkin_requests >/dev/null

DSS="$PWD/build/src/cli/dss"
GEN="$PWD/build/bench/dss_checkin_requests"
OUT="$(mktemp -d /tmp/dss-bench-server.XXXXXX)"
cleanup() {
  [ -f "$OUT/nginx.pid" ] && kill "$(cat "$OUT/nginx.pid")" 2>/dev/null || true
  if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; fi || true
  rm -rf "$OUT"
}
trap cleanup EXIT INT TERM

# A repository with one release, and a server state with one owner and an operator API token.
DSS_OFFLINE_PASSPHRASE="$(openssl rand -hex 16)"
DSS_ONLINE_PASSPHRASE="$(openssl rand -hex 16)"
DSS_SERVER_PASSWORD="bench $(openssl rand -hex 16)"
export DSS_OFFLINE_PASSPHRASE DSS_ONLINE_PASSPHRASE DSS_SERVER_PASSWORD
"$DSS" repo init "$OUT/repo" >/dev/null
head -c 4096 /dev/urandom > "$OUT/app.bin"
"$DSS" repo add-target "$OUT/repo" "$OUT/app.bin" --as app/app.bin >/dev/null
"$DSS" --state "$OUT/state" server init --username olive >/dev/null
TOKEN="$("$DSS" --state "$OUT/state" server token create --user olive --name bench --role owner \
  --expires-days 1 | sed -n 's/^.*\(dss_t_[A-Za-z0-9_-]*\).*$/\1/p' | head -n 1)"
[ -n "$TOKEN" ] || { echo "bench: could not create an API token" >&2; exit 1; }

"$DSS" --state "$OUT/state" server run --port 0 --repo "$OUT/repo" > "$OUT/server.log" 2>&1 &
SERVER=$!
i=0
until grep -q "listening on" "$OUT/server.log"; do
  i=$((i + 1)); [ $i -gt 100 ] && { cat "$OUT/server.log" >&2; exit 1; }
  sleep 0.1
done
DSS_URL="$(sed -n 's/^.*listening on \(https:[^ ]*\).*$/\1/p' "$OUT/server.log")"
CERT="$OUT/state/tls/cert.pem"
KEY="$OUT/state/tls/key.pem"

# nginx with the same certificate and TLS settings, serving the same repository files.
NGINX_PORT=$(( 20000 + $$ % 20000 ))
mkdir -p "$OUT/nginx"
cat > "$OUT/nginx.conf" <<CONF
worker_processes $threads;
pid $OUT/nginx.pid;
error_log $OUT/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $OUT/nginx; proxy_temp_path $OUT/nginx; fastcgi_temp_path $OUT/nginx;
  uwsgi_temp_path $OUT/nginx; scgi_temp_path $OUT/nginx;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    ssl_certificate $CERT;
    ssl_certificate_key $KEY;
    ssl_protocols TLSv1.3;
    location /repo/ { alias $OUT/repo/; }
  }
}
CONF
nginx -c "$OUT/nginx.conf" -p "$OUT/nginx" 2>/dev/null
sleep 0.5

# wrk output -> "requests/s p99"
measure() {
  wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$@" > "$OUT/wrk.txt" 2>&1 || true
  rps="$(awk '/^Requests\/sec/ {print $2}' "$OUT/wrk.txt")"
  p99="$(awk '$1 == "99%" {print $2}' "$OUT/wrk.txt")"
  errs="$(awk '/non-2xx-or-3xx:|Non-2xx/ {print $NF}' "$OUT/wrk.txt" | head -n 1)"
  echo "${rps:-0} ${p99:-?} ${errs:-0}"
}

echo "bench: ${secs}s per run, $conns keep-alive connections, $threads wrk threads, TLS 1.3, P-256"
set -- $(measure "https://127.0.0.1:$NGINX_PORT/repo/metadata/timestamp.json")
NG_RPS=$1 NG_P99=$2
set -- $(measure "$DSS_URL/repo/metadata/timestamp.json")
TS_RPS=$1 TS_P99=$2 TS_ERR=$3

# Enough signed check-ins for the run at up to 20k/s.
n=$(( secs * 20000 ))
"$GEN" "$DSS_URL" "$CERT" "$TOKEN" 100 "$n" "$OUT/checkins.txt"
set -- $(CHECKINS_FILE="$OUT/checkins.txt" WRK_THREADS=$threads measure -s bench/checkin.lua "$DSS_URL/api/v1/devices/checkin")
CI_RPS=$1 CI_P99=$2 CI_ERR=$3

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
printf '%-34s %12s %10s %8s %s\n' "" "requests/s" "p99" "ratio" "errors"
printf '%-34s %12s %10s %8s %s\n' "nginx /repo/metadata/timestamp.json" "$NG_RPS" "$NG_P99" "1.00" "-"
printf '%-34s %12s %10s %8s %s\n' "dss server /repo/metadata/timestamp.json" "$TS_RPS" "$TS_P99" "$(ratio "$TS_RPS" "$NG_RPS")" "$TS_ERR"
printf '%-34s %12s %10s %8s %s\n' "dss server signed check-ins" "$CI_RPS" "$CI_P99" "$(ratio "$CI_RPS" "$NG_RPS")" "$CI_ERR"
