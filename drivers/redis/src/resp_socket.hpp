// One plain RESP connection of its own, for pub/sub (private to the driver).
//
// Why not `Connection` (hiredis async): a subscribed connection answers one SUBSCRIBE with a
// stream of messages, which hiredis delivers through a callback that stays registered, while
// the pool's connection frees each request after its first reply. Pub/sub needs little: a
// non-blocking socket on the reactor, hiredis's reply parser (`redisReader`), its command
// formatter, AUTH on every connect and reconnection with backoff, trying each seed in turn.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cacheme/drivers/reactor.hpp"

struct redisReader;
struct redisReply;

namespace cacheme::drivers::redis::detail {

/// Where a RespSocket reports. Called on the loop thread, never inside `send`.
struct RespListener {
  std::function<void()> up;                          ///< connected and authenticated
  std::function<void(const redisReply&)> reply;      ///< every reply after the handshake, in order
  std::function<void(std::string_view why)> down;    ///< lost; it reconnects by itself
};

/// Where to connect and as whom.
struct RespTarget {
  std::vector<std::pair<std::string, std::uint16_t>> seeds;  ///< tried in turn, one per attempt
  std::string user;      ///< empty: AUTH with the password only
  std::string password;  ///< empty: no AUTH
};

class RespSocket {
 public:
  RespSocket(Reactor& reactor, RespTarget target, RespListener listener);
  ~RespSocket();
  RespSocket(const RespSocket&) = delete;
  RespSocket& operator=(const RespSocket&) = delete;

  /// Starts connecting (and keeps reconnecting until destroyed).
  void start();
  /// Up: connected and authenticated.
  bool up() const noexcept { return state_ == State::up; }
  /// Queues one command (binary-safe arguments); false when not up (nothing is queued).
  bool send(std::span<const std::string_view> args);
  /// Reconnections after a loss so far.
  std::uint64_t reconnects() const noexcept { return reconnects_; }

 private:
  enum class State {
    waiting,     ///< no socket; a reconnect timer is armed (or start() not called yet)
    connecting,  ///< TCP connect in progress
    handshake,   ///< connected, AUTH sent, its reply pending
    up,          ///< usable
  };

  void connect_next();
  void on_ready(Interest ready);
  void on_connected();
  void become_up();
  void read_some();
  void write_some();
  void handle(redisReply& reply);
  void fail(std::string_view why);
  void close_socket();
  void queue(std::span<const std::string_view> args);
  void update_interest();

  Reactor& reactor_;
  RespTarget target_;
  RespListener listener_;
  int fd_ = -1;
  State state_ = State::waiting;
  redisReader* reader_ = nullptr;
  std::string out_;  ///< formatted commands not yet written
  std::size_t next_seed_ = 0;
  bool was_up_ = false;
  std::uint64_t reconnects_ = 0;
  std::chrono::milliseconds backoff_{50};
  TimerId timer_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cacheme::drivers::redis::detail
