/// @file bench_run.hpp
/// One benchmark run: a workload replayed through a real cacheme (the libevent adapter, or the
/// Asio sharded front with `--threads`; real drivers) against one chain of storages, by N
/// concurrent workers pulling from one queue (one queue per engine with `--threads`).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cacheme/drivers/storage.hpp"

namespace cacheme::cli {

/// What to replay and how.
struct Workload {
  std::string name;                           ///< for reports ("zipf(...)" or the trace path)
  std::vector<std::uint64_t> keys;            ///< `replay`: one get per key
  std::vector<std::vector<std::uint64_t>> batches;  ///< `getall`: one get_all per batch (when set)
  std::size_t distinct_keys = 0;
};

/// The resilience switches of `replay` (issue 19): what the node does, and what the benchmark's
/// source does wrong. All off by default.
struct ResilienceOptions {
  std::optional<std::chrono::milliseconds> stale_for;     ///< Meta::stale_for (fail-safe grace)
  std::optional<std::chrono::milliseconds> soft_timeout;  ///< Meta::soft_timeout
  std::optional<std::chrono::milliseconds> negative_ttl;  ///< Meta::negative_ttl
  double early_refresh = 0;                               ///< Meta::early_refresh (XFetch beta)
  std::size_t max_loads = 0;                              ///< Meta::max_concurrent_loads
  double load_error_rate = 0;  ///< a load fails with this probability (seeded)
  std::optional<std::chrono::milliseconds> source_down_after;  ///< every load fails from then on
  double missing_rate = 0;     ///< this fraction of the keys does not exist at the source (not_found)
  bool any() const {
    return stale_for || soft_timeout || negative_ttl || early_refresh > 0 || max_loads || load_error_rate > 0 ||
           source_down_after || missing_rate > 0;
  }
};

struct RunOptions {
  std::vector<std::string> chain;          ///< storage URLs, in order
  int workers = 1000;
  std::chrono::milliseconds load_latency{100};
  std::optional<std::chrono::milliseconds> ttl;  ///< none: entries never expire
  bool flush = true;                        ///< delete the prefix's keys in remote tiers first
  bool init = false;                        ///< create missing SQL tables / the MongoDB TTL index
  std::string prefix = "cacheme-bench";
  std::size_t pool_size = 0;                ///< 0: each driver's default
  std::uint64_t seed = 1;
  bool progress = false;                    ///< a progress bar on stderr
  int threads = 0;                          ///< >0: a `ShardedCacheme` of that many engines (Asio)
  ResilienceOptions resilience;
};

/// What the resilience switches changed. A key is *filled* once a load of it succeeded; the
/// figures "after fill" count the requests for keys filled before the request started.
struct ResilienceResult {
  bool shown = false;                    ///< a resilience switch was given
  std::uint64_t waited_after_fill = 0;   ///< requests that waited on a load of a filled key
  std::uint64_t failed_after_fill = 0;   ///< requests of a filled key that got an error (not_found aside)
  std::uint64_t not_found = 0;           ///< requests answered not_found
  std::uint64_t failed_loads = 0;        ///< loads the source failed (--load-error-rate, --source-down-after)
  std::uint64_t missing_loads = 0;       ///< loads of keys the source does not have (--missing-rate)
  std::uint64_t stale_served = 0, fail_safe = 0, early_refreshes = 0, negative_hits = 0, loads_queued = 0;  ///< NodeStats
};

/// One tier of the chain after a run: the node's counts for it and, for a remote storage, what
/// its connections did (`Storage::health()`).
struct TierReport {
  std::string url;                 ///< redacted (`cacheme::redact_url`)
  std::uint64_t errors = 0;        ///< failed operations, timeouts and overloads included
  std::uint64_t timeouts = 0;      ///< operations the core timed out
  std::uint64_t overloaded = 0;    ///< operations the storage refused at once (its cap reached)
  std::optional<drivers::StorageHealth> health;  ///< none for a local tier
};

/// One engine of a `--threads` run: its share of the requests and the CPU time its thread
/// spent on them (its own clock, so another process's load on the machine does not change it).
struct EngineReport {
  std::uint64_t requests = 0;
  double cpu_s = 0;
};

/// The figures of one run (DESIGN.md §8 defines each).
struct RunResult {
  std::string chain;  ///< the URLs, comma-separated, redacted (passwords as ***)
  std::string workload;
  std::uint64_t requests = 0;  ///< keys requested (get_all: every key of every call)
  std::uint64_t calls = 0;     ///< get or get_all calls
  std::uint64_t distinct_keys = 0;
  int workers = 0;
  double load_latency_ms = 0;
  double time_s = 0;
  double floor_s = 0;
  std::uint64_t loads = 0;
  std::uint64_t hits = 0;
  std::uint64_t coalesced = 0;
  std::uint64_t errors = 0;  ///< calls that got an error
  double hit_rate = 0;
  std::map<std::string, std::uint64_t> commands;         ///< sent by the client, by name
  std::map<std::string, std::uint64_t> server_commands;  ///< Redis INFO commandstats, MongoDB opcounters; after - before
  double latency_p50_us = 0, latency_p90_us = 0, latency_p99_us = 0, latency_p999_us = 0, latency_max_us = 0;  ///< per call
  double cpu_s = 0;  ///< user + system CPU time of the process during the replay
  int threads = 0;   ///< engines (`--threads`); 0: the single libevent engine
  std::vector<EngineReport> engines;  ///< per engine (`--threads` only)
  std::vector<TierReport> tiers;  ///< in chain order
  ResilienceResult resilience;
};

/// A setup failure (unknown scheme, unreachable server, ...): one line for stderr, its URLs
/// redacted.
struct RunError {
  std::string message;
};

/// Runs `workload` against `options.chain`; on a setup failure, `error` is set instead.
/// With `options.threads` > 0 it runs `run_sharded_benchmark`.
RunResult run_benchmark(const Workload& workload, const RunOptions& options, std::optional<RunError>& error);

/// The same on a `cacheme::asio::ShardedCacheme` of `options.threads` engines: each engine's
/// thread replays the requests of the keys it owns, with `workers / threads` workers (rounded
/// up). No resilience switches, no `get_all` batches.
RunResult run_sharded_benchmark(const Workload& workload, const RunOptions& options, std::optional<RunError>& error);

}  // namespace cacheme::cli
