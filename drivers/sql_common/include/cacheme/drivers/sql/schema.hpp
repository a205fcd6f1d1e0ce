/// @file schema.hpp
/// Table names and the schemas of sql/*.sql (embedded at build time from those very files).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cacheme::drivers::sql {

/// The SQL dialects cacheme has a schema for.
enum class Dialect {
  sqlite,      ///< sql/sqlite.sql
  postgresql,  ///< sql/postgresql.sql
  mysql,       ///< sql/mysql.sql
};

/// The longest table name accepted, so that `<table>_expire_idx` fits every dialect's limit.
inline constexpr std::size_t kMaxTableName = 48;

/// True when `name` matches `[A-Za-z_][A-Za-z0-9_]*` and is at most `kMaxTableName` long.
bool valid_table_name(std::string_view name);

/// `name` (a valid table name) quoted as an identifier of `dialect` ("t" or `t`).
std::string quote_identifier(Dialect dialect, std::string_view name);

/// The text of `sql/<backend>.sql`, as built into the driver.
std::string_view schema_text(Dialect dialect);

/// The schema file to name in errors: "sql/sqlite.sql", "sql/postgresql.sql", "sql/mysql.sql".
std::string_view schema_file(Dialect dialect);

/// The statements of the schema of `dialect` for table `table` (valid): comments removed, split
/// at ';', the identifiers `cache` and `cache_expire_idx` replaced by the quoted table name and
/// `<table>_expire_idx`.
std::vector<std::string> schema_statements(Dialect dialect, std::string_view table);

}  // namespace cacheme::drivers::sql
