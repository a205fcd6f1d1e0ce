// The PostgreSQL Storage: URL to libpq parameters, then a Pool behind the Storage interface.
#include <memory>

#include "cacheme/drivers/postgres.hpp"
#include "cacheme/drivers/sql/url.hpp"
#include "cacheme/errc.hpp"
#include "pool.hpp"

namespace cacheme::drivers {
namespace postgres {
namespace {

constexpr std::size_t kDefaultPoolSize = 50;

class PgStorage final : public Storage {
 public:
  explicit PgStorage(std::shared_ptr<Pool> pool) : pool_(std::move(pool)) {}
  ~PgStorage() override { pool_->close(); }

  void start(core::FetchRequest req) override { pool_->fetch(std::move(req)); }
  void start(core::StoreRequest req) override { pool_->store(std::move(req)); }
  void start(core::EraseRequest req) override { pool_->erase(std::move(req)); }
  void flush_prefix(core::IoId id, std::string prefix) override { pool_->flush_prefix(id, std::move(prefix)); }
  std::map<std::string, std::uint64_t> command_counts() const override { return pool_->counts(); }
  void close() override { pool_->close(); }

 private:
  std::shared_ptr<Pool> pool_;
};

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
  auto fail_later = [&reactor, &done](std::error_code ec) {
    reactor.post([done = std::move(done), ec] { done(fail(ec)); });
  };
  auto parsed = sql::parse_url(url);
  if (!parsed) return fail_later(parsed.error());
  if (parsed->scheme != "postgresql" && parsed->scheme != "postgres") return fail_later(make_error_code(errc::bad_url));
  if (parsed->path.find('/', 1) != std::string::npos) return fail_later(make_error_code(errc::bad_url));
  auto settings = sql::resolve_settings(*parsed, options, postgres::kDefaultPoolSize, {"sslmode"});
  if (!settings) return fail_later(settings.error());

  auto params = postgres::connection_params(*parsed, *settings);
  auto pool = std::make_shared<postgres::Pool>(reactor, std::move(sink), std::move(*settings), std::move(params));
  // Connect from a posted call, so `done` never runs inside this one.
  reactor.post([pool, done = std::move(done)] {
    pool->open([pool, done](std::error_code ec) {
      if (ec) {
        pool->close();
        return done(fail(ec));
      }
      done(std::unique_ptr<Storage>(std::make_unique<postgres::PgStorage>(pool)));
    });
  });
}

}  // namespace cacheme::drivers
