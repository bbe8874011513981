#!/usr/bin/env bash
# The REST API under load (SPEC §13), each figure beside its same-run baseline:
#   1. GET /api/v1/sims/{iccid} and GET /api/v1/sims?page= at 100 connections (wrk), after a
#      warm-up, over a 100,000-SIM mirror — beside a Go server that writes the same bytes and
#      does nothing else (what this machine and wrk allow);
#   2. the latency a proxied read adds (?fresh=true, one connection) over asking the simulator
#      directly with a bearer token;
#   3. the server's peak RSS while serving all of it.
# The server, the simulator and wrk are separate processes on loopback. The server runs no
# background jobs (--no-jobs, as behind a worker): a fleet sync of the 100,000 simulated SIMs
# landing in the middle of a 10 s window would measure the sync, not the read path (the sync
# has its own benchmarks). Needs wrk (Debian's
# package). Backend: sqlite (default, the embedded default) or postgres (PostgreSQL + Redis as
# in the tests):
#
#   bench/api.sh [sqlite|postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
sims="${SIMS:-100000}"
hot="${HOT:-10000}"
dur="${DUR:-10s}"
command -v wrk >/dev/null || { echo "bench/api.sh needs wrk (apt-get install wrk)" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 1 300); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "not up: $1" >&2; return 1; }

go build -o "$tmp/oncefleet" ./cmd/oncefleet
go build -o "$tmp/seedmirror" ./bench/seedmirror
go build -o "$tmp/static" ./bench/static

simport=$(free_port); apiport=$(free_port); staticport=$(free_port)
secret="bench-secret-$(date +%s)"
"$tmp/oncefleet" simulate --sims "$sims" --addr "127.0.0.1:$simport" --client-id bench --client-secret "$secret" --rate-limit 0 >/dev/null 2>&1 &
pids+=($!)

export ONCEFLEET_DATA_DIR="$tmp/data"
if [ "$backend" = postgres ]; then
  db="oncefleet_bench_$$"
  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $db" >/dev/null
  trap 'cleanup; psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS '"$db"' WITH (FORCE)" >/dev/null' EXIT
  export ONCEFLEET_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
  export ONCEFLEET_REDIS_URL="redis://127.0.0.1:6379/0" ONCEFLEET_REDIS_PREFIX="oncefleet-bench-$$:"
fi
key=$("$tmp/seedmirror" --sims "$sims" | tail -1)

ONCEFLEET_ONCE_BASE_URL="http://127.0.0.1:$simport" ONCEFLEET_ONCE_CLIENT_ID=bench ONCEFLEET_ONCE_CLIENT_SECRET="$secret" \
ONCEFLEET_ONCE_RATE=10000 ONCEFLEET_API_RATE_LIMIT=10000000 ONCEFLEET_LOG_LEVEL="${LOG_LEVEL:-info}" \
  "$tmp/oncefleet" serve --addr "127.0.0.1:$apiport" --no-migrate-on-start --no-jobs 2>"$tmp/server.log" &
sleep 0.1
srvpid=$!; pids+=($srvpid)
wait_up "http://127.0.0.1:$apiport/health/live" || { cat "$tmp/server.log" >&2; exit 1; }
api="http://127.0.0.1:$apiport"
curl -fsS -H "X-API-Key: $key" "$api/api/v1/sims/8988280666000000001" -o "$tmp/sim.json"
"$tmp/static" --addr "127.0.0.1:$staticport" --body "$tmp/sim.json" &
pids+=($!)
wait_up "http://127.0.0.1:$staticport/"
# The page baseline serves the bytes of one page of 50: a page is 50 times a SIM's body.
pageport=$(free_port)
curl -fsS -H "X-API-Key: $key" "$api/api/v1/sims?page=1&page_size=50" -o "$tmp/page.json"
"$tmp/static" --addr "127.0.0.1:$pageport" --body "$tmp/page.json" &
pids+=($!)
wait_up "http://127.0.0.1:$pageport/"

cat >"$tmp/sims.lua" <<EOF
local hot = $hot
request = function()
  return wrk.format("GET", string.format("/api/v1/sims/89882806660%08d", math.random(0, hot - 1)), {["X-API-Key"] = "$key"})
end
EOF
cat >"$tmp/pages.lua" <<EOF
local pages = math.floor($hot / 50)
request = function()
  return wrk.format("GET", string.format("/api/v1/sims?page=%d&page_size=50", math.random(1, pages)), {["X-API-Key"] = "$key"})
end
EOF

load() { # label, wrk args…
  local label=$1; shift
  wrk -t1 -c100 -d"$dur" --latency "$@" >"$tmp/wrk.txt" 2>&1
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt")
  p50=$(awk '$1=="50%" {print $2}' "$tmp/wrk.txt")
  p99=$(awk '$1=="99%" {print $2}' "$tmp/wrk.txt")
  errs=$(awk '/Non-2xx/ {print $NF}' "$tmp/wrk.txt")
  printf '%-46s %10s req/s   p50 %8s   p99 %8s   %s\n' "$label" "$rps" "$p50" "$p99" "${errs:+non-2xx $errs}"
}

echo "backend $backend, $sims SIMs mirrored, hot set $hot, wrk -t1 -c100 -d$dur, $(nproc) cores"
# Warm-up: every hot SIM and page once through the cache.
wrk -t1 -c50 -d5s -s "$tmp/sims.lua" "$api" >/dev/null 2>&1
wrk -t1 -c50 -d5s -s "$tmp/pages.lua" "$api" >/dev/null 2>&1
load "baseline: static Go server, a SIM's bytes" "http://127.0.0.1:$staticport/"
load "GET /api/v1/sims/{iccid} (random hot SIM)" -s "$tmp/sims.lua" "$api"
load "baseline: static Go server, a page's bytes" "http://127.0.0.1:$pageport/"
load "GET /api/v1/sims?page=N&page_size=50" -s "$tmp/pages.lua" "$api"
curl -fsS "$api/metrics" | grep -E '^cache_(hits|misses)_total' | sed 's/^/  /'

# Proxied read: ?fresh=true asks the simulator on every request; the baseline asks it directly.
tok=$(curl -fsS -u "bench:$secret" -H 'Content-Type: application/json' -d '{"grant_type":"client_credentials"}' "http://127.0.0.1:$simport/oauth/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
lat() { # label, url, header
  wrk -t1 -c1 -d"$dur" --latency -H "$3" "$2" >"$tmp/wrk.txt" 2>&1
  printf '%-46s p50 %8s   p99 %8s   (%s req/s)\n' "$1" "$(awk '$1=="50%" {print $2}' "$tmp/wrk.txt")" "$(awk '$1=="99%" {print $2}' "$tmp/wrk.txt")" "$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt")"
}
lat "baseline: simulator GET /v2/sims/{iccid}" "http://127.0.0.1:$simport/v2/sims/8988280666000000001" "Authorization: Bearer $tok"
lat "GET /api/v1/sims/{iccid}?fresh=true" "$api/api/v1/sims/8988280666000000001?fresh=true" "X-API-Key: $key"

echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$srvpid/status)"
grep -c '"level":"ERROR"' "$tmp/server.log" | xargs -I{} echo "server errors logged: {}"
