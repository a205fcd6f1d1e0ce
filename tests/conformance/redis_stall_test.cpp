// Redis stalled (SIGSTOP) under load, on both adapters: every request still gets its value within
// the storage timeout plus the load; operations the engine gave up on are abandoned by the
// driver, the cap refuses the excess at once (counted, the chain goes on to the loader), overdue
// connections are closed; after SIGCONT reads hit Redis again within a second. A redis-server
// of the test's own on a free port (spawned, stopped and resumed by PID).
#include <chrono>
#include <string>

#include "harness.hpp"
#include "storages.hpp"
#include "support/redis_server.hpp"

using namespace cacheme;
using namespace cacheme::conformance;
using namespace std::chrono_literals;
using cacheme::test_support::free_port;
using cacheme::test_support::RedisServer;
using Clock = std::chrono::steady_clock;

TEMPLATE_TEST_CASE("conformance: Redis stalled under load", "[conformance][redis][stall]", AsioHarness, EventHarness) {
  if (!storage_url("redis")) return;
  RedisServer server;
  const int port = free_port();
  REQUIRE(server.start(port));
  TestType h;
  Source::reset();
  h.cm.set_prefix(unique_prefix(TestType::kName, "redis-stall"));
  // timeout=200: the engine gives up on an operation after 200 ms; at most 40 held at once.
  REQUIRE_FALSE(h.register_storage("store", "redis://127.0.0.1:" + std::to_string(port) +
                                                "?pool_size=4&timeout=200&max_outstanding=40"));
  CHECK(*h.get(TestNode{"k"}).value == "k#1");
  h.settle();
  drivers::Storage* storage = h.cm.runtime().storage("store");
  REQUIRE(storage);

  // 1.5 s of stall, 50 new keys every 50 ms (1,500 requests).
  server.pause();
  int started = 0, right = 0, answered = 0;
  Clock::duration slowest{};
  const auto stall_start = Clock::now();
  while (Clock::now() - stall_start < 1500ms) {
    for (int i = 0; i < 50; ++i, ++started) {
      const std::string key = "stall-" + std::to_string(started);
      h.start_get(TestNode{key}, [&, key, at = Clock::now()](Value v) {
        ++answered;
        right += !v.ec && v.value && *v.value == key + "#1";
        slowest = std::max(slowest, Clock::now() - at);
      });
    }
    h.run_for(50ms);
  }
  REQUIRE(h.run_until([&] { return answered == started; }, 2000ms));
  CHECK(right == started);
  // The storage timeout (200 ms) plus an instant load, plus the loop's slack.
  CHECK(slowest < 500ms);
  const auto tier = h.cm.template stats<TestNode>().tiers.at(0);
  CHECK(tier.overloaded > 0);
  CHECK(tier.timeouts > 0);
  const auto health = storage->health();
  CHECK(health.abandoned > 0);
  CHECK(health.overloaded == tier.overloaded);
  CHECK(health.connection_timeouts > 0);

  // SIGCONT: within a second a value is read from Redis again.
  server.resume();
  const auto resumed = Clock::now();
  bool hit = false;
  for (int round = 0; !hit && Clock::now() - resumed < 3s; ++round) {
    const TestNode node{"after-" + std::to_string(round)};
    REQUIRE_FALSE(h.get(node).ec);
    h.settle();
    const auto before = h.cm.template stats<TestNode>().tiers.at(0).hits;
    REQUIRE_FALSE(h.get(node).ec);
    hit = h.cm.template stats<TestNode>().tiers.at(0).hits > before;
  }
  CHECK(hit);
  CHECK(Clock::now() - resumed < 1s);
  h.settle();
  CHECK(storage->health().outstanding == 0);
  server.stop();
}
