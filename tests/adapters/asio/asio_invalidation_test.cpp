// Cross-process invalidation of local tiers over Redis pub/sub, end to end: two caches (two
// runtimes, two channels, two origins, as two processes would have) share one Redis (or one
// Redis Cluster) and a prefix. Needs CACHEME_TEST_REDIS_URL / CACHEME_TEST_REDIS_CLUSTER_URL.
// g++ 12 inlines Asio's awaitable frame allocator (aligned new, sized delete) and reports a
// mismatch in coroutines with several awaits of nested coroutines: a false positive.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "cacheme/build_config.hpp"
#if CACHEME_HAVE_REDIS  // the sanitizer build has no Redis driver
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>

#include "cacheme/asio/cacheme.hpp"

namespace {

using namespace std::chrono_literals;
using cacheme::asio::Cacheme;

int g_loads = 0;

struct CountNode {
  int n = 0;
  std::string key() const { return "count:" + std::to_string(n); }
  asio::awaitable<int> load() const {
    ++g_loads;
    co_return n * 10 + g_loads;
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 60s}, {"redis", 60s}}}; }
};

void expect_value(const std::shared_ptr<const int>& v, int expected) {
  REQUIRE(v);
  CHECK(*v == expected);
}

std::optional<std::string> env_url(const char* var) {
  const char* url = std::getenv(var);
  if (url && *url) return std::string(url);
  const char* require = std::getenv("CACHEME_REQUIRE_SERVERS");
  if (require && std::string_view(require) == "1") FAIL(std::string(var) + " is not set but CACHEME_REQUIRE_SERVERS=1");
  std::fprintf(stderr, "[not run] %s: %s is not set\n", Catch::getResultCapture().getCurrentTestName().c_str(), var);
  return std::nullopt;
}

std::string with_option(std::string url, const char* option) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + option;
}

// Waits (polling every 2 ms, at most 5 s) until `done()`.
asio::awaitable<bool> eventually(std::function<bool()> done) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  for (int i = 0; i < 2500; ++i) {
    if (done()) co_return true;
    t.expires_after(2ms);
    co_await t.async_wait(asio::use_awaitable);
  }
  co_return done();
}

const cacheme::drivers::InvalidationChannel& channel(Cacheme& cm) {
  const auto* c = cm.runtime().invalidation_channel("redis");
  REQUIRE(c);
  return *c;
}

asio::awaitable<void> setup(Cacheme& cm, const std::string& url, const std::string& prefix) {
  cm.set_prefix(prefix);
  co_await cm.register_storage("local", {"local://lru?size=100"});
  co_await cm.register_storage("redis", {with_option(url, "invalidation=pubsub")});
  {
    const bool ok = co_await eventually([&] { return channel(cm).counts().subscribed; });
    CHECK(ok);
  }
}

// Drops every pub/sub connection of the server at `port` (both caches' subscribers).
void kill_subscribers(int port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  REQUIRE((c && !c->err));
  auto* r = static_cast<redisReply*>(redisCommand(c, "CLIENT KILL TYPE pubsub"));
  REQUIRE(r);
  freeReplyObject(r);
  redisFree(c);
}

int port_of(const std::string& url) {
  const auto colon = url.find(':', url.find("://") + 3);
  return std::atoi(url.c_str() + colon + 1);
}

// The port of a cluster node other than the one at `port` (from CLUSTER NODES: "id host:port@bus ...").
int another_node(int port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  REQUIRE((c && !c->err));
  auto* r = static_cast<redisReply*>(redisCommand(c, "CLUSTER NODES"));
  REQUIRE((r && r->type == REDIS_REPLY_STRING));
  const std::string nodes(r->str, r->len);
  freeReplyObject(r);
  redisFree(c);
  std::size_t line = 0;
  while (line < nodes.size()) {
    const std::size_t colon = nodes.find(':', nodes.find(' ', line));
    const int p = std::atoi(nodes.c_str() + colon + 1);
    if (p != port && p != 0) return p;
    line = nodes.find('\n', line);
    if (line == std::string::npos) break;
    ++line;
  }
  FAIL("no other cluster node");
  return 0;
}

