// The Redis Storage: turns storage effects into pipelined commands on the pool.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "cacheme/drivers/storage.hpp"
#include "completion_queue.hpp"
#include "op_table.hpp"
#include "redis_pool.hpp"

namespace cacheme::drivers::redis::detail {

/// Completions are queued and delivered to the sink only from a clean stack (after hiredis
/// returned, or from a posted task), never inside `start` nor inside a hiredis callback.
/// Every operation is held in an `OpTable` until its replies are back: an abandoned one
/// completes never, and past the table's cap an operation is refused as overloaded.
class RedisStorage final : public Storage, private PoolListener {
 public:
  /// Creates the storage and connects its first connection; `done` runs later, via the reactor.
  static void connect(Reactor& reactor, RedisUrl url, std::size_t pool_size, CompletionSink sink, ConnectDone done);

  ~RedisStorage() override;

  void start(core::FetchRequest&& req) override;
  void start(core::StoreRequest req) override;
  void start(core::EraseRequest req) override;
  void flush();
  void flush_prefix(core::IoId id, std::string prefix) override;
  void abandon(core::IoId id) override { ops_.abandon(id); }
  StorageHealth health() const override;
  std::map<std::string, std::uint64_t> command_counts() const override;
  void close() override;

 private:
  struct FlushJob;

  RedisStorage(Reactor& reactor, RedisUrl url, std::size_t pool_size, CompletionSink sink);

  void on_first_connect(std::error_code ec) override;
  void after_io() override;
  void flush_soon() override;

  /// Refuses `id` when the cap is reached (completes it, overloaded), else starts holding it.
  bool admit(core::IoId id, bool fetch);
  void fetched(core::IoId id, core::FetchResult r) {
    if (ops_.finish(id)) queue_.fetched(id, std::move(r));
  }
  /// Completes fetch `id` with what `read(out)` writes into a queued result it reuses.
  template <class Read>
  void fetched_with(core::IoId id, Read&& read) {
    if (!ops_.finish(id)) return;
    if (core::FetchResult* out = queue_.fetch_slot(id)) read(*out);
  }
  void written(core::IoId id, core::IoStatus s) {
    if (ops_.finish(id)) queue_.written(id, s);
  }
  void deliver_later() { queue_.deliver_later(); }
  void scan_step(const std::shared_ptr<FlushJob>& job, std::string cursor);

  Reactor& reactor_;
  CompletionQueue queue_;
  CommandCounts counts_;
  OpTable ops_;
  bool flush_posted_ = false;
  std::unique_ptr<RedisStorage> self_;  // owns itself until `done` takes it
  ConnectDone connect_done_;
  std::shared_ptr<RedisStorage*> alive_;  // posted tasks hold a weak_ptr to it
  Pool pool_;  // last: destroyed (and closed) first, while the members above still exist
};

}  // namespace cacheme::drivers::redis::detail
