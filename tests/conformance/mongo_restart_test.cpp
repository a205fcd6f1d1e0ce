// The MongoDB-wire server killed and restarted under the cache, on both adapters: while it is
// down every request still gets its value (the chain falls through to the loader, storage errors
// are counted); once it is back libmongoc's pool reconnects and reads hit the server again. The
// test runs a server of its own on a free port (spawned and killed by PID), never the shared one.
#include <chrono>
#include <cstdlib>
#include <string>

#include "harness.hpp"
#include "storages.hpp"
#include "support/mongo_server.hpp"
#include "support/redis_server.hpp"

using namespace cacheme;
using namespace cacheme::conformance;
using namespace std::chrono_literals;
using cacheme::test_support::free_port;
using cacheme::test_support::MongoServer;

TEMPLATE_TEST_CASE("conformance: MongoDB killed and restarted mid-run", "[conformance][mongo][restart]", AsioHarness,
                   EventHarness) {
  // Runs where MongoDB tests run: with a configured server or where servers are required.
  if (!storage_url("mongo")) return;
  const char* js_dir = std::getenv("CACHEME_TEST_MONGO_JS_DIR");
  if (!js_dir || !*js_dir) {
    if (servers_required()) FAIL("CACHEME_TEST_MONGO_JS_DIR is not set but CACHEME_REQUIRE_SERVERS=1");
    return not_run("mongo", "CACHEME_TEST_MONGO_JS_DIR is not set (scripts/services.sh env)");
  }
  MongoServer server(CACHEME_SOURCE_DIR "/scripts/mongo_test_server.mjs", js_dir);
  const int port = free_port();
  REQUIRE(server.start(port));
  TestType h;
  Source::reset();
  h.cm.set_prefix(unique_prefix(TestType::kName, "mongo-restart"));
  const std::string url = "mongodb://127.0.0.1:" + std::to_string(port) + "/?pool_size=4&timeout=300";
  REQUIRE_FALSE(h.register_storage("store", url));

  CHECK(*h.get(TestNode{"k"}).value == "k#1");
  h.settle();
  CHECK(*h.get(TestNode{"k"}).value == "k#1");
  CHECK(h.cm.template stats<TestNode>().tiers.at(0).hits == 1);

  // Down: every request still gets its value, from the loader; the errors are counted.
  server.kill();
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
  CHECK(down.tiers.at(0).errors > 0);  // timeouts included
  CHECK(down.tiers.at(0).hits == 1);

  // Back (empty: the server keeps nothing): the pool reconnects; a stored value is read again.
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
  server.kill();
}
