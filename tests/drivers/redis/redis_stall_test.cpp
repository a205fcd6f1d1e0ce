// The driver under a stalled server (SIGSTOP: alive, accepting, answering nothing), an overload
// and the core giving up on operations: a redis-server of the test's own, on a free port.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "redis_test_helpers.hpp"
#include "own_redis.hpp"

using namespace cacheme;
using namespace cacheme::test;
using namespace std::chrono_literals;
using core::IoStatus;
using Clock = std::chrono::steady_clock;

namespace {

/// Resident memory of this process, in bytes (/proc/self/statm, second field, in pages).
std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("redis: a stalled server under load: overdue connections close, memory stays bounded, "
                        "the pool recovers after SIGCONT", "[redis][stall]", Loops) {
  if (!may_spawn_redis()) return;
  OwnRedis own;
  // timeout=200: a reply is overdue after 200 + 100 ms (the margin's floor).
  const std::string url = own.url("pool_size=4&timeout=200");
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(url));
  h.loop.run_for(100ms);  // the background connections come up
  CHECK(h.store({entry("k", "v", 60000ms)}) == IoStatus::ok);
  REQUIRE(h.storage->health().connections_up == 4);

  // 3 s of writes of 64 KiB at about 1,000 a second (some 190 MB) while the server answers
  // nothing. The kernel's socket buffers take the first tens of MB (up to tcp_wmem's and
  // tcp_rmem's maxima per connection); without a deadline per connection, the rest would wait
  // in hiredis's output buffers.
  own.server.pause();
  const std::string value(64 * 1024, 'x');
  constexpr int kWritesPerTurn = 4;
  const std::size_t rss_before = rss_bytes();
  std::size_t rss_max = rss_before;
  std::map<std::uint64_t, Clock::time_point> started;
  Clock::duration slowest{};
  const auto stall_start = Clock::now();
  int writes = 0;
  for (int i = 0; Clock::now() - stall_start < 3s; ++i) {
    for (int j = 0; j < kWritesPerTurn; ++j, ++writes) {
      const auto id = h.store_async({entry("w" + std::to_string(writes % 500), value, 60000ms)});
      started.emplace(id.v, Clock::now());
    }
    h.loop.run_for(1ms);
    for (auto it = started.begin(); it != started.end();) {
      if (!h.rec.written.count(it->first)) {
        ++it;
        continue;
      }
      slowest = std::max(slowest, Clock::now() - it->second);
      it = started.erase(it);
    }
    if (i % 20 == 0) rss_max = std::max(rss_max, rss_bytes());
  }
  // Every write fails (nobody answers), each within its connection's deadline plus a watchdog
  // period and the loop's slack: well under a second.
  h.loop.run_until([&] {
    for (const auto& s : started)
      if (!h.rec.written.count(s.first)) return false;
    return true;
  }, 2000ms);
  for (const auto& s : started) {
    INFO("write " << s.first << " unanswered");
    CHECK(h.rec.written.count(s.first) == 1);
  }
  CHECK(slowest < 600ms);
  const auto stalled = h.storage->health();
  CHECK(stalled.connection_timeouts >= 4);
  CHECK(stalled.outstanding < 1000);
  // Memory: at most the writes of one deadline (about 0.35 s, 22 MB, most of it in the kernel's
  // socket buffers) are held at a time.
  INFO(writes << " writes; RSS before the stall " << rss_before / 1024 << " KiB, max during it " << rss_max / 1024 << " KiB");
#ifndef __SANITIZE_ADDRESS__  // ASan's quarantine keeps freed memory resident
  CHECK(rss_max - rss_before < 32u * 1024 * 1024);
#endif

