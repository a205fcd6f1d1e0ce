// The PostgreSQL side of the pool: operations as one query each, their results, the table check.
#include "pool.hpp"

#include <algorithm>
#include <unordered_map>

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

void Pool::check_table(const std::shared_ptr<Connection>& conn, TableFn done) {
  conn->send(queries_.table_exists(), [done](PgResult r, const std::string& error) {
    if (!succeeded(r.get()) || PQntuples(r.get()) != 1) return done(std::nullopt, error_of(r.get(), error));
    done(!PQgetisnull(r.get(), 0, 0), {});
  });
}

void Pool::execute_ddl(const std::shared_ptr<Connection>& conn, const std::string& sql, DdlFn done) {
  conn->send(Query{sql, {}, {}}, [done](PgResult r, const std::string& error) {
    done(succeeded(r.get()), error_of(r.get(), error));
  });
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

bool Pool::needs_server(const Operation& op) const {
  if (op.is_fetch)  // every key too long: all misses
    return std::any_of(op.keys.begin(), op.keys.end(), [](const auto& k) { return k.size() <= sql::kMaxKeyBytes; });
  if (op.is_store) return !op.entries.empty();
  return op.query.has_value();
}

// The operation's statement; a fetch reads the keys of its riders too, a store writes theirs.
Query Pool::query_for(Operation& op) const {
  if (op.query) return std::move(*op.query);
  if (op.is_fetch) return queries_.fetch(batch_keys(op));
  const auto entries = batch_entries(op);
  // ON CONFLICT cannot touch a row twice in one statement: keep each key's last entry.
  std::unordered_map<std::string_view, std::size_t> last;
  for (std::size_t i = 0; i < entries.size(); ++i) last[entries[i]->key] = i;
  std::vector<const core::StoreEntry*> kept;
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (last[entries[i]->key] == i) kept.push_back(entries[i]);
  return queries_.upsert(kept);
}

void Pool::run(const std::shared_ptr<Connection>& conn, Operation op) {
  ++counts_[op.command];
  Connection* key = conn.get();
  const Query query = query_for(op);  // libpq copies it while sending
  running_.emplace(key, std::move(op));
  std::weak_ptr<Pool> weak = weak_from_this();
  conn->send(query, [weak, key](PgResult r, const std::string&) {
    auto self = weak.lock();
    if (!self) return;
    auto node = self->take_oldest(key);  // answers come in the order sent
    if (node.empty()) return;
    self->finish(node.mapped(), std::move(r));
    self->pump();
  });
}

void Pool::finish(Operation& op, PgResult result) {
  const bool ok = succeeded(result.get());
  if (op.is_sweep) {
    std::optional<std::uint64_t> rows;
    if (ok) rows = std::strtoull(PQcmdTuples(result.get()), nullptr, 10);
    return sweep_.swept(rows);
  }
  deliver(op, ok, ok && op.is_fetch ? Queries::rows(result.get()) : std::unordered_map<std::string, std::string>{});
}

}  // namespace cacheme::drivers::postgres
