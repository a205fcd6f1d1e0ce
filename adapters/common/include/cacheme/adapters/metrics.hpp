/// @file metrics.hpp
/// Every node's and tier's counts in the Prometheus text exposition format 0.0.4, for a
/// `/metrics` endpoint (see examples/metrics_server.cpp).
///
/// Families (all prefixed `cacheme_`; `node` is the node's name, `storage` the registered name):
/// - per node: `requests_total`, `hits_total`, `coalesced_total`, `loads_total{outcome}`,
///   `load_timeouts_total`, `loads_cancelled_total`, `remote_invalidations_total`,
///   `local_clears_total`, and the histogram `load_duration_seconds`;
/// - per node and tier of its chain: `tier_hits_total`, `tier_misses_total`, `tier_errors_total`,
///   `tier_timeouts_total`, `tier_overloaded_total`, `tier_decode_errors_total`;
/// - per local storage: gauges `local_entries`, `local_capacity`, `local_memory_bytes` and the
///   histogram `local_entry_lifetime_seconds{reason="evicted"|"expired"}` (how long entries
///   lived before the policy pushed them out or their TTL ended);
/// - per remote storage (runtime only): gauges `storage_connections`, `storage_connections_up`,
///   `storage_outstanding`, counters `storage_reconnects_total`,
///   `storage_connection_timeouts_total`, `storage_abandoned_total`, `storage_overloaded_total`,
///   `storage_commands_total{command}`, and for a storage with `invalidation=pubsub`
///   `invalidations_published_total`, `invalidations_received_total`,
///   `invalidations_dropped_total` and the gauge `invalidation_subscribed`.
#pragma once

#include <string>

#include "cacheme/adapters/runtime.hpp"
#include "cacheme/core/engine.hpp"

namespace cacheme {

/// The engine's node, tier and local-storage metrics. Call on the engine's thread.
std::string metrics_text(const core::Engine& engine);

/// The same plus the remote storages' health, command counts and invalidation channels.
/// Call on the loop's thread.
std::string metrics_text(adapters::Runtime& runtime);

}  // namespace cacheme
