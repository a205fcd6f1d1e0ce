// A burst of commands larger than the kernel's socket buffers: the connection writes it over
// many writability events (partial writes, EAGAIN) with its own write path, which keeps
// hiredis's output buffer, and every command arrives whole and in order.
#include <chrono>
#include <string>
#include <vector>

#include "redis_test_helpers.hpp"
#include "own_redis.hpp"

using namespace cacheme;
using namespace cacheme::test;
using namespace std::chrono_literals;
using core::IoStatus;

TEMPLATE_LIST_TEST_CASE("redis: a burst larger than the socket buffers is written whole, in order",
                        "[redis][burst]", Loops) {
  if (!may_spawn_redis()) return;
  OwnRedis own;
  const std::string url = own.url("pool_size=1&timeout=20000");
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(url));
  REQUIRE(h.loop.run_until([&] { return h.storage->health().connections_up == 1; }));

  // 24 MiB of SETs on one connection while the server reads nothing: the kernel takes a few
  // MiB, the rest waits in the connection's buffer for writability.
  own.server.pause();
  constexpr int kKeys = 96;
  auto value_of = [](int i) { return std::string(256 * 1024, static_cast<char>('a' + i % 26)) + std::to_string(i); };
  std::vector<core::IoId> writes;
  for (int i = 0; i < kKeys; ++i) writes.push_back(h.store_async({entry("burst:" + std::to_string(i), value_of(i))}));
  // Each key is written twice: the second value must be the one that stays.
  writes.push_back(h.store_async({entry("burst:0", "last")}));
  h.loop.run_for(200ms);
  own.server.resume();
  for (const auto id : writes) CHECK(h.wait_write(id, 20000ms) == IoStatus::ok);

  RawClient raw(url);
  CHECK(raw.get("burst:0") == std::optional<std::string>("last"));
  for (int i = 1; i < kKeys; ++i) {
    INFO("key " << i);
    CHECK(raw.get("burst:" + std::to_string(i)) == std::optional<std::string>(value_of(i)));
  }
  CHECK(h.store({entry("burst:after", "x")}) == IoStatus::ok);  // the connection still serves
}
