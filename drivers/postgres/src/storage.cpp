// The PostgreSQL Storage: URL to libpq parameters, then a Pool behind the Storage interface.
#include <memory>

#include "cacheme/drivers/postgres.hpp"
#include "cacheme/drivers/sql/pool_storage.hpp"
#include "pool.hpp"

namespace cacheme::drivers {
namespace postgres {
namespace {

constexpr std::size_t kDefaultPoolSize = 50;

// libpq keywords for the URL: host, port, user, password, dbname (empty parts use libpq's defaults).
Pool::Params connection_params(const sql::Url& url, const sql::Settings& settings) {
  Pool::Params params;
  if (!url.host.empty()) params.emplace_back("host", url.host);
  if (url.port) params.emplace_back("port", std::to_string(*url.port));
  if (!url.user.empty()) params.emplace_back("user", url.user);
  if (url.password) params.emplace_back("password", *url.password);
  if (url.path.size() > 1) params.emplace_back("dbname", url.path.substr(1));
  if (auto it = settings.extra.find("sslmode"); it != settings.extra.end()) params.emplace_back("sslmode", it->second);
  params.emplace_back("application_name", "cacheme");
  return params;
}

}  // namespace
}  // namespace postgres

void connect_postgres(Reactor& reactor, std::string_view url, const StorageOptions& options, CompletionSink sink,
                      ConnectDone done) {
  auto target = sql::parse_server_url(url, {"postgresql", "postgres"}, options, postgres::kDefaultPoolSize,
                                      {"sslmode"});
  if (!target) return sql::fail_later(reactor, std::move(done), target.error());

  auto params = postgres::connection_params(target->url, target->settings);
  auto pool =
      std::make_shared<postgres::Pool>(reactor, std::move(sink), std::move(target->settings), std::move(params));
  sql::open_pool_storage(reactor, std::move(pool), std::move(done));
}

}  // namespace cacheme::drivers
