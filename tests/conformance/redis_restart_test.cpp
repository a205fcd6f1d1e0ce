// Redis stopped and restarted under the cache, on both adapters: while it is down every request
// still gets its value (the chain falls through to the loader, storage errors are counted);
// once it is back the driver reconnects and reads hit Redis again. The test runs a redis-server
// of its own on a free port (spawned and killed by PID), so it never disturbs the shared one.
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

TEMPLATE_TEST_CASE("conformance: Redis stopped and restarted mid-run", "[conformance][redis][restart]", AsioHarness,
                   EventHarness) {
  // Runs where Redis tests run: with a configured server or where servers are required.
  if (!storage_url("redis")) return;
  RedisServer server;
  const int port = free_port();
  REQUIRE(server.start(port));
  TestType h;
  Source::reset();
  h.cm.set_prefix(unique_prefix(TestType::kName, "redis-restart"));
  REQUIRE_FALSE(h.register_storage("store", "redis://127.0.0.1:" + std::to_string(port) + "?pool_size=4"));

  CHECK(*h.get(TestNode{"k"}).value == "k#1");
  h.settle();
  CHECK(*h.get(TestNode{"k"}).value == "k#1");
  CHECK(h.cm.template stats<TestNode>().tiers.at(0).hits == 1);

  // Down: every request still gets its value, from the loader; the errors are counted.
  server.stop();
  int right = 0, done = 0;
  for (int i = 0; i < 50; ++i)
    h.start_get(TestNode{"down-" + std::to_string(i % 10)}, [&, i](Value v) {
      ++done;
      right += !v.ec && v.value && *v.value == "down-" + std::to_string(i % 10) + "#1";
    });
  REQUIRE(h.run_until([&] { return done == 50; }));
  CHECK(right == 50);
  CHECK(*h.get(TestNode{"k"}).value == "k#1");
  h.settle();
  const auto down = h.cm.template stats<TestNode>();
  CHECK(down.tiers.at(0).errors > 0);
  CHECK(down.tiers.at(0).hits == 1);

  // Back (empty, no persistence): the driver reconnects; a stored value is read from Redis again.
  REQUIRE(server.start(port));
  bool hit_again = false;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  for (int round = 0; !hit_again && std::chrono::steady_clock::now() < deadline; ++round) {
    const TestNode node{"after-" + std::to_string(round)};
    REQUIRE_FALSE(h.get(node).ec);
    h.settle();
    const auto before = h.cm.template stats<TestNode>().tiers.at(0).hits;
    REQUIRE_FALSE(h.get(node).ec);
    hit_again = h.cm.template stats<TestNode>().tiers.at(0).hits > before;
    if (!hit_again) h.run_for(100ms);
  }
  CHECK(hit_again);
  h.settle();
  server.stop();
}
