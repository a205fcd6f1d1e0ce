// The resilience options of issue 19 through the libevent adapter (local + SQLite, no server):
// fail-safe tells the caller its value is stale (RequestOptions::info), and a loader's
// `errc::not_found` is cached with `negative_ttl`. Callbacks as for every other call.
#include <catch2/catch.hpp>
#include <event2/event.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "cacheme/libevent/cacheme.hpp"

namespace {

using namespace std::chrono_literals;
using cacheme::libevent::Cacheme;

bool g_source_down = false;
int g_flaky_loads = 0;
int g_missing_loads = 0;

struct FlakyNode {
  using value_type = int;
  int n = 0;
  std::string key() const { return "flaky:" + std::to_string(n); }
  void load(std::function<void(std::error_code, int)> done) const {
    ++g_flaky_loads;
    if (g_source_down) return done(make_error_code(cacheme::errc::load_failed), 0);
    done({}, n * 10 + g_flaky_loads);
  }
  static cacheme::Meta meta() {
    return {.version = "v1", .caches = {{"local", 50ms}, {"sql", 50ms}}, .stale_for = 10s, .fail_safe_throttle = 5s};
  }
};

struct MissingNode {
  using value_type = int;
  int n = 0;
  std::string key() const { return "missing:" + std::to_string(n); }
  void load(std::function<void(std::error_code, int)> done) const {
    ++g_missing_loads;
    done(cacheme::errc::not_found, 0);
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 10s}, {"sql", 10s}}, .negative_ttl = 10s}; }
};

TEST_CASE("libevent adapter: fail-safe serves a stale value and says so; not_found is cached", "[libevent][resilience]") {
  event_base* base = cacheme::adapters::libevent::EventReactor::new_base();
  const auto dir = std::filesystem::temp_directory_path() / ("cacheme-libevent-res-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  g_source_down = false;
  g_flaky_loads = g_missing_loads = 0;
  {
    Cacheme cm(base);
    int step = 0;
    auto next = [&](int until) {
      while (step < until) event_base_loop(base, EVLOOP_ONCE);
    };
    cm.register_storage("local", {"local://lru?size=100"}, [&](std::error_code ec) { REQUIRE_FALSE(ec); ++step; });
    cm.register_storage("sql", {"sqlite://" + (dir / "c.db").string() + "?init=1"}, [&](std::error_code ec) {
      REQUIRE_FALSE(ec);
      ++step;
    });
    next(2);
    int value = 0;
    std::error_code error;
    auto keep = [&](std::error_code ec, std::shared_ptr<const int> v) {
      error = ec;
      value = v ? *v : -1;
      ++step;
    };
    cm.get(FlakyNode{1}, keep);
    next(3);
    CHECK(value == 11);
    // The write-backs land (until then the flight answers newcomers with its value, rule 3).
    while (cm.runtime().engine().flights() > 0) event_base_loop(base, EVLOOP_ONCE);
    std::this_thread::sleep_for(80ms);  // past fresh, within the grace

    g_source_down = true;
    cacheme::core::ValueInfo info;
    cm.get(FlakyNode{1}, cacheme::core::RequestOptions{.info = &info}, keep);
    next(4);
    CHECK_FALSE(error);
    CHECK(value == 11);
    CHECK(info.stale);
    CHECK(g_flaky_loads == 2);
    CHECK(cm.stats<FlakyNode>().stale_served == 1);

    cm.get(MissingNode{7}, keep);
    next(5);
    CHECK(error == cacheme::errc::not_found);
    CHECK(value == -1);
    cm.get(MissingNode{7}, keep);
    next(6);
    CHECK(error == cacheme::errc::not_found);
    CHECK(g_missing_loads == 1);
  }
  event_base_free(base);
  std::filesystem::remove_all(dir);
}

}  // namespace