  // SIGCONT: within a second a fetch succeeds again.
  own.server.resume();
  const auto resumed = Clock::now();
  bool back = false;
  while (!back && Clock::now() - resumed < 3s) {
    const auto id = h.fetch_async({"k"});
    back = h.wait_fetch(id, 3000ms).status == IoStatus::ok;
  }
  const auto recovery = Clock::now() - resumed;
  INFO("recovered after " << std::chrono::duration_cast<std::chrono::milliseconds>(recovery).count() << " ms");
  CHECK(back);
  CHECK(recovery < 1s);
  h.loop.run_for(300ms);
  const auto after = h.storage->health();
  CHECK(after.reconnects >= 4);
  CHECK(after.connections_up >= 1);
  CHECK(h.rec.reentrant == 0);
  CHECK(h.rec.duplicates == 0);
  own.server.stop();
}

TEMPLATE_LIST_TEST_CASE("redis: past max_outstanding an operation fails at once, overloaded and counted",
                        "[redis][overload]", Loops) {
  if (!may_spawn_redis()) return;
  OwnRedis own;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(own.url("pool_size=2&max_outstanding=3")));

  own.server.pause();
  const auto a = h.fetch_async({"a"});
  const auto b = h.store_async({entry("b", "1")});
  const auto c = h.erase_async({"c"});
  const auto d = h.fetch_async({"d"});  // the fourth: refused, completed later (never inside start)
  const auto e = h.store_async({entry("e", "1")});
  CHECK(h.rec.fetched.count(d.v) == 0);
  CHECK(h.wait_fetch(d, 200ms).status == IoStatus::overloaded);
  CHECK(h.wait_write(e, 200ms) == IoStatus::overloaded);
  auto health = h.storage->health();
  CHECK(health.overloaded == 2);
  CHECK(health.outstanding == 3);
  CHECK(h.rec.fetched.count(a.v) == 0);

  own.server.resume();
  CHECK(h.wait_fetch(a).status == IoStatus::ok);
  CHECK(h.wait_write(b) == IoStatus::ok);
  CHECK(h.wait_write(c) == IoStatus::ok);
  CHECK(h.fetch({"b"}).values == Values{"1"});  // room again
  health = h.storage->health();
  CHECK(health.outstanding == 0);
  CHECK(health.overloaded == 2);
  CHECK(h.rec.reentrant == 0);
  own.server.stop();
}

TEMPLATE_LIST_TEST_CASE("redis: an abandoned operation never completes; its late reply is ignored",
                        "[redis][abandon]", Loops) {
  if (!may_spawn_redis()) return;
  OwnRedis own;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(own.url("pool_size=2&max_outstanding=2")));

  own.server.pause();
  const auto fetch = h.fetch_async({"k"});
  const auto store = h.store_async({entry("k", "v"), entry("k2", "v")});
  h.loop.run_for(50ms);
  h.storage->abandon(fetch);
  h.storage->abandon(store);
  h.storage->abandon(core::IoId{999});  // unknown: ignored
  auto health = h.storage->health();
  CHECK(health.abandoned == 2);
  CHECK(health.outstanding == 0);
  // Their commands are still in flight: they hold their room under the cap until they return.
  CHECK(h.wait_fetch(h.fetch_async({"x"}), 200ms).status == IoStatus::overloaded);

  own.server.resume();
  h.loop.run_for(300ms);  // the late replies arrive and are dropped
  CHECK(h.rec.fetched.count(fetch.v) == 0);
  CHECK(h.rec.written.count(store.v) == 0);
  CHECK(h.fetch({"k"}).values == Values{"v"});  // the store itself did reach the server
  health = h.storage->health();
  CHECK(health.abandoned == 2);
  CHECK(health.outstanding == 0);
  CHECK(h.rec.duplicates == 0);
  own.server.stop();
}

TEMPLATE_LIST_TEST_CASE("redis: max_outstanding is validated", "[redis][overload]", Loops) {
  Harness<TestType> h;
  CHECK(h.connect("redis://127.0.0.1:1?max_outstanding=0") == errc::bad_option);
  CHECK(h.connect("redis://127.0.0.1:1?max_outstanding=many") == errc::bad_option);
  CHECK(h.connect("redis://127.0.0.1:1?max_outstanding=100000001") == errc::bad_option);
}
