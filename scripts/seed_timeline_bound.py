#!/usr/bin/env python3
"""The fastest any client could replay the seed workload through a `[redis]` chain.

A lower bound on `cacheme-bench replay --chain redis://... --workers N`, to tell a client's
cost apart from what the workload itself imposes. The simulated client costs nothing: it
coalesces ideally (one flight per key; a request for a key in flight waits for it, and a key
whose value is known but whose write-back is not yet acknowledged is answered at once, as
cacheme's flights in stage `writing` do), and its workers pull requests from one queue, as the
replay's do. What remains is the workload's own time:

- every load takes --load-latency (the seed's 100 ms), all of them in parallel;
- Redis is one server working through its commands in arrival order, each GET taking
  1 / --get-rate seconds and each SET 1 / --set-rate (the pipelined rates redis-benchmark
  measures: `redis-benchmark -P 16 -c 100 -n 1000000 -t get,set`);
- a flight first reads Redis (GET); on a miss it loads, answers its waiters when the load
  returns and writes the value back (SET); once that SET is served the key is in Redis.

Two bounds are printed. `fifo`: write-backs queue behind and ahead of GETs in arrival order, as
a client that writes back when the load returns (cacheme) sees them. `free-sets`: SETs cost
Redis nothing, so no ordering of write-backs by any client can beat it.

A third bound needs no model of Redis at all (`late keys`, `two_loads_s`): at the start nothing
is cached, so every worker's first request waits for a load, and no request after the first N
can begin before one load latency has passed. A key first asked for after position N therefore
cannot be answered before two load latencies: if the trace has any such key, no client finishes
sooner than 2 × --load-latency, however fast it and Redis are.

Usage: scripts/seed_timeline_bound.py TRACE --workers N [--get-rate R --set-rate R]
TRACE: one key per line (../shared/traces/seed-zipf-200k.txt is the seed's own sequence).
"""
import argparse
import heapq


def simulate(keys, workers, load_s, get_s, set_s):
    """Returns (finish time, GETs, SETs) of the zero-cost client."""
    events = []  # (time, sequence, kind, payload), in time order
    seq = 0

    def at(t, kind, payload):
        nonlocal seq
        heapq.heappush(events, (t, seq, kind, payload))
        seq += 1

    redis_free = 0.0  # when Redis has served every command sent so far
    in_redis = set()
    flights = {}  # key -> {"waiting": [workers], "known": bool}
    gets = sets = 0
    next_request = 0
    finish = 0.0

    def redis(t, service):
        nonlocal redis_free
        redis_free = max(t, redis_free) + service
        return redis_free

    def request(worker, t):
        nonlocal next_request, gets
        if next_request >= len(keys):
            return
        key = keys[next_request]
        next_request += 1
        flight = flights.get(key)
        if flight is not None:
            if flight["known"]:
                at(t, "reply", worker)
            else:
                flight["waiting"].append(worker)
            return
        flights[key] = {"waiting": [worker], "known": False}
        gets += 1
        at(redis(t, get_s), "get_done", key)

    for w in range(min(workers, len(keys))):
        request(w, 0.0)
    while events:
        t, _, kind, payload = heapq.heappop(events)
        finish = max(finish, t)
        if kind == "reply":
            request(payload, t)
        elif kind == "get_done":
            key = payload
            if key in in_redis:
                for w in flights.pop(key)["waiting"]:
                    at(t, "reply", w)
            else:
                at(t + load_s, "load_done", key)
        elif kind == "load_done":
            key = payload
            flight = flights[key]
            flight["known"] = True
            for w in flight["waiting"]:
                at(t, "reply", w)
            flight["waiting"] = []
            sets += 1
            at(redis(t, set_s), "set_done", key)
        elif kind == "set_done":
            in_redis.add(payload)
            del flights[payload]
    return finish, gets, sets


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trace", help="one key per line")
    parser.add_argument("--workers", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--load-latency", type=float, default=0.1, help="seconds (default 0.1)")
    parser.add_argument("--get-rate", type=float, default=900000.0, help="GET/s Redis serves pipelined")
    parser.add_argument("--set-rate", type=float, default=900000.0, help="SET/s Redis serves pipelined")
    args = parser.parse_args()
    with open(args.trace) as f:
        keys = [line.strip() for line in f if line.strip()]
    distinct = len(set(keys))
    print(f"{len(keys)} requests, {distinct} distinct keys, load {args.load_latency * 1000:g} ms, "
          f"GET {args.get_rate:,.0f}/s, SET {args.set_rate:,.0f}/s")
    print(f"{'workers':>8} {'floor_s':>8} {'redis_floor':>11} {'fifo_s':>7} {'GET':>7} {'SET':>7} {'free_sets_s':>11}"
          f" {'late keys':>9} {'two_loads_s':>11}")
    for n in args.workers:
        late = len(set(keys[n:]) - set(keys[:n]))
        two_loads = 2 * args.load_latency if late else args.load_latency
        fifo, gets, sets = simulate(keys, n, args.load_latency, 1 / args.get_rate, 1 / args.set_rate)
        free, _, _ = simulate(keys, n, args.load_latency, 1 / args.get_rate, 0.0)
        floor = distinct * args.load_latency / n
        redis_floor = gets / args.get_rate + sets / args.set_rate
        print(f"{n:>8} {floor:>8.3f} {redis_floor:>11.3f} {fifo:>7.3f} {gets:>7} {sets:>7} {free:>11.3f}"
              f" {late:>9} {two_loads:>11.3f}")


if __name__ == "__main__":
    main()
