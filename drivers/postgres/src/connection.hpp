// One libpq connection driven by the Reactor: a non-blocking connect, then statements in libpq's
// pipeline mode (several in flight, each followed by its own Sync, answered in order).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <libpq-fe.h>

#include "cacheme/drivers/reactor.hpp"

namespace cacheme::drivers::postgres {

struct ResultDeleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

/// One statement with its parameters (binary unless `text_params`).
struct Query {
  std::string sql;
  std::vector<std::string> params;
  std::vector<Oid> types;
  bool text_params = false;
  bool prepare = false;  ///< prepared once per connection (under a name of its own), then executed by name
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class State {
    connecting,  ///< PQconnectPoll in progress
    idle,        ///< up, no statement in flight
    busy,        ///< up, statements in flight (more may be pipelined behind them)
    broken,      ///< failed or closed; the pool drops it
  };
  /// `ok`, or the server's/libpq's message.
  using ConnectFn = std::function<void(bool ok, const std::string& error)>;
  /// The statement's last result (nullptr when the connection broke) and libpq's message.
  using ResultFn = std::function<void(PgResult result, const std::string& error)>;

  explicit Connection(Reactor& reactor) : reactor_(reactor) {}
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Starts connecting with libpq keywords/values; `done` runs from a reactor callback.
  void connect(const std::vector<std::pair<std::string, std::string>>& params, std::chrono::milliseconds timeout,
               ConnectFn done);

  /// Sends `query` on a connection that is up (idle or busy: pipelined behind the statements in
  /// flight). Each statement gets its own Sync, so an error fails that statement alone. `done`
  /// runs from a reactor callback (or from a post when sending fails at once), in the order the
  /// statements were sent; when the connection breaks, every statement in flight fails, in order.
  void send(const Query& query, ResultFn done);

  State state() const { return state_; }
  /// Statements sent and not yet answered.
  std::size_t in_flight() const { return pending_.size(); }

  /// Unwatches and closes the socket; pending callbacks are dropped.
  void close();

 private:
  void poll_connect();
  void on_ready(Interest ready);
  void fail_connect(const std::string& error);
  // One statement sent and not yet answered (or a Parse of ours, with no `done`).
  struct Pending {
    ResultFn done;
    std::string prepares;       // the SQL a Parse of ours is for (forgotten if it fails)
    PgResult result;            // the statement's last result (its error, if one came)
    bool results_done = false;  // its results ended; the result of its Sync comes next
  };
  bool queue_statement(const Query& query);
  void collect_results();
  void complete(Pending pending);
  void break_later(const std::string& error);
  void break_all(const std::string& error);
  void watch(Interest interest);

  Reactor& reactor_;
  PGconn* conn_ = nullptr;
  State state_ = State::broken;
  int fd_ = -1;  // the socket we watch
  Interest watched_ = Interest::none;
  bool flushing_ = false;
  TimerId timer_ = 0;
  ConnectFn on_connect_;
  std::deque<Pending> pending_;                             // in the order sent
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name, this session
  std::uint64_t statements_named_ = 0;
};

}  // namespace cacheme::drivers::postgres
