// The MySQL side of the pool: operations as prepared statements run step by step, the table check.
#include "pool.hpp"

#include <algorithm>
#include <unordered_map>

namespace cacheme::drivers::mysql {

void Pool::check_table(const std::shared_ptr<Connection>& conn, TableFn done) {
  conn->execute(queries_.table_exists(), [done](Outcome r) {
    if (!r.ok || r.rows.size() != 1 || r.rows[0].size() != 1) return done(std::nullopt, r.error);
    done(r.rows[0][0] != "0", {});
  });
}

void Pool::execute_ddl(const std::shared_ptr<Connection>& conn, const std::string& sql, DdlFn done) {
  conn->execute(Statement{sql, {}, false}, [done](Outcome r) { done(r.ok, r.error); });
}

void Pool::fetch(core::FetchRequest req) {
  Operation op;
  op.id = req.id;
  op.is_fetch = true;
  op.command = "SELECT";
  op.keys = std::move(req.keys);
  submit(std::move(op));
}

void Pool::store(core::StoreRequest req) {
  Operation op;
  op.id = req.id;
  op.command = "UPSERT";
  op.is_store = true;
  const bool valid = std::all_of(req.entries.begin(), req.entries.end(),
                                 [](const auto& e) { return e.key.size() <= sql::kMaxKeyBytes; });
  if (valid)
    op.entries = std::move(req.entries);
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

bool Pool::needs_server(const Operation& op) const {
  if (op.is_fetch)  // every key too long: all misses
    return std::any_of(op.keys.begin(), op.keys.end(), [](const auto& k) { return k.size() <= sql::kMaxKeyBytes; });
  if (op.is_store) return !op.entries.empty();
  return !op.steps.empty();
}

// A fetch's or a store's statements over the operation and its riders, in queue order.
std::vector<Statement> Pool::statements(const Operation& op) const {
  if (op.is_fetch) return queries_.fetch(batch_keys(op));
  return queries_.upsert(batch_entries(op));
}

void Pool::run(const std::shared_ptr<Connection>& conn, Operation op) {
  if (op.is_fetch || op.is_store) op.steps = statements(op);
  running_.emplace(conn.get(), std::move(op));
  step(conn);
}

// Runs the next statement of the operation on `conn`; the last one finishes it.
void Pool::step(const std::shared_ptr<Connection>& conn) {
  Connection* key = conn.get();
  Operation& op = running_.find(key)->second;  // one operation at a time per connection
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
  if (op.is_sweep) return sweep_.swept(ok ? std::optional<std::uint64_t>(op.affected) : std::nullopt);
  std::unordered_map<std::string, std::string> found;
  if (ok && op.is_fetch)
    for (auto& row : op.rows)
      if (row.size() == 2) found.insert_or_assign(std::move(row[0]), std::move(row[1]));
  deliver(op, ok, found);
}

}  // namespace cacheme::drivers::mysql
