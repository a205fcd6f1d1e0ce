// cacheme on Asio: a node, storages registered from URLs, get, get_all, invalidate and stats.
//
//   asio_example [STORAGE_URL [REDIS_URL]]
//
// STORAGE_URL (default local://lru?size=1000) is the first tier; REDIS_URL, when given, is a
// second one (e.g. redis://127.0.0.1:6379). Exits 0 when every value came out right.
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <msgpack.hpp>
#include <string>
#include <vector>

#include "cacheme/asio/cacheme.hpp"

using namespace std::chrono_literals;

struct User {
  int id = 0;
  std::string name;
  MSGPACK_DEFINE(id, name)
};

int loads = 0;     // how often the source was asked
bool has_redis = false;

// A node: what is cached (User), under which key, loaded how, stored where.
struct UserNode {
  int user_id;
  std::string key() const { return "user:" + std::to_string(user_id) + ":info"; }
  // The source, on a miss: here a 10 ms "database query".
  asio::awaitable<User> load() const {
    ++loads;
    asio::steady_timer t(co_await asio::this_coro::executor, 10ms);
    co_await t.async_wait(asio::use_awaitable);
    co_return User{user_id, "user-" + std::to_string(user_id)};
  }
  static cacheme::Meta meta() {
    cacheme::Meta m{.version = "v1", .caches = {{"first", 30s}}, .codec = cacheme::codecs::msgpack_zlib};
    if (has_redis) m.caches.push_back({"redis", std::chrono::hours(24)});
    return m;
  }
};

asio::awaitable<int> serve(cacheme::asio::Cacheme& cm, std::string storage_url, std::string redis_url) {
  // register_storage completes with an error code; use_awaitable throws it as std::system_error.
  co_await cm.register_storage("first", storage_url);
  if (has_redis) co_await cm.register_storage("redis", redis_url);
  cm.set_prefix("cacheme-example-asio");  // our own keys: the invalidate below cleans up
  // (g++ 12: no braced lists or aggregates with strings inside a co_await expression; name them.)
  const std::vector<UserNode> ours{{1}, {2}, {3}};
  for (const UserNode& n : ours) co_await cm.invalidate(n);

  std::shared_ptr<const User> u = co_await cm.get(UserNode{1});  // a miss: loaded
  std::printf("get(1)        -> %s\n", u->name.c_str());
  u = co_await cm.get(UserNode{1});  // a hit
  std::printf("get(1) again  -> %s (loads so far: %d)\n", u->name.c_str(), loads);

  // Errors as values instead of exceptions:
  auto [ec, v] = co_await cm.get(UserNode{2}, asio::experimental::as_tuple(asio::use_awaitable));
  std::printf("get(2)        -> %s\n", ec ? ec.message().c_str() : v->name.c_str());

  // One result per input, in order, duplicates included.
  std::vector<UserNode> wanted{{1}, {3}, {1}};
  auto users = co_await cm.get_all(std::move(wanted));
  std::printf("get_all(1,3,1) ->");
  for (const auto& user : users) std::printf(" %s", user->name.c_str());
  std::printf("\n");

  co_await cm.invalidate(UserNode{1});
  const auto stats = cm.stats<UserNode>();
  std::printf("stats: requests=%llu hits=%llu hit_rate=%.2f loads=%llu avg_load=%.1f ms\n",
              (unsigned long long)stats.request_count(), (unsigned long long)stats.hit_count(), stats.hit_rate(),
              (unsigned long long)stats.load_count(), stats.average_load_time() / 1e6);
  for (const auto& tier : stats.tiers)
    std::printf("  tier %-6s hits=%llu misses=%llu errors=%llu\n", tier.storage.c_str(),
                (unsigned long long)tier.hits, (unsigned long long)tier.misses, (unsigned long long)tier.errors);
  const bool ok = !ec && v->id == 2 && users.size() == 3 && users[1]->id == 3 && loads == 3;
  co_return ok ? 0 : 1;
}

int main(int argc, char** argv) {
  const std::string storage_url = argc > 1 ? argv[1] : "local://lru?size=1000";
  const std::string redis_url = argc > 2 ? argv[2] : "";
  has_redis = !redis_url.empty();

  asio::io_context io;  // run on one thread: the cache is single-threaded
  cacheme::asio::Cacheme cm(io);
  int status = 1;
  asio::co_spawn(io, serve(cm, storage_url, redis_url), [&](std::exception_ptr e, int result) {
    io.stop();  // the storages' connections would keep run() busy
    status = result;
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "error: %s\n", ex.what());
      status = 1;
    }
  });
  io.run_for(30s);
  return status;
}
