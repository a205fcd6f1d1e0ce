// PostgreSQL statements: every value travels as a binary parameter (bytea, bytea[], int8[]).
#include "queries.hpp"

#include <cstdint>

#include "cacheme/drivers/sql/keys.hpp"
#include "cacheme/drivers/sql/schema.hpp"

namespace cacheme::drivers::postgres {
namespace {

constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kByteaArrayOid = 1001;
constexpr Oid kInt8ArrayOid = 1016;

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string int8_bytes(std::int64_t v) {
  std::string out;
  const auto u = static_cast<std::uint64_t>(v);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((u >> shift) & 0xff));
  return out;
}

std::vector<std::optional<std::string>> optionals(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

std::string bytes_of(PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col)));
}

}  // namespace

std::string binary_array(Oid element_oid, const std::vector<std::optional<std::string>>& elements) {
  std::string out;
  bool has_null = false;
  for (const auto& e : elements) has_null = has_null || !e;
  put_u32(out, elements.empty() ? 0 : 1);  // dimensions
  put_u32(out, has_null ? 1 : 0);
  put_u32(out, element_oid);
  if (elements.empty()) return out;
  put_u32(out, static_cast<std::uint32_t>(elements.size()));
  put_u32(out, 1);  // lower bound
  for (const auto& e : elements) {
    if (!e) {
      put_u32(out, 0xffffffffu);  // -1: NULL
      continue;
    }
    put_u32(out, static_cast<std::uint32_t>(e->size()));
    out += *e;
  }
  return out;
}

Queries::Queries(const std::string& table)
    : table_(table), quoted_(sql::quote_identifier(sql::Dialect::postgresql, table)) {}

Query Queries::fetch(const std::vector<std::string>& keys) const {
  return {"SELECT key, value FROM " + quoted_ +
              " WHERE key = ANY($1::bytea[]) AND (expire IS NULL OR expire > now())",
          {binary_array(kByteaOid, optionals(keys))},
          {kByteaArrayOid},
          false,
          true};
}

Query Queries::upsert(const std::vector<const core::StoreEntry*>& entries) const {
  std::vector<std::optional<std::string>> keys, values, ttls;
  for (const auto* e : entries) {
    keys.emplace_back(e->key);
    values.emplace_back(e->bytes);
    ttls.push_back(e->ttl ? std::optional<std::string>(int8_bytes(e->ttl->count())) : std::nullopt);
  }
  return {"INSERT INTO " + quoted_ +
              " (key, value, expire, updated_at)"
              " SELECT k, v, now() + t * interval '1 millisecond', now()"
              " FROM unnest($1::bytea[], $2::bytea[], $3::int8[]) AS u(k, v, t)"
              " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expire = EXCLUDED.expire,"
              " updated_at = EXCLUDED.updated_at",
          {binary_array(kByteaOid, keys), binary_array(kByteaOid, values), binary_array(kInt8Oid, ttls)},
          {kByteaArrayOid, kByteaArrayOid, kInt8ArrayOid},
          false,
          true};
}

Query Queries::erase(const std::vector<std::string>& keys) const {
  return {"DELETE FROM " + quoted_ + " WHERE key = ANY($1::bytea[])",
          {binary_array(kByteaOid, optionals(keys))},
          {kByteaArrayOid},
          false,
          true};
}

Query Queries::erase_prefix(const std::string& prefix) const {
  if (auto upper = sql::prefix_successor(prefix))
    return {"DELETE FROM " + quoted_ + " WHERE key >= $1::bytea AND key < $2::bytea",
            {prefix, *upper},
            {kByteaOid, kByteaOid},
            false,
            true};
  return {"DELETE FROM " + quoted_ + " WHERE key >= $1::bytea", {prefix}, {kByteaOid}, false, true};
}

Query Queries::sweep() const {
  return {"DELETE FROM " + quoted_ + " WHERE ctid = ANY(ARRAY(SELECT ctid FROM " + quoted_ +
              " WHERE expire <= now() LIMIT " + std::to_string(sql::kExpiredBatch) + "))",
          {},
          {},
          false,
          true};
}

Query Queries::table_exists() const {
  return {"SELECT to_regclass($1::text)", {quoted_}, {kTextOid}, true};
}

std::unordered_map<std::string, std::string> Queries::rows(PGresult* result) {
  std::unordered_map<std::string, std::string> out;
  const int n = PQntuples(result);
  for (int i = 0; i < n; ++i) out.insert_or_assign(bytes_of(result, i, 0), bytes_of(result, i, 1));
  return out;
}

}  // namespace cacheme::drivers::postgres
