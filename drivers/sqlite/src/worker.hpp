// The SQLite worker thread: owns the connection, drains queued operations in batches and runs
// each batch in one transaction (group commit). Completions leave through a callback that the
// storage turns into a Reactor::post.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <variant>
#include <vector>

#include "cacheme/core/effects.hpp"
#include "cacheme/drivers/sql/keys.hpp"
#include "cacheme/result.hpp"

namespace cacheme::drivers::sqlite {

class Database;

/// A flush of every key starting with `prefix`.
struct FlushRequest {
  core::IoId id;
  std::string prefix;
};

using Operation = std::variant<core::FetchRequest, core::StoreRequest, core::EraseRequest, FlushRequest>;

/// A finished operation: `fetch` is set for fetches, `status` for writes.
struct Completion {
  core::IoId id;
  bool is_fetch = false;
  core::FetchResult fetch;
  core::IoStatus status = core::IoStatus::ok;
};

class Worker {
 public:
  /// Both are called on the worker thread and must hand over to the loop thread.
  using OpenedFn = std::function<void(Result<void>)>;
  using DeliverFn = std::function<void(std::vector<Completion>)>;

  /// `busy_timeout`: how long a statement waits for another connection's lock (the storage's
  /// timeout: past it the core has given up anyway).
  Worker(std::string path, std::string table, bool init, std::chrono::milliseconds busy_timeout)
      : path_(std::move(path)), table_(std::move(table)), init_(init), busy_timeout_(busy_timeout) {}
  ~Worker() { stop(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Starts the thread: it opens the database, reports through `opened`, then serves the queue.
  void start(OpenedFn opened, DeliverFn deliver);

  /// Queues `op` (thread-safe).
  void submit(Operation op);

  /// Drops `id` if still queued (thread-safe); a running one is left to finish.
  void abandon(core::IoId id);

  /// How long the current batch has been running (zero when idle; thread-safe).
  std::chrono::steady_clock::duration busy_for() const;

  /// Whether the connection serves: no operation failed within two `timeout`s (a lock held
  /// by another connection fails writes) and the current batch has not run past it (thread-safe).
  bool usable(std::chrono::milliseconds timeout) const;

  /// Stops the thread after its current batch; returns the operations it never ran.
  std::vector<Operation> stop();

  /// Statements run so far, by name (thread-safe).
  std::map<std::string, std::uint64_t> counts() const;

 private:
  void run(OpenedFn opened, DeliverFn deliver);
  std::vector<Completion> execute(Database& db, std::vector<Operation>& batch);
  void count(const char* name, std::uint64_t n = 1);
  bool take_abandoned(core::IoId id);
  void note_failure();

  const std::string path_;
  const std::string table_;
  const bool init_;
  const std::chrono::milliseconds busy_timeout_;
  std::atomic<std::int64_t> batch_started_{0};  // steady_clock ticks; 0: idle
  std::atomic<std::int64_t> last_failure_{0};  // steady_clock ticks of the last failed batch
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Operation> queue_;  // guarded by mutex_
  bool stopping_ = false;         // guarded by mutex_
  std::map<std::string, std::uint64_t> counts_;  // guarded by mutex_
  std::unordered_set<std::uint64_t> abandoned_;  // guarded by mutex_: in the running batch
  sql::SweepSchedule sweep_;                     // worker thread only
};

}  // namespace cacheme::drivers::sqlite
