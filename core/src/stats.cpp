#include "cacheme/core/stats.hpp"

namespace cacheme::core {

NodeStats NodeStats::operator-(const NodeStats& e) const {
  NodeStats d = *this;
  d.requests -= e.requests;
  d.hits -= e.hits;
  d.coalesced -= e.coalesced;
  d.load_successes -= e.load_successes;
  d.load_failures -= e.load_failures;
  d.load_timeouts -= e.load_timeouts;
  d.loads_cancelled -= e.loads_cancelled;
  d.total_load_time_ns -= e.total_load_time_ns;
  d.stale_served -= e.stale_served;
  d.fail_safe -= e.fail_safe;
  d.negative_hits -= e.negative_hits;
  d.early_refreshes -= e.early_refreshes;
  d.loads_queued -= e.loads_queued;
  d.load_time = load_time - e.load_time;
  d.remote_invalidations -= e.remote_invalidations;
  d.local_clears -= e.local_clears;
  for (std::size_t i = 0; i < d.tiers.size() && i < e.tiers.size(); ++i) {
    d.tiers[i].hits -= e.tiers[i].hits;
    d.tiers[i].misses -= e.tiers[i].misses;
    d.tiers[i].errors -= e.tiers[i].errors;
    d.tiers[i].timeouts -= e.tiers[i].timeouts;
    d.tiers[i].overloaded -= e.tiers[i].overloaded;
    d.tiers[i].decode_errors -= e.tiers[i].decode_errors;
  }
  return d;
}

}  // namespace cacheme::core
