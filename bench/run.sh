#!/usr/bin/env bash
# Runs every benchmark behind docs/BENCHMARKS.md, each with its same-run baseline, and keeps the
# raw output in bench/out/ (not committed). Needs PostgreSQL and Redis on 127.0.0.1, like the
# tests. Run it on a quiet machine: the numbers are wall-clock.
#
#   bench/run.sh            all of them (about 20 minutes; the 1M-SIM query seeds a million rows,
#                           the rate-limited sync takes 100 s by design)
#   bench/run.sh streamer   only the lines whose name matches
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
only="${1:-}"

run() { # name, package, bench regexp, benchtime
  local name=$1 pkg=$2 re=$3 bt=$4
  [[ -n "$only" && "$name" != *"$only"* ]] && return 0
  echo "== $name: go test -run '^\$' -bench '$re' -benchtime $bt -benchmem $pkg"
  local dir=.
  if [ -f "$pkg/go.mod" ]; then # a module of its own (once, oncesim): run inside it
    dir=$pkg pkg=.
  fi
  (cd "$dir" && go test -run '^$' -bench "$re" -benchtime "$bt" -benchmem -count 1 "$pkg") | tee "$out/$name.txt" | grep -E '^(Benchmark|ok|FAIL)'
}

run store-postgres    ./internal/store/postgres/ 'BenchmarkUpsertSIMs100k|BenchmarkInsertUsage100k' 3x
run store-sqlite      ./internal/store/sqlite/   'BenchmarkUpsertSIMs100k|BenchmarkInsertUsage100k' 3x
run store-query-1m    ./internal/store/postgres/ 'BenchmarkListSIMs1M' 10x
run streamer-ingest   ./internal/streamer/       'BenchmarkIngestPostgres|BenchmarkIngestSQLite' 20x
run streamer-parts    ./internal/streamer/       'BenchmarkSave|BenchmarkParse|BenchmarkPlan|BenchmarkApply' 10x
run sdk-overhead      ./once/                    'BenchmarkClientOverhead|BenchmarkClientGet|BenchmarkGetSIM|BenchmarkListSIMsPage' 2s
run sim-list          ./oncesim/                 'BenchmarkListSIMsPage|BenchmarkListSIMsHandler' 3s
run sim-startup       ./oncesim/                 'BenchmarkNew1M|BenchmarkAdvanceDay1M' 2x
run sim-faults        ./oncesim/                 'BenchmarkFaultInjectorWrap|BenchmarkEmitter' 2s
run cache             ./internal/cache/          'BenchmarkGetHit' 2s
run ratelimit         ./internal/ratelimit/      'BenchmarkAllow' 2s
run httpmw            ./internal/httpmw/         'BenchmarkStack' 2s
run accounts-postgres ./internal/store/postgres/ 'BenchmarkAccounts' 2s
run accounts-sqlite   ./internal/store/sqlite/   'BenchmarkAccounts' 2s
run sync-100k         ./internal/fleetsync/      'BenchmarkFullSync100k$' 1x
run sync-1m           ./internal/fleetsync/      'BenchmarkFullSync1M$' 1x
run sync-limited      ./internal/fleetsync/      'BenchmarkFullSync100kLimited' 1x
run alerts-1m         ./internal/alerts/         'BenchmarkEngine1M' 3x
api_load() { # name, backend: the REST API under wrk (bench/api.sh), not a go test benchmark
  [[ -n "$only" && "$1" != *"$only"* ]] && return 0
  echo "== $1: bench/api.sh $2"
  bench/api.sh "$2" | tee "$out/$1.txt"
}
api_load api-sqlite   sqlite
api_load api-postgres postgres
