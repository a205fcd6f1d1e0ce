// The MySQL statements of the cache table: prepared, every value a bound parameter.
#pragma once

#include <string>
#include <vector>

#include "cacheme/core/effects.hpp"
#include "connection.hpp"

namespace cacheme::drivers::mysql {

class Queries {
 public:
  explicit Queries(const std::string& table);

  /// Live rows among `keys` (distinct, each <= 512 bytes), in chunks: columns key, value.
  std::vector<Statement> fetch(const std::vector<std::string>& keys) const;
  /// Upserts of `entries` (each key <= 512 bytes), in chunks, in order.
  std::vector<Statement> upsert(const std::vector<const core::StoreEntry*>& entries) const;
  std::vector<Statement> erase(const std::vector<std::string>& keys) const;
  Statement erase_prefix(const std::string& prefix) const;
  /// Deletes at most kExpiredBatch expired rows.
  Statement sweep() const;
  /// One row with the number of tables named like ours in the current database.
  Statement table_exists() const;

 private:
  std::string table_;
  std::string quoted_;
};

}  // namespace cacheme::drivers::mysql
