// A storage under load with the core's side of the contract played by the test: every operation
// has a deadline (the storage timeout); when it passes the client calls `abandon`, as the
// runtime does on `core::AbandonIo`. It counts what came back and checks that nothing comes back
// for an abandoned operation.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cacheme/drivers/storage.hpp"
#include "sql_helpers.hpp"

namespace cacheme::test::sql {

/// The process's resident set, in KiB (/proc/self/status).
inline long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

template <class Loop>
struct LoadClient {
  using Clock = std::chrono::steady_clock;
  struct Waiting {
    Clock::time_point start;
    Clock::time_point deadline;
  };

  Loop loop;
  std::unique_ptr<drivers::Storage> storage;
  std::chrono::milliseconds timeout;
  std::unordered_map<std::uint64_t, Waiting> waiting;
  std::vector<bool> gave_up;  // by IoId: abandoned (ids grow by one, so a bit each)
  std::uint64_t next_id = 1;
  std::uint64_t ok = 0, errors = 0, overloaded = 0, abandoned = 0;
  std::uint64_t late = 0;  // completions of abandoned (or unknown) operations: must stay 0
  Clock::duration slowest_refusal{};
  std::optional<Clock::time_point> last_ok;
  std::optional<Clock::time_point> last_ok_store;

  explicit LoadClient(std::chrono::milliseconds t) : timeout(t) {}
  ~LoadClient() {
    storage.reset();
    loop.run_for(std::chrono::milliseconds(20));
  }

  /// Connects `backend` to `url`; the error, if any.
  std::error_code connect(Backend backend, const std::string& url) {
    return connect_with([&](drivers::Reactor& reactor, drivers::CompletionSink sink, drivers::ConnectDone done) {
      connect_storage(backend, reactor, url, {}, std::move(sink), std::move(done));
    });
  }

  /// Connects through `connect(reactor, sink, done)`, a driver's `connect_*` with its URL bound.
  template <class Connect>
  std::error_code connect_with(Connect connect) {
    std::optional<Result<std::unique_ptr<drivers::Storage>>> result;
    drivers::CompletionSink sink{[this](core::IoId id, core::FetchResult r) { done(id, r.status); },
                                 [this](core::IoId id, core::IoStatus s) { done(id, s); }};
    connect(loop.reactor(), sink, [&result](Result<std::unique_ptr<drivers::Storage>> r) { result = std::move(r); });
    if (!loop.run_until([&] { return result.has_value(); }, std::chrono::milliseconds(10000)))
      return make_error_code(std::errc::timed_out);
    if (!*result) return result->error();
    storage = std::move(**result);
    return {};
  }

  /// Starts `n` operations: three fetches for each store (ids divisible by 4), over 500 keys.
  void issue(int n) {
    const auto now = Clock::now();
    for (int i = 0; i < n; ++i) {
      const core::IoId id{next_id++};
      gave_up.push_back(false);
      waiting[id.v] = {now, now + timeout};
      std::string key = "load:" + std::to_string(id.v % 500);
      if (id.v % 4 == 0)
        storage->start(core::StoreRequest{id, {1}, {core::StoreEntry{std::move(key), "value", std::nullopt}}});
      else
        storage->start(core::FetchRequest{id, {1}, {std::move(key)}});
    }
  }

  /// Runs the loop a little, then abandons what is past its deadline.
  void step() {
    loop.run_for(std::chrono::milliseconds(5));
    const auto now = Clock::now();
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (now < it->second.deadline) {
        ++it;
        continue;
      }
      storage->abandon(core::IoId{it->first});
      gave_up[it->first - 1] = true;
      ++abandoned;
      it = waiting.erase(it);
    }
  }

  /// Steps until nothing waits (every operation answered or abandoned).
  void drain() {
    while (!waiting.empty()) step();
    loop.run_for(std::chrono::milliseconds(50));
  }

 private:
  void done(core::IoId id, core::IoStatus status) {
    auto it = waiting.find(id.v);
    if (it == waiting.end() || gave_up[id.v - 1]) {
      ++late;
      return;
    }
    const auto now = Clock::now();
    if (status == core::IoStatus::overloaded) {
      ++overloaded;
      slowest_refusal = std::max(slowest_refusal, now - it->second.start);
    } else if (status == core::IoStatus::ok) {
      ++ok;
      last_ok = now;
      if (id.v % 4 == 0) last_ok_store = now;
    } else {
      ++errors;
    }
    waiting.erase(it);
  }
};

}  // namespace cacheme::test::sql
