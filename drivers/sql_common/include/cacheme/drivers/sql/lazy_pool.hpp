/// @file lazy_pool.hpp
/// The connection pool of the server-based SQL drivers (postgres, mysql): operations queue in
/// FIFO order and run on idle connections; connections are opened while operations wait and
/// fewer than pool_size exist; idle connections sweep expired rows now and then. The backend
/// supplies the connection type and what an operation sends on it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cacheme/drivers/reactor.hpp"
#include "cacheme/drivers/sql/keys.hpp"
#include "cacheme/drivers/sql/schema.hpp"
#include "cacheme/drivers/sql/url.hpp"
#include "cacheme/drivers/storage.hpp"
#include "cacheme/errc.hpp"

namespace cacheme::drivers::sql {

/// The backend-independent part of one storage operation; a backend's operation derives from it
/// and adds what it sends to the server.
struct PoolOperation {
  core::IoId id;
  bool is_fetch = false;
  bool is_sweep = false;
  std::vector<std::string> keys;               ///< a fetch's requested keys, in order
  core::IoStatus preset = core::IoStatus::ok;  ///< the outcome when there is nothing to ask the server
  const char* command = "";                    ///< the name counted in `counts()`
};

/// A pool of `Connection`s, grown on demand up to `Settings::pool_size`, serving a FIFO of
/// `Operation`s (derived from `PoolOperation`). A CRTP base: `Derived`, the backend's pool, provides
///   - `bool needs_server(const Operation&) const` (false: the operation completes with its
///     `preset`, without a connection);
///   - `void prepare_sweep(Operation&)`: adds the statement deleting expired rows;
///   - `void run(const std::shared_ptr<Connection>&, Operation)`: starts the operation on an idle
///     connection, keyed in `running_`; once done the backend extracts it, reports it
///     (`sweep_.swept` or `deliver`) and calls `pump()`;
///   - `void check_table(const std::shared_ptr<Connection>&, TableFn)`: asks whether the table
///     exists (`nullopt`: the question failed, with the server's message);
///   - `void execute_ddl(const std::shared_ptr<Connection>&, const std::string& sql, DdlFn)`: runs
///     one statement of the schema.
/// `Connection` has `state()` (`State::connecting`, `idle`, `broken`, ...), `close()` and
/// `connect(const Params&, std::chrono::milliseconds, std::function<void(bool, const std::string&)>)`.
template <class Derived, class Connection, class Operation, class Params>
class LazyPool : public std::enable_shared_from_this<Derived> {
 public:
  /// Whether the table exists (`nullopt`: the check failed), and the server's message.
  using TableFn = std::function<void(std::optional<bool> exists, const std::string& error)>;
  /// Whether a schema statement succeeded, and the server's message.
  using DdlFn = std::function<void(bool ok, const std::string& error)>;

  /// Opens the first connection and checks (or creates) the table; `done` runs from a callback.
  void open(std::function<void(std::error_code)> done) {
    auto conn = add_connection();
    conn->connect(params_, settings_.connect_timeout,
                  [weak = this->weak_from_this(), conn, done = std::move(done)](bool ok, const std::string& error) {
                    auto self = weak.lock();
                    if (!self) return;
                    if (!ok) {
                      log_message(self->backend_, "connect failed: " + error);
                      return done(make_error_code(errc::connect_failed));
                    }
                    self->ensure_schema(conn, done);
                  });
  }

  /// Statements sent so far, by command name.
  std::map<std::string, std::uint64_t> counts() const { return counts_; }

