#include "storage_factory.hpp"

#include <charconv>

#include "cacheme/errc.hpp"
#if CACHEME_RUNTIME_REDIS
#include "cacheme/drivers/redis.hpp"
#include "cacheme/drivers/redis_invalidation.hpp"
#endif
#if CACHEME_RUNTIME_SQLITE
#include "cacheme/drivers/sqlite.hpp"
#endif
#if CACHEME_RUNTIME_POSTGRES
#include "cacheme/drivers/postgres.hpp"
#endif
#if CACHEME_RUNTIME_MYSQL
#include "cacheme/drivers/mysql.hpp"
#endif
#if CACHEME_RUNTIME_MONGO
#include "cacheme/drivers/mongo.hpp"
#endif

namespace cacheme::adapters {
namespace {

constexpr long kMaxTimeoutMs = 86'400'000;

bool built_in(std::string_view scheme) {
  if (scheme == "local") return true;
  if (scheme == "redis") return CACHEME_RUNTIME_REDIS;
  if (scheme == "sqlite") return CACHEME_RUNTIME_SQLITE;
  if (scheme == "postgresql" || scheme == "postgres") return CACHEME_RUNTIME_POSTGRES;
  if (scheme == "mysql") return CACHEME_RUNTIME_MYSQL;
  if (scheme == "mongodb") return CACHEME_RUNTIME_MONGO;
  return false;
}

}  // namespace

Result<StorageUrl> parse_storage_url(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return fail(errc::bad_url);
  StorageUrl out;
  out.scheme = std::string(url.substr(0, sep));
  if (!built_in(out.scheme)) return fail(errc::bad_url);
  const auto query = url.find('?');
  if (query == std::string_view::npos) return out;
  std::string_view rest = url.substr(query + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.substr(0, 13) == "invalidation=") {
      if (pair.substr(13) != "pubsub" || out.scheme != "redis") return fail(errc::bad_option);
      out.invalidation = true;
      continue;
    }
    if (pair.substr(0, 8) != "timeout=") continue;
    const std::string_view value = pair.substr(8);
    long ms = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    // At most a day: a storage operation that may take longer is a misconfiguration, and the
    // engine's deadlines (now + timeout) must never overflow.
    if (ec != std::errc{} || end != value.data() + value.size() || ms <= 0 || ms > kMaxTimeoutMs)
      return fail(errc::bad_option);
    out.timeout = std::chrono::milliseconds(ms);
  }
  return out;
}

Result<std::unique_ptr<drivers::InvalidationChannel>> open_invalidation(drivers::Reactor& reactor,
                                                                       const std::string& scheme, std::string_view url,
                                                                       std::string_view prefix,
                                                                       drivers::InvalidationEvents events) {
  (void)reactor, (void)url, (void)prefix, (void)events;
#if CACHEME_RUNTIME_REDIS
  if (scheme == "redis") return drivers::open_invalidation_channel(reactor, url, prefix, std::move(events));
#endif
  (void)scheme;
  return fail(errc::bad_url);
}

std::error_code connect_storage(drivers::Reactor& reactor, const std::string& scheme, std::string_view url,
                                const drivers::StorageOptions& options, drivers::CompletionSink sink,
                                drivers::ConnectDone done) {
  (void)reactor, (void)scheme, (void)url, (void)options, (void)sink, (void)done;
#if CACHEME_RUNTIME_REDIS
  if (scheme == "redis") return drivers::connect_redis(reactor, url, options, std::move(sink), std::move(done)), std::error_code{};
#endif
#if CACHEME_RUNTIME_SQLITE
  if (scheme == "sqlite") return drivers::connect_sqlite(reactor, url, options, std::move(sink), std::move(done)), std::error_code{};
#endif
#if CACHEME_RUNTIME_POSTGRES
  if (scheme == "postgresql" || scheme == "postgres")
    return drivers::connect_postgres(reactor, url, options, std::move(sink), std::move(done)), std::error_code{};
#endif
#if CACHEME_RUNTIME_MYSQL
  if (scheme == "mysql") return drivers::connect_mysql(reactor, url, options, std::move(sink), std::move(done)), std::error_code{};
#endif
#if CACHEME_RUNTIME_MONGO
  if (scheme == "mongodb") return drivers::connect_mongo(reactor, url, options, std::move(sink), std::move(done)), std::error_code{};
#endif
  return make_error_code(errc::bad_url);
}

}  // namespace cacheme::adapters
