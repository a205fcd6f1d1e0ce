// One SQLite connection with the cache table's prepared statements. Used by the worker thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <sqlite3.h>

#include "cacheme/core/effects.hpp"
#include "cacheme/result.hpp"

namespace cacheme::drivers::sqlite {

struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

struct ConnectionDeleter {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};

class Database {
 public:
  /// Opens `path` (WAL, `busy_timeout` for another connection's lock), checks the table, creates
  /// it when `init`.
  static Result<Database> open(const std::string& path, const std::string& table, bool init,
                               std::chrono::milliseconds busy_timeout);

  /// key -> value for the live rows among `keys` (distinct, valid), read with one IN query each
  /// chunk. `nullopt` on an SQLite error.
  std::optional<std::unordered_map<std::string, std::string>> fetch(const std::vector<std::string>& keys,
                                                                     std::int64_t now_ms);
  bool upsert(const core::StoreEntry& entry, std::int64_t now_ms);
  bool erase(const std::string& key);
  bool erase_prefix(const std::string& prefix);
  /// Deletes at most kExpiredBatch expired rows; the count, or `nullopt` on an error.
  std::optional<std::uint64_t> sweep(std::int64_t now_ms);

  bool begin();
  bool commit();
  void rollback();
  /// False when SQLite rolled the transaction back on its own (after some errors).
  bool in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

  const char* last_error() const { return sqlite3_errmsg(db_.get()); }

 private:
  Database(sqlite3* db, std::string table) : db_(db), table_(std::move(table)) {}
  sqlite3_stmt* prepared(const std::string& sql);
  bool exec(const std::string& sql);

  std::unique_ptr<sqlite3, ConnectionDeleter> db_;
  std::string table_;                      // quoted
  std::map<std::string, Statement> cache_;  // sql -> prepared statement
};

}  // namespace cacheme::drivers::sqlite
