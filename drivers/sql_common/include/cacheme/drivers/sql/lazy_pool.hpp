/// @file lazy_pool.hpp
/// The connection pool of the server-based SQL drivers (postgres, mysql): operations queue in
/// FIFO order and run on connections with room (an idle one, or one whose pipeline is not full);
/// connections are opened while operations wait and fewer than pool_size exist; idle connections
/// sweep expired rows now and then. The backend supplies the connection type and what an
/// operation sends on it.
///
/// Batching: a fetch or a store leaving the queue takes the queued operations of its kind with it
/// (at most `Settings::batch` in all) as riders, and the backend sends the whole group as one
/// statement (one `IN`/`ANY` read, one multi-row upsert): under load one statement and one commit
/// serve many operations. Each operation still gets its own outcome (its own keys of the read);
/// a failed statement fails the operations it carried.
///
/// Under a stalled or dead server the pool holds bounded work (DESIGN.md §3.12):
///   - at most `max_outstanding` operations; past it one completes at once with `overloaded`;
///   - an operation the core abandoned is dropped if queued, and its result ignored if running;
///   - a connection whose statement runs longer than the storage timeout plus a margin is closed
///     (the server is stalled or the link is gone) and its operation fails at once;
///   - failed connects back off exponentially with jitter (`ReconnectBackoff`), one probe at a
///     time; while nothing is connected or connecting, queued operations fail at once;
///   - after a failed connect or a lost connection, the host name (if the URL has one) is looked
///     up again in the background (`net::HostAddress`); connects use the last address known.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iterator>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cacheme/drivers/net/host_address.hpp"
#include "cacheme/drivers/reactor.hpp"
#include "cacheme/drivers/sql/keys.hpp"
#include "cacheme/drivers/sql/reconnect_backoff.hpp"
#include "cacheme/drivers/sql/schema.hpp"
#include "cacheme/drivers/sql/url.hpp"
#include "cacheme/drivers/storage.hpp"
#include "cacheme/errc.hpp"

namespace cacheme::drivers::sql {

/// The backend-independent part of one storage operation; a backend's operation derives from it
/// and adds what it sends to the server.
struct PoolOperation {
  core::IoId id;           ///< the core's id of the operation (unused by a sweep)
  bool is_fetch = false;   ///< a fetch (completes through `fetched`), else a write
  bool is_sweep = false;   ///< the pool's own deletion of expired rows, reported to nobody
  bool is_store = false;   ///< a store (of `entries`): stores batch with stores, fetches with fetches
  std::vector<std::string> keys;               ///< a fetch's requested keys, in order
  std::vector<core::StoreEntry> entries;       ///< a store's entries, in order
  core::IoStatus preset = core::IoStatus::ok;  ///< the outcome when there is nothing to ask the server
  const char* command = "";                    ///< the name counted in `counts()`
  bool abandoned = false;                      ///< the core gave up on it: its outcome goes nowhere
  std::chrono::steady_clock::time_point started{};  ///< when it started on a connection
};

/// A pool of `Connection`s, grown on demand up to `Settings::pool_size`, serving a FIFO of
/// `Operation`s (derived from `PoolOperation`, with a `std::vector<Operation> riders`: the
/// operations batched with it). A CRTP base: `Derived`, the backend's pool, provides
///   - `bool needs_server(const Operation&) const` (false: the operation completes with its
///     `preset`, without a connection);
///   - `void prepare_sweep(Operation&)`: adds the statement deleting expired rows;
///   - `std::size_t pipeline_depth() const`: statements one connection may have in flight (1: it
///     takes work only when idle);
///   - `void run(const std::shared_ptr<Connection>&, Operation)`: starts the operation (and its
///     riders, as one statement) on a connection with room, keyed in `running_`; once done the
///     backend takes it back (`take_oldest`: a connection answers in order), reports it
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

  /// Puts an address in the connection parameters (the backend's keyword for it).
  using UseAddressFn = std::function<void(Params& params, const std::string& address)>;

