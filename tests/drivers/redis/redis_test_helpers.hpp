// Shared pieces of the Redis integration tests: the server URL, a completion recorder, a
// harness that drives one storage on one test loop, and a raw synchronous hiredis client.
#pragma once

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cacheme/drivers/redis.hpp"
#include "cacheme/errc.hpp"
#include "reactor_loops.hpp"
#include "redis_url.hpp"

namespace cacheme::test {

/// The URL in environment variable `var`, or nullopt: then the test fails when
/// CACHEME_REQUIRE_SERVERS=1 and otherwise warns that it did not run (Catch2 v2 has no SKIP).
inline std::optional<std::string> env_url(const char* var) {
  const char* url = std::getenv(var);
  if (url && *url) return std::string(url);
  const char* require = std::getenv("CACHEME_REQUIRE_SERVERS");
  if (require && std::string_view(require) == "1") FAIL(std::string(var) + " is not set but CACHEME_REQUIRE_SERVERS=1");
  // WARN shows only with -s or on failure: say it on stderr too.
  std::fprintf(stderr, "[not run] %s: %s is not set\n", Catch::getResultCapture().getCurrentTestName().c_str(), var);
  WARN(std::string(var) + " is not set: this test did NOT run");
  return std::nullopt;
}

/// CACHEME_TEST_REDIS_URL (a single Redis).
inline std::optional<std::string> redis_url() { return env_url("CACHEME_TEST_REDIS_URL"); }

/// CACHEME_TEST_REDIS_CLUSTER_URL (a Redis Cluster of 3 masters, `?cluster=true`).
inline std::optional<std::string> redis_cluster_url() { return env_url("CACHEME_TEST_REDIS_CLUSTER_URL"); }

/// Whether a test may spawn redis-server processes of its own: where servers are required, or
/// where one is configured.
inline bool may_spawn_redis() {
  const char* require = std::getenv("CACHEME_REQUIRE_SERVERS");
  if (require && std::string_view(require) == "1") return true;
  return redis_url().has_value();
}

/// A key prefix no other test (or test run) uses.
inline std::string unique_prefix(std::string_view what) {
  static std::atomic<int> counter{0};
  return "cacheme-test:" + std::to_string(::getpid()) + ":" + std::to_string(counter++) + ":" + std::string(what) +
         ":";
}

/// Records completions; counts any that arrive while the test is inside a storage call.
struct Recorder {
  std::map<std::uint64_t, core::FetchResult> fetched;
  std::map<std::uint64_t, core::IoStatus> written;
  bool inside_call = false;
  int reentrant = 0;
  int duplicates = 0;

  drivers::CompletionSink sink() {
    return {[this](core::IoId id, core::FetchResult r) {
              reentrant += inside_call;
              duplicates += !fetched.emplace(id.v, std::move(r)).second;
            },
            [this](core::IoId id, core::IoStatus s) {
              reentrant += inside_call;
              duplicates += !written.emplace(id.v, s).second;
            }};
  }
};

inline core::StoreEntry entry(std::string key, std::string bytes,
                              std::optional<std::chrono::milliseconds> ttl = std::nullopt) {
  return core::StoreEntry{std::move(key), std::move(bytes), ttl};
}

using Values = std::vector<std::optional<std::string>>;

/// One storage on one loop, with blocking helpers (they run the loop until the completion).
template <class Loop>
struct Harness {
  Loop loop;
  Recorder rec;
  std::unique_ptr<drivers::Storage> storage;
  std::uint64_t next_id = 1;

  ~Harness() { storage.reset(); }  // before the loop and its reactor

