#!/usr/bin/env bash
# A master of a 6-node Redis Cluster (3 masters, 3 replicas, cluster-node-timeout 1 s) is killed
# with SIGKILL during a 100,000-request replay through `cacheme-bench`. Asserts: the bench exits
# 0 with every request answered and no request error, its replica is promoted, and the client
# sends GETs to the promoted replica afterwards (its slot map healed). Prints the timings.
#   cluster_failover_test.sh CACHEME_BENCH SERVICES_SH
# Ports from CACHEME_TEST_FAILOVER_PORTS (6); the cluster is the test's own, in a temporary folder.
set -euo pipefail
bench=$1 services=$2
ports=${CACHEME_TEST_FAILOVER_PORTS:-}
if [[ -z $ports ]]; then
    [[ ${CACHEME_REQUIRE_SERVERS:-} == 1 ]] && { echo "CACHEME_TEST_FAILOVER_PORTS is not set but CACHEME_REQUIRE_SERVERS=1"; exit 1; }
    echo "[not run] CACHEME_TEST_FAILOVER_PORTS is not set"; exit 77   # ctest: skipped, not passed
fi

export SVC_BASE FAILOVER_PORTS=$ports
SVC_BASE=$(mktemp -d /tmp/cacheme-failover.XXXXXX)
chmod 755 "$SVC_BASE"
bench_pid=
cleanup() {
    [[ -n $bench_pid ]] && kill "$bench_pid" 2>/dev/null || true
    "$services" stop failover-cluster >/dev/null 2>&1 || true
    rm -rf "$SVC_BASE"
}
trap cleanup EXIT
"$services" start failover-cluster

cli() { redis-cli -h 127.0.0.1 -p "$@"; }
now_ms() { date +%s%3N; }
get_calls() { cli "$1" info commandstats | sed -n 's/^cmdstat_get:calls=\([0-9]*\).*/\1/p' | tr -d '\r'; }

seed=${ports%% *}
# The victim: a master other than the seed; its replica is the one to be promoted.
victim=$(cli "$seed" cluster nodes | awk '$3 ~ /master/ && $3 !~ /myself/ {split($2, a, "[:@]"); print a[2]; exit}')
replica=$(cli "$victim" info replication | sed -n 's/^slave0:.*port=\([0-9]*\),.*/\1/p')
pid=$(cli "$victim" info server | sed -n 's/^process_id:\([0-9]*\).*/\1/p' | tr -d '\r')
[[ -n $victim && -n $replica && -n $pid ]] || { echo "cannot find a master with a replica"; exit 1; }
echo "victim master :$victim (pid $pid), its replica :$replica"

# ~35,000 distinct keys at 25 ms per load over 100 workers: a run of 9 s at least (the floor), long
# enough to span the failover (about 2-3 s with a 1 s node timeout).
out=$SVC_BASE/bench.json
"$bench" replay --chain "redis://127.0.0.1:$seed?cluster=true&timeout=500" --requests 100000 --workers 100 \
    --load-latency 25ms --pool-size 4 --json "$out" > "$SVC_BASE/bench.log" 2>&1 &
bench_pid=$!
sleep 1
kill -0 "$bench_pid" || { cat "$SVC_BASE/bench.log"; echo "the replay ended before the failover"; exit 1; }
kill -9 "$pid"
killed=$(now_ms)

promoted=
healed=
deadline=$(( killed + 30000 ))
while (( $(now_ms) < deadline )); do
    if [[ -z $promoted ]] && cli "$replica" role 2>/dev/null | head -1 | grep -q master; then promoted=$(now_ms); fi
    if [[ -n $promoted ]] && (( $(get_calls "$replica" || echo 0) > 0 )); then healed=$(now_ms); break; fi
    kill -0 "$bench_pid" 2>/dev/null || break
    sleep 0.05
done
rc=0
wait "$bench_pid" || rc=$?
bench_pid=
cat "$SVC_BASE/bench.log"
[[ -s $out ]] && cat "$out"
echo
num() { grep -o "\"$1\": *[0-9.]*" "$out" | head -1 | sed 's/.*: *//'; }
echo "bench exit $rc; requests $(num requests); errors $(num errors); loads $(num loads); time $(num time_s) s"
[[ -n $promoted ]] && echo "replica promoted $(( promoted - killed )) ms after the kill"
[[ -n $healed ]] && echo "first GET on the promoted replica $(( healed - killed )) ms after the kill (map healed)"
(( rc == 0 )) || { echo "FAIL: cacheme-bench exited $rc"; exit 1; }
[[ $(num requests) == 100000 ]] || { echo "FAIL: not every request was answered"; exit 1; }
[[ $(num errors) == 0 ]] || { echo "FAIL: requests failed"; exit 1; }
[[ -n $promoted ]] || { echo "FAIL: the replica was not promoted"; exit 1; }
[[ -n $healed ]] || { echo "FAIL: no GET reached the promoted replica during the run (map not healed)"; exit 1; }
# Map refreshes are rate-limited: at most one CLUSTER SLOTS per 100 ms, however many commands fail.
refreshes=$(grep -o '"CLUSTER": *[0-9]*' "$out" | head -1 | sed 's/.*: *//')
awk -v n="${refreshes:-0}" -v t="$(num time_s)" 'BEGIN { exit !(n >= 1 && n <= t * 10 + 1) }' \
    || { echo "FAIL: ${refreshes:-0} map refreshes in $(num time_s) s (at least 1, at most one per 100 ms)"; exit 1; }
echo "PASS"