  /// Looks `address`'s host name up again after a failed connect or a lost connection, and
  /// connects to its latest address through `use`. Before `open`; without it, the parameters
  /// are used as given.
  void keep_resolving(net::HostAddress address, UseAddressFn use) {
    address_ = std::move(address);
    use_address_ = std::move(use);
  }

  /// Opens the first connection and checks (or creates) the table; `done` runs from a callback.
  void open(std::function<void(std::error_code)> done) {
    use_current_address();
    auto conn = add_connection();
    conn->connect(params_, settings_.connect_timeout,
                  [weak = this->weak_from_this(), conn, done = std::move(done)](bool ok, const std::string& error) {
                    auto self = weak.lock();
                    if (!self) return;
                    if (!ok) {
                      log_message(self->backend_, "connect failed: " + error);
                      return done(make_error_code(errc::connect_failed));
                    }
                    self->connected_.insert(conn.get());
                    self->ensure_schema(conn, done);
                  });
  }

  /// Statements sent so far, by command name.
  std::map<std::string, std::uint64_t> counts() const { return counts_; }

  /// The core gave up on `id`: a queued operation is dropped, a running one finishes unreported,
  /// a refusal not yet reported is dropped (counted as abandoned, not overloaded).
  void abandon(core::IoId id) {
    if (refused_.erase(id.v) > 0) {
      --health_.overloaded;
      ++health_.abandoned;
      return;
    }
    if (auto it = queued_.find(id.v); it != queued_.end()) {
      queue_.erase(it->second);
      queued_.erase(it);
    } else {
      Operation* op = find_running(id);
      if (!op || op->abandoned) return;
      op->abandoned = true;
    }
    --outstanding_;
    ++health_.abandoned;
  }

  /// Connections, outstanding operations and failure counts.
  StorageHealth health() const {
    StorageHealth h = health_;
    h.connections = conns_.size();
    h.connections_up = static_cast<std::size_t>(std::count_if(conns_.begin(), conns_.end(), [](const auto& c) {
      return c->state() != Connection::State::connecting && c->state() != Connection::State::broken;
    }));
    h.outstanding = outstanding_;
    return h;
  }

