#!/usr/bin/env python3
"""Compares two runs of scripts/hit_ratio_points.sh point by point.

    python3 scripts/compare_hit_ratios.py BEFORE_DIR AFTER_DIR

For the 192 points and the held-out set apart: points short of issue 14's rule (tlfu >= lru - 1
and >= lfu - 2) before and after, the gains and losses of tlfu in all, the largest losses, and
every point that is short after or was fixed.
"""
import sys

FILES = ["sweep", "fixed1", "fixed2", "zipf", "gen", "heldout"]


def parse(directory):
    """{(file, workload, size): (lru, tlfu, lfu)} from one run's outputs."""
    points = {}
    for f in FILES:
        name, sizes, rows = None, None, {}
        for line in open(f"{directory}/{f}.txt"):
            words = line.split()
            if "hit ratio" in line:
                name = line.split(": ")[0].split("/")[-1]
            elif words and words[0] == "policy":
                sizes = words[1:]
            elif len(words) > 1 and words[0] in ("lru", "tlfu", "lfu") and words[1] != "-":
                rows[words[0]] = [float(x) for x in words[1:]]
                if len(rows) == 3:
                    for i, size in enumerate(sizes):
                        points[(f, name, size)] = (rows["lru"][i], rows["tlfu"][i], rows["lfu"][i])
                    rows = {}
    return points


def short(p):
    lru, tlfu, lfu = p
    return tlfu < lru - 1 or tlfu < lfu - 2


def main():
    before, after = parse(sys.argv[1]), parse(sys.argv[2])
    for group in (FILES[:-1], FILES[-1:]):
        keys = [k for k in before if k[0] in group and k in after]
        deltas = [(after[k][1] - before[k][1], k) for k in keys]
        gains = [d for d in deltas if d[0] > 0.005]
        losses = [d for d in deltas if d[0] < -0.005]
        print(f"== {'+'.join(group)}: {len(keys)} points; short before {sum(short(before[k]) for k in keys)}, "
              f"after {sum(short(after[k]) for k in keys)}")
        print(f"   {len(gains)} gain {sum(d for d, _ in gains):.2f}; {len(losses)} lose {sum(d for d, _ in losses):.2f}")
        for d, k in sorted(losses)[:6]:
            print(f"   loss {d:.2f} {k}: {before[k]} -> {after[k]}")
        for k in keys:
            if short(after[k]):
                print(f"   short after: {k} {after[k]}")
            elif short(before[k]):
                print(f"   fixed: {k} {before[k]} -> {after[k]}")


if __name__ == "__main__":
    main()
