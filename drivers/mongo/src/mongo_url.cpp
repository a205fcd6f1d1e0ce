// mongodb:// URLs, parsed with the SQL drivers' parser (same grammar, same percent-decoding).
#include "mongo_url.hpp"

#include <algorithm>
#include <charconv>

#include "cacheme/drivers/sql/url.hpp"
#include "cacheme/errc.hpp"
#include "cacheme/redact.hpp"

namespace cacheme::drivers::mongo {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::optional<std::int64_t> positive_ms(std::string_view s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

// Reads the keys the SQL resolver does not know about (`database`, `collection`, `authSource`)
// and `timeout`, which it checks but leaves to the core (this driver also bounds its own waits).
Result<void> apply_mongo_keys(const sql::Url& url, const sql::Settings& common, Settings& out) {
  for (const auto& [key, value] : common.extra) {
    if (key == "database") out.database = value;
    if (key == "collection") out.collection = value;
    if (key == "authSource") out.auth_source = value;
  }
  for (const auto& [key, value] : url.query) {
    if (key != "timeout") continue;
    const auto ms = positive_ms(value);
    if (!ms) return fail(errc::bad_option);
    out.timeout = std::chrono::milliseconds(*ms);
  }
  if (!valid_database_name(out.database) || !valid_collection_name(out.collection)) return fail(errc::bad_option);
  if (!out.auth_source.empty() && !valid_database_name(out.auth_source)) return fail(errc::bad_option);
  return {};
}

}  // namespace

bool valid_database_name(std::string_view name) {
  return !name.empty() && name.size() <= 63 &&
         std::all_of(name.begin(), name.end(), [](char c) { return is_alnum(c) || c == '_' || c == '-'; });
}

bool valid_collection_name(std::string_view name) {
  if (name.empty() || name.size() > 120 || name.rfind("system.", 0) == 0) return false;
  const char first = name.front();
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '_')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_alnum(c) || c == '_' || c == '-' || c == '.'; });
}

Result<Settings> parse_url(std::string_view text, const StorageOptions& options) {
  auto url = sql::parse_url(text);
  if (!url) return fail(url.error());
  if (url->scheme != "mongodb" || url->host.empty() || url->host.find(',') != std::string::npos)
    return fail(errc::bad_url);  // mongodb+srv and replica-set seed lists are not supported
  if (url->path.find('/', 1) != std::string::npos) return fail(errc::bad_url);
  for (const auto& kv : url->query)
    if (kv.first == "table") return fail(errc::bad_option);  // an SQL key: `collection` here
  auto common = sql::resolve_settings(*url, options, kDefaultPoolSize, {"database", "collection", "authSource"});
  if (!common) return fail(common.error());

  Settings s;
  s.host = url->host;
  if (url->port) s.port = *url->port;
  s.user = url->user;
  s.password = url->password;
  if (url->path.size() > 1) s.auth_source = url->path.substr(1);
  s.pool_size = common->pool_size;
  s.init = common->init;
  s.connect_timeout = common->connect_timeout;
  s.max_outstanding = common->max_outstanding ? common->max_outstanding : sql::default_max_outstanding(s.pool_size);
  if (auto r = apply_mongo_keys(*url, *common, s); !r) return fail(r.error());
  s.display = masked_url(text);
  return s;
}

std::string masked_url(std::string_view url) { return redact_url(url); }  // the one redaction

}  // namespace cacheme::drivers::mongo
