// Table names and the embedded schemas of sql/*.sql.
#include "cacheme/drivers/sql/schema.hpp"

#include "cacheme/drivers/sql/schemas.hpp"

namespace cacheme::drivers::sql {
namespace {

bool ident_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

constexpr std::string_view kTableToken = "cache";
constexpr std::string_view kIndexToken = "cache_expire_idx";

}  // namespace

bool valid_table_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxTableName || !ident_start(name.front())) return false;
  for (char c : name)
    if (!ident_char(c)) return false;
  return true;
}

std::string quote_identifier(Dialect dialect, std::string_view name) {
  const char q = dialect == Dialect::mysql ? '`' : '"';
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back(q);
  out.append(name);
  out.push_back(q);
  return out;
}

std::string_view schema_text(Dialect dialect) {
  switch (dialect) {
    case Dialect::sqlite: return detail::kSqliteSchema;
    case Dialect::postgresql: return detail::kPostgresqlSchema;
    case Dialect::mysql: return detail::kMysqlSchema;
  }
  return {};
}

std::string_view schema_file(Dialect dialect) {
  switch (dialect) {
    case Dialect::sqlite: return "sql/sqlite.sql";
    case Dialect::postgresql: return "sql/postgresql.sql";
    case Dialect::mysql: return "sql/mysql.sql";
  }
  return {};
}

std::vector<std::string> schema_statements(Dialect dialect, std::string_view table) {
  const std::string_view text = schema_text(dialect);
  const std::string quoted_table = quote_identifier(dialect, table);
  const std::string quoted_index = quote_identifier(dialect, std::string(table) + "_expire_idx");
  std::vector<std::string> out;
  std::string current;
  std::size_t i = 0;
  // The schema files hold no string literals, so comments, quotes and ';' need no deeper parsing;
  // quoted identifiers (`key`) are copied as they are.
  while (i < text.size()) {
    const char c = text[i];
    if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '`' || c == '"') {
      const auto end = text.find(c, i + 1);
      const auto stop = end == std::string_view::npos ? text.size() : end + 1;
      current.append(text.substr(i, stop - i));
      i = stop;
    } else if (ident_start(c) && (i == 0 || !ident_char(text[i - 1]))) {
      std::size_t j = i;
      while (j < text.size() && ident_char(text[j])) ++j;
      const std::string_view word = text.substr(i, j - i);
      if (word == kTableToken)
        current += quoted_table;
      else if (word == kIndexToken)
        current += quoted_index;
      else
        current.append(word);
      i = j;
    } else if (c == ';') {
      out.push_back(std::move(current));
      current.clear();
      ++i;
    } else {
      current.push_back(c);
      ++i;
    }
  }
  out.push_back(std::move(current));
  // Drop empty (whitespace-only) statements.
  std::vector<std::string> statements;
  for (auto& s : out)
    if (s.find_first_not_of(" \t\r\n") != std::string::npos) statements.push_back(std::move(s));
  return statements;
}

}  // namespace cacheme::drivers::sql
