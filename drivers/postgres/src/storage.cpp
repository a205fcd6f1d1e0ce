// The PostgreSQL Storage: URL to libpq parameters, then a Pool behind the Storage interface.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <memory>
#include <string_view>

#include "cacheme/drivers/postgres.hpp"
#include "cacheme/drivers/sql/pool_storage.hpp"
#include "cacheme/drivers/sql/tls.hpp"
#include "pool.hpp"

namespace cacheme::drivers {
namespace postgres {
namespace {

constexpr std::size_t kDefaultPoolSize = 50;
// Statements in flight per connection (libpq's pipeline mode): deep enough that a busy connection
// never waits a round trip between statements, shallow enough that one slow statement delays few.
constexpr std::size_t kDefaultPipeline = 4;

// libpq's sslmode values.
constexpr std::array<std::string_view, 6> kSslModes = {"disable", "allow",     "prefer",
                                                       "require", "verify-ca", "verify-full"};

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// libpq keywords for the URL: host (an IP literal as `hostaddr`, so libpq skips its blocking
// getaddrinfo), port, user, password, dbname (empty parts use libpq's defaults), the TLS options,
// and the storage timeout as the server's statement_timeout.
Pool::Params connection_params(const sql::Url& url, const sql::Settings& settings, const sql::TlsOptions& tls) {
  Pool::Params params;
  if (!url.host.empty()) params.emplace_back("host", url.host);  // verify-full checks the certificate against it
  if (is_ip_literal(url.host)) params.emplace_back("hostaddr", url.host);
  if (url.port) params.emplace_back("port", std::to_string(*url.port));
  if (!url.user.empty()) params.emplace_back("user", url.user);
  if (url.password) params.emplace_back("password", *url.password);
  if (url.path.size() > 1) params.emplace_back("dbname", url.path.substr(1));
  for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"sslmode", tls.mode},
                                   {"sslrootcert", tls.root_cert},
                                   {"sslcert", tls.cert},
                                   {"sslkey", tls.key}})
    if (!value.empty()) params.emplace_back(key, value);
  params.emplace_back("options", "-c statement_timeout=" + std::to_string(settings.timeout.count()));
  params.emplace_back("application_name", "cacheme");
  return params;
}

}  // namespace
}  // namespace postgres

void connect_postgres(Reactor& reactor, std::string_view url, const StorageOptions& options, CompletionSink sink,
                      ConnectDone done) {
  auto target =
      sql::parse_server_url(url, {"postgresql", "postgres"}, options, postgres::kDefaultPoolSize,
                            postgres::kDefaultPipeline);
  if (!target) return sql::fail_later(reactor, std::move(done), target.error());
  auto tls = sql::parse_tls(target->settings, "postgres", postgres::kSslModes);
  if (!tls) return sql::fail_later(reactor, std::move(done), tls.error());

  auto params = postgres::connection_params(target->url, target->settings, *tls);
  auto pool =
      std::make_shared<postgres::Pool>(reactor, std::move(sink), std::move(target->settings), std::move(params));
  sql::open_pool_storage(reactor, std::move(pool), std::move(done));
}

}  // namespace cacheme::drivers
