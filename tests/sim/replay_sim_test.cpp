// The seed's workload through the engine, in virtual time (label sim).
#include <catch2/catch.hpp>

#include "sim/replay_sim.hpp"

namespace cacheme::sim {
namespace {

const std::vector<std::uint64_t>& seed_workload() {
  static const auto trace = zipf_trace(1.001, 10, 200'000, 200'000, 1);
  return trace;
}

TEST_CASE("seed workload: one reply per request, one fetch per key in flight, one load per key", "[sim]") {
  SimConfig config;
  config.trace = seed_workload();
  const SimResult r = run_simulation(config);
  INFO("events " << r.events << ", virtual " << r.virtual_seconds << " s");
  CHECK(r.events < config.max_events);
  CHECK(r.replies == r.requests);
  CHECK(r.duplicate_replies == 0);
  CHECK(r.errors == 0);
  CHECK(r.wrong_values == 0);
  CHECK(r.max_fetches_in_flight_per_key == 1);
  CHECK(r.loads == r.distinct_keys);  // nothing expires, nothing is evicted
  CHECK(r.distinct_keys > 50'000);
  CHECK(r.flights_left == 0);
  CHECK(r.operations_left == 0);
  // Load-bound: distinct keys x 100 ms / 1,000 workers, plus storage latency.
  CHECK(r.virtual_seconds < 1.2 * double(r.distinct_keys) * 0.1 / 1000);
}

TEST_CASE("seed workload with a local tier in front", "[sim]") {
  SimConfig config;
  config.trace = seed_workload();
  config.local_tier = true;
  const SimResult r = run_simulation(config);
  CHECK(r.replies == r.requests);
  CHECK(r.wrong_values == 0);
  CHECK(r.max_fetches_in_flight_per_key == 1);
  CHECK(r.loads == r.distinct_keys);
  CHECK(r.flights_left == 0);
}

TEST_CASE("5% of storage operations failing or timing out: every request still gets its value", "[sim][fault]") {
  SimConfig config;
  config.trace = seed_workload();
  config.fault_rate = 0.05;
  const SimResult r = run_simulation(config);
  CHECK(r.replies == r.requests);
  CHECK(r.duplicate_replies == 0);
  CHECK(r.errors == 0);
  CHECK(r.wrong_values == 0);
  CHECK(r.flights_left == 0);
  CHECK(r.operations_left == 0);
  // A failed store means a later reload; never more than one load in flight per key though.
  CHECK(r.loads >= r.distinct_keys);
}

}  // namespace
}  // namespace cacheme::sim
