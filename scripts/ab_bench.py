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
