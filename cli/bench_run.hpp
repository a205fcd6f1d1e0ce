/// @file bench_run.hpp
/// One benchmark run: a workload replayed through a real cacheme (libevent adapter, real
/// drivers) against one chain of storages, by N concurrent workers pulling from one queue.
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
  double latency_p50_us = 0, latency_p99_us = 0, latency_max_us = 0;  ///< per call
  std::vector<TierReport> tiers;  ///< in chain order
};

/// A setup failure (unknown scheme, unreachable server, ...): one line for stderr, its URLs
/// redacted.
struct RunError {
  std::string message;
};

/// Runs `workload` against `options.chain`; on a setup failure, `error` is set instead.
RunResult run_benchmark(const Workload& workload, const RunOptions& options, std::optional<RunError>& error);

}  // namespace cacheme::cli
