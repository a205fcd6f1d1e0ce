// One cluster node as the cluster storage sees it: a pool of pipelined connections, opened on
// first use, with the commands that arrive meanwhile held until it is up.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "redis_pool.hpp"

namespace cacheme::drivers::redis::detail {

/// What a node tells the cluster storage.
class ClusterNodeListener {
 public:
  /// hiredis has returned: completions may be delivered.
  virtual void after_io() = 0;
  /// Commands are buffered on some connection: flush every node soon.
  virtual void flush_soon() = 0;
  /// The node could not be reached (first connect failed, or no connection is up): the slot
  /// map may be stale. Possibly inside hiredis.
  virtual void node_unreachable() = 0;

 protected:
  ~ClusterNodeListener() = default;
};

/// A lazily opened pool to one node.
///
/// States: idle (never used, or its last pool failed to connect) -> connecting (the first
/// connection is on its way; users wait in a queue) -> up (the pool reconnects lost connections
/// by itself; while none is up, users get nullptr at once). A pool that failed its first connect
/// is retired (destroyed on the next `flush`, from a clean stack) and the next use starts anew,
/// at most once per `kRetryAfter`, so a dead node is not hammered.
class ClusterNode final : private PoolListener {
 public:
  /// Gets a connection of this node, or nullptr when it cannot have one now.
  using Use = std::function<void(Connection*)>;

  ClusterNode(Reactor& reactor, RedisUrl url, std::size_t pool_size, CommandCounts& counts,
              ClusterNodeListener& listener);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  /// Runs `use` with the least-loaded up connection (or the connection of `key` when given, so
  /// that writes of one key keep their order): at once when up, once the first connection is
  /// up (or failed) otherwise. Never inside this call for a waiting user.
  void with_connection(Use use, std::string_view key = {});
  /// The fast path of `with_connection` for a node that is up: its connection now (nullptr when
  /// none is up); false, without picking, when the caller must go through `with_connection`.
  bool connection_now(std::string_view key, Connection*& out) {
    if (closed_ || state_ != State::up) return false;
    out = pick(key);
    return true;
  }
  /// The pool's connections and counters (zeros before first use).
  PoolHealth health() const { return pool_ ? pool_->health() : PoolHealth{}; }
  /// Writes every connection's buffered commands; destroys retired pools.
  void flush();
  /// Closes for good: waiting users get nullptr, pending replies come back as nullptr.
  void close();

 private:
  enum class State { idle, connecting, up };
  struct Waiter {
    Use use;
    std::string key;
  };

  void on_first_connect(std::error_code ec) override;
  void after_io() override { listener_.after_io(); }
  void flush_soon() override { listener_.flush_soon(); }
  Connection* pick(std::string_view key);
  void start_pool();

  Reactor& reactor_;
  const RedisUrl url_;
  const std::size_t pool_size_;
  CommandCounts& counts_;
  ClusterNodeListener& listener_;
  State state_ = State::idle;
  bool closed_ = false;
  std::chrono::steady_clock::time_point failed_at_{};
  std::vector<Waiter> waiting_;
  std::vector<std::unique_ptr<Pool>> retired_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace cacheme::drivers::redis::detail
