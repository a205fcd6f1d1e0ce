#!/usr/bin/env bash
# The closing figures of issue 16: `cacheme-bench replay` with its storage stalled for STALL_S
# seconds (default 5) in the middle, started AFTER_S seconds in (default 2).
#   scripts/stall_replay.sh pg|maria|mongo|sqlite CHAIN [replay args...]
# pg, maria, mongo: the server of scripts/services.sh (same SVC_BASE and ports) gets SIGSTOP, then
# SIGCONT. sqlite: another connection (the sqlite3 shell, Debian's sqlite3 package) holds an
# EXCLUSIVE transaction on the chain's file.
# Prints the exit code, wall time, the process's RSS before the stall and its maximum during it,
# and the time from the end of the stall to the end of the run; the replay's own table follows.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kind=$1 chain=$2; shift 2
bench=${BENCH:-$root/build/cli/cacheme-bench}
after=${AFTER_S:-2} stall=${STALL_S:-5}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
pause() {
    case $kind in
        pg|maria|mongo) "$root/scripts/services.sh" signal STOP "$kind" ;;
        sqlite) local file=${chain#sqlite://}; file=${file%%\?*}
                ( printf '.timeout 2000\nBEGIN EXCLUSIVE;\n.shell sleep %s\nROLLBACK;\n' "$stall" \
                    | sqlite3 "$file" >/dev/null ) &
                lock_pid=$! ;;
    esac
}
resume() {
    case $kind in
        pg|maria|mongo) "$root/scripts/services.sh" signal CONT "$kind" ;;
        sqlite) wait "$lock_pid" ;;
    esac
}

start=$(date +%s.%N)
"$bench" replay --chain "$chain" "$@" > "$out" 2>&1 &
pid=$!
sleep "$after"
before=$(rss "$pid")
pause
peak=$before
end_stall=$(( $(date +%s) + stall ))
while (( $(date +%s) < end_stall )) && kill -0 "$pid" 2>/dev/null; do
    r=$(rss "$pid"); (( r > peak )) && peak=$r
    sleep 0.1
done
[[ $kind != sqlite ]] && resume
woke=$(date +%s.%N)
[[ $kind == sqlite ]] && resume
set +e; wait "$pid"; code=$?; set -e
done_at=$(date +%s.%N)
printf 'exit %d  wall %.1f s  RSS before %d KiB, max during stall %d KiB  end of stall to end of run %.1f s\n' \
    "$code" "$(echo "$done_at - $start" | bc)" "$before" "$peak" "$(echo "$done_at - $woke" | bc)"
cat "$out"
