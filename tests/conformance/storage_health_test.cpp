// Storage health through the public API of both adapters (`cm.storage_health(name)`): every
// remote storage reports what its driver's `Storage::health()` says; local tiers and unknown
// names report nothing.
#include <string>

#include "harness.hpp"
#include "storages.hpp"

using namespace cacheme;
using namespace cacheme::conformance;

TEMPLATE_TEST_CASE("storage_health: each remote storage's health, none for local or unknown names", "[health]",
                   AsioHarness, EventHarness) {
  const std::string storage = GENERATE(as<std::string>{}, "redis", "redis-cluster", "sqlite", "postgres", "mysql", "mongo");
  INFO(TestType::kName << " on " << storage);
  auto url = storage_url(storage);
  if (!url) return;
  TestType h;
  Source::reset();
  h.cm.set_prefix(unique_prefix(TestType::kName, storage));
  REQUIRE_FALSE(h.register_storage("store", *url));
  REQUIRE_FALSE(h.register_storage("near", "local://lru?size=10"));
  REQUIRE_FALSE(h.get(TestNode{"health"}).ec);
  h.settle();

  const auto health = h.cm.storage_health("store");
  REQUIRE(health);
  const drivers::StorageHealth direct = h.cm.runtime().storage("store")->health();
  CHECK(health->connections == direct.connections);
  CHECK(health->connections_up == direct.connections_up);
  CHECK(health->outstanding == direct.outstanding);
  CHECK(health->reconnects == direct.reconnects);
  CHECK(health->connection_timeouts == direct.connection_timeouts);
  CHECK(health->abandoned == direct.abandoned);
  CHECK(health->overloaded == direct.overloaded);
  // Whatever a driver fills in: never more connections up than held, nothing left in flight
  // once every write-back was acknowledged, no failure on a healthy server.
  CHECK(health->connections_up <= health->connections);
  CHECK(health->outstanding == 0);
  CHECK(health->connection_timeouts == 0);
  CHECK(health->overloaded == 0);

  CHECK_FALSE(h.cm.storage_health("near"));   // local: no connections
  CHECK_FALSE(h.cm.storage_health("nope"));   // never registered
}
