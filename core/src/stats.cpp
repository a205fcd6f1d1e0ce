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

NodeStats NodeStats::operator+(const NodeStats& o) const {
  NodeStats s = *this;
  s.requests += o.requests;
  s.hits += o.hits;
  s.coalesced += o.coalesced;
  s.load_successes += o.load_successes;
  s.load_failures += o.load_failures;
  s.load_timeouts += o.load_timeouts;
  s.loads_cancelled += o.loads_cancelled;
  s.total_load_time_ns += o.total_load_time_ns;
  s.stale_served += o.stale_served;
  s.fail_safe += o.fail_safe;
  s.negative_hits += o.negative_hits;
  s.early_refreshes += o.early_refreshes;
  s.loads_queued += o.loads_queued;
  s.load_time = load_time + o.load_time;
  s.remote_invalidations += o.remote_invalidations;
  s.local_clears += o.local_clears;
  if (s.tiers.size() < o.tiers.size()) s.tiers.resize(o.tiers.size());
  for (std::size_t i = 0; i < o.tiers.size(); ++i) {
    if (s.tiers[i].storage.empty()) s.tiers[i].storage = o.tiers[i].storage;
    s.tiers[i].hits += o.tiers[i].hits;
    s.tiers[i].misses += o.tiers[i].misses;
    s.tiers[i].errors += o.tiers[i].errors;
    s.tiers[i].timeouts += o.tiers[i].timeouts;
    s.tiers[i].overloaded += o.tiers[i].overloaded;
    s.tiers[i].decode_errors += o.tiers[i].decode_errors;
  }
  return s;
}

}  // namespace cacheme::core
