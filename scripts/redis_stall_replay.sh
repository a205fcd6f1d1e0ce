#!/usr/bin/env bash
# cacheme-bench replay on [redis] with the Redis server stalled (SIGSTOP) in the middle of the run.
#
#   scripts/redis_stall_replay.sh CACHEME_BENCH REDIS_PORT REDIS_PID [STALL_AT_S [STALL_S [replay options...]]]
#
# The Redis server on 127.0.0.1:REDIS_PORT (process REDIS_PID, e.g. $SVC_BASE/redis/redis.pid of
# scripts/services.sh) is stopped STALL_AT_S seconds after the replay starts (default 2) for
# STALL_S seconds (default 5), then continued. Every 100 ms the script samples the replay's
# resident memory and the server's GET count (INFO commandstats), and prints: the replay's exit
# code, its requests and time (from its JSON), the max RSS before and during the stall, and the
# recovery time: from SIGCONT to the first 100 ms in which the server ran at least half of its
# GETs-per-100-ms rate of before the stall.
set -euo pipefail
bench=$1 port=$2 pid=$3 stall_at=${4:-2} stall_s=${5:-5}
shift $(( $# < 5 ? $# : 5 ))
out=$(mktemp -d)
trap 'kill -CONT "$pid" 2>/dev/null || true; rm -rf "$out"' EXIT

gets() { redis-cli -h 127.0.0.1 -p "$port" info commandstats 2>/dev/null | sed -n 's/^cmdstat_get:calls=\([0-9]*\).*/\1/p'; }
rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null || true; }
now_ms() { date +%s%3N; }

"$bench" replay --chain "redis://127.0.0.1:$port" --flush --json "$out/run.json" "$@" >"$out/stdout" 2>"$out/stderr" &
replay=$!
start=$(now_ms)
stopped_at=0 continued_at=0 last_gets=$(gets)
echo "t_ms,phase,rss_kib,gets" >"$out/timeline.csv"
while kill -0 "$replay" 2>/dev/null; do
    t=$(( $(now_ms) - start ))
    if (( stopped_at == 0 && t >= stall_at * 1000 )); then kill -STOP "$pid"; stopped_at=$t; fi
    if (( stopped_at > 0 && continued_at == 0 && t >= stopped_at + stall_s * 1000 )); then kill -CONT "$pid"; continued_at=$t; fi
    phase=before; (( stopped_at > 0 )) && phase=stall; (( continued_at > 0 )) && phase=after
    g=$last_gets
    [[ $phase == stall ]] || g=$(gets || echo "$last_gets")
    echo "$t,$phase,$(rss_kib "$replay"),$g" >>"$out/timeline.csv"
    last_gets=$g
    sleep 0.1
done
rc=0; wait "$replay" || rc=$?
(( continued_at > 0 )) || { kill -CONT "$pid"; echo "warning: the replay ended before the stall did" >&2; }

echo "exit code: $rc"
python3 - "$out/run.json" "$out/timeline.csv" "$continued_at" <<'EOF'
import csv, json, sys
run = json.load(open(sys.argv[1]))
r = run[0] if isinstance(run, list) else run
print(*(f"{k}: {r.get(k)}" for k in ("requests", "calls", "errors", "time_s", "loads", "hits", "commands", "latency_us")),
      sep="\n")
rows = list(csv.DictReader(open(sys.argv[2])))
def rss(phase): return max([int(x["rss_kib"]) for x in rows if x["phase"] == phase and x["rss_kib"]] or [0])
print(f"max RSS before the stall: {rss('before') / 1024:.1f} MiB, during it: {rss('stall') / 1024:.1f} MiB,"
      f" after it: {rss('after') / 1024:.1f} MiB")
before = [x for x in rows if x["phase"] == "before" and x["gets"]]
rates = [int(b["gets"]) - int(a["gets"]) for a, b in zip(before, before[1:])]
rate = sorted(rates)[len(rates) // 2] if rates else 0
after = [x for x in rows if x["phase"] == "after" and x["gets"]]
cont = int(sys.argv[3])
for a, b in zip(after, after[1:]):
    if rate and int(b["gets"]) - int(a["gets"]) >= rate / 2:
        print(f"recovered {int(a['t_ms']) - cont} to {int(b['t_ms']) - cont} ms after SIGCONT"
              f" (GETs per 100 ms before the stall: {rate}, then: {int(b['gets']) - int(a['gets'])})")
        break
else:
    print("no recovery seen (GETs per 100 ms before the stall:", rate, ")")
EOF
exit "$rc"
