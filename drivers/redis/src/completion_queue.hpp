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
    if (core::FetchResult* out = fetch_slot(id)) *out = std::move(r);
  }
  /// Where to write the result of fetch `id` (nullptr once silenced): a result queued and
  /// delivered before, whose buffers the caller fills again (`core::assign_value`).
  core::FetchResult* fetch_slot(core::IoId id) {
    if (silent_) return nullptr;
    Done& d = done_.add();
    d.id = id;
    d.is_fetch = true;
    return &d.fetch;
  }
  void written(core::IoId id, core::IoStatus s) {
    if (silent_) return;
    Done& d = done_.add();
    d.id = id;
    d.is_fetch = false;
    d.status = s;
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
    bool is_fetch = false;
    core::FetchResult fetch;  // for fetches (kept with its buffers once delivered)
    core::IoStatus status = core::IoStatus::ok;
  };
  /// A list whose elements outlive `clear`: the next `add` hands back an old element, its
  /// fetch result's buffers included, so a steady stream of completions allocates nothing.
  struct DoneList {
    std::vector<Done> items;
    std::size_t size = 0;
    Done& add() {
      if (size == items.size()) items.emplace_back();
      return items[size++];
    }
  };
  // What a delivered batch keeps for reuse: the fetch results among its first kKeptResults
  // completions, unless one has room for more than kKeptValues values or holds a value larger
  // than kKeptBytes (a burst, a large MGET or a large value is not pinned).
  static constexpr std::size_t kKeptResults = 1024;
  static constexpr std::size_t kKeptValues = 64;
  static constexpr std::size_t kKeptBytes = 4096;
  static void trim(DoneList& list);

  Reactor& reactor_;
  CompletionSink sink_;
  DoneList done_;
  DoneList delivering_;  // the batch being handed over
  bool posted_ = false;
  bool silent_ = false;
  std::shared_ptr<CompletionQueue*> alive_;  // posted tasks hold a weak_ptr to it
};

}  // namespace cacheme::drivers::redis::detail
