/// @file bench_common.hpp
/// What the benchmark runners share (one engine on libevent, `bench_run.cpp`; N engines on
/// Asio, `bench_sharded_run.cpp`): command counts, latency percentiles, CPU time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include "bench_run.hpp"
#include "cacheme/core/stats.hpp"
#include "cacheme/node.hpp"

namespace cacheme::cli {

/// Commands by name.
using Counts = std::map<std::string, std::uint64_t>;

/// `after - before` per name; names whose difference is 0 (or negative) are dropped.
Counts operator-(Counts after, const Counts& before);

/// Adds the server's own counts of the storage at `url`: Redis `INFO commandstats`, MongoDB
/// `serverStatus.opcounters`; says on stderr (when `say_missing`) that a MongoDB server does not
/// report them.
void add_server_counts(const std::string& url, Counts& counts, bool say_missing);

/// The URLs, comma-separated.
std::string join(const std::vector<std::string>& parts);

/// Sets the run's latency figures (p50, p90, p99, p99.9, max) from per-call latencies (reordered).
void set_latencies(RunResult& result, std::vector<std::uint32_t>& latencies_us);

/// User + system CPU time of the process so far, in seconds.
double cpu_seconds();

/// The server's counts of the remote tiers of `chain` (`is_remote[i]`), summed.
Counts server_counts(const std::vector<std::string>& chain, const std::vector<bool>& is_remote, bool say_missing);

/// The node's meta for a run: the chain `tier0, tier1, ...` (TTL `options.ttl`) and the
/// resilience switches.
Meta bench_meta(const RunOptions& options, const std::vector<std::string>& names);

/// The node's figures of a run: requests, hits, coalesced, hit rate, the load-bound floor.
void set_node_figures(RunResult& result, const Workload& workload, const RunOptions& options, const core::NodeStats& stats);

/// Each tier's counts (from the node's stats) and its storage's health (`health(name)`), after the run.
std::vector<TierReport> tier_reports(const std::vector<std::string>& names, const std::vector<std::string>& urls,
                                     const core::NodeStats& stats,
                                     const std::function<std::optional<drivers::StorageHealth>(const std::string&)>& health);

}  // namespace cacheme::cli
