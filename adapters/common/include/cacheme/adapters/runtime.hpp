/// @file runtime.hpp
/// The loop-agnostic half of every adapter: it owns the typed cache (and so the engine) and
/// the connected storages, runs the pump (completions in, effects out, the earliest deadline
/// re-armed), starts loads, and hands replies to whoever waits for them. It is written
/// against the Reactor interface only; each adapter (Asio, libevent) adds its idiom on top.
/// Everything runs on the loop's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cacheme/drivers/reactor.hpp"
#include "cacheme/drivers/storage.hpp"
#include "cacheme/node_cache.hpp"

namespace cacheme::adapters {

/// A request's loader, as the runtime starts it: it produces a value or an error later, on the
/// loop thread. Adapters put one (holding the node or a memoized call) in every request's
/// source; a request without one cannot load (`errc::no_loader`).
class LoadThunk {
 public:
  virtual ~LoadThunk() = default;
  virtual void start(std::function<void(Result<core::AnyValue>)> done) const = 0;
};

/// A storage to register: a URL and its options (`Storage{url, options}` of the seed).
/// `local://lru?size=N`, `local://tlfu?size=N`, `redis://`, `sqlite://`, `postgresql://`,
/// `mysql://`; the URL option `timeout=MS` sets the operation timeout (default 1000 ms).
struct StorageSpec {
  std::string url;
  drivers::StorageOptions options{};
};

/// Reads the two clocks together (the only clock reads of the whole stack).
core::Now real_now();

class Runtime {
 public:
  Runtime(drivers::Reactor& reactor, core::Config config = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  NodeCache& cache() { return cache_; }
  core::Engine& engine() { return cache_.engine(); }
  drivers::Reactor& reactor() { return reactor_; }

  /// Connects storage `spec` and registers it under `name`; `done` gets the outcome later (never
  /// inside this call): `errc::bad_url` for an unknown scheme or a malformed URL,
  /// `errc::connect_failed` for an unreachable server, `errc::duplicate_name`, ...
  void register_storage(std::string name, StorageSpec spec, std::function<void(std::error_code)> done);

  /// Calls `on_reply` with the reply of `ticket` when it comes; then runs the pump.
  void await_reply(core::Ticket ticket, std::function<void(core::Reply)> on_reply);

  /// Carries out every pending effect and re-arms the deadline timer. Call after submitting.
  void pump();

  /// The connected remote storage registered as `name`, if any.
  drivers::Storage* storage(std::string_view name);

  /// Deletes the keys under `prefix` in remote storage `name` (the benchmark's `--flush`).
  void flush_prefix(std::string_view name, std::string prefix, std::function<void(std::error_code)> done);

 private:
  void start_load(core::LoadRequest req);
  void rearm();
  void finish_flush(core::IoId id, core::IoStatus status);

  drivers::Reactor& reactor_;
  NodeCache cache_;
  std::unordered_map<core::TierId, std::unique_ptr<drivers::Storage>> storages_;
  struct Waiting {
    core::Ticket ticket;
    std::function<void(core::Reply)> on_reply;
  };
  std::vector<Waiting> waiting_;  ///< by core::slot_of(ticket)
  std::unordered_map<core::IoId, std::function<void(std::error_code)>> flushes_;
  std::optional<core::Instant> armed_at_;
  drivers::TimerId timer_ = 0;
  std::uint64_t next_flush_id_ = 1ull << 62;  ///< ids of flushes, apart from the engine's
  bool pumping_ = false;
  bool pump_again_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cacheme::adapters