// A reads and invalidates; B, which has the key in its local tier, drops it.
asio::awaitable<void> invalidate_across(Cacheme& a, Cacheme& b) {
  g_loads = 0;
  expect_value(co_await a.get(CountNode{1}), 11);
  expect_value(co_await b.get(CountNode{1}), 11);  // from Redis, now in B's local tier
  expect_value(co_await b.get(CountNode{1}), 11);  // a local hit
  CHECK(g_loads == 1);
  co_await a.invalidate(CountNode{1});
  {
    const bool ok = co_await eventually([&] { return b.stats<CountNode>().remote_invalidations == 1; });
    CHECK(ok);
  }
  expect_value(co_await b.get(CountNode{1}), 12);  // B loads the fresh value
  CHECK(g_loads == 2);
  CHECK(channel(a).counts().published == 1);
  CHECK(channel(b).counts().received == 1);
  // A refresh in B reaches A's local copy (refreshed by A's get meanwhile) too.
  expect_value(co_await a.get(CountNode{1}), 12);
  expect_value(co_await b.refresh(CountNode{1}), 13);
  {
    const bool ok = co_await eventually([&] { return a.stats<CountNode>().remote_invalidations == 1; });
    CHECK(ok);
  }
  expect_value(co_await a.get(CountNode{1}), 13);
  CHECK(channel(b).counts().own == 1);  // B heard its own message and ignored it
}

void run_pair(const std::string& url_a, const std::string& url_b,
              std::function<asio::awaitable<void>(Cacheme&, Cacheme&)> body) {
  asio::io_context io;
  std::exception_ptr error;
  bool finished = false;
  {
    Cacheme a(io), b(io);
    static int runs = 0;
    const std::string prefix = "cacheme-inv-test-" + std::to_string(::getpid()) + "-" + std::to_string(++runs);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await setup(a, url_a, prefix);
          co_await setup(b, url_b, prefix);
          co_await body(a, b);
        },
        [&](std::exception_ptr e) {
          error = e;
          finished = true;
          io.stop();  // the channels' sockets would keep the loop busy
        });
    io.run_for(30s);
  }
  REQUIRE(finished);
  if (error) std::rethrow_exception(error);
}

}  // namespace

TEST_CASE("invalidation: an invalidate in one process drops the local copy in another", "[asio][invalidation]") {
  const auto url = env_url("CACHEME_TEST_REDIS_URL");
  if (!url) return;
  run_pair(*url, *url, invalidate_across);
}

TEST_CASE("invalidation: after a lost subscription the local tiers are cleared", "[asio][invalidation]") {
  const auto url = env_url("CACHEME_TEST_REDIS_URL");
  if (!url) return;
  run_pair(*url, *url, [&](Cacheme& a, Cacheme& b) -> asio::awaitable<void> {
    g_loads = 0;
    expect_value(co_await b.get(CountNode{2}), 21);
    CHECK(b.stats<CountNode>().local_clears == 0);  // subscribed before the node was registered
    kill_subscribers(port_of(*url));
    // B resubscribes and clears: what was published meanwhile cannot be served from local.
    {
    const bool ok = co_await eventually([&] { return b.stats<CountNode>().local_clears == 1; });
    CHECK(ok);
  }
    CHECK(channel(b).counts().subscriptions == 2);
    {
    const bool ok = co_await eventually([&] { return channel(a).counts().subscribed; });
    CHECK(ok);
  }
    const auto before = b.stats<CountNode>();
    expect_value(co_await b.get(CountNode{2}), 21);  // from Redis again, not from the local tier
    CHECK((b.stats<CountNode>() - before).tiers.at(1).hits == 1);
    co_await invalidate_across(a, b);  // and invalidation works again
  });
}

TEST_CASE("invalidation: a bad option is refused", "[asio][invalidation]") {
  asio::io_context io;
  Cacheme cm(io);
  std::error_code local_ec, other_ec;
  cm.register_storage("l", {"local://lru?size=10&invalidation=pubsub"}, [&](std::error_code ec) { local_ec = ec; });
  cm.register_storage("r", {"redis://127.0.0.1:1?invalidation=yes"}, [&](std::error_code ec) { other_ec = ec; });
  io.run_for(1s);
  CHECK(local_ec == cacheme::errc::bad_option);
  CHECK(other_ec == cacheme::errc::bad_option);
}

TEST_CASE("invalidation: over a Redis Cluster, through different nodes", "[asio][invalidation][cluster]") {
  const auto url = env_url("CACHEME_TEST_REDIS_CLUSTER_URL");
  if (!url) return;
  // B's channel connects to another node than A's: the cluster bus carries the message across.
  const std::string other = "redis://127.0.0.1:" + std::to_string(another_node(port_of(*url))) + "?cluster=true";
  run_pair(*url, other, invalidate_across);
}

#endif  // CACHEME_HAVE_REDIS
