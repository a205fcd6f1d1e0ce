// PostgreSQL and MariaDB reach a host given by name without a lookup on the loop thread: the name
// resolves at registration, on a thread of its own, while the loop goes on ticking; an IP literal
// is never looked up (label integration, the shared test servers). After a lost connection the
// name is looked up again in the background, and its new address used (`follow_the_name`, on the
// servers of resilience_test.cpp's restart tests: a server of its own costs half a minute to start).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "load_client.hpp"
#include "reactor_loops.hpp"
#include "follow_the_name.hpp"
#include "service_instance.hpp"
#include "sql_helpers.hpp"
#include "support/lookup_hook.hpp"

namespace {

using namespace std::chrono_literals;
using cacheme::test::sql::Backend;
using cacheme::test::sql::LoadClient;
using cacheme::test::sql::ServiceInstance;
using cacheme::test_support::HookedLookups;
using Loop = std::tuple_element_t<0, cacheme::test::Loops>;

// A name no resolver knows, answered by the hook: Connector/C takes "localhost" for its Unix
// socket, so MariaDB needs another name, and a CI machine's /etc/hosts may have no other.
constexpr const char* kHookedName = "cacheme-db.test";
// A slow DNS server: the loop must tick meanwhile.
constexpr auto kLookupTime = 300ms;

/// `url` with its 127.0.0.1 host replaced by `name`.
std::string with_host(std::string url, const std::string& name) {
  const auto at = url.find("127.0.0.1");
  REQUIRE(at != std::string::npos);
  return url.replace(at, std::string("127.0.0.1").size(), name);
}

/// Re-arms itself every 10 ms, counting: shows the loop runs while a name resolves.
struct Ticker {
  cacheme::drivers::Reactor& reactor;
  int ticks = 0;
  cacheme::drivers::TimerId timer = 0;
  explicit Ticker(cacheme::drivers::Reactor& r) : reactor(r) { arm(); }
  ~Ticker() { reactor.cancel(timer); }
  void arm() {
    timer = reactor.call_after(10ms, [this] {
      ++ticks;
      arm();
    });
  }
};

}  // namespace

TEST_CASE("postgres, mysql: a host name resolves once, off the loop thread", "[sql][names]") {
  std::vector<std::string> missing;
  for (const auto& t : cacheme::test::sql::targets(missing)) {
    if (t.backend == Backend::sqlite) continue;
    INFO("backend: " << t.name);
    const std::string table = cacheme::test::sql::unique_table();
    const std::string query = "?table=" + table + "&init=1&pool_size=4";
    // PostgreSQL through the system resolver ("localhost"), MariaDB through the hook.
    const std::string name = t.backend == Backend::postgres ? "localhost" : kHookedName;
    HookedLookups lookups(kHookedName, "127.0.0.1", kLookupTime);
    {
      LoadClient<Loop> c(2000ms);
      Ticker ticker(c.loop.reactor());
      REQUIRE(c.connect(t.backend, with_host(t.url, name) + query) == std::error_code{});
      CHECK(ticker.ticks >= 20);  // ~30 in the 300 ms lookup; ~9 in a connect without it
      c.issue(40);
      c.drain();
      CHECK(c.ok == 40);
    }
    REQUIRE(lookups.hosts() == std::vector<std::string>{name});  // once, however often the pool connects
    CHECK(lookups.threads().front() != std::this_thread::get_id());  // the loop runs on this thread
    lookups.clear();
    {
      LoadClient<Loop> c(2000ms);
      REQUIRE(c.connect(t.backend, t.url + query) == std::error_code{});
      c.issue(8);
      c.drain();
      CHECK(c.ok == 8);
    }
    CHECK(lookups.hosts().empty());  // an IP literal is not looked up
    cacheme::test::sql::execute(t, "DROP TABLE IF EXISTS " + table);
  }
}

namespace {

using Clock = std::chrono::steady_clock;

// Nothing listens there (the test servers bind 127.0.0.1 only): a connect is refused at once.
constexpr const char* kNoServer = "127.0.0.2";

/// A few operations every step until `done()` or `limit`; whether `done()`. `longest_step` is
/// the longest the loop was away (a lookup on its thread would hold it for kLookupTime).
template <class Done>
bool load_until(LoadClient<Loop>& c, Done done, Clock::duration limit, Clock::duration& longest_step) {
  const auto until = Clock::now() + limit;
  while (!done() && Clock::now() < until) {
    const auto start = Clock::now();
    c.issue(2);
    c.step();
    longest_step = std::max(longest_step, Clock::now() - start);
  }
  return done();
}

/// How many operations succeed while loading for `length`.
std::uint64_t ok_during(LoadClient<Loop>& c, Clock::duration length) {
  const auto before = c.ok;
  Clock::duration longest{};
  load_until(c, [] { return false; }, length, longest);
  c.drain();
  return c.ok - before;
}

}  // namespace

namespace cacheme::test::sql {

void follow_the_name(ServiceInstance& server, Backend backend) {
  HookedLookups lookups(kHookedName, "127.0.0.1", kLookupTime);
  LoadClient<Loop> c(500ms);
  REQUIRE(c.connect(backend, with_host(server.url(), kHookedName) + "?table=names&init=1&pool_size=2") ==
          std::error_code{});
  c.issue(8);
  c.drain();
  REQUIRE(c.ok == 8);
  REQUIRE(lookups.hosts().size() == 1);  // at registration

  lookups.set_address(kNoServer);
  REQUIRE(server.stop());
  Clock::duration longest_step{};
  const bool again = load_until(c, [&] { return lookups.hosts().size() >= 2; }, 5s, longest_step);
  REQUIRE(again);  // the lost connections had the name looked up again
  CHECK(lookups.threads().back() != std::this_thread::get_id());  // not on the loop's thread
  CHECK(ok_during(c, 2 * kLookupTime) == 0);  // the lookup answers meanwhile
  CHECK(longest_step < kLookupTime / 2);      // the loop never waited for it

  REQUIRE(server.resume());
  CHECK(ok_during(c, 1500ms) == 0);  // the pool connects to the name's new address: nothing there

  lookups.set_address("127.0.0.1");
  const auto ok_before = c.ok;
  CHECK(load_until(c, [&] { return c.ok > ok_before; }, 5s, longest_step));  // the next lookup brings it back
  c.drain();
  CHECK(c.late == 0);
}

}  // namespace cacheme::test::sql