  /// Closes every connection; queued and running operations complete with backend_error (posted).
  void close() {
    if (closed_) return;
    closed_ = true;
    for (TimerId* t : {&watchdog_, &retry_timer_})
      if (*t) reactor_.cancel(std::exchange(*t, 0));
    std::vector<Operation> failed(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    queued_.clear();
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
        sink_(std::move(sink)), params_(std::move(params)),
        backoff_(static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())) {
    if (settings_.max_outstanding == 0) settings_.max_outstanding = default_max_outstanding(settings_.pool_size);
  }

  /// Queues `op` (or fails it, posted, once closed or overloaded); it starts from a posted pump.
  void submit(Operation op) {
    if (closed_) {
      std::vector<Operation> failed;
      failed.push_back(std::move(op));
      return post_failures(std::move(failed));
    }
    if (outstanding_ >= settings_.max_outstanding) return refuse(std::move(op));
    ++outstanding_;
    const auto id = op.id.v;
    queued_[id] = queue_.insert(queue_.end(), std::move(op));
    schedule_pump();
  }

  /// Starts queued operations on idle connections, a due sweep, and connections still needed.
  void pump() {
    pump_scheduled_ = false;
    if (closed_) return;
    drop_broken();
    const auto now = std::chrono::steady_clock::now();
    while (!queue_.empty()) {
      if (!derived().needs_server(queue_.front())) {
        Operation op = dequeue();
        deliver(op, op.preset == core::IoStatus::ok, {});
        continue;
      }
      auto it = least_loaded();
      if (it == conns_.end()) break;
      Operation op = dequeue();
      gather_riders(op);
      op.started = now;
      derived().run(*it, std::move(op));
    }
    if (sweep_.due(now)) {
      if (auto it = least_loaded(); it != conns_.end() && running_.count(it->get()) == 0) {
        sweep_.started(now);
        Operation op;
        op.is_sweep = true;
        op.command = "DELETE_EXPIRED";
        op.started = now;
        derived().prepare_sweep(op);
        derived().run(*it, std::move(op));
      }
    }
    grow(now);
    if (backoff_.failing() && conns_.empty()) fail_all_queued();  // nothing to serve them soon
    arm_watchdog();
  }

  /// Reports a finished fetch or write (not a sweep) to the sink, unless the core abandoned it;
  /// `found` maps a fetch's keys to their values (absent: a miss).
  /// Riders are reported the same way, each with its own keys.
  void deliver(const Operation& op, bool ok, const std::unordered_map<std::string, std::string>& found) {
    for (const auto& rider : op.riders) deliver(rider, ok, found);
    if (op.abandoned) return;
    --outstanding_;
    report(op, ok ? core::IoStatus::ok : core::IoStatus::backend_error, found);
  }

  /// The distinct keys (each short enough for the table) a fetch reads for itself and its riders.
  static std::vector<std::string> batch_keys(const Operation& op) {
    if (op.riders.empty()) return distinct_valid_keys(op.keys);
    std::vector<std::string> keys = op.keys;
    for (const auto& rider : op.riders) keys.insert(keys.end(), rider.keys.begin(), rider.keys.end());
    return distinct_valid_keys(keys);
  }

  /// The entries a store writes for itself and its riders, in queue order.
  static std::vector<const core::StoreEntry*> batch_entries(const Operation& op) {
    std::vector<const core::StoreEntry*> entries;
    for (const auto& e : op.entries) entries.push_back(&e);
    for (const auto& rider : op.riders)
      for (const auto& e : rider.entries) entries.push_back(&e);
    return entries;
  }

  /// Takes the oldest operation running on `conn` (the one its next result belongs to) out of
  /// `running_`; empty when there is none (the pool gave up on the connection).
  typename std::multimap<Connection*, Operation>::node_type take_oldest(Connection* conn) {
    auto it = running_.lower_bound(conn);
    if (it == running_.end() || it->first != conn) return {};
    return running_.extract(it);
  }

  /// Hands `op`'s outcome to the sink, with no bookkeeping.
  void report(const Operation& op, core::IoStatus status, const std::unordered_map<std::string, std::string>& found) {
    if (!op.is_fetch) {
      if (sink_.written) sink_.written(op.id, status);
      return;
    }
    core::FetchResult fr;
    if (status != core::IoStatus::ok) {
      fr.status = status;
    } else {
      fr.values.reserve(op.keys.size());
      for (const auto& k : op.keys) {
        auto it = found.find(k);
        fr.values.push_back(it == found.end() ? std::nullopt : std::optional<std::string>(it->second));
      }
    }
    if (sink_.fetched) sink_.fetched(op.id, std::move(fr));
  }

  Settings settings_;                            ///< the resolved URL options
  /// Operations on the server, by connection, oldest first (a pipelined connection has several).
  std::multimap<Connection*, Operation> running_;
  std::map<std::string, std::uint64_t> counts_;  ///< the backend counts what it sends
  SweepSchedule sweep_;                          ///< when idle connections next sweep expired rows

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

  // Opens connections while more operations wait than are being connected for; after failed
  // connects, one probe at a time and not before the backoff allows.
  void grow(std::chrono::steady_clock::time_point now) {
    auto connecting = static_cast<std::size_t>(std::count_if(
        conns_.begin(), conns_.end(), [](const auto& c) { return c->state() == Connection::State::connecting; }));
    if (queue_.size() <= connecting || conns_.size() >= settings_.pool_size) return;
    if (backoff_.failing()) {
      if (connecting > 0) return;
      if (now < backoff_.next_attempt()) return retry_later(backoff_.next_attempt() - now);
      return add_connection_and_connect();
    }
    for (; queue_.size() > connecting && conns_.size() < settings_.pool_size; ++connecting)
      add_connection_and_connect();
  }

  // Points the parameters at the host's latest address (a background lookup may have found a new
  // one; never waits for it).
  void use_current_address() {
    if (use_address_) use_address_(params_, address_.current());
  }

  void add_connection_and_connect() {
    use_current_address();
    auto conn = add_connection();
    conn->connect(params_, settings_.connect_timeout,
                  [weak = this->weak_from_this(), raw = conn.get()](bool ok, const std::string& error) {
                    auto self = weak.lock();
                    if (!self) return;
                    self->connect_done(raw, ok, error);
                    self->schedule_pump();
                  });
  }

  void connect_done(const Connection* conn, bool ok, const std::string& error) {
    if (!ok) {
      if (!backoff_.failing()) log_message(backend_, "connect failed: " + error);  // once per outage
      backoff_.failed(std::chrono::steady_clock::now());
      address_.refresh();  // the server may have moved: look its name up again (not waited for)
      return;
    }
    backoff_.succeeded();
    connected_.insert(conn);
    if (lost_ > 0) {
      --lost_;
      ++health_.reconnects;
    }
  }

  // Forgets broken connections; one that had connected is a loss a later connect replaces.
  void drop_broken() {
    std::erase_if(conns_, [this](const auto& c) {
      if (c->state() != Connection::State::broken) return false;
      if (connected_.erase(c.get()) > 0) {
        ++lost_;
        address_.refresh();  // the server may have moved (a failover): look its name up again
      }
      return true;
    });
  }

  // Pumps again after `delay` (the backoff), when nothing else would.
  void retry_later(std::chrono::steady_clock::duration delay) {
    if (retry_timer_) return;
    retry_timer_ = reactor_.call_after(
        std::chrono::ceil<std::chrono::milliseconds>(delay), [weak = this->weak_from_this()] {
          if (auto self = weak.lock()) {
            self->retry_timer_ = 0;
            self->pump();
          }
        });
  }

  // While statements run, checks now and then for one older than the timeout plus a margin.
  void arm_watchdog() {
    if (watchdog_ || running_.empty()) return;
    watchdog_ = reactor_.call_after(std::max(kMinWatchdogPeriod, settings_.timeout / 4),
                                    [weak = this->weak_from_this()] {
                                      if (auto self = weak.lock()) {
                                        self->watchdog_ = 0;
                                        self->close_overdue();
                                      }
                                    });
  }

  // A statement past the storage timeout plus half of it (the server's own statement timeout
  // had its chance): the server is stalled or the link is gone. The connection is closed and its
  // operation fails now; the pool connects again as the queue needs.
  void close_overdue() {
    const auto limit = settings_.timeout + std::max(kMinOverdueMargin, settings_.timeout / 2);
    const auto now = std::chrono::steady_clock::now();
    std::vector<Operation> failed;
    bool closed_any = false;
    for (auto& conn : conns_) {
      auto it = running_.lower_bound(conn.get());  // the oldest statement on the connection
      if (it == running_.end() || it->first != conn.get() || now - it->second.started <= limit) continue;
      closed_any = true;
      ++health_.connection_timeouts;
      conn->close();
      // Every statement pipelined behind it fails with it.
      for (auto node = take_oldest(conn.get()); !node.empty(); node = take_oldest(conn.get())) {
        if (node.mapped().is_sweep)
          sweep_.swept(std::nullopt);
        else
          failed.push_back(std::move(node.mapped()));
      }
    }
    for (const auto& op : failed) deliver(op, false, {});
    if (closed_any)
      pump();  // replaces the connections as the queue needs
    else
      arm_watchdog();  // a pump here would also start sweeps with no traffic
  }

  // The connection with the fewest statements in flight among those with room: an idle one, or
  // a busy one whose pipeline is not full. Spreading keeps latency low; batching and pipelining
  // take over once every connection is busy.
  typename std::vector<std::shared_ptr<Connection>>::iterator least_loaded() {
    const std::size_t depth = derived().pipeline_depth();
    auto best = conns_.end();
    std::size_t best_load = depth;
    for (auto it = conns_.begin(); it != conns_.end(); ++it) {
      const auto state = (*it)->state();
      if (state != Connection::State::idle && (depth <= 1 || state != Connection::State::busy)) continue;
      const std::size_t load = state == Connection::State::idle ? 0 : running_.count(it->get());
      if (load >= best_load) continue;
      best = it;
      best_load = load;
      if (load == 0) break;
    }
    return best;
  }

  // Moves the queued operations of `lead`'s kind (fetches or stores that need the server) into its
  // riders, oldest first, up to `Settings::batch` operations in all; the rest keep their places.
  void gather_riders(Operation& lead) {
    if (settings_.batch <= 1 || !(lead.is_fetch || lead.is_store)) return;
    std::size_t scanned = 0;
    for (auto it = queue_.begin(); it != queue_.end() && lead.riders.size() + 1 < settings_.batch &&
                                   scanned < kMaxBatchScan;
         ++scanned) {
      if (it->is_fetch != lead.is_fetch || it->is_store != lead.is_store || !derived().needs_server(*it)) {
        ++it;
        continue;
      }
      queued_.erase(it->id.v);
      lead.riders.push_back(std::move(*it));
      it = queue_.erase(it);
    }
  }

  // The running operation (or rider) the core knows as `id`; nullptr if none.
  Operation* find_running(core::IoId id) {
    for (auto& [conn, op] : running_) {
      if (op.is_sweep) continue;
      if (op.id == id) return &op;
      for (auto& rider : op.riders)
        if (rider.id == id) return &rider;
    }
    return nullptr;
  }

  void fail_all_queued() {
    std::vector<Operation> failed(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    queued_.clear();
    post_failures(std::move(failed));
  }

  Operation dequeue() {
    Operation op = std::move(queue_.front());
    queue_.pop_front();
    queued_.erase(op.id.v);
    return op;
  }

  // Completes `op` with `overloaded` from a posted call, counted, unless the core abandons it
  // first (a busy loop can run the post after the core's timeout); it never was outstanding.
  void refuse(Operation op) {
    ++health_.overloaded;
    refused_.insert(op.id.v);
    reactor_.post([weak = this->weak_from_this(), op = std::move(op)] {
      if (auto self = weak.lock(); self && self->refused_.erase(op.id.v) > 0)
        self->report(op, core::IoStatus::overloaded, {});
    });
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
  net::HostAddress address_;  ///< the host to look up again after a loss (keep_resolving)
  UseAddressFn use_address_;  ///< puts its address in params_; empty: params_ as given
  // The watchdog's period floor and the least margin past the timeout before a connection counts
  // as stalled (a 1 s timeout: checked every 250 ms, closed past 1.5 s).
  static constexpr std::chrono::milliseconds kMinWatchdogPeriod{50};
  static constexpr std::chrono::milliseconds kMinOverdueMargin{200};
  // How far down the queue a batch looks for operations of its kind.
  static constexpr std::size_t kMaxBatchScan = 4096;

  std::vector<std::shared_ptr<Connection>> conns_;
  std::list<Operation> queue_;
  std::unordered_map<std::uint64_t, typename std::list<Operation>::iterator> queued_;  ///< queue_ by IoId
  std::size_t outstanding_ = 0;  ///< accepted, not yet completed nor abandoned
  std::unordered_set<std::uint64_t> refused_;  ///< refusals posted, not yet reported
  StorageHealth health_;         ///< the counters; the gauges are computed by health()
  ReconnectBackoff backoff_;
  std::set<const Connection*> connected_;  ///< connections that came up (identity only)
  std::uint64_t lost_ = 0;                 ///< connections lost and not yet replaced
  TimerId watchdog_ = 0;
  TimerId retry_timer_ = 0;
  bool pump_scheduled_ = false;
  bool closed_ = false;
};

}  // namespace cacheme::drivers::sql
