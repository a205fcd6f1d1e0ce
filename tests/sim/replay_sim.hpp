// A seeded discrete-event simulation of the seed's workload through the engine (cf. ngtcp2's
// sim.h): virtual workers pull requests from one queue, a fake remote storage answers after a
// latency (or fails, or never answers), a loader takes 100 ms; a virtual-time priority queue
// orders everything, with a max_events guard.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cacheme::sim {

struct SimConfig {
  std::vector<std::uint64_t> trace;   ///< keys requested, in order
  int workers = 1000;
  double fault_rate = 0.0;            ///< share of storage operations that fail or time out
  bool local_tier = false;            ///< put local://lru?size=local_size in front of the remote
  std::size_t local_size = 1'000'000;
  std::uint64_t seed = 1;
  std::uint64_t max_events = 50'000'000;
};

struct SimResult {
  std::uint64_t requests = 0;
  std::uint64_t replies = 0;            ///< replies received (must equal requests)
  std::uint64_t wrong_values = 0;       ///< replies whose value is not the key's
  std::uint64_t duplicate_replies = 0;  ///< a request answered twice
  std::uint64_t errors = 0;             ///< replies with an error
  std::uint64_t loads = 0;              ///< keys loaded
  std::uint64_t distinct_keys = 0;
  std::uint64_t fetches = 0;
  std::uint64_t max_fetches_in_flight_per_key = 0;  ///< per tier and key, as the core sees it
  std::uint64_t events = 0;
  double virtual_seconds = 0;
  std::size_t flights_left = 0;
  std::size_t operations_left = 0;
};

SimResult run_simulation(const SimConfig& config);

/// The seed's workload: `requests` keys from Zipf(s, v, imax) with `seed`.
std::vector<std::uint64_t> zipf_trace(double s, double v, std::uint64_t imax, std::size_t requests, std::uint64_t seed);

}  // namespace cacheme::sim
