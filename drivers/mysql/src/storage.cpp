// The MySQL Storage: URL to connection parameters, then a Pool behind the Storage interface.
#include <array>
#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>

#include "cacheme/drivers/mysql.hpp"
#include "cacheme/drivers/net/host_address.hpp"
#include "cacheme/drivers/net/resolve.hpp"
#include "cacheme/drivers/sql/pool_storage.hpp"
#include "cacheme/drivers/sql/tls.hpp"
#include "cacheme/errc.hpp"
#include "pool.hpp"

namespace cacheme::drivers {
namespace mysql {
namespace {

constexpr std::size_t kDefaultPoolSize = 50;
constexpr unsigned kDefaultPort = 3306;
// The libpq modes Connector/C can honour (it has no allow/prefer: TLS is asked for or not).
constexpr std::array<std::string_view, 4> kSslModes = {"disable", "require", "verify-ca", "verify-full"};

// The host Connector/C would look up on the loop thread at every connect, so resolved once, off
// the loop: none for "localhost" (Connector/C's Unix socket), nor when the certificate is checked,
// which Connector/C does against the name it connected with (it has no option to name another).
std::vector<std::string> hosts_to_resolve(const ConnectParams& params) {
  const bool checks_name = params.ssl_mode == "verify-ca" || params.ssl_mode == "verify-full";
  if (params.host == "localhost" || checks_name) return {};
  return {params.host};
}

// Opens the pool once the host is resolved (`found`: its address, none when kept as written).
void open_pool(Reactor& reactor, ConnectParams params, sql::Settings settings, const net::Resolved& found,
               CompletionSink sink, ConnectDone done) {
  if (!found.error.empty()) {
    std::fprintf(stderr, "cacheme: mysql: cannot resolve %s\n", found.error.c_str());
    return done(fail(errc::connect_failed));
  }
  std::optional<net::HostAddress> address;  // a name is looked up again after a lost connection
  if (!found.addresses.empty()) {
    address.emplace(params.host, found.addresses.front());
    params.host = found.addresses.front();
  }
  auto pool = std::make_shared<Pool>(reactor, std::move(sink), std::move(settings), std::move(params));
  if (address) pool->keep_resolving(std::move(*address), [](ConnectParams& p, const std::string& a) { p.host = a; });
  sql::open_pool_storage(reactor, std::move(pool), std::move(done));
}

}  // namespace
}  // namespace mysql

void connect_mysql(Reactor& reactor, std::string_view url, const StorageOptions& options, CompletionSink sink,
                   ConnectDone done) {
  auto target = sql::parse_server_url(url, {"mysql", "mariadb"}, options, mysql::kDefaultPoolSize);
  if (!target) return sql::fail_later(reactor, std::move(done), target.error());
  auto tls = sql::parse_tls(target->settings, "mysql", mysql::kSslModes);
  if (!tls) return sql::fail_later(reactor, std::move(done), tls.error());

  const sql::Url& parsed = target->url;
  mysql::ConnectParams params;
  params.host = parsed.host.empty() ? "localhost" : parsed.host;
  params.port = parsed.port.value_or(mysql::kDefaultPort);
  params.user = parsed.user;
  params.has_password = parsed.password.has_value();
  params.password = parsed.password.value_or("");
  params.database = parsed.path.size() > 1 ? parsed.path.substr(1) : "";
  params.statement_timeout = target->settings.timeout;
  params.ssl_mode = tls->mode;
  params.ssl_ca = tls->root_cert;
  params.ssl_cert = tls->cert;
  params.ssl_key = tls->key;
  auto hosts = mysql::hosts_to_resolve(params);
  net::resolve_hosts(reactor, std::move(hosts),
                     [&reactor, params = std::move(params), settings = std::move(target->settings),
                      sink = std::move(sink), done = std::move(done)](net::Resolved found) mutable {
                       mysql::open_pool(reactor, std::move(params), std::move(settings), found, std::move(sink),
                                        std::move(done));
                     });
}

}  // namespace cacheme::drivers
