// The PostgreSQL pool: operations queue in FIFO order and run on idle connections; connections
// are opened while operations wait and fewer than pool_size exist.
#include "pool.hpp"

#include <algorithm>
#include <unordered_map>

#include "cacheme/drivers/sql/schema.hpp"
#include "cacheme/errc.hpp"

namespace cacheme::drivers::postgres {
namespace {

bool succeeded(PGresult* r) {
  if (!r) return false;
  const auto status = PQresultStatus(r);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

std::string error_of(PGresult* r, const std::string& fallback) {
  if (r && *PQresultErrorMessage(r)) return PQresultErrorMessage(r);
  return fallback;
}

}  // namespace

void Pool::open(std::function<void(std::error_code)> done) {
  auto conn = std::make_shared<Connection>(reactor_);
  conns_.push_back(conn);
  std::weak_ptr<Pool> weak = weak_from_this();
  conn->connect(params_, settings_.connect_timeout,
                [weak, conn, done = std::move(done)](bool ok, const std::string& error) {
                  auto self = weak.lock();
                  if (!self) return;
                  if (!ok) {
                    sql::log_message("postgres", "connect failed: " + error);
                    return done(make_error_code(errc::connect_failed));
                  }
                  self->ensure_schema(conn, done);
                });
}

void Pool::ensure_schema(const std::shared_ptr<Connection>& conn, std::function<void(std::error_code)> done) {
  std::weak_ptr<Pool> weak = weak_from_this();
  conn->send(queries_.table_exists(), [weak, conn, done](PgResult r, const std::string& error) {
    auto self = weak.lock();
    if (!self) return;
    if (!succeeded(r.get()) || PQntuples(r.get()) != 1) {
      sql::log_message("postgres", "cannot read the schema: " + error_of(r.get(), error));
      return done(make_error_code(errc::connect_failed));
    }
    if (!PQgetisnull(r.get(), 0, 0)) return done({});
    if (!self->settings_.init) {
      sql::log_message("postgres", "table " + self->settings_.table + " does not exist: apply " +
                                       std::string(sql::schema_file(sql::Dialect::postgresql)) +
                                       " or pass init=1");
      return done(make_error_code(errc::schema_missing));
    }
    self->apply_schema(conn, 0, done);
  });
}

void Pool::apply_schema(const std::shared_ptr<Connection>& conn, std::size_t index,
                        std::function<void(std::error_code)> done) {
  const auto statements = sql::schema_statements(sql::Dialect::postgresql, settings_.table);
  if (index == statements.size()) return done({});
  std::weak_ptr<Pool> weak = weak_from_this();
  conn->send(Query{statements[index], {}, {}}, [weak, conn, index, done](PgResult r, const std::string& error) {
    auto self = weak.lock();
    if (!self) return;
    if (!succeeded(r.get())) {
      sql::log_message("postgres", "cannot apply sql/postgresql.sql: " + error_of(r.get(), error));
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
  const auto keys = sql::distinct_valid_keys(req.keys);
  if (!keys.empty()) op.query = queries_.fetch(keys);  // else: every key too long, all misses
  op.keys = std::move(req.keys);
  submit(std::move(op));
}

void Pool::store(core::StoreRequest req) {
  Operation op;
  op.id = req.id;
  op.command = "UPSERT";
  const bool valid = std::all_of(req.entries.begin(), req.entries.end(),
                                 [](const auto& e) { return e.key.size() <= sql::kMaxKeyBytes; });
  if (!valid) {
    op.preset = core::IoStatus::backend_error;  // a key the table cannot hold: write nothing
  } else if (!req.entries.empty()) {
    // ON CONFLICT cannot touch a row twice in one statement: keep each key's last entry.
    std::unordered_map<std::string_view, std::size_t> last;
    for (std::size_t i = 0; i < req.entries.size(); ++i) last[req.entries[i].key] = i;
    std::vector<const core::StoreEntry*> entries;
    for (std::size_t i = 0; i < req.entries.size(); ++i)
      if (last[req.entries[i].key] == i) entries.push_back(&req.entries[i]);
    op.query = queries_.upsert(entries);
  }
  submit(std::move(op));
}

void Pool::erase(core::EraseRequest req) {
  Operation op;
  op.id = req.id;
  op.command = "DELETE";
  const auto keys = sql::distinct_valid_keys(req.keys);  // longer keys cannot exist
  if (!keys.empty()) op.query = queries_.erase(keys);
  submit(std::move(op));
}

void Pool::flush_prefix(core::IoId id, std::string prefix) {
  Operation op;
  op.id = id;
  op.command = "DELETE_PREFIX";
  op.query = queries_.erase_prefix(prefix);
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
    if (!queue_.front().query) {
      Operation op = std::move(queue_.front());
      queue_.pop_front();
      finish(op, nullptr);
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
      op.query = queries_.sweep();
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
        sql::log_message("postgres", "connect failed: " + error);
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
  ++counts_[op.command];
  Connection* key = conn.get();
  auto it = running_.insert_or_assign(key, std::move(op)).first;
  const Query& query = *it->second.query;  // libpq copies it while sending
  std::weak_ptr<Pool> weak = weak_from_this();
  conn->send(query, [weak, key](PgResult r, const std::string&) {
    auto self = weak.lock();
    if (!self) return;
    auto node = self->running_.extract(key);
    if (node.empty()) return;
    self->finish(node.mapped(), std::move(r));
    self->pump();
  });
}

void Pool::finish(Operation& op, PgResult result) {
  if (op.is_sweep) {
    std::optional<std::uint64_t> rows;
    if (succeeded(result.get())) rows = std::strtoull(PQcmdTuples(result.get()), nullptr, 10);
    sweep_.swept(rows);
    return;
  }
  const bool ok = op.query ? succeeded(result.get()) : op.preset == core::IoStatus::ok;
  if (!op.is_fetch) {
    if (sink_.written) sink_.written(op.id, ok ? core::IoStatus::ok : core::IoStatus::backend_error);
    return;
  }
  core::FetchResult fr;
  if (!ok) {
    fr.status = core::IoStatus::backend_error;
  } else {
    const auto found = result ? Queries::rows(result.get()) : std::unordered_map<std::string, std::string>{};
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
  for (auto& op : ops) {
    op.query.reset();
    op.preset = core::IoStatus::backend_error;
  }
  std::weak_ptr<Pool> weak = weak_from_this();
  reactor_.post([weak, ops = std::move(ops)]() mutable {
    if (auto self = weak.lock())
      for (auto& op : ops) self->finish(op, nullptr);
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

}  // namespace cacheme::drivers::postgres
