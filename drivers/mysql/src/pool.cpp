// The MySQL pool: operations queue in FIFO order and run on idle connections; connections are
// opened while operations wait and fewer than pool_size exist.
#include "pool.hpp"

#include <algorithm>
#include <unordered_map>

#include "cacheme/drivers/sql/schema.hpp"
#include "cacheme/errc.hpp"

namespace cacheme::drivers::mysql {

void Pool::open(std::function<void(std::error_code)> done) {
  auto conn = std::make_shared<Connection>(reactor_);
  conns_.push_back(conn);
  std::weak_ptr<Pool> weak = weak_from_this();
  conn->connect(params_, settings_.connect_timeout,
                [weak, conn, done = std::move(done)](bool ok, const std::string& error) {
                  auto self = weak.lock();
                  if (!self) return;
                  if (!ok) {
                    sql::log_message("mysql", "connect failed: " + error);
                    return done(make_error_code(errc::connect_failed));
                  }
                  self->ensure_schema(conn, done);
                });
}

void Pool::ensure_schema(const std::shared_ptr<Connection>& conn, std::function<void(std::error_code)> done) {
  std::weak_ptr<Pool> weak = weak_from_this();
  conn->execute(queries_.table_exists(), [weak, conn, done](Outcome r) {
    auto self = weak.lock();
    if (!self) return;
    if (!r.ok || r.rows.size() != 1 || r.rows[0].size() != 1) {
      sql::log_message("mysql", "cannot read the schema: " + r.error);
      return done(make_error_code(errc::connect_failed));
    }
    if (r.rows[0][0] != "0") return done({});
    if (!self->settings_.init) {
      sql::log_message("mysql", "table " + self->settings_.table + " does not exist: apply " +
                                    std::string(sql::schema_file(sql::Dialect::mysql)) + " or pass init=1");
      return done(make_error_code(errc::schema_missing));
    }
    self->apply_schema(conn, 0, done);
  });
}

void Pool::apply_schema(const std::shared_ptr<Connection>& conn, std::size_t index,
                        std::function<void(std::error_code)> done) {
  const auto statements = sql::schema_statements(sql::Dialect::mysql, settings_.table);
  if (index == statements.size()) return done({});
  std::weak_ptr<Pool> weak = weak_from_this();
  conn->execute(Statement{statements[index], {}, false}, [weak, conn, index, done](Outcome r) {
    auto self = weak.lock();
    if (!self) return;
    if (!r.ok) {
      sql::log_message("mysql", "cannot apply sql/mysql.sql: " + r.error);
      return done(make_error_code(errc::schema_missing));
    }
    self->apply_schema(conn, index + 1, done);
  });
}

void Pool::fetch(core::FetchRequest req) {
  Operation op;
  op.id = req.id;
  op.is_fetch = true;
  op.command = "SELECT";
  op.steps = queries_.fetch(sql::distinct_valid_keys(req.keys));  // none: every key too long
  op.keys = std::move(req.keys);
  submit(std::move(op));
}

void Pool::store(core::StoreRequest req) {
  Operation op;
  op.id = req.id;
  op.command = "UPSERT";
  const bool valid = std::all_of(req.entries.begin(), req.entries.end(),
                                 [](const auto& e) { return e.key.size() <= sql::kMaxKeyBytes; });
  if (valid)
    op.steps = queries_.upsert(req.entries);
  else
    op.preset = core::IoStatus::backend_error;  // a key the table cannot hold: write nothing
  submit(std::move(op));
}

void Pool::erase(core::EraseRequest req) {
  Operation op;
  op.id = req.id;
  op.command = "DELETE";
  op.steps = queries_.erase(sql::distinct_valid_keys(req.keys));  // longer keys cannot exist
  submit(std::move(op));
}

void Pool::flush_prefix(core::IoId id, std::string prefix) {
  Operation op;
  op.id = id;
  op.command = "DELETE_PREFIX";
  op.steps.push_back(queries_.erase_prefix(prefix));
  submit(std::move(op));
}

void Pool::submit(Operation op) {
  if (closed_) {
    std::vector<Operation> failed;
    failed.push_back(std::move(op));
    return post_failures(std::move(failed));
  }
  queue_.push_back(std::move(op));
  schedule_pump();
}

// Storage::start must never complete synchronously: the work happens in a posted pump.
void Pool::schedule_pump() {
  if (pump_scheduled_) return;
  pump_scheduled_ = true;
  std::weak_ptr<Pool> weak = weak_from_this();
  reactor_.post([weak] {
    if (auto self = weak.lock()) self->pump();
  });
}

void Pool::pump() {
  pump_scheduled_ = false;
  if (closed_) return;
  std::erase_if(conns_, [](const auto& c) { return c->state() == Connection::State::broken; });
  auto idle = [this] {
    return std::find_if(conns_.begin(), conns_.end(),
                        [](const auto& c) { return c->state() == Connection::State::idle; });
  };
  while (!queue_.empty()) {
    if (queue_.front().steps.empty()) {
      Operation op = std::move(queue_.front());
      queue_.pop_front();
      finish(op, op.preset == core::IoStatus::ok);
      continue;
    }
    auto it = idle();
    if (it == conns_.end()) break;
    Operation op = std::move(queue_.front());
    queue_.pop_front();
    run(*it, std::move(op));
  }
  const auto now = std::chrono::steady_clock::now();
  if (sweep_.due(now)) {
    if (auto it = idle(); it != conns_.end()) {
      sweep_.started(now);
      Operation op;
      op.is_sweep = true;
      op.command = "DELETE_EXPIRED";
      op.steps.push_back(queries_.sweep());
      run(*it, std::move(op));
    }
  }
  grow();
}

void Pool::grow() {
  auto connecting = static_cast<std::size_t>(std::count_if(
      conns_.begin(), conns_.end(), [](const auto& c) { return c->state() == Connection::State::connecting; }));
  for (; queue_.size() > connecting && conns_.size() < settings_.pool_size; ++connecting) {
    auto conn = std::make_shared<Connection>(reactor_);
    conns_.push_back(conn);
    std::weak_ptr<Pool> weak = weak_from_this();
    conn->connect(params_, settings_.connect_timeout, [weak](bool ok, const std::string& error) {
      auto self = weak.lock();
      if (!self) return;
      if (!ok) {
        sql::log_message("mysql", "connect failed: " + error);
        const bool alive = std::any_of(self->conns_.begin(), self->conns_.end(), [](const auto& c) {
          return c->state() != Connection::State::broken;
        });
        if (!alive) self->fail_all_queued();  // nothing left to serve them
      }
      self->schedule_pump();
    });
  }
}

void Pool::run(const std::shared_ptr<Connection>& conn, Operation op) {
  running_.insert_or_assign(conn.get(), std::move(op));
  step(conn);
}

// Runs the next statement of the operation on `conn`; the last one finishes it.
void Pool::step(const std::shared_ptr<Connection>& conn) {
  Connection* key = conn.get();
  Operation& op = running_.at(key);
  ++counts_[op.command];
  Statement statement = op.steps[op.next++];
  std::weak_ptr<Pool> weak = weak_from_this();
  std::weak_ptr<Connection> weak_conn = conn;
  conn->execute(std::move(statement), [weak, weak_conn, key](Outcome r) {
    auto self = weak.lock();
    if (!self) return;
    auto it = self->running_.find(key);
    if (it == self->running_.end()) return;
    Operation& op = it->second;
    for (auto& row : r.rows) op.rows.push_back(std::move(row));
    op.affected += r.affected;
    auto conn = weak_conn.lock();
    if (r.ok && op.next < op.steps.size()) {
      if (conn && conn->state() == Connection::State::idle) return self->step(conn);
      r.ok = false;
    }
    auto node = self->running_.extract(it);
    self->finish(node.mapped(), r.ok);
    self->pump();
  });
}

void Pool::finish(Operation& op, bool ok) {
  if (op.is_sweep) {
    sweep_.swept(ok ? std::optional<std::uint64_t>(op.affected) : std::nullopt);
    return;
  }
  if (!op.is_fetch) {
    if (sink_.written) sink_.written(op.id, ok ? core::IoStatus::ok : core::IoStatus::backend_error);
    return;
  }
  core::FetchResult fr;
  if (!ok) {
    fr.status = core::IoStatus::backend_error;
  } else {
    std::unordered_map<std::string, std::string> found;
    for (auto& row : op.rows)
      if (row.size() == 2) found.insert_or_assign(std::move(row[0]), std::move(row[1]));
    fr.values.reserve(op.keys.size());
    for (const auto& k : op.keys) {
      auto it = found.find(k);
      fr.values.push_back(it == found.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
  }
  if (sink_.fetched) sink_.fetched(op.id, std::move(fr));
}

void Pool::fail_all_queued() {
  std::vector<Operation> failed(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  post_failures(std::move(failed));
}

void Pool::post_failures(std::vector<Operation> ops) {
  std::erase_if(ops, [](const Operation& op) { return op.is_sweep; });
  if (ops.empty()) return;
  std::weak_ptr<Pool> weak = weak_from_this();
  reactor_.post([weak, ops = std::move(ops)]() mutable {
    if (auto self = weak.lock())
      for (auto& op : ops) self->finish(op, false);
  });
}

void Pool::close() {
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

}  // namespace cacheme::drivers::mysql
