// A Redis URL with a host name: after a lost connection the name is looked up again in the
// background (never on the loop's thread), and the pool connects to its new address. A
// redis-server of the test's own, its name answered by the resolver's test hook.
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <tuple>

#include "redis_test_helpers.hpp"
#include "support/lookup_hook.hpp"
#include "support/redis_server.hpp"

using namespace cacheme;
using namespace cacheme::test;
using namespace std::chrono_literals;
using cacheme::test_support::free_port;
using cacheme::test_support::HookedLookups;
using cacheme::test_support::RedisServer;
using core::IoStatus;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kName = "cacheme-redis.test";  // no resolver knows it: the hook answers
constexpr const char* kNoServer = "127.0.0.2";       // the server binds 127.0.0.1 only: refused
constexpr auto kLookupTime = 300ms;                  // a slow DNS server

/// Fetches every 20 ms until `done()` or `limit`, counting in `served` the fetches that succeed;
/// whether `done()`. `longest_step` is the longest the loop was away (a lookup on its thread
/// would hold it for kLookupTime).
template <class H, class Done>
bool fetch_until(H& h, Done done, Clock::duration limit, int& served, Clock::duration& longest_step) {
  const auto until = Clock::now() + limit;
  while (!done() && Clock::now() < until) {
    const auto start = Clock::now();
    h.loop.run_for(20ms);
    longest_step = std::max(longest_step, Clock::now() - start);
    if (h.fetch({"names:k"}).status == IoStatus::ok) ++served;
  }
  return done();
}

}  // namespace

TEST_CASE("redis: a host name is looked up again after a lost connection", "[redis][restart][names]") {
  if (!may_spawn_redis()) return;
  RedisServer server;
  const int port = free_port();
  REQUIRE(server.start(port));
  HookedLookups lookups(kName, "127.0.0.1", kLookupTime);
  Harness<std::tuple_element_t<0, Loops>> h;
  REQUIRE_FALSE(h.connect("redis://" + std::string(kName) + ":" + std::to_string(port) + "?pool_size=2"));
  CHECK(h.fetch({"names:k"}).status == IoStatus::ok);
  REQUIRE(lookups.hosts().size() == 1);  // at registration

  // The server goes, and its name is pointed elsewhere (a failover under way).
  lookups.set_address(kNoServer);
  server.stop();
  Clock::duration longest_step{};
  int served = 0;
  REQUIRE(fetch_until(h, [&] { return lookups.hosts().size() >= 2; }, 5s, served, longest_step));
  CHECK(lookups.threads().back() != std::this_thread::get_id());  // not on the loop's thread
  fetch_until(h, [] { return false; }, 2 * kLookupTime, served, longest_step);  // the lookup answers meanwhile
  CHECK(longest_step < kLookupTime / 2);  // the loop never waited for it

  // Back on its old address, but the pool follows the name: nothing there.
  REQUIRE(server.start(port));
  const int served_before = served;
  fetch_until(h, [] { return false; }, 1500ms, served, longest_step);
  CHECK(served == served_before);

  // The name points at the server again: the next lookup brings the pool back.
  lookups.set_address("127.0.0.1");
  CHECK(fetch_until(h, [&] { return served > served_before; }, 8s, served, longest_step));
}
