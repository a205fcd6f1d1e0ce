// The conformance suites' client of one SQL storage: connects it on a test loop, starts
// operations and waits for their completions; a table per test; every configured backend.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cacheme/drivers/storage.hpp"
#include "sql_helpers.hpp"

namespace cacheme::test::sql {

using namespace std::chrono_literals;
using core::FetchResult;
using core::IoStatus;
using core::StoreEntry;
using drivers::StorageOptions;

inline bool require_servers() {
  const char* v = std::getenv("CACHEME_REQUIRE_SERVERS");
  return v && std::string(v) == "1";
}

// Runs `fn(target)` for every configured backend; an unset server URL fails under
// CACHEME_REQUIRE_SERVERS=1 and is reported otherwise (Catch2 v2 has no SKIP).
template <class Fn>
void for_each_target(Fn fn) {
  std::vector<std::string> missing;
  const auto all = targets(missing);
  for (const auto& m : missing) {
    if (require_servers()) FAIL(m << " is not set (CACHEME_REQUIRE_SERVERS=1)");
    WARN(m << " is not set: that backend did not run");
  }
  for (const auto& t : all) {
    INFO("backend: " << t.name);
    fn(t);
  }
}

// A table made for one test and dropped after it.
struct Table {
  const Target& target;
  std::string name = unique_table();
  ~Table() { execute(target, "DROP TABLE IF EXISTS " + name); }
};

template <class Loop>
struct Client {
  Loop loop;
  std::unique_ptr<cacheme::drivers::Storage> storage;
  std::map<std::uint64_t, FetchResult> fetched;
  std::map<std::uint64_t, IoStatus> written;
  std::vector<std::uint64_t> completed;  ///< ids in the order their completions came
  std::uint64_t next_id = 1;

  ~Client() {
    storage.reset();
    loop.run_for(20ms);  // let posted callbacks of the closed storage drain
  }

  std::error_code connect(const Target& t, const std::string& url, const StorageOptions& options = {},
                          std::chrono::milliseconds max = 10s) {
    std::optional<cacheme::Result<std::unique_ptr<cacheme::drivers::Storage>>> result;
    cacheme::drivers::CompletionSink sink{
        [this](cacheme::core::IoId id, FetchResult r) {
          completed.push_back(id.v);
          fetched[id.v] = std::move(r);
        },
        [this](cacheme::core::IoId id, IoStatus s) {
          completed.push_back(id.v);
          written[id.v] = s;
        }};
    auto done = [&result](cacheme::Result<std::unique_ptr<cacheme::drivers::Storage>> r) { result = std::move(r); };
    if (!connect_storage(t.backend, loop.reactor(), url, options, sink, done)) FAIL("backend not built");
    REQUIRE_FALSE(result.has_value());  // never from inside the connect call
    REQUIRE(loop.run_until([&] { return result.has_value(); }, max));
    if (!*result) return result->error();
    storage = std::move(**result);
    return {};
  }

  // Connects to a fresh table created through init=1.
  void open(const Target& t, const Table& table) {
    REQUIRE(connect(t, url_for(t, table.name, "&init=1")) == std::error_code{});
  }

  cacheme::core::IoId id() { return {next_id++}; }

  FetchResult fetch(std::vector<std::string> keys) {
    const auto io = id();
    storage->start(cacheme::core::FetchRequest{io, {1}, std::move(keys)});
    REQUIRE_FALSE(fetched.count(io.v));
    REQUIRE(loop.run_until([&] { return fetched.count(io.v) > 0; }));
    return fetched[io.v];
  }
  std::optional<std::string> get(const std::string& key) {
    auto r = fetch({key});
    REQUIRE(r.status == IoStatus::ok);
    REQUIRE(r.values.size() == 1);
    return r.values[0];
  }
  IoStatus wait_written(cacheme::core::IoId io) {
    REQUIRE_FALSE(written.count(io.v));
    REQUIRE(loop.run_until([&] { return written.count(io.v) > 0; }));
    return written[io.v];
  }
  IoStatus store(std::vector<StoreEntry> entries) {
    const auto io = id();
    storage->start(cacheme::core::StoreRequest{io, {1}, std::move(entries)});
    return wait_written(io);
  }
  IoStatus set(const std::string& key, const std::string& value,
               std::optional<std::chrono::milliseconds> ttl = std::nullopt) {
    return store({StoreEntry{key, value, ttl}});
  }
  IoStatus erase(std::vector<std::string> keys) {
    const auto io = id();
    storage->start(cacheme::core::EraseRequest{io, {1}, std::move(keys)});
    return wait_written(io);
  }
  IoStatus flush(std::string prefix) {
    const auto io = id();
    storage->flush_prefix(io, std::move(prefix));
    return wait_written(io);
  }
};

}  // namespace cacheme::test::sql
