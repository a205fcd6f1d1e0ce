/// @file stats.hpp
/// Per-node statistics as an immutable snapshot, with the derived figures of the Python API.
/// `a - b` gives the counts of an interval (cf. Caffeine's CacheStats).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cacheme/core/histogram.hpp"

namespace cacheme::core {

/// Counts of one tier of one node's chain.
struct TierStats {
  std::string storage;              ///< the storage's registered name
  std::uint64_t hits = 0;           ///< values found in this tier
  std::uint64_t misses = 0;         ///< keys this tier did not have
  std::uint64_t errors = 0;         ///< failed operations (fetch, store, erase), timeouts included
  std::uint64_t timeouts = 0;       ///< of which timeouts
  std::uint64_t overloaded = 0;     ///< of which refused at once by an overloaded storage
  std::uint64_t decode_errors = 0;  ///< values present but truncated, damaged, foreign or undecodable
};

/// The counts of one node. Every request ends as a hit or a miss (DESIGN.md §3 rule 8).
struct NodeStats {
  std::uint64_t requests = 0;          ///< keys asked for (`get`: 1, `get_all`: one per input key)
  std::uint64_t hits = 0;              ///< found in a tier, or shared from a flight
  std::uint64_t coalesced = 0;         ///< requests that attached to a flight already in progress
  std::uint64_t load_successes = 0;    ///< keys the loader produced
  std::uint64_t load_failures = 0;     ///< keys the loader failed for (timeouts included)
  std::uint64_t load_timeouts = 0;     ///< of which: keys whose load passed its deadline
  std::uint64_t loads_cancelled = 0;   ///< keys whose load was cancelled: every caller gave up
  std::uint64_t total_load_time_ns = 0;  ///< summed over keys, from the load effect to its completion
  std::uint64_t stale_served = 0;      ///< requests answered with a stale value (fail-safe, soft timeout)
  std::uint64_t fail_safe = 0;         ///< failed or timed-out loads replaced by a stale value
  std::uint64_t negative_hits = 0;     ///< requests answered `not_found` from a cached negative entry
  std::uint64_t early_refreshes = 0;   ///< background loads started by XFetch before expiry
  std::uint64_t loads_queued = 0;      ///< loads that waited for a slot (`max_concurrent_loads`)
  DurationHistogram load_time{kLoadTimeBounds};  ///< the same times, one per key, by bucket
  /// Keys whose local copies an invalidation from another process dropped (`Engine::drop_local`).
  std::uint64_t remote_invalidations = 0;
  /// Times the local tiers were cleared because invalidations may have been missed (`clear_local`).
  std::uint64_t local_clears = 0;
  std::vector<TierStats> tiers;        ///< in chain order

  /// The seed's accessors (as Caffeine's `CacheStats`): counts, rates in [0, 1], times in ns.
  ///@{
  std::uint64_t request_count() const { return requests; }
  std::uint64_t hit_count() const { return hits; }
  std::uint64_t miss_count() const { return requests - hits; }
  double hit_rate() const { return requests ? double(hits) / double(requests) : 0.0; }
  double miss_rate() const { return requests ? double(miss_count()) / double(requests) : 0.0; }
  std::uint64_t load_success_count() const { return load_successes; }
  std::uint64_t load_failure_count() const { return load_failures; }
  std::uint64_t load_count() const { return load_successes + load_failures; }
  double load_failure_rate() const { return load_count() ? double(load_failures) / double(load_count()) : 0.0; }
  std::uint64_t total_load_time() const { return total_load_time_ns; }
  double average_load_time() const { return load_count() ? double(total_load_time_ns) / double(load_count()) : 0.0; }
  ///@}

  /// The counts of the interval between snapshot `earlier` and this one.
  NodeStats operator-(const NodeStats& earlier) const;
  /// Both counts together (the shards of a sharded cache); tiers matched by position.
  NodeStats operator+(const NodeStats& other) const;
};

}  // namespace cacheme::core
