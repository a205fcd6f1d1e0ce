// The PostgreSQL statements of the cache table, with binary parameters.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cacheme/core/effects.hpp"
#include "connection.hpp"

namespace cacheme::drivers::postgres {

/// Builds the statements for one (validated) table.
class Queries {
 public:
  explicit Queries(const std::string& table);

  /// Live rows among `keys` (distinct, each <= 512 bytes): columns key, value.
  Query fetch(const std::vector<std::string>& keys) const;
  /// One upsert of `entries` (distinct keys, each <= 512 bytes).
  Query upsert(const std::vector<const core::StoreEntry*>& entries) const;
  Query erase(const std::vector<std::string>& keys) const;
  Query erase_prefix(const std::string& prefix) const;
  /// Deletes at most kExpiredBatch expired rows.
  Query sweep() const;
  /// One row, NULL when the table does not exist.
  Query table_exists() const;

  /// key -> value from a `fetch` result (binary).
  static std::unordered_map<std::string, std::string> rows(PGresult* result);

 private:
  std::string table_;   // unquoted
  std::string quoted_;  // "table"
};

/// libpq's binary array format for a one-dimensional array of `element_oid` (nullopt: NULL).
std::string binary_array(Oid element_oid, const std::vector<std::optional<std::string>>& elements);

}  // namespace cacheme::drivers::postgres
