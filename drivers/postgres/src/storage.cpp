// The PostgreSQL Storage: URL to libpq parameters, then a Pool behind the Storage interface.
#include <array>
#include <cstdio>
#include <memory>
#include <string_view>

#include "cacheme/drivers/net/host_address.hpp"
#include "cacheme/drivers/net/resolve.hpp"
#include "cacheme/drivers/postgres.hpp"
#include "cacheme/drivers/sql/pool_storage.hpp"
#include "cacheme/drivers/sql/tls.hpp"
#include "cacheme/errc.hpp"
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

// Whether libpq reaches `host` over TCP: not empty nor a Unix socket's directory (libpq's defaults).
bool is_network_host(const std::string& host) { return !host.empty() && host.front() != '/' && host.front() != '@'; }

// libpq keywords for the URL: host, with `hostaddr` its address resolved off the loop thread (so
// libpq skips its blocking getaddrinfo), port, user, password, dbname (empty parts use libpq's
// defaults), TCP keepalive as the Redis driver's, the TLS options, and the storage timeout as the
// server's statement_timeout.
Pool::Params connection_params(const sql::Url& url, const std::string& hostaddr, const sql::Settings& settings,
                               const sql::TlsOptions& tls) {
  Pool::Params params;
  // verify-full checks the certificate against `host`; libpq's messages name it.
  if (!url.host.empty()) params.emplace_back("host", url.host);
  if (!hostaddr.empty()) params.emplace_back("hostaddr", hostaddr);
  if (url.port) params.emplace_back("port", std::to_string(*url.port));
  if (!url.user.empty()) params.emplace_back("user", url.user);
  if (url.password) params.emplace_back("password", *url.password);
  if (url.path.size() > 1) params.emplace_back("dbname", url.path.substr(1));
  for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"sslmode", tls.mode},
                                   {"sslrootcert", tls.root_cert},
                                   {"sslcert", tls.cert},
                                   {"sslkey", tls.key}})
    if (!value.empty()) params.emplace_back(key, value);
  // A peer gone without a FIN or RST (a partition, a dead host) is noticed by the kernel's probes:
  // 15 s idle, then 3 probes 5 s apart, as hiredis's defaults in the Redis driver.
  for (const auto& [key, value] : {std::pair<const char*, const char*>{"keepalives", "1"},
                                   {"keepalives_idle", "15"},
                                   {"keepalives_interval", "5"},
                                   {"keepalives_count", "3"}})
    params.emplace_back(key, value);
  params.emplace_back("options", "-c statement_timeout=" + std::to_string(settings.timeout.count()));
  params.emplace_back("application_name", "cacheme");
  return params;
}

// Opens the pool once the URL's host is resolved (`found`: its address, none for a Unix socket).
void open_pool(Reactor& reactor, sql::ServerTarget target, const sql::TlsOptions& tls, const net::Resolved& found,
               CompletionSink sink, ConnectDone done) {
  if (!found.error.empty()) {
    std::fprintf(stderr, "cacheme: postgres: cannot resolve %s\n", found.error.c_str());
    return done(fail(errc::connect_failed));
  }
  const std::string hostaddr = found.addresses.empty() ? std::string() : found.addresses.front();
  auto params = connection_params(target.url, hostaddr, target.settings, tls);
  auto pool = std::make_shared<Pool>(reactor, std::move(sink), std::move(target.settings), std::move(params));
  if (!hostaddr.empty())  // a name is looked up again after a lost connection (not a literal)
    pool->keep_resolving(net::HostAddress(target.url.host, hostaddr), [](Pool::Params& p, const std::string& address) {
      for (auto& [key, value] : p)
        if (key == "hostaddr") value = address;
    });
  sql::open_pool_storage(reactor, std::move(pool), std::move(done));
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

  // libpq would look the host name up on this (the loop's) thread at every connect: resolve it
  // once, off the loop, and connect to its address ever after (`hostaddr`).
  std::vector<std::string> hosts;
  if (postgres::is_network_host(target->url.host)) hosts.push_back(target->url.host);
  net::resolve_hosts(reactor, std::move(hosts),
                     [&reactor, target = std::move(*target), tls = std::move(*tls), sink = std::move(sink),
                      done = std::move(done)](net::Resolved found) mutable {
                       postgres::open_pool(reactor, std::move(target), tls, found, std::move(sink), std::move(done));
                     });
}

}  // namespace cacheme::drivers
