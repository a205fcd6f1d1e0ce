// The MongoDB storage under a stalled server (label integration): the MongoDB-wire test server of
// the test's own (spawned on a free port, never the shared one) gets SIGSTOP under load, then
// SIGCONT. As the SQL storages' stall test (tests/drivers/sql/resilience_test.cpp), with the same
// load client: every operation is answered or abandoned at its deadline and nothing comes back
// for an abandoned one, refusals past the cap are immediate, memory stays flat, the storage
// serves again within a second, and its health counts what happened.
#include <catch2/catch.hpp>
#include <signal.h>

#include <cstdlib>
#include <string>
#include <tuple>

#include "cacheme/drivers/mongo.hpp"
#include "load_client.hpp"
#include "reactor_loops.hpp"
#include "support/mongo_server.hpp"
#include "support/redis_server.hpp"  // free_port

namespace {

using namespace std::chrono_literals;
using cacheme::test::sql::LoadClient;
using cacheme::test::sql::rss_kib;
using cacheme::test_support::free_port;
using cacheme::test_support::MongoServer;
using Loop = std::tuple_element_t<0, cacheme::test::Loops>;  // one reactor: each run starts a server
using Clock = std::chrono::steady_clock;

constexpr auto kTimeout = 300ms;
constexpr std::size_t kCap = 200;
constexpr int kPerStep = 1000;  // operations started every ~5 ms while stalled: ~200,000 a second
// Without the cap, 3 s of that queue ~600,000 operations (hundreds of MiB); with it, nothing grows.
constexpr long kRssCeilingKib = 48 * 1024;

/// The highest RSS and count of outstanding operations seen while loading.
struct Peaks {
  long rss_kib = 0;
  std::size_t outstanding = 0;
};

// Load until `until`, `per_step` operations every step.
Peaks load_for(LoadClient<Loop>& c, Clock::duration length, int per_step) {
  Peaks peak{rss_kib(), 0};
  const auto until = Clock::now() + length;
  while (Clock::now() < until) {
    c.issue(per_step);
    c.step();
    peak.outstanding = std::max(peak.outstanding, c.storage->health().outstanding);
    peak.rss_kib = std::max(peak.rss_kib, rss_kib());
  }
  return peak;
}

}  // namespace

TEST_CASE("mongo: stalled by SIGSTOP under load", "[mongo][stall]") {
  const char* js_dir = std::getenv("CACHEME_TEST_MONGO_JS_DIR");
  if (!js_dir || !*js_dir) {
    const char* required = std::getenv("CACHEME_REQUIRE_SERVERS");
    if (required && std::string(required) == "1") FAIL("CACHEME_TEST_MONGO_JS_DIR is not set (CACHEME_REQUIRE_SERVERS=1)");
    WARN("CACHEME_TEST_MONGO_JS_DIR is not set: this test did NOT run");
    return;
  }
  MongoServer server(CACHEME_SOURCE_DIR "/scripts/mongo_test_server.mjs", js_dir);
  const int port = free_port();
  REQUIRE(server.start(port));
  LoadClient<Loop> c(kTimeout);
  const std::string url = "mongodb://127.0.0.1:" + std::to_string(port) +
                          "/?database=cacheme_test&collection=stall&init=1&pool_size=4&timeout=" +
                          std::to_string(kTimeout.count()) + "&max_outstanding=" + std::to_string(kCap);
  REQUIRE(c.connect_with([&](auto& reactor, auto sink, auto done) {
    cacheme::drivers::connect_mongo(reactor, url, {}, std::move(sink), std::move(done));
  }) == std::error_code{});

  load_for(c, 300ms, 20);  // warm: workers up, the process's memory at its working size
  REQUIRE(c.ok > 0);
  const long before = rss_kib();
  REQUIRE(server.signal(SIGSTOP));
  const Peaks peak = load_for(c, 3s, kPerStep);
  const auto during = c.storage->health();
  REQUIRE(server.signal(SIGCONT));
  const auto woke = Clock::now();
  const auto ok_before = c.ok;
  while (c.ok == ok_before && Clock::now() - woke < 5s) {
    c.issue(5);
    c.step();
  }
  REQUIRE(c.last_ok);
  const auto recovered = *c.last_ok - woke;
  c.drain();

  INFO("RSS before " << before << " KiB, peak " << peak.rss_kib << " KiB; outstanding at most " << peak.outstanding
                     << "; recovered in "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(recovered).count() << " ms; ok " << c.ok
                     << ", errors " << c.errors << ", overloaded " << c.overloaded << ", abandoned " << c.abandoned);
  CHECK(c.late == 0);                    // nothing came back for an abandoned operation
  CHECK(c.overloaded > 0);               // the cap refused ...
  CHECK(c.slowest_refusal < 100ms);      // ... at once
  CHECK(peak.outstanding <= kCap);
  CHECK(peak.rss_kib - before < kRssCeilingKib);
  CHECK(recovered < 1s);
  CHECK(during.abandoned > 0);
  CHECK(c.storage->health().overloaded == c.overloaded);
  CHECK(c.storage->health().abandoned == c.abandoned);
  CHECK(c.storage->health().outstanding == 0);
}
