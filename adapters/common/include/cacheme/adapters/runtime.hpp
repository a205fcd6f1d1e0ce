/// @file runtime.hpp
/// The loop-agnostic half of every adapter: it owns the typed cache (and so the engine) and
/// the connected storages, runs the pump (completions in, effects out, the earliest deadline
/// re-armed), starts and cancels loads, and hands replies to whoever waits for them. It is
/// written against the Reactor interface only; each adapter (Asio, libevent) adds its idiom on
/// top. Everything runs on the loop's thread.
///
/// User code (a reply's handler) never runs inside the pump, a driver's callback or a timer:
/// replies are queued and delivered from a task posted to the loop, one task per batch. So a
/// handler may throw, or destroy the cache, without a driver or the pump underneath it.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "cacheme/adapters/reply_handler.hpp"
#include "cacheme/core/fifo_queue.hpp"
#include "cacheme/drivers/invalidation.hpp"
#include "cacheme/drivers/reactor.hpp"
#include "cacheme/drivers/storage.hpp"
#include "cacheme/node_cache.hpp"

namespace cacheme::adapters {

/// True while the runtime that issued `token` (`Runtime::alive_token`) lives and is not being
/// destroyed (callbacks that may run during or after its destruction check this).
inline bool is_alive(const std::weak_ptr<bool>& token) {
  const auto flag = token.lock();
  return flag && *flag;
}

/// The error a cancelled request (or one pending when its cache is destroyed) completes with:
/// `ECANCELED` in the system category, which is `asio::error::operation_aborted`.
std::error_code operation_aborted() noexcept;

/// How the runtime cancels a load it started, when the core asks (the load's deadline passed,
/// or every caller gave up). The loader registers what cancelling means for it.
class LoadCancellation {
 public:
  /// `fn` runs (on the loop thread) when the load is cancelled; at once if it already was.
  void on_cancel(std::function<void()> fn);
  /// True once `cancel` ran.
  bool cancelled() const noexcept { return cancelled_; }
  /// Runs the registered function once; later calls do nothing.
  void cancel();
  /// The load finished: a later `cancel` does nothing.
  void finished() noexcept { fn_ = nullptr; }

 private:
  std::function<void()> fn_;
  bool cancelled_ = false;
};

/// A loader's outcome: the value, or an error and (for an exception) its message.
using LoadDone = std::function<void(Result<core::AnyValue>, std::string_view error_message)>;

/// A request's loader, as the runtime starts it: it produces a value or an error later, on the
/// loop thread. Adapters put one (holding the node or a memoized call) in every request's
/// source; a request without one cannot load (`errc::no_loader`).
class LoadThunk {
 public:
  virtual ~LoadThunk() = default;
  /// Starts the load. `cancel` tells the loader when the core no longer wants the value.
  virtual void start(LoadDone done, const std::shared_ptr<LoadCancellation>& cancel) const = 0;
};

/// A storage to register: a URL and its options (`Storage{url, options}` of the seed).
/// `local://lru?size=N`, `local://tlfu?size=N`, `redis://`, `sqlite://`, `postgresql://`,
/// `mysql://`; the URL option `timeout=MS` sets the operation timeout (default 1000 ms,
/// at most 86,400,000).
struct StorageSpec {
  std::string url;                    ///< the storage URL; its query parameters override `options`
  drivers::StorageOptions options{};  ///< pool size, SQL table, init
};

/// Reads the two clocks together (the only clock reads of the whole stack).
core::Now real_now();

/// What the runtime does with an exception thrown by a reply's handler; unset, it propagates
/// out of the reactor's posted task (Asio: out of `io_context::run`, which may be called again).
using ExceptionSink = std::function<void(std::exception_ptr)>;

/// The shared core of an adapter, on one loop (a `drivers::Reactor`): the typed cache, the
/// connected storages, the pump, the loads and the delivery of replies. Not copyable.
class Runtime {
 public:
  /// Unless `config.fixed_seed`, `config.seed` is mixed with a per-process random value.
  Runtime(drivers::Reactor& reactor, core::Config config = {}, ExceptionSink on_exception = {});
  /// Cancels every running load, closes the storages, and completes every request still
  /// pending (replies already known with their value, the others with `operation_aborted`).
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Expires when the runtime is destroyed (for callbacks that may outlive it).
  std::weak_ptr<bool> alive_token() const { return alive_; }
  /// True from the start of the destructor on, while it answers the requests still pending: a
  /// front answers any new request at once with `operation_aborted` then (its storages are
  /// closed, so it would never complete).
  bool closing() const noexcept { return !*alive_; }

  /// The seed the engine and the local stores use (see `core::Config::fixed_seed`).
  std::uint64_t seed() const { return seed_; }

  /// The typed cache the runtime owns (its nodes, its engine).
  NodeCache& cache() { return cache_; }
  /// The engine inside `cache()`.
  core::Engine& engine() { return cache_.engine(); }
  /// The loop the runtime runs on.
  drivers::Reactor& reactor() { return reactor_; }

  /// Connects storage `spec` and registers it under `name`; `done` gets the outcome later (never
  /// inside this call): `errc::bad_url` for an unknown scheme or a malformed URL,
  /// `errc::bad_option`, `errc::connect_failed` for an unreachable server,
  /// `errc::duplicate_name`, ... Returns an id for `cancel_registration`.
  std::uint64_t register_storage(std::string name, StorageSpec spec, std::function<void(std::error_code)> done);

