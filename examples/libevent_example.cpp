// cacheme on libevent: a node, storages registered from URLs, get, get_all, invalidate and stats.
//
//   libevent_example [STORAGE_URL [REDIS_URL]]
//
// STORAGE_URL (default local://lru?size=1000) is the first tier; REDIS_URL, when given, is a
// second one (e.g. redis://127.0.0.1:6379). Exits 0 when every value came out right.
#include <event2/event.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <msgpack.hpp>
#include <string>
#include <vector>

#include "cacheme/libevent/cacheme.hpp"

using namespace std::chrono_literals;

struct User {
  int id = 0;
  std::string name;
  MSGPACK_DEFINE(id, name)
};

int loads = 0;  // how often the source was asked
bool has_redis = false;

// A node: what is cached (User), under which key, loaded how, stored where.
struct UserNode {
  using value_type = User;  // callback loaders name their value type
  int user_id;
  std::string key() const { return "user:" + std::to_string(user_id) + ":info"; }
  // The source, on a miss: calls `done` when the value is known (here at once).
  void load(std::function<void(std::error_code, User)> done) const {
    ++loads;
    done({}, User{user_id, "user-" + std::to_string(user_id)});
  }
  static cacheme::Meta meta() {
    cacheme::Meta m{.version = "v1", .caches = {{"first", 30s}}, .codec = cacheme::codecs::msgpack_zlib};
    if (has_redis) m.caches.push_back({"redis", std::chrono::hours(24)});
    return m;
  }
};

// The steps, chained through callbacks. Each callback runs on the loop thread.
struct App {
  cacheme::libevent::Cacheme& cm;
  event_base* base;
  int status = 1;

  void fail(const char* what, std::error_code ec) {
    std::fprintf(stderr, "%s: %s\n", what, ec.message().c_str());
    event_base_loopbreak(base);
  }

  void start(const std::string& storage_url, const std::string& redis_url) {
    cm.register_storage("first", {storage_url}, [this, redis_url](std::error_code ec) {
      if (ec) return fail("register first", ec);
      if (!has_redis) return clean();
      cm.register_storage("redis", {redis_url}, [this](std::error_code ec) {
        if (ec) return fail("register redis", ec);
        clean();
      });
    });
  }

  // Our own prefix, and our keys removed, so every run starts cold.
  void clean() {
    cm.set_prefix("cacheme-example-libevent");
    auto left = std::make_shared<int>(3);
    for (int id : {1, 2, 3})
      cm.invalidate(UserNode{id}, [this, left](std::error_code) {
        if (--*left == 0) get_twice();
      });
  }

  void get_twice() {
    cm.get(UserNode{1}, [this](std::error_code ec, std::shared_ptr<const User> u) {
      if (ec) return fail("get", ec);
      std::printf("get(1)        -> %s\n", u->name.c_str());
      cm.get(UserNode{1}, [this](std::error_code ec, std::shared_ptr<const User> u) {
        if (ec) return fail("get", ec);
        std::printf("get(1) again  -> %s (loads so far: %d)\n", u->name.c_str(), loads);
        get_all();
      });
    });
  }

  void get_all() {
    cm.get_all(std::vector<UserNode>{{1}, {3}, {1}}, [this](std::error_code ec, std::vector<std::shared_ptr<const User>> users) {
      if (ec) return fail("get_all", ec);
      std::printf("get_all(1,3,1) ->");
      for (const auto& user : users) std::printf(" %s", user->name.c_str());
      std::printf("\n");
      const bool ok = users.size() == 3 && users[1]->id == 3;
      cm.invalidate(UserNode{1}, [this, ok](std::error_code) { report(ok); });
    });
  }

  void report(bool ok) {
    const auto stats = cm.stats<UserNode>();
    std::printf("stats: requests=%llu hits=%llu hit_rate=%.2f loads=%llu\n", (unsigned long long)stats.request_count(),
                (unsigned long long)stats.hit_count(), stats.hit_rate(), (unsigned long long)stats.load_count());
    for (const auto& tier : stats.tiers)
      std::printf("  tier %-6s hits=%llu misses=%llu errors=%llu\n", tier.storage.c_str(),
                  (unsigned long long)tier.hits, (unsigned long long)tier.misses, (unsigned long long)tier.errors);
    status = ok && loads == 2 ? 0 : 1;
    event_base_loopbreak(base);  // the storages' connections would keep the loop busy
  }
};

int main(int argc, char** argv) {
  const std::string storage_url = argc > 1 ? argv[1] : "local://lru?size=1000";
  const std::string redis_url = argc > 2 ? argv[2] : "";
  has_redis = !redis_url.empty();

  event_base* base = cacheme::adapters::libevent::EventReactor::new_base();
  int status = 1;
  {
    cacheme::libevent::Cacheme cm(base);  // destroyed before the base
    App app{cm, base};
    app.start(storage_url, redis_url);
    // Not event_base_dispatch: it returns when no event is pending, which happens while an
    // SQLite worker thread holds the only operation. App::report breaks the loop.
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    status = app.status;
  }
  event_base_free(base);
  return status;
}
