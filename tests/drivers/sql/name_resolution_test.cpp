// PostgreSQL and MariaDB reach a host given by name without a lookup on the loop thread: the name
// resolves once, at registration, on a thread of its own, while the loop goes on ticking; an IP
// literal is never looked up (label integration, the shared test servers).
#include <catch2/catch.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "cacheme/drivers/net/resolve.hpp"
#include "load_client.hpp"
#include "reactor_loops.hpp"
#include "sql_helpers.hpp"

namespace {

using namespace std::chrono_literals;
using cacheme::test::sql::Backend;
using cacheme::test::sql::LoadClient;
using Loop = std::tuple_element_t<0, cacheme::test::Loops>;

// A name no resolver knows, answered by the hook: Connector/C takes "localhost" for its Unix
// socket, so MariaDB needs another name, and a CI machine's /etc/hosts may have no other.
constexpr const char* kHookedName = "cacheme-db.test";
// A slow DNS server: the loop must tick meanwhile.
constexpr auto kLookupTime = 300ms;

/// The lookups the drivers make, seen through the resolver's test hook.
struct Lookups {
  std::mutex mutex;
  std::vector<std::string> hosts;
  std::vector<std::thread::id> threads;

  Lookups() {
    cacheme::drivers::net::testing::set_lookup_hook([this](const std::string& host) -> std::optional<std::string> {
      {
        std::lock_guard lock(mutex);
        hosts.push_back(host);
        threads.push_back(std::this_thread::get_id());
      }
      std::this_thread::sleep_for(kLookupTime);
      if (host == kHookedName) return "127.0.0.1";
      return std::nullopt;  // the system resolver
    });
  }
  ~Lookups() { cacheme::drivers::net::testing::set_lookup_hook(nullptr); }
  Lookups(const Lookups&) = delete;
  Lookups& operator=(const Lookups&) = delete;
};

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
    Lookups lookups;
    {
      LoadClient<Loop> c(2000ms);
      Ticker ticker(c.loop.reactor());
      REQUIRE(c.connect(t.backend, with_host(t.url, name) + query) == std::error_code{});
      CHECK(ticker.ticks >= 20);  // ~30 in the 300 ms lookup; ~9 in a connect without it
      c.issue(40);
      c.drain();
      CHECK(c.ok == 40);
    }
    {
      std::lock_guard lock(lookups.mutex);
      REQUIRE(lookups.hosts == std::vector<std::string>{name});  // once, however often the pool connects
      CHECK(lookups.threads.front() != std::this_thread::get_id());  // the loop runs on this thread
      lookups.hosts.clear();
    }
    {
      LoadClient<Loop> c(2000ms);
      REQUIRE(c.connect(t.backend, t.url + query) == std::error_code{});
      c.issue(8);
      c.drain();
      CHECK(c.ok == 8);
    }
    std::lock_guard lock(lookups.mutex);
    CHECK(lookups.hosts.empty());  // an IP literal is not looked up
    cacheme::test::sql::execute(t, "DROP TABLE IF EXISTS " + table);
  }
}
