// One MariaDB Connector/C connection driven by the Reactor through *_start/*_cont: a
// non-blocking connect, then one prepared statement (cached by SQL text) at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <mysql.h>

#include "cacheme/drivers/reactor.hpp"

namespace cacheme::drivers::mysql {

/// A bound parameter: bytes, a 64-bit integer, or NULL.
using Param = std::variant<std::monostate, std::string, std::int64_t>;

/// One statement to run.
struct Statement {
  std::string sql;
  std::vector<Param> params;
  bool prepared = true;  ///< false: a plain text query without parameters (schema DDL)
};

/// What a statement returned; `ok` false on any error.
struct Outcome {
  bool ok = false;
  std::vector<std::vector<std::string>> rows;  ///< every column as bytes (NULL as empty)
  std::uint64_t affected = 0;
  std::string error;
};

/// Connection parameters from the URL.
struct ConnectParams {
  std::string host, user, password, database;
  unsigned port = 3306;
  bool has_password = false;
  std::chrono::milliseconds statement_timeout{0};  ///< the session's max_statement_time; 0: none
  std::string ssl_mode;                            ///< "", disable, require, verify-ca, verify-full
  std::string ssl_ca, ssl_cert, ssl_key;           ///< files; empty: unset
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class State {
    connecting,  ///< mysql_real_connect in progress
    idle,        ///< ready for a statement
    busy,        ///< a statement is in flight
    broken,      ///< failed or closed; the pool drops it
  };
  using ConnectFn = std::function<void(bool ok, const std::string& error)>;
  using OutcomeFn = std::function<void(Outcome)>;

  explicit Connection(Reactor& reactor) : reactor_(reactor) {}
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Starts connecting; `done` runs from a reactor callback or a post.
  void connect(const ConnectParams& params, std::chrono::milliseconds timeout, ConnectFn done);

  /// Runs `statement` on an idle connection; `done` runs later (callback or post).
  void execute(Statement statement, OutcomeFn done);

  State state() const { return state_; }

  /// Unwatches the socket and closes the connection without blocking (a connection that is not
  /// idle is shut down first, so Connector/C's farewell writes fail at once instead of waiting
  /// on a stalled server); pending callbacks are dropped.
  void close();

 private:
  using Cont = std::function<int(int ready)>;
  // Continues a *_start call that returned `status` with `cont` until it is done, then `then`.
  void drive(int status, Cont cont, std::function<void()> then);
  void on_ready(int ready);
  void on_connected();
  void set_options(const ConnectParams& params, std::chrono::milliseconds timeout);
  void prepare();
  void bind_and_execute();
  void store_result();
  void read_rows();
  void finish(bool ok, std::string error = {});
  void statement_error(MYSQL_STMT* stmt);
  void later(std::function<void(Connection&)> fn);

  Reactor& reactor_;
  MYSQL* mysql_ = nullptr;
  MYSQL* connected_ = nullptr;  // mysql_real_connect's result
  State state_ = State::broken;
  int fd_ = -1;
  TimerId connect_timer_ = 0;
  TimerId wait_timer_ = 0;
  Cont cont_;
  std::function<void()> then_;
  ConnectFn on_connect_;

  std::map<std::string, MYSQL_STMT*> statements_;
  Statement current_;
  MYSQL_STMT* stmt_ = nullptr;
  OutcomeFn on_outcome_;
  Outcome outcome_;
  int ret_ = 0;
  my_bool bool_ret_ = 0;
  std::vector<MYSQL_BIND> binds_;
  std::vector<unsigned long> lengths_;
  std::vector<my_bool> nulls_;
};

}  // namespace cacheme::drivers::mysql