  std::error_code connect(std::string_view url, drivers::StorageOptions options = {}) {
    bool done = false;
    std::error_code ec;
    rec.inside_call = true;
    drivers::connect_redis(loop.reactor(), url, options, rec.sink(), [&](Result<std::unique_ptr<drivers::Storage>> r) {
      done = true;
      if (r)
        storage = std::move(*r);
      else
        ec = r.error();
    });
    const bool called_inside = done;
    rec.inside_call = false;
    CHECK_FALSE(called_inside);  // done never runs inside connect_redis
    REQUIRE(loop.run_until([&] { return done; }, std::chrono::milliseconds(10000)));
    return ec;
  }

  core::IoId fetch_async(std::vector<std::string> keys) {
    const core::IoId id{next_id++};
    rec.inside_call = true;
    storage->start(core::FetchRequest{id, {}, std::move(keys)});
    rec.inside_call = false;
    return id;
  }
  core::IoId store_async(std::vector<core::StoreEntry> entries) {
    const core::IoId id{next_id++};
    rec.inside_call = true;
    storage->start(core::StoreRequest{id, {}, std::move(entries)});
    rec.inside_call = false;
    return id;
  }
  core::IoId erase_async(std::vector<std::string> keys) {
    const core::IoId id{next_id++};
    rec.inside_call = true;
    storage->start(core::EraseRequest{id, {}, std::move(keys)});
    rec.inside_call = false;
    return id;
  }
  core::IoId flush_async(std::string prefix) {
    const core::IoId id{next_id++};
    rec.inside_call = true;
    storage->flush_prefix(id, std::move(prefix));
    rec.inside_call = false;
    return id;
  }

  core::FetchResult wait_fetch(core::IoId id, std::chrono::milliseconds max = std::chrono::milliseconds(10000)) {
    REQUIRE(loop.run_until([&] { return rec.fetched.count(id.v) > 0; }, max));
    return rec.fetched[id.v];
  }
  core::IoStatus wait_write(core::IoId id, std::chrono::milliseconds max = std::chrono::milliseconds(10000)) {
    REQUIRE(loop.run_until([&] { return rec.written.count(id.v) > 0; }, max));
    return rec.written[id.v];
  }

  core::FetchResult fetch(std::vector<std::string> keys) { return wait_fetch(fetch_async(std::move(keys))); }
  core::IoStatus store(std::vector<core::StoreEntry> entries) { return wait_write(store_async(std::move(entries))); }
  core::IoStatus erase(std::vector<std::string> keys) { return wait_write(erase_async(std::move(keys))); }
  core::IoStatus flush(std::string prefix) { return wait_write(flush_async(std::move(prefix))); }
};

/// A synchronous hiredis client to check what the driver did.
class RawClient {
 public:
  explicit RawClient(std::string_view url) {
    const auto u = drivers::redis::detail::parse_redis_url(url);
    REQUIRE(u);
    c_ = redisConnect(u->host.c_str(), u->port);
    REQUIRE(c_);
    REQUIRE(c_->err == 0);
    if (!u->password.empty()) {
      if (u->user.empty())
        command({"AUTH", u->password});
      else
        command({"AUTH", u->user, u->password});
    }
    if (u->db != 0) command({"SELECT", std::to_string(u->db)});
  }
  ~RawClient() { redisFree(c_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  /// Runs a command; returns its reply (freed by the client later).
  const redisReply* command(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(c_, int(args.size()), argv.data(), lens.data()));
    REQUIRE(r);
    replies_.emplace_back(r, &freeReplyObject);
    return r;
  }
  long long integer(const std::vector<std::string>& args) {
    const auto* r = command(args);
    REQUIRE(r->type == REDIS_REPLY_INTEGER);
    return r->integer;
  }
  std::optional<std::string> get(const std::string& key) {
    const auto* r = command({"GET", key});
    if (r->type == REDIS_REPLY_NIL) return std::nullopt;
    REQUIRE(r->type == REDIS_REPLY_STRING);
    return std::string(r->str, r->len);
  }

 private:
  redisContext* c_ = nullptr;
  std::vector<std::unique_ptr<redisReply, void (*)(void*)>> replies_;
};

}  // namespace cacheme::test
