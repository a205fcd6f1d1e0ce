// One hiredis async connection driven by a drivers::Reactor (private to the driver).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cacheme/drivers/net/host_address.hpp"
#include "cacheme/drivers/reactor.hpp"
#include "redis_url.hpp"

struct redisAsyncContext;
struct redisReply;

namespace cacheme::drivers::redis::detail {

/// Commands sent, by name (heterogeneous lookup: counting allocates only a new name).
using CommandCounts = std::map<std::string, std::uint64_t, std::less<>>;

/// Called back by a Connection. on_up/on_down may run inside hiredis (a reply or connect
/// callback): they must not free contexts nor call the completion sink. after_io runs once
/// hiredis has returned, when completions may be delivered.
class ConnectionListener {
 public:
  virtual void on_up(class Connection& c) = 0;
  virtual void on_down(class Connection& c, std::string_view why) = 0;
  virtual void after_io() = 0;
  /// The connection has commands buffered: call `flush` on it soon (at the end of the pump).
  virtual void want_flush(class Connection& c) = 0;

 protected:
  ~ConnectionListener() = default;
};

/// One `redisAsyncContext`, attached to the reactor through hiredis's ev hooks. On every
/// (re)connect it sends AUTH and SELECT (from the URL), then CLIENT ID, before anything else
/// and counts as up only once all were answered (AUTH and SELECT with success). hiredis frees the context itself on a connection error; the
/// cleanup hook is where we learn it, unwatch the fd and report `on_down`.
class Connection {
 public:
  /// `reply` is nullptr when the connection was lost or closed before the reply arrived.
  using ReplyFn = std::function<void(const redisReply* reply)>;

  /// `address` is where it connects (the pool's, kept fresh); `url` gives the rest.
  Connection(Reactor& reactor, const RedisUrl& url, net::HostAddress& address, ConnectionListener& listener,
             CommandCounts& counts);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Starts connecting now; the outcome arrives as on_up or on_down.
  void connect();
  /// Connects again after the current backoff (50 ms, doubling up to 2 s; reset when up).
  void reconnect_later();
  /// Frees the context (pending replies get nullptr) and stops reconnecting for good. Not to
  /// be called from inside hiredis (the listener's on_up/on_down or a reply callback).
  void close();

  /// Up: connected, authenticated, database selected, not closing.
  bool up() const noexcept { return state_ == State::up; }
  /// Commands sent on this connection whose reply has not arrived.
  std::size_t in_flight() const noexcept { return in_flight_; }
  /// When the oldest command still waiting for its reply was sent (nullopt: none waits).
  std::optional<std::chrono::steady_clock::time_point> oldest_sent() const {
    if (sent_at_.empty()) return std::nullopt;
    return sent_at_.front();
  }
  /// The server's id of this connection's client (`CLIENT ID`, asked at every connect); nullopt
  /// before the answer, or when the server does not know the command.
  std::optional<long long> client_id() const noexcept { return client_id_; }

  /// Has this connection kill the server's client `id` (`CLIENT KILL ID`) ahead of its next
  /// command, after any reconnect. The pool fences a connection it closed as overdue this way:
  /// one connection's commands run in order, so whatever that client had written either ran
  /// before the kill, thus before anything sent here afterwards, or never runs.
  void fence(long long id) { kills_.push_back(id); }

  /// How often this connection came up (more than once: it reconnected).
  std::uint64_t ups() const noexcept { return ups_; }

  /// Drops the connection now (its pending replies get nullptr: the operations fail at once)
  /// and lets the listener reconnect it, as after any loss. `why` goes to `on_down`. Not from
  /// inside hiredis (then it happens once hiredis has returned).
  void abort(std::string why);

  /// Pipelines one command (binary-safe arguments, `args[0]` is its name). Returns false,
  /// without calling `fn`, when there is no usable context.
  bool send(std::span<const std::string_view> args, ReplyFn fn);

  /// Writes the buffered commands now. False when it cannot yet (inside hiredis): try again
  /// later. When the socket takes only part, the rest waits for writability as usual.
  bool flush();

 private:
  /// What `write_buffer` did.
  enum class Written {
    all,      ///< the buffer is empty (kept for the next commands)
    part,     ///< the socket took part or nothing (EAGAIN): the rest waits for writability
    hiredis,  ///< not connected yet, or the write failed: hiredis's handler must run
  };
  /// Writes hiredis's output buffer and keeps it.
  Written write_buffer();
  /// Writes on writability, as hiredis's handler does but keeping the output buffer.
  void handle_write();
  enum class State {
    idle,        ///< no context; nothing scheduled (before connect, or while reporting down)
    waiting,     ///< no context; a reconnect timer is armed
    connecting,  ///< context exists: TCP connect, AUTH or SELECT in progress
    up,          ///< usable for commands
    dying,       ///< context exists but is being freed (replies come back as nullptr)
    closed,      ///< closed for good
  };

  struct Request;
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata) noexcept;
  static void on_connect(const redisAsyncContext* ac, int status) noexcept;
  static void ev_add_read(void* self) noexcept;
  static void ev_del_read(void* self) noexcept;
  static void ev_add_write(void* self) noexcept;
  static void ev_del_write(void* self) noexcept;
  static void ev_cleanup(void* self) noexcept;

  std::unique_ptr<Request> take_request();
  void recycle(std::unique_ptr<Request> req);
  void set_interest(Interest interest);
  void on_ready(Interest ready);
  void send_handshake();
  void handshake_reply(const redisReply* reply);
  void client_id_reply(const redisReply* reply);
  void send_kills();
  void become_up();
  void free_context();
  void cancel_timers();
  void report_down_later();

  Reactor& reactor_;
  const RedisUrl& url_;
  net::HostAddress& address_;
  ConnectionListener& listener_;
  CommandCounts& counts_;

  redisAsyncContext* ac_ = nullptr;
  int fd_ = -1;
  Interest interest_ = Interest::none;
  State state_ = State::idle;
  std::size_t in_flight_ = 0;
  // Send time of every command whose reply has not arrived, oldest first (hiredis answers in
  // order): the pool closes a connection whose oldest reply is overdue.
  std::deque<std::chrono::steady_clock::time_point> sent_at_;
  std::vector<std::unique_ptr<Request>> spare_requests_;  // records of answered commands, for reuse
  std::uint64_t ups_ = 0;
  std::size_t handshake_left_ = 0;
  std::optional<long long> client_id_;
  std::vector<long long> kills_;  // clients to kill ahead of the next command (fence)
  bool tcp_connected_ = false;
  bool drop_requested_ = false;  // free the context once hiredis has returned
  bool write_pending_ = false;   // commands buffered, a flush is requested
  bool flushing_ = false;        // inside flush(): hiredis asking for writability means it is full
  int in_hiredis_ = 0;           // depth of our calls into redisAsyncHandleRead/Write
  std::string last_error_;
  std::string command_;  // the command being sent, formatted (reused: no allocation per command)
  std::chrono::milliseconds backoff_;
  TimerId reconnect_timer_ = 0;
  TimerId connect_timer_ = 0;
};

}  // namespace cacheme::drivers::redis::detail
