// SQLite statements of the cache table. Every value reaches SQLite through a bound parameter.
#include "database.hpp"

#include <algorithm>

#include "cacheme/drivers/sql/keys.hpp"
#include "cacheme/drivers/sql/schema.hpp"
#include "cacheme/errc.hpp"

namespace cacheme::drivers::sqlite {
namespace {

constexpr std::size_t kMaxInKeys = 256;  // keys per IN (...) query; larger fetches use chunks

// Binds `s` as a BLOB (SQLITE_TRANSIENT: SQLite copies it). A zero-length BLOB, not NULL.
bool bind_blob(sqlite3_stmt* st, int index, const std::string& s) {
  return sqlite3_bind_blob64(st, index, s.empty() ? "" : s.data(), s.size(), SQLITE_TRANSIENT) == SQLITE_OK;
}

// Runs a statement without result rows; resets it either way.
bool step_done(sqlite3_stmt* st) {
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE;
}

std::string column_blob(sqlite3_stmt* st, int col) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(st, col));
  const int n = sqlite3_column_bytes(st, col);
  return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

Result<Database> Database::open(const std::string& path, const std::string& table, bool init,
                                std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw, sql::quote_identifier(sql::Dialect::sqlite, table));
  if (rc != SQLITE_OK) {
    sql::log_message("sqlite", "cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    return fail(errc::connect_failed);
  }
  sqlite3_busy_timeout(raw, static_cast<int>(std::min<std::int64_t>(busy_timeout.count(), 1 << 30)));
  sqlite3_extended_result_codes(raw, 1);
  // WAL lets readers in other processes run beside the writer; NORMAL syncs at checkpoints only.
  if (!db.exec("PRAGMA journal_mode=WAL") || !db.exec("PRAGMA synchronous=NORMAL")) {
    sql::log_message("sqlite", "cannot use " + path + ": " + db.last_error());
    return fail(errc::connect_failed);
  }

  sqlite3_stmt* probe = db.prepared("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
  if (!probe || sqlite3_bind_text(probe, 1, table.data(), static_cast<int>(table.size()), SQLITE_TRANSIENT)) {
    sql::log_message("sqlite", std::string("cannot read the schema: ") + db.last_error());
    return fail(errc::connect_failed);
  }
  const int step = sqlite3_step(probe);
  sqlite3_reset(probe);
  if (step != SQLITE_ROW && step != SQLITE_DONE) {
    sql::log_message("sqlite", std::string("cannot read the schema: ") + db.last_error());
    return fail(errc::connect_failed);
  }
  if (step == SQLITE_DONE) {
    if (!init) {
      sql::log_message("sqlite", "table " + table + " does not exist in " + path + ": apply " +
                                     std::string(sql::schema_file(sql::Dialect::sqlite)) + " or pass init=1");
      return fail(errc::schema_missing);
    }
    for (const auto& statement : sql::schema_statements(sql::Dialect::sqlite, table)) {
      if (!db.exec(statement)) {
        sql::log_message("sqlite", std::string("cannot apply sql/sqlite.sql: ") + db.last_error());
        return fail(errc::schema_missing);
      }
    }
  }
  return db;
}

sqlite3_stmt* Database::prepared(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second.get();
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &st,
                         nullptr) != SQLITE_OK)
    return nullptr;
  cache_.emplace(sql, Statement(st));
  return st;
}

bool Database::exec(const std::string& sql) {
  return sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
}

std::optional<std::unordered_map<std::string, std::string>> Database::fetch(const std::vector<std::string>& keys,
                                                                            std::int64_t now_ms) {
  std::unordered_map<std::string, std::string> found;
  for (std::size_t begin = 0; begin < keys.size(); begin += kMaxInKeys) {
    const std::size_t n = std::min(kMaxInKeys, keys.size() - begin);
    // Pad the list to a power of two (repeating a key) so a few statements cover every size.
    std::size_t slots = 1;
    while (slots < n) slots *= 2;
    std::string sql = "SELECT key, value FROM " + table_ + " WHERE (expire IS NULL OR expire > ?1) AND key IN (";
    for (std::size_t i = 0; i < slots; ++i) sql += (i ? ",?" : "?") + std::to_string(i + 2);
    sql += ")";
    sqlite3_stmt* st = prepared(sql);
    if (!st || sqlite3_bind_int64(st, 1, now_ms) != SQLITE_OK) return std::nullopt;
    for (std::size_t i = 0; i < slots; ++i)
      if (!bind_blob(st, static_cast<int>(i + 2), keys[begin + std::min(i, n - 1)])) return std::nullopt;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) found.insert_or_assign(column_blob(st, 0), column_blob(st, 1));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) return std::nullopt;
  }
  return found;
}

bool Database::upsert(const core::StoreEntry& entry, std::int64_t now_ms) {
  sqlite3_stmt* st = prepared("INSERT INTO " + table_ +
                              " (key, value, expire, updated_at) VALUES (?1, ?2, ?3, ?4)"
                              " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                              " expire = excluded.expire, updated_at = excluded.updated_at");
  if (!st || !bind_blob(st, 1, entry.key) || !bind_blob(st, 2, entry.bytes)) return false;
  const int rc = entry.ttl ? sqlite3_bind_int64(st, 3, now_ms + entry.ttl->count()) : sqlite3_bind_null(st, 3);
  if (rc != SQLITE_OK || sqlite3_bind_int64(st, 4, now_ms) != SQLITE_OK) return false;
  return step_done(st);
}

bool Database::erase(const std::string& key) {
  sqlite3_stmt* st = prepared("DELETE FROM " + table_ + " WHERE key = ?1");
  return st && bind_blob(st, 1, key) && step_done(st);
}

bool Database::erase_prefix(const std::string& prefix) {
  const auto upper = sql::prefix_successor(prefix);
  sqlite3_stmt* st = prepared("DELETE FROM " + table_ + " WHERE key >= ?1" + (upper ? " AND key < ?2" : ""));
  if (!st || !bind_blob(st, 1, prefix)) return false;
  if (upper && !bind_blob(st, 2, *upper)) return false;
  return step_done(st);
}

std::optional<std::uint64_t> Database::sweep(std::int64_t now_ms) {
  // SQLite's DELETE ... LIMIT needs a compile-time option; a rowid subquery bounds it anywhere.
  sqlite3_stmt* st = prepared("DELETE FROM " + table_ + " WHERE rowid IN (SELECT rowid FROM " + table_ +
                              " WHERE expire <= ?1 LIMIT " + std::to_string(sql::kExpiredBatch) + ")");
  if (!st || sqlite3_bind_int64(st, 1, now_ms) != SQLITE_OK || !step_done(st)) return std::nullopt;
  return static_cast<std::uint64_t>(sqlite3_changes64(db_.get()));
}

bool Database::begin() { return exec("BEGIN IMMEDIATE"); }
bool Database::commit() { return exec("COMMIT"); }
void Database::rollback() {
  if (in_transaction()) exec("ROLLBACK");
}

}  // namespace cacheme::drivers::sqlite
