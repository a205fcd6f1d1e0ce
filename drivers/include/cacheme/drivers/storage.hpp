/// @file storage.hpp
/// A remote storage driver: it carries out the engine's storage effects and reports back.
/// It decides no cache policy and keeps no deadlines (the core times operations out; a late
/// completion is simply ignored by the core).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "cacheme/core/effects.hpp"
#include "cacheme/drivers/reactor.hpp"
#include "cacheme/result.hpp"

namespace cacheme::drivers {

/// Where a driver reports finished operations (the adapter's pump feeds them to the core).
/// Called on the loop thread, never from inside `Storage::start` itself (post or defer
/// instead), so the pump never re-enters.
struct CompletionSink {
  /// Fetches. The receiver copies what it keeps, so a driver may fill the same result again
  /// for its next completion (`core::assign_value`). The result is the driver's: valid until
  /// the call returns or the receiver destroys the storage, whichever comes first.
  std::function<void(core::IoId, const core::FetchResult&)> fetched;
  std::function<void(core::IoId, core::IoStatus)> written;  ///< stores and erases
  /// Optional. A driver that hands over several completions in a row calls `batch(true)`
  /// before the first and `batch(false)` after the last, so that the receiver acts once for
  /// all of them (the runtime reads the clock and runs its pump once per batch, not once per
  /// completion). A driver that never calls it gets one action per completion.
  std::function<void(bool begin)> batch = nullptr;
};

/// Options common to every storage, from `Storage{url, options}`; URL query parameters
/// (`?pool_size=8&timeout=500&table=cache&init=1`) override them.
struct StorageOptions {
  std::size_t pool_size = 0;      ///< 0: the driver's default (Redis 100, SQL 50)
  std::string table = "cache";    ///< SQL storages
  bool init = false;              ///< SQL: create the table from `sql/<backend>.sql` if missing
};

/// What a storage's connections are doing, for `Storage::health()` (gauges and counters since
/// the storage connected). A driver fills what it can; the rest stays 0.
struct StorageHealth {
  std::size_t connections = 0;          ///< connections the pool holds (or workers it runs)
  std::size_t connections_up = 0;       ///< of which usable now
  std::size_t outstanding = 0;          ///< operations started and not yet completed
  std::uint64_t reconnects = 0;         ///< connections re-established after a loss
  std::uint64_t connection_timeouts = 0;  ///< connections closed because a reply was overdue
  std::uint64_t abandoned = 0;          ///< operations the core gave up on (`abandon`)
  std::uint64_t overloaded = 0;         ///< operations refused at once with `IoStatus::overloaded`
};

/// One connected remote storage.
class Storage {
 public:
  virtual ~Storage() = default;

  /// Starts one effect. Results arrive later through the sink given at creation. A driver
  /// that keeps the request moves from it; one that has sent its keys leaves them, and the
  /// caller gives the request back to the engine (`Engine::recycle`) to reuse its buffers.
  virtual void start(core::FetchRequest&& req) = 0;
  /// Starts a store; it completes through the sink's `written`.
  virtual void start(core::StoreRequest req) = 0;
  /// Starts an erase; it completes through the sink's `written`.
  virtual void start(core::EraseRequest req) = 0;

  /// Deletes every key starting with `prefix` (the benchmark's `--flush`); never a whole
  /// database or a table the storage did not create. Completes through `written`.
  virtual void flush_prefix(core::IoId id, std::string prefix) = 0;

  /// The core gave up on operation `id` (its storage timeout passed, `core::AbandonIo`): drop
  /// it if not yet sent, ignore its reply if sent. Never completes `id` through the sink.
  virtual void abandon(core::IoId id) { (void)id; }

  /// Connections, outstanding operations and failure counts, on the loop thread.
  virtual StorageHealth health() const { return {}; }

  /// Commands sent so far, by name (`GET`, `MGET`, `SET`, `DEL`, `SELECT`, ...).
  virtual std::map<std::string, std::uint64_t> command_counts() const = 0;

  /// Closes connections; pending operations complete with `backend_error`.
  virtual void close() = 0;
};

/// Connects asynchronously; `done` gets the storage, or a clear error (`errc::bad_url`,
/// `errc::connect_failed` with the server's message in the log, `errc::schema_missing`, ...).
using ConnectDone = std::function<void(Result<std::unique_ptr<Storage>>)>;

}  // namespace cacheme::drivers
