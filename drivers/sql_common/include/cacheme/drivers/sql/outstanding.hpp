/// @file outstanding.hpp
/// The loop-thread bookkeeping of a storage whose operations run on worker threads (SQLite,
/// MongoDB): which operations are outstanding, the cap on them, and the counters of
/// `StorageHealth`. A completion of an operation no longer outstanding (abandoned by the core,
/// or failed at close) is not reported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
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

  /// Takes `id` in, or refuses it (counted as overloaded) when `cap` operations are outstanding;
  /// the refusal is posted, and reported only if `refusal_due(id)` (not abandoned meanwhile).
  bool admit(core::IoId id) {
    if (ids_.size() >= cap_) {
      ++health_.overloaded;
      refused_.insert(id.v);
      return false;
    }
    ids_.insert(id.v);
    return true;
  }

  /// `id` completed: true when it was outstanding (report it), false when abandoned before.
  bool finish(core::IoId id) { return ids_.erase(id.v) > 0; }

  /// The posted refusal of `id` is running: true when it is still to be reported.
  bool refusal_due(core::IoId id) { return refused_.erase(id.v) > 0; }

  /// The core gave up on `id`: true when it was outstanding (then counted as abandoned). A
  /// refusal not yet reported is dropped (on a busy loop the core's timeout can pass first) and
  /// counted as abandoned, not overloaded.
  bool abandon(core::IoId id) {
    if (refused_.erase(id.v) > 0) {
      --health_.overloaded;
      ++health_.abandoned;
      return false;
    }
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
  std::unordered_set<std::uint64_t> refused_;  ///< refusals posted, not yet reported
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

/// Posts the failure `c` of an operation never taken in (storage closed, or refused as
/// overloaded: then reported only if the core did not abandon it meanwhile).
template <class Completion>
void post_refusal(Reactor& reactor, const std::shared_ptr<WorkerShared>& shared, Completion c) {
  reactor.post([weak = std::weak_ptr<WorkerShared>(shared), c = std::move(c)]() mutable {
    auto s = weak.lock();
    if (!s || (c.status == core::IoStatus::overloaded && !s->outstanding.refusal_due(c.id))) return;
    report(s->sink, c);
  });
}

/// Reports the completions of operations still outstanding (not those the core abandoned).
template <class Completion>
void deliver(WorkerShared& shared, std::vector<Completion>& completions) {
  for (auto& c : completions)
    if (shared.outstanding.finish(c.id)) report(shared.sink, c);
}

}  // namespace cacheme::drivers::sql
