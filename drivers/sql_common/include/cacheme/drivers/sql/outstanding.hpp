/// @file outstanding.hpp
/// The loop-thread bookkeeping of a storage whose operations run on worker threads (SQLite,
/// MongoDB): which operations are outstanding, the cap on them, and the counters of
/// `StorageHealth`. A completion of an operation no longer outstanding (abandoned by the core,
/// or failed at close) is not reported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cacheme/core/ids.hpp"
#include "cacheme/drivers/storage.hpp"

namespace cacheme::drivers::sql {

/// The outstanding operations of one storage and its health counters. Loop thread only.
class Outstanding {
 public:
  /// At most `cap` operations outstanding at once; more are refused as overloaded.
  explicit Outstanding(std::size_t cap) : cap_(cap) {}

  /// Takes `id` in, or refuses it (counted as overloaded) when `cap` operations are outstanding.
  bool admit(core::IoId id) {
    if (ids_.size() >= cap_) {
      ++health_.overloaded;
      return false;
    }
    ids_.insert(id.v);
    return true;
  }

  /// `id` completed: true when it was outstanding (report it), false when abandoned before.
  bool finish(core::IoId id) { return ids_.erase(id.v) > 0; }

  /// The core gave up on `id`: true when it was outstanding (then counted as abandoned).
  bool abandon(core::IoId id) {
    if (ids_.erase(id.v) == 0) return false;
    ++health_.abandoned;
    return true;
  }

  /// The counters, with `outstanding` filled in; the caller adds its connections.
  StorageHealth health() const {
    StorageHealth h = health_;
    h.outstanding = ids_.size();
    return h;
  }

 private:
  std::size_t cap_;
  std::unordered_set<std::uint64_t> ids_;
  StorageHealth health_;
};

/// Loop-thread state a worker storage's posts reach; they hold it weakly, so a destroyed storage
/// receives nothing.
struct WorkerShared {
  CompletionSink sink;      ///< where completions are reported
  Outstanding outstanding;  ///< which of them are still wanted
};

/// Hands a worker's completion (fields `id`, `is_fetch`, `fetch`, `status`) to `sink`.
template <class Completion>
void report(const CompletionSink& sink, Completion& c) {
  if (c.is_fetch) {
    if (sink.fetched) sink.fetched(c.id, std::move(c.fetch));
  } else if (sink.written) {
    sink.written(c.id, c.status);
  }
}

/// Reports the completions of operations still outstanding (not those the core abandoned).
template <class Completion>
void deliver(WorkerShared& shared, std::vector<Completion>& completions) {
  for (auto& c : completions)
    if (shared.outstanding.finish(c.id)) report(shared.sink, c);
}

}  // namespace cacheme::drivers::sql
