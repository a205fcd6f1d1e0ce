// The worker threads of one MongoDB storage. libmongoc blocks, so each worker owns one client
// of the pool and runs one batch at a time: a fetch, an erase, a flush, or every store queued at
// that moment as one bulk write (group commit). Workers start as load needs them, up to
// pool_size; completions leave through a callback that the storage turns into a Reactor::post.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "cacheme/core/effects.hpp"
#include "cacheme/result.hpp"
#include "collection.hpp"
#include "mongo_url.hpp"
#include "sweep_schedule.hpp"

namespace cacheme::drivers::mongo {

/// A delete of every key starting with `prefix` (the benchmark's `--flush`).
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

/// `op` failed without reaching the server.
Completion failure(const Operation& op);

class Workers {
 public:
  /// Both are called on a worker thread and must hand over to the loop thread.
  using OpenedFn = std::function<void(Result<void>)>;
  using DeliverFn = std::function<void(std::vector<Completion>)>;

  Workers(Settings settings, DeliverFn deliver) : settings_(std::move(settings)), deliver_(std::move(deliver)) {}
  ~Workers() { stop(); }
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  /// Starts the first thread: it pings the server (and creates the TTL index when `init`),
  /// creates the pool, reports through `opened`, then serves the queue.
  void open(OpenedFn opened);

  /// Queues `op` (thread-safe); starts another worker when none is idle and fewer than
  /// pool_size run.
  void submit(Operation op);

  /// Drops `id` if still queued (thread-safe); a running one is left to finish.
  void abandon(core::IoId id);

  /// Worker threads started, and of them those waiting for work (thread-safe).
  std::pair<std::size_t, std::size_t> threads() const;

  /// Stops every thread after its current batch; returns the operations never run.
  std::vector<Operation> stop();

  /// Commands sent so far, by name (thread-safe).
  std::map<std::string, std::uint64_t> counts() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Queued {
    Operation op;
    Clock::time_point since;
  };
  /// What one worker runs next: one operation, or several stores as one bulk write.
  struct Batch {
    std::vector<Operation> ops;
    std::vector<Completion> expired;  ///< operations the core has already given up on
    bool sweep = false;
  };

  Result<void> connect();
  void serve();
  bool next_batch(Batch& batch);
  std::vector<Completion> execute(Collection& collection, Batch& batch);
  void run_store_group(Collection& c, std::vector<Operation>& ops, std::int64_t now, std::vector<Completion>& out);
  Completion run_one(Collection& c, Operation& op, std::int64_t now);
  void run_sweep(Collection& c, std::int64_t now);
  void note(bool ok, const Collection& c);
  void count(const char* name, std::uint64_t n = 1);

  const Settings settings_;
  const DeliverFn deliver_;
  ClientPool pool_;  // set by the first thread before any other starts
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Queued> queue_;                     // guarded by mutex_
  std::vector<std::thread> threads_;             // guarded by mutex_
  std::size_t idle_ = 0;                         // guarded by mutex_
  bool opened_ = false;                          // guarded by mutex_
  bool stopping_ = false;                        // guarded by mutex_
  bool failing_ = false;                         // guarded by mutex_: logs a failure once
  std::map<std::string, std::uint64_t> counts_;  // guarded by mutex_
  SweepSchedule sweep_;                          // guarded by mutex_
};

}  // namespace cacheme::drivers::mongo
