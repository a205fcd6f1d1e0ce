// One libpq connection driven by the Reactor: a non-blocking connect, then one statement at a time.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
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
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class State {
    connecting,  ///< PQconnectPoll in progress
    idle,        ///< ready for a statement
    busy,        ///< a statement is in flight
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

  /// Sends `query` on an idle connection; `done` runs from a reactor callback (or from a post
  /// when sending fails at once).
  void send(const Query& query, ResultFn done);

  State state() const { return state_; }

  /// Unwatches and closes the socket; pending callbacks are dropped.
  void close();

 private:
  void poll_connect();
  void on_ready(Interest ready);
  void fail_connect(const std::string& error);
  void break_statement(const std::string& error);
  void watch(Interest interest);

  Reactor& reactor_;
  PGconn* conn_ = nullptr;
  State state_ = State::broken;
  int fd_ = -1;  // the socket we watch
  bool flushing_ = false;
  TimerId timer_ = 0;
  ConnectFn on_connect_;
  ResultFn on_result_;
  PgResult last_;
};

}  // namespace cacheme::drivers::postgres
