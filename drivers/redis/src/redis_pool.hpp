// The connection pool: N hiredis connections, a pipelining O(1) pick, background reconnects.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>
#include <vector>

#include "cacheme/drivers/net/host_address.hpp"
#include "redis_connection.hpp"

namespace cacheme::drivers::redis::detail {

/// What the pool tells its owner (the storage).
class PoolListener {
 public:
  /// The first connection is up (`ec` empty) or could not connect (`errc::connect_failed`).
  /// Called once, possibly inside hiredis: record it, deliver it later.
  virtual void on_first_connect(std::error_code ec) = 0;
  /// hiredis has returned: completions may be delivered.
  virtual void after_io() = 0;
  /// Commands are buffered: make sure `Pool::flush` runs soon, even if nobody else calls it.
  virtual void flush_soon() = 0;

 protected:
  ~PoolListener() = default;
};

/// Counters of a pool, for `Storage::health()`.
struct PoolHealth {
  std::size_t connections = 0;
  std::size_t connections_up = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t connection_timeouts = 0;
};

/// `size` connections to one server. The first connects at `start`; the others only once it is
/// up, in the background. A lost connection reconnects with backoff; meanwhile `pick` skips it.
/// It also has the URL's host name (if any) looked up again in the background: reconnects use the
/// last address known until the lookup answers.
///
/// Per-connection deadline: a watchdog ticks while the pool is open and closes every connection
/// whose oldest outstanding reply is older than the URL's `timeout` plus a margin (a stalled
/// server: SIGSTOP, a GC pause, a partition). Its waiting commands fail at once, its memory is
/// freed, and it reconnects like any lost connection; keys go to other connections meanwhile.
class Pool final : private ConnectionListener {
 public:
  Pool(Reactor& reactor, RedisUrl url, std::size_t size, CommandCounts& counts, PoolListener& listener);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// Connects the first connection.
  void start();
  /// An up connection, in O(1): the current one until it has a pipeline's depth of commands
  /// in flight, then the next (the least loaded of a few when all are busy); nullptr when none
  /// is up.
  Connection* pick();
  /// The connection `key` belongs to (by hash), so that commands on one key keep their order;
  /// another up connection while that one is down; nullptr when none is up.
  Connection* pick_for(std::string_view key);
  /// Closes every connection for good (pending replies get nullptr).
  void close();

  std::size_t size() const noexcept { return conns_.size(); }
  PoolHealth health() const;

  /// Writes the commands of every connection that buffered some.
  void flush();

 private:
  void arm_watchdog();
  void close_overdue();
  void on_up(Connection& c) override;
  void on_down(Connection& c, std::string_view why) override;
  void after_io() override { listener_.after_io(); }
  void want_flush(Connection& c) override {
    dirty_.push_back(&c);
    if (dirty_.size() == 1) listener_.flush_soon();
  }

  Reactor& reactor_;
  const RedisUrl url_;  // connections keep a reference to it
  net::HostAddress address_;  // url_.host, or the latest address of url_.host_name
  PoolListener& listener_;
  std::vector<std::unique_ptr<Connection>> conns_;
  std::vector<Connection*> dirty_;  // connections with buffered commands
  std::size_t next_ = 0;  // the connection `pick` fills now
  std::chrono::milliseconds reply_deadline_;  // timeout + margin
  TimerId watchdog_ = 0;
  std::uint64_t reconnects_ = 0;
  std::uint64_t connection_timeouts_ = 0;
  bool first_done_ = false;
  bool closed_ = false;
};

}  // namespace cacheme::drivers::redis::detail
