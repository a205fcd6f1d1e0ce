// The resilience options of issue 19 through the Asio adapter (local + SQLite, no server):
// fail-safe tells the caller its value is stale (RequestOptions::info), and a loader's
// `errc::not_found` is cached with `negative_ttl`. The idioms are those of every other call.
// g++ 12 inlines Asio's awaitable frame allocator (aligned new, sized delete) and reports a
// mismatch in coroutines with several awaits of nested coroutines: a false positive.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <unistd.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <stdexcept>

#include "adapters/asio/run_coroutine.hpp"
#include "cacheme/asio/cacheme.hpp"

namespace {

using namespace std::chrono_literals;
using cacheme::asio::Cacheme;

bool g_source_down = false;
int g_flaky_loads = 0;
int g_missing_loads = 0;

struct FlakyNode {
  int n = 0;
  std::string key() const { return "flaky:" + std::to_string(n); }
  asio::awaitable<int> load() const {
    ++g_flaky_loads;
    if (g_source_down) throw std::runtime_error("the source is down");
    co_return n * 10 + g_flaky_loads;
  }
  static cacheme::Meta meta() {
    return {.version = "v1", .caches = {{"local", 50ms}, {"sql", 50ms}}, .stale_for = 10s, .fail_safe_throttle = 5s};
  }
};

struct MissingNode {
  int n = 0;
  std::string key() const { return "missing:" + std::to_string(n); }
  asio::awaitable<int> load() const {
    ++g_missing_loads;
    throw std::system_error(make_error_code(cacheme::errc::not_found));
    co_return 0;
  }
  static cacheme::Meta meta() {
    return {.version = "v1", .caches = {{"local", 10s}, {"sql", 10s}}, .negative_ttl = 10s};
  }
};

struct Dir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("cacheme-asio-res-" + std::to_string(::getpid()));
  Dir() { std::filesystem::create_directories(path); }
  ~Dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

TEST_CASE("asio adapter: fail-safe serves a stale value and says so; not_found is cached", "[asio][resilience]") {
  Dir dir;
  g_source_down = false;
  g_flaky_loads = g_missing_loads = 0;
  cacheme::test::run([&](Cacheme& cm) -> asio::awaitable<void> {
    co_await cm.register_storage("local", {"local://lru?size=100"});
    co_await cm.register_storage("sql", {"sqlite://" + (dir.path / "c.db").string() + "?init=1"});
    std::shared_ptr<const int> v = co_await cm.get(FlakyNode{1});
    CHECK(*v == 11);
    asio::steady_timer timer(co_await asio::this_coro::executor, 80ms);  // past fresh, within the grace
    co_await timer.async_wait(asio::use_awaitable);

    g_source_down = true;
    cacheme::core::ValueInfo info;
    cacheme::core::RequestOptions options{.info = &info};
    v = co_await cm.get(FlakyNode{1}, options);  // no exception: the stale value
    CHECK(*v == 11);
    CHECK(info.stale);
    CHECK(g_flaky_loads == 2);
    v = co_await cm.get(FlakyNode{1}, options);  // throttled: the source is not asked
    CHECK(*v == 11);
    CHECK(g_flaky_loads == 2);
    auto st = cm.stats<FlakyNode>();
    CHECK(st.fail_safe == 1);
    CHECK(st.stale_served == 1);

    auto [ec, missing] = co_await cm.get(MissingNode{7}, asio::experimental::as_tuple(asio::use_awaitable));
    CHECK(ec == cacheme::errc::not_found);
    CHECK(missing == nullptr);
    auto [ec2, missing2] = co_await cm.get(MissingNode{7}, asio::experimental::as_tuple(asio::use_awaitable));
    CHECK(ec2 == cacheme::errc::not_found);
    CHECK(missing2 == nullptr);
    CHECK(g_missing_loads == 1);
    CHECK(cm.stats<MissingNode>().negative_hits == 1);
  });
}

}  // namespace
