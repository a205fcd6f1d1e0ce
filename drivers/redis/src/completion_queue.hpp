// Completions of a Redis storage, queued and handed to the sink from a clean stack only.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "cacheme/drivers/storage.hpp"

namespace cacheme::drivers::redis::detail {

/// Holds finished operations until `deliver` (after hiredis returned) or a posted task runs,
/// never inside `Storage::start` nor inside a hiredis callback. The sink may destroy the storage
/// (and this queue with it) while delivering: delivery stops there.
class CompletionQueue {
 public:
  CompletionQueue(Reactor& reactor, CompletionSink sink)
      : reactor_(reactor), sink_(std::move(sink)), alive_(std::make_shared<CompletionQueue*>(this)) {}
  ~CompletionQueue() { alive_.reset(); }
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;

  void fetched(core::IoId id, core::FetchResult r) {
    if (!silent_) done_.push_back(Done{id, std::move(r)});
  }
  void written(core::IoId id, core::IoStatus s) {
    if (!silent_) done_.push_back(Done{id, std::nullopt, s});
  }
  /// Completes `id` as refused (`IoStatus::overloaded`) from a posted task, never inside the
  /// caller: `fetch` says which kind of completion it gets.
  void refuse(core::IoId id, bool fetch) {
    if (fetch)
      fetched(id, {core::IoStatus::overloaded, {}});
    else
      written(id, core::IoStatus::overloaded);
    deliver_later();
  }
  /// From now on completions are dropped (the storage is being destroyed).
  void silence() { silent_ = true; }

  /// Hands every queued completion to the sink now (the caller is on a clean stack).
  void deliver();
  /// Delivers from a posted task (once per batch).
  void deliver_later();

 private:
  struct Done {
    core::IoId id;
    std::optional<core::FetchResult> fetch;  // set for fetches
    core::IoStatus status = core::IoStatus::ok;
  };

  Reactor& reactor_;
  CompletionSink sink_;
  std::vector<Done> done_;
  std::vector<Done> delivering_;  // the batch being handed over (its capacity is kept)
  bool posted_ = false;
  bool silent_ = false;
  std::shared_ptr<CompletionQueue*> alive_;  // posted tasks hold a weak_ptr to it
};

}  // namespace cacheme::drivers::redis::detail