  /// Completes a pending registration at once with `operation_aborted`; a storage that connects
  /// later is closed, not registered. Returns false for unknown or finished ids. (A `local://`
  /// storage is registered at once: cancelling it then only changes what the caller is told.)
  bool cancel_registration(std::uint64_t id);

  /// Calls `on_reply` with the reply of `ticket` when it comes; then runs the pump. The
  /// handler lives in the ticket's slot until then (no allocation when it fits, see
  /// `ReplyHandler`).
  void await_reply(core::Ticket ticket, ReplyHandler on_reply);

  /// Detaches the caller of `ticket` (DESIGN.md §3 rule 10): its `on_reply` gets a reply with
  /// `operation_aborted`, queued for delivery; the flights it waited on go on for the others.
  /// Returns false if the ticket is no longer pending (its reply is on its way).
  bool cancel(core::Ticket ticket);

  /// Delivers every queued reply now (libevent: a cancelled caller is answered at once).
  void deliver_ready();

  /// Carries out every pending effect and re-arms the deadline timer. Call after submitting.
  void pump();

  /// The connected remote storage registered as `name`, if any.
  drivers::Storage* storage(std::string_view name);

  /// What remote storage `name` is doing now (`drivers::StorageHealth`: connections up,
  /// outstanding operations, reconnects, connection timeouts, abandoned and overloaded
  /// operations); nullopt for a local storage or a name not registered. Loop thread only.
  std::optional<drivers::StorageHealth> storage_health(std::string_view name) const;

  /// Deletes the keys under `prefix` in remote storage `name` (the benchmark's `--flush`).
  void flush_prefix(std::string_view name, std::string prefix, std::function<void(std::error_code)> done);

  /// The invalidation channel of remote storage `name` (registered with
  /// `?invalidation=pubsub`), if any: for its counts.
  const drivers::InvalidationChannel* invalidation_channel(std::string_view name) const;

  /// Calls `fn` (on the loop thread) each time another process's invalidation dropped a key's
  /// local copies here, after the drop: for tools and tests that measure how soon it happens.
  void on_remote_invalidation(std::function<void(std::string_view full_key)> fn) { on_remote_drop_ = std::move(fn); }

  /// The message of the last failed load of `node` that threw an exception ("" if none): the
  /// callers got `errc::load_failed`, this says why.
  std::string last_load_error(core::NodeId node) const;

 private:
  struct LoadBatch;
  struct Delivery {
    ReplyHandler on_reply;
    core::Reply reply;
  };

  void start_load(core::LoadRequest req);
  void cancel_load(core::LoadId id);
  void cancel_batch(LoadBatch& batch);
  void finish_load_key(const std::shared_ptr<LoadBatch>& batch, std::size_t i, Result<core::AnyValue> r,
                       std::string_view message);
  void queue_reply(core::Reply reply);
  void queue_done(std::function<void(std::error_code)> done, std::error_code ec);
  void schedule_delivery();
  void finish_registration(std::uint64_t id, std::error_code ec);
  void connected(std::uint64_t id, std::string name, core::Duration timeout, bool invalidation, const std::string& url,
                 Result<std::unique_ptr<drivers::Storage>> storage);
  std::error_code open_channel(core::TierId tier, std::string_view url);
  void publish_erased();
  drivers::CompletionSink make_sink();
  void rearm();
  void finish_flush(core::IoId id, core::IoStatus status);

  drivers::Reactor& reactor_;
  std::uint64_t seed_;
  NodeCache cache_;
  std::shared_ptr<const ExceptionSink> on_exception_;
  std::unordered_map<core::TierId, std::unique_ptr<drivers::Storage>> storages_;
  std::uint64_t local_stores_ = 0;
  struct Waiting {
    core::Ticket ticket;
    ReplyHandler on_reply;
  };
  std::vector<Waiting> waiting_;  ///< by core::slot_of(ticket)
  core::detail::FifoQueue<Delivery> ready_;  ///< replies known, not yet handed to their caller
  bool delivery_scheduled_ = false;
  std::unordered_map<std::uint64_t, std::shared_ptr<LoadBatch>> loads_;  ///< by LoadId
  std::unordered_map<std::uint64_t, std::function<void(std::error_code)>> registrations_;
  std::uint64_t next_registration_ = 1;
  std::map<std::uint64_t, std::string> load_errors_;  ///< by NodeId: the last exception's message
  std::unordered_map<core::IoId, std::function<void(std::error_code)>> flushes_;
  std::optional<core::Instant> armed_at_;
  drivers::TimerId timer_ = 0;
  std::uint64_t next_flush_id_ = 1ull << 62;  ///< ids of flushes, apart from the engine's
  bool pumping_ = false;
  bool pump_again_ = false;
  bool in_batch_ = false;  ///< inside a driver's batch of completions (CompletionSink::batch)
  core::Now batch_now_{};  ///< the clock, read once at the batch's start
  std::unordered_map<core::TierId, std::unique_ptr<drivers::InvalidationChannel>> channels_;
  std::function<void(std::string_view)> on_remote_drop_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cacheme::adapters