  /// Closes every connection; queued and running operations complete with backend_error (posted).
  void close() {
    if (closed_) return;
    closed_ = true;
    std::vector<Operation> failed(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    for (auto& [conn, op] : running_) failed.push_back(std::move(op));
    running_.clear();
    for (auto& conn : conns_) conn->close();
    conns_.clear();
    post_failures(std::move(failed));
  }

 protected:
  /// `backend` names the driver in log messages ("postgres", "mysql"); `dialect` picks its schema.
  LazyPool(std::string_view backend, Dialect dialect, Reactor& reactor, CompletionSink sink, Settings settings,
           Params params)
      : settings_(std::move(settings)), backend_(backend), dialect_(dialect), reactor_(reactor),
        sink_(std::move(sink)), params_(std::move(params)) {}

  /// Queues `op` (or fails it, posted, once closed); it starts from a posted pump.
  void submit(Operation op) {
    if (closed_) {
      std::vector<Operation> failed;
      failed.push_back(std::move(op));
      return post_failures(std::move(failed));
    }
    queue_.push_back(std::move(op));
    schedule_pump();
  }

  /// Starts queued operations on idle connections, a due sweep, and connections still needed.
  void pump() {
    pump_scheduled_ = false;
    if (closed_) return;
    std::erase_if(conns_, [](const auto& c) { return c->state() == Connection::State::broken; });
    auto idle = [this] {
      return std::find_if(conns_.begin(), conns_.end(),
                          [](const auto& c) { return c->state() == Connection::State::idle; });
    };
    while (!queue_.empty()) {
      if (!derived().needs_server(queue_.front())) {
        Operation op = std::move(queue_.front());
        queue_.pop_front();
        deliver(op, op.preset == core::IoStatus::ok, {});
        continue;
      }
      auto it = idle();
      if (it == conns_.end()) break;
      Operation op = std::move(queue_.front());
      queue_.pop_front();
      derived().run(*it, std::move(op));
    }
    const auto now = std::chrono::steady_clock::now();
    if (sweep_.due(now)) {
      if (auto it = idle(); it != conns_.end()) {
        sweep_.started(now);
        Operation op;
        op.is_sweep = true;
        op.command = "DELETE_EXPIRED";
        derived().prepare_sweep(op);
        derived().run(*it, std::move(op));
      }
    }
    grow();
  }

  /// Reports a finished fetch or write (not a sweep) to the sink; `found` maps a fetch's keys
  /// to their values (absent: a miss).
  void deliver(const Operation& op, bool ok, const std::unordered_map<std::string, std::string>& found) {
    if (!op.is_fetch) {
      if (sink_.written) sink_.written(op.id, ok ? core::IoStatus::ok : core::IoStatus::backend_error);
      return;
    }
    core::FetchResult fr;
    if (!ok) {
      fr.status = core::IoStatus::backend_error;
    } else {
      fr.values.reserve(op.keys.size());
      for (const auto& k : op.keys) {
        auto it = found.find(k);
        fr.values.push_back(it == found.end() ? std::nullopt : std::optional<std::string>(it->second));
      }
    }
    if (sink_.fetched) sink_.fetched(op.id, std::move(fr));
  }

  Settings settings_;
  std::map<Connection*, Operation> running_;     ///< operations on the server, by connection
  std::map<std::string, std::uint64_t> counts_;  ///< the backend counts what it sends
  SweepSchedule sweep_;

 private:
  Derived& derived() { return static_cast<Derived&>(*this); }

  // Checks the table; creates it from the schema when missing and `init` is set.
  void ensure_schema(const std::shared_ptr<Connection>& conn, std::function<void(std::error_code)> done) {
    derived().check_table(conn, [weak = this->weak_from_this(), conn, done](std::optional<bool> exists,
                                                                          const std::string& error) {
      auto self = weak.lock();
      if (!self) return;
      if (!exists) {
        log_message(self->backend_, "cannot read the schema: " + error);
        return done(make_error_code(errc::connect_failed));
      }
      if (*exists) return done({});
      if (!self->settings_.init) {
        log_message(self->backend_, "table " + self->settings_.table + " does not exist: apply " +
                                        std::string(schema_file(self->dialect_)) + " or pass init=1");
        return done(make_error_code(errc::schema_missing));
      }
      self->apply_schema(conn, 0, done);
    });
  }

  // Runs the schema's statements from `index` on, in order.
  void apply_schema(const std::shared_ptr<Connection>& conn, std::size_t index,
                    std::function<void(std::error_code)> done) {
    const auto statements = schema_statements(dialect_, settings_.table);
    if (index == statements.size()) return done({});
    derived().execute_ddl(conn, statements[index], [weak = this->weak_from_this(), conn, index, done](
                                                       bool ok, const std::string& error) {
      auto self = weak.lock();
      if (!self) return;
      if (!ok) {
        log_message(self->backend_, "cannot apply " + std::string(schema_file(self->dialect_)) + ": " + error);
        return done(make_error_code(errc::schema_missing));
      }
      self->apply_schema(conn, index + 1, done);
    });
  }

  std::shared_ptr<Connection> add_connection() {
    auto conn = std::make_shared<Connection>(reactor_);
    conns_.push_back(conn);
    return conn;
  }

  // Storage::start must never complete synchronously: the work happens in a posted pump.
  void schedule_pump() {
    if (pump_scheduled_) return;
    pump_scheduled_ = true;
    reactor_.post([weak = this->weak_from_this()] {
      if (auto self = weak.lock()) self->pump();
    });
  }

  // Opens connections while more operations wait than are being connected for.
  void grow() {
    auto connecting = static_cast<std::size_t>(std::count_if(
        conns_.begin(), conns_.end(), [](const auto& c) { return c->state() == Connection::State::connecting; }));
    for (; queue_.size() > connecting && conns_.size() < settings_.pool_size; ++connecting) {
      add_connection()->connect(
          params_, settings_.connect_timeout, [weak = this->weak_from_this()](bool ok, const std::string& error) {
            auto self = weak.lock();
            if (!self) return;
            if (!ok) {
              log_message(self->backend_, "connect failed: " + error);
              const bool alive = std::any_of(self->conns_.begin(), self->conns_.end(), [](const auto& c) {
                return c->state() != Connection::State::broken;
              });
              if (!alive) self->fail_all_queued();  // nothing left to serve them
            }
            self->schedule_pump();
          });
    }
  }

  void fail_all_queued() {
    std::vector<Operation> failed(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    post_failures(std::move(failed));
  }

  // Completes `ops` with backend_error from a posted call (sweeps are dropped).
  void post_failures(std::vector<Operation> ops) {
    std::erase_if(ops, [](const Operation& op) { return op.is_sweep; });
    if (ops.empty()) return;
    reactor_.post([weak = this->weak_from_this(), ops = std::move(ops)] {
      if (auto self = weak.lock())
        for (const auto& op : ops) self->deliver(op, false, {});
    });
  }

  std::string_view backend_;
  Dialect dialect_;
  Reactor& reactor_;
  CompletionSink sink_;
  Params params_;
  std::vector<std::shared_ptr<Connection>> conns_;
  std::deque<Operation> queue_;
  bool pump_scheduled_ = false;
  bool closed_ = false;
};

}  // namespace cacheme::drivers::sql
