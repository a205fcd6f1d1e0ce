// The storages the conformance suite runs against, by name ("redis", "redis-cluster", "sqlite",
// "postgres", "mysql", "mongo"): their URLs (from CACHEME_TEST_<BACKEND>_URL, SQLite on a temporary file), the
// command a fetch sends, an unreachable URL of the same scheme, and a raw write behind the
// cache's back (a driver of our own on the same loop).
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "cacheme/drivers/storage.hpp"
#if CACHEME_CONF_REDIS
#include "cacheme/drivers/redis.hpp"
#endif
#if CACHEME_CONF_SQLITE
#include "cacheme/drivers/sqlite.hpp"
#endif
#if CACHEME_CONF_POSTGRES
#include "cacheme/drivers/postgres.hpp"
#endif
#if CACHEME_CONF_MYSQL
#include "cacheme/drivers/mysql.hpp"
#endif
#if CACHEME_CONF_MONGO
#include "cacheme/drivers/mongo.hpp"
#endif

namespace cacheme::conformance {

/// Whether a driver for `storage` is built.
inline bool built(const std::string& storage) {
  if (storage == "redis" || storage == "redis-cluster") return CACHEME_CONF_REDIS;
  if (storage == "sqlite") return CACHEME_CONF_SQLITE;
  if (storage == "postgres") return CACHEME_CONF_POSTGRES;
  if (storage == "mysql") return CACHEME_CONF_MYSQL;
  if (storage == "mongo") return CACHEME_CONF_MONGO;
  return false;
}

/// A single Redis or a Redis Cluster (the same driver).
inline bool is_redis(const std::string& storage) { return storage == "redis" || storage == "redis-cluster"; }

inline bool servers_required() {
  const char* r = std::getenv("CACHEME_REQUIRE_SERVERS");
  return r && std::string_view(r) == "1";
}

/// Says (stderr and a Catch2 warning) that this test did not run against `storage`.
inline void not_run(const std::string& storage, const std::string& why) {
  std::fprintf(stderr, "[not run] %s on %s: %s\n", Catch::getResultCapture().getCurrentTestName().c_str(),
               storage.c_str(), why.c_str());
  WARN(storage + ": " + why + ": this test did NOT run");
}

/// A temporary folder for SQLite files and the test's own servers, removed at exit.
inline const std::filesystem::path& temp_dir() {
  struct Dir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("cacheme-conformance-" + std::to_string(::getpid()));
    Dir() { std::filesystem::create_directories(path); }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static Dir dir;
  return dir.path;
}

/// The URL of `storage` with its table created if missing, or nullopt (then the test fails
/// when CACHEME_REQUIRE_SERVERS=1, else it says it did not run). SQL tables are per process,
/// so `ctest -j2` runs never race on `CREATE TABLE`.
inline std::optional<std::string> storage_url(const std::string& storage) {
  if (!built(storage)) {
    not_run(storage, "driver not built");
    return std::nullopt;
  }
  const std::string table = "conformance_" + std::to_string(::getpid());
  if (storage == "sqlite") return "sqlite://" + (temp_dir() / "conformance.db").string() + "?init=1";
  const char* var = storage == "redis"           ? "CACHEME_TEST_REDIS_URL"
                    : storage == "redis-cluster" ? "CACHEME_TEST_REDIS_CLUSTER_URL"
                    : storage == "postgres"      ? "CACHEME_TEST_POSTGRES_URL"
                    : storage == "mongo"         ? "CACHEME_TEST_MONGO_URL"
                                                 : "CACHEME_TEST_MYSQL_URL";
  const char* url = std::getenv(var);
  if (!url || !*url) {
    if (servers_required()) FAIL(std::string(var) + " is not set but CACHEME_REQUIRE_SERVERS=1");
    not_run(storage, std::string(var) + " is not set");
    return std::nullopt;
  }
  if (is_redis(storage)) return std::string(url);
  if (storage == "mongo") return std::string(url) + "/?database=cacheme_test&collection=" + table + "&init=1";
  return std::string(url) + "?table=" + table + "&init=1";
}

/// The command a single-key fetch sends.
inline std::string fetch_command(const std::string& storage) {
  return is_redis(storage) ? "GET" : storage == "mongo" ? "FIND" : "SELECT";
}

/// A URL of `storage` nobody answers at (closed port 1; for SQLite a folder that does not exist).
inline std::string down_url(const std::string& storage) {
  if (storage == "redis") return "redis://127.0.0.1:1";
  if (storage == "redis-cluster") return "redis://127.0.0.1:1?cluster=true";
  if (storage == "postgres") return "postgresql://postgres@127.0.0.1:1/appdb";
  if (storage == "mysql") return "mysql://app:apppw@127.0.0.1:1/appdb";
  if (storage == "mongo") return "mongodb://app:secret@127.0.0.1:1/?database=cacheme_test";
  return "sqlite:///nonexistent-cacheme-dir/sub/x.db?init=1";
}

/// A key prefix of this test alone.
inline std::string unique_prefix(const std::string& adapter, const std::string& storage) {
  static std::atomic<int> counter{0};
  return "conf:" + std::to_string(::getpid()) + ":" + std::to_string(counter++) + ":" + adapter + ":" + storage;
}

/// Connects a driver of `storage`'s scheme on `reactor` (a second client, behind the cache's back).
inline void connect_raw(const std::string& storage, drivers::Reactor& reactor, const std::string& url,
                        drivers::CompletionSink sink, drivers::ConnectDone done) {
  (void)reactor, (void)url, (void)sink, (void)done;
#if CACHEME_CONF_REDIS
  if (is_redis(storage)) return drivers::connect_redis(reactor, url, {}, std::move(sink), std::move(done));
#endif
#if CACHEME_CONF_SQLITE
  if (storage == "sqlite") return drivers::connect_sqlite(reactor, url, {}, std::move(sink), std::move(done));
#endif
#if CACHEME_CONF_POSTGRES
  if (storage == "postgres") return drivers::connect_postgres(reactor, url, {}, std::move(sink), std::move(done));
#endif
#if CACHEME_CONF_MYSQL
  if (storage == "mysql") return drivers::connect_mysql(reactor, url, {}, std::move(sink), std::move(done));
#endif
#if CACHEME_CONF_MONGO
  if (storage == "mongo") return drivers::connect_mongo(reactor, url, {}, std::move(sink), std::move(done));
#endif
  FAIL("no driver for " + storage);
}

/// Writes `bytes` under the full key `key` straight into `storage` (no header, no codec).
template <class Harness>
void write_raw(Harness& h, const std::string& storage, const std::string& url, const std::string& key,
               const std::string& bytes) {
  std::optional<std::error_code> connected;
  std::optional<core::IoStatus> written;
  std::unique_ptr<drivers::Storage> raw;  // last: destroyed first
  drivers::CompletionSink sink{[](core::IoId, core::FetchResult) {}, [&](core::IoId, core::IoStatus s) { written = s; }};
  connect_raw(storage, h.reactor(), url, sink, [&](Result<std::unique_ptr<drivers::Storage>> s) {
    connected = s ? std::error_code{} : s.error();
    if (s) raw = std::move(*s);
  });
  REQUIRE(h.run_until([&] { return connected.has_value(); }));
  REQUIRE_FALSE(*connected);
  raw->start(core::StoreRequest{core::IoId{1}, core::TierId{}, {core::StoreEntry{key, bytes, std::nullopt}}});
  REQUIRE(h.run_until([&] { return written.has_value(); }));
  REQUIRE(*written == core::IoStatus::ok);
  raw->close();
  h.run_for(std::chrono::milliseconds(20));  // let a worker thread (SQLite) wind down
}

}  // namespace cacheme::conformance
