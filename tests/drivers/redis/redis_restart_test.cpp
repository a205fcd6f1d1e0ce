// The driver across a server restart: a redis-server of the test's own, on a free port.
#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>

#include "redis_test_helpers.hpp"
#include "own_redis.hpp"

using namespace cacheme;
using namespace cacheme::test;
using namespace std::chrono_literals;
using core::IoStatus;

TEMPLATE_LIST_TEST_CASE("redis: a server restart fails commands promptly, then the pool reconnects", "[redis][restart]",
                        Loops) {
  if (!may_spawn_redis()) return;
  OwnRedis own;
  const std::string url = own.url("pool_size=3");

  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(url));
  CHECK(h.store({entry("k", "before", 60000ms)}) == IoStatus::ok);
  h.loop.run_for(100ms);  // the background connections come up
  CHECK(h.fetch({"k"}).values == Values{"before"});

  // Stopped with commands still buffered in hiredis: they fail, nobody hangs.
  const auto pending = h.fetch_async({"k"});
  const auto pending_store = h.store_async({entry("k2", "x"), entry("k3", "y")});
  own.server.stop();
  CHECK(h.wait_fetch(pending, 3000ms).status == IoStatus::backend_error);
  CHECK(h.wait_write(pending_store, 3000ms) == IoStatus::backend_error);

  // While the server is down, every operation fails promptly.
  h.loop.run_for(200ms);
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    CHECK(h.fetch({"k"}).status == IoStatus::backend_error);
    CHECK(h.erase({"k"}) == IoStatus::backend_error);
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    h.loop.run_for(50ms);
  }

  // Same port again: the pool reconnects (backoff at most 2 s) and commands succeed.
  REQUIRE(own.server.start(own.port));
  bool back = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!back && std::chrono::steady_clock::now() < deadline) {
    back = h.fetch({"k"}).status == IoStatus::ok;  // a fresh server: a miss
    if (!back) h.loop.run_for(100ms);
  }
  REQUIRE(back);
  CHECK(h.store({entry("k", "after", 60000ms)}) == IoStatus::ok);
  CHECK(h.fetch({"k"}).values == Values{"after"});
  CHECK(h.rec.reentrant == 0);
  CHECK(h.rec.duplicates == 0);
  own.server.stop();
}
