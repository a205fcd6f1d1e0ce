// A write the watchdog gave up on never lands after a later erase of its key (a redis-server of
// the test's own, stalled with SIGSTOP). The stalled connection had written a backlog of SETs of
// one key; the watchdog closes it; the erase then goes on another connection. When the server
// resumes it reads a little of each ready client per turn, so the erase would run while most of
// the closed connection's SETs still wait in its socket, and they would land after it. The
// driver kills the closed connection's client (CLIENT KILL ID) ahead of the next command of
// every other connection, so they never run.
#include <chrono>
#include <string>
#include <vector>

#include "redis_test_helpers.hpp"
#include "own_redis.hpp"

using namespace cacheme;
using namespace cacheme::test;
using namespace std::chrono_literals;
using core::IoStatus;

TEMPLATE_LIST_TEST_CASE("redis: writes of a connection closed as overdue never land after a later erase",
                        "[redis][stall][fence]", Loops) {
  if (!may_spawn_redis()) return;
  OwnRedis own;
  const std::string url = own.url("pool_size=2&timeout=200");
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(url));
  REQUIRE(h.loop.run_until([&] { return h.storage->health().connections_up == 2; }));
  const std::string key = "fence:key";
  REQUIRE(h.store({entry(key, "before")}) == IoStatus::ok);

  own.server.pause();
  // 1 MiB of SETs of the key (64 KiB each, ending with "late"): the kernel's buffers take it all,
  // so it reaches the server when it resumes, read 16-64 KiB a turn.
  const std::string big(64 * 1024, 'x');
  std::vector<core::IoId> writes;
  for (int i = 0; i < 16; ++i) writes.push_back(h.store_async({entry(key, big)}));
  writes.push_back(h.store_async({entry(key, "late")}));
  // The engine gives up on them (timeout), then the watchdog closes their connection.
  h.loop.run_for(250ms);
  for (const auto id : writes) h.storage->abandon(id);
  REQUIRE(h.loop.run_until([&] { return h.storage->health().connection_timeouts >= 1; }, 2000ms));

  const auto erased = h.erase_async({key});
  h.loop.run_for(100ms);  // the erase is written (to another connection)
  own.server.resume();
  CHECK(h.wait_write(erased, 3000ms) == IoStatus::ok);
  h.loop.run_for(500ms);  // time for the server to read the rest of the closed connection's writes
  RawClient raw(url);
  CHECK(raw.integer({"EXISTS", key}) == 0);
  CHECK(h.store({entry(key, "after")}) == IoStatus::ok);  // the storage serves again
  CHECK(raw.get(key) == std::optional<std::string>("after"));
}
