#!/usr/bin/env python3
"""Runs two builds of a Google Benchmark binary in turn and prints the median of each benchmark.

Usage: scripts/ab_bench.py OLD_BINARY NEW_BINARY FILTER RUNS
e.g.   scripts/ab_bench.py ../old/build/tests/bench_local build/tests/bench_local 'store' 5

The machine is shared and noisy: a figure measured an hour apart from another says little, so
the two builds alternate (old first on even rounds, new first on odd ones) and are compared by
their medians, side by side in one session.
"""
import subprocess, sys, json, statistics, collections
old, new, flt, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
res = {old: collections.defaultdict(list), new: collections.defaultdict(list)}
for r in range(reps):
    for b in (old, new) if r % 2 == 0 else (new, old):
        out = subprocess.run([b, f"--benchmark_filter={flt}", "--benchmark_min_time=0.3", "--benchmark_format=json"], capture_output=True, text=True).stdout
        for x in json.loads(out)["benchmarks"]:
            res[b][x["name"]].append(x["cpu_time"])
print(f"{'benchmark':32} {'old':>8} {'new':>8} {'new/old':>8}   (medians of {reps} interleaved runs, ns)")
for name in res[new]:
    n = statistics.median(res[new][name]); o = statistics.median(res[old][name]) if name in res[old] else float('nan')
    print(f"{name:32} {o:8.1f} {n:8.1f} {n/o:8.2f}")
