#!/usr/bin/env bash
# Issue 14's hit-ratio points for one cacheme-bench binary, to compare two builds point by point
# (scripts/compare_hit_ratios.py): the sweep of every trace and four generated workloads, the
# 60 fixed points, Zipf from 500 to 80k, the generated workloads at 250 to 2,000 (192 points),
# and a held-out set of large caches (12 points) that no tuning may look at.
#
#   scripts/hit_ratio_points.sh BENCH_BINARY OUT_DIR [TRACES_DIR]
#
# TRACES_DIR defaults to ../shared/traces beside the repository. About 4 minutes on one core.
set -euo pipefail
bench=$1
out=$2
traces=${3:-$(cd "$(dirname "$0")/../.." && pwd)/shared/traces}
mkdir -p "$out"
gen=(--workload hotshift:hot=2000,period=50000
     --workload hotshift:hot=20000,period=200000,share=0.6,cold=200000,requests=2000000
     --workload scanzipf --workload scanzipf:s=1.2,imax=100000,period=50000,length=50000)
policies=(--policy lru,tlfu,lfu)
"$bench" sim --sweep "$traces" "${gen[@]}" "${policies[@]}" > "$out/sweep.txt"
"$bench" sim --sweep "$traces/oltp.arc.gz" --sweep "$traces/loop.lirs.gz" --sweep "$traces/gli.lirs.gz" \
  --sizes 250,500,750,1000,1250,1500,1750,2000 "${policies[@]}" > "$out/fixed1.txt"
"$bench" sim --sweep "$traces/2_pools.lirs.gz" --sweep "$traces/multi1.lirs.gz" --sweep "$traces/multi2.lirs.gz" \
  --sweep "$traces/sprite.lirs.gz" --sizes 100,200,400,600,800,1000,1500,2000 "${policies[@]}" > "$out/fixed2.txt"
"$bench" sim --zipf-s 1.0001 --zipf-v 10 --zipf-imax 50000000 --requests 1000000 \
  --sizes 500,1000,2000,5000,10000,20000,40000,80000 "${policies[@]}" > "$out/zipf.txt"
"$bench" sim "${gen[@]}" --sizes 250,500,750,1000,1250,1500,1750,2000 "${policies[@]}" > "$out/gen.txt"
"$bench" sim --workload hotshift:hot=50000,period=500000,share=0.7,cold=500000,requests=3000000 \
  --workload hotshift:hot=100000,period=400000,share=0.5,cold=1000000,requests=3000000 \
  --workload scanzipf:s=1.0001,imax=2000000,period=200000,length=100000,requests=3000000 \
  --sizes 20000,50000,100000,200000 "${policies[@]}" > "$out/heldout.txt"
