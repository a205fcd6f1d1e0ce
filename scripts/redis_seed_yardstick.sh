#!/usr/bin/env bash
# The seed workload on Redis, cacheme beside the smallest client that can replay it
# (tests/tools/minimal_redis_replay.cpp), interleaved on one throwaway redis-server, with both of
# the performance issue's floors measured in the same run:
#   floor_s        distinct keys × load latency ÷ workers (cacheme-bench's own);
#   Redis-bound    cacheme's GET + SET commands ÷ the pipelined rates of
#                  `redis-benchmark -P 16 -c 100 -n 1000000 -t get,set`.
#
#   scripts/redis_seed_yardstick.sh TRACE [BUILD_DIR]     (env: WORKERS="10000 100000", REPS=5)
#
# TRACE: one key per line (e.g. ../shared/traces/seed-zipf-200k.txt). BUILD_DIR (default build)
# must hold cli/cacheme-bench and tests/minimal_redis_replay. The server runs under its own
# SVC_BASE on REDIS_PORT (default 16398) and is stopped at exit. Medians of REPS runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
trace=${1:?usage: redis_seed_yardstick.sh TRACE [BUILD_DIR]}
build=${2:-build}
bench=$build/cli/cacheme-bench
minimal=$build/tests/minimal_redis_replay
for prog in "$bench" "$minimal"; do
  [[ -x $prog ]] || { echo "no $prog: build the cacheme-bench and minimal_redis_replay targets" >&2; exit 2; }
done

export SVC_BASE=${SVC_BASE:-${TMPDIR:-/tmp}/cacheme-yardstick-$$}
export REDIS_PORT=${REDIS_PORT:-16398}
mkdir -p "$SVC_BASE"
trap '"$here/services.sh" stop redis; rm -rf "$SVC_BASE"' EXIT
"$here/services.sh" start redis

rate() { redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -P 16 -c 100 -n 1000000 -t "$1" -q | tr '\r' '\n' |
         grep -v '^$' | tail -1 | sed -E 's/.*: ([0-9.]+) requests per second.*/\1/'; }
get_rate=$(rate get)
set_rate=$(rate set)
echo "redis-benchmark -P 16 -c 100 -n 1000000: GET $get_rate/s, SET $set_rate/s"

out=$(mktemp)
for workers in ${WORKERS:-10000 100000}; do
  for _ in $(seq "${REPS:-5}"); do
    "$bench" replay --trace "$trace" --chain "redis://127.0.0.1:$REDIS_PORT" --workers "$workers" --flush --json - |
      python3 -c 'import json,sys; d=json.load(sys.stdin); c=d["commands"]
print("cacheme", d["workers"], d["time_s"], d["cpu_s"], d["floor_s"], c.get("GET", 0), c.get("SET", 0), d["loads"], d["errors"])' >>"$out"
    "$minimal" "$trace" "$workers" "$REDIS_PORT" |
      awk '{ print "minimal", $4, $6, $8, "nan", $10, $12, $14, 0 }' >>"$out"
  done
done

python3 - "$out" "$get_rate" "$set_rate" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
get_rate, set_rate = float(sys.argv[2]), float(sys.argv[3])
print(f"{'workers':>8} {'client':>8} {'time s':>8} {'cpu s':>7} {'GET':>7} {'SET':>7} {'loads':>6} {'err':>4}"
      f" {'× floor_s':>9} {'× Redis-bound':>13}")
for workers in dict.fromkeys(r[1] for r in rows):
    ours = [r for r in rows if r[1] == workers and r[0] == "cacheme"]
    med = lambda rs, i: statistics.median(float(r[i]) for r in rs)
    floor_s = med(ours, 4)
    redis_bound = med(ours, 5) / get_rate + med(ours, 6) / set_rate
    for client in ("cacheme", "minimal"):
        rs = [r for r in rows if r[1] == workers and r[0] == client]
        t = med(rs, 2)
        print(f"{workers:>8} {client:>8} {t:8.3f} {med(rs, 3):7.3f} {med(rs, 5):7.0f} {med(rs, 6):7.0f} {med(rs, 7):6.0f}"
              f" {max(int(r[8]) for r in rs):4d} {t / floor_s:9.2f} {t / redis_bound:13.2f}")
    print(f"{workers:>8} floors: floor_s {floor_s:.4f} s, Redis-bound {redis_bound:.4f} s")
EOF
rm -f "$out"
