// MySQL statements. Lists are padded to a power of two (repeating an element, which changes no
// result) so that each connection prepares only a handful of statement shapes.
#include "queries.hpp"

#include <algorithm>

#include "cacheme/drivers/sql/keys.hpp"
#include "cacheme/drivers/sql/schema.hpp"

namespace cacheme::drivers::mysql {
namespace {

constexpr std::size_t kMaxInKeys = 256;     // keys per IN (...) statement
constexpr std::size_t kMaxUpsertRows = 64;  // rows per INSERT statement

std::size_t padded(std::size_t n) {
  std::size_t slots = 1;
  while (slots < n) slots *= 2;
  return slots;
}

std::string placeholders(std::size_t n, const std::string& each) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += (i ? ", " : "") + each;
  return out;
}

// Statements `head + IN (?, ...) + tail` over `keys`, chunked and padded.
std::vector<Statement> in_list(const std::string& head, const std::string& tail,
                               const std::vector<std::string>& keys) {
  std::vector<Statement> out;
  for (std::size_t begin = 0; begin < keys.size(); begin += kMaxInKeys) {
    const std::size_t n = std::min(kMaxInKeys, keys.size() - begin);
    const std::size_t slots = padded(n);
    Statement s{head + "(" + placeholders(slots, "?") + ")" + tail, {}};
    for (std::size_t i = 0; i < slots; ++i) s.params.emplace_back(keys[begin + std::min(i, n - 1)]);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

Queries::Queries(const std::string& table) : table_(table), quoted_(sql::quote_identifier(sql::Dialect::mysql, table)) {}

std::vector<Statement> Queries::fetch(const std::vector<std::string>& keys) const {
  return in_list("SELECT `key`, value FROM " + quoted_ +
                     " WHERE (expire IS NULL OR expire > UTC_TIMESTAMP(3)) AND `key` IN ",
                 "", keys);
}

std::vector<Statement> Queries::upsert(const std::vector<const core::StoreEntry*>& entries) const {
  std::vector<Statement> out;
  for (std::size_t begin = 0; begin < entries.size(); begin += kMaxUpsertRows) {
    const std::size_t n = std::min(kMaxUpsertRows, entries.size() - begin);
    const std::size_t slots = padded(n);
    // Padding repeats the chunk's last entry: rows apply in order, so the last write still wins.
    Statement s{"INSERT INTO " + quoted_ + " (`key`, value, expire, updated_at) VALUES " +
                    placeholders(slots, "(?, ?, UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND, UTC_TIMESTAMP(3))") +
                    " ON DUPLICATE KEY UPDATE value = VALUES(value), expire = VALUES(expire),"
                    " updated_at = VALUES(updated_at)",
                {}};
    for (std::size_t i = 0; i < slots; ++i) {
      const auto& e = *entries[begin + std::min(i, n - 1)];
      s.params.emplace_back(e.key);
      s.params.emplace_back(e.bytes);
      if (e.ttl)
        s.params.emplace_back(static_cast<std::int64_t>(e.ttl->count()) * 1000);
      else
        s.params.emplace_back(std::monostate{});
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Statement> Queries::erase(const std::vector<std::string>& keys) const {
  return in_list("DELETE FROM " + quoted_ + " WHERE `key` IN ", "", keys);
}

Statement Queries::erase_prefix(const std::string& prefix) const {
  if (auto upper = sql::prefix_successor(prefix))
    return {"DELETE FROM " + quoted_ + " WHERE `key` >= ? AND `key` < ?", {prefix, *upper}};
  return {"DELETE FROM " + quoted_ + " WHERE `key` >= ?", {prefix}};
}

Statement Queries::sweep() const {
  return {"DELETE FROM " + quoted_ + " WHERE expire <= UTC_TIMESTAMP(3) LIMIT " + std::to_string(sql::kExpiredBatch),
          {}};
}

Statement Queries::table_exists() const {
  return {"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
          {table_}};
}

}  // namespace cacheme::drivers::mysql
