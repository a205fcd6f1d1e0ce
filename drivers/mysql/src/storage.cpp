// The MySQL Storage: URL to connection parameters, then a Pool behind the Storage interface.
#include <memory>

#include "cacheme/drivers/mysql.hpp"
#include "cacheme/drivers/sql/url.hpp"
#include "cacheme/errc.hpp"
#include "pool.hpp"

namespace cacheme::drivers {
namespace mysql {
namespace {

constexpr std::size_t kDefaultPoolSize = 50;
constexpr unsigned kDefaultPort = 3306;

class MysqlStorage final : public Storage {
 public:
  explicit MysqlStorage(std::shared_ptr<Pool> pool) : pool_(std::move(pool)) {}
  ~MysqlStorage() override { pool_->close(); }

  void start(core::FetchRequest req) override { pool_->fetch(std::move(req)); }
  void start(core::StoreRequest req) override { pool_->store(std::move(req)); }
  void start(core::EraseRequest req) override { pool_->erase(std::move(req)); }
  void flush_prefix(core::IoId id, std::string prefix) override { pool_->flush_prefix(id, std::move(prefix)); }
  std::map<std::string, std::uint64_t> command_counts() const override { return pool_->counts(); }
  void close() override { pool_->close(); }

 private:
  std::shared_ptr<Pool> pool_;
};

}  // namespace
}  // namespace mysql

void connect_mysql(Reactor& reactor, std::string_view url, const StorageOptions& options, CompletionSink sink,
                   ConnectDone done) {
  auto fail_later = [&reactor, &done](std::error_code ec) {
    reactor.post([done = std::move(done), ec] { done(fail(ec)); });
  };
  auto parsed = sql::parse_url(url);
  if (!parsed) return fail_later(parsed.error());
  if (parsed->scheme != "mysql" && parsed->scheme != "mariadb") return fail_later(make_error_code(errc::bad_url));
  if (parsed->path.find('/', 1) != std::string::npos) return fail_later(make_error_code(errc::bad_url));
  auto settings = sql::resolve_settings(*parsed, options, mysql::kDefaultPoolSize);
  if (!settings) return fail_later(settings.error());

  mysql::ConnectParams params;
  params.host = parsed->host.empty() ? "localhost" : parsed->host;
  params.port = parsed->port.value_or(mysql::kDefaultPort);
  params.user = parsed->user;
  params.has_password = parsed->password.has_value();
  params.password = parsed->password.value_or("");
  params.database = parsed->path.size() > 1 ? parsed->path.substr(1) : "";
  auto pool = std::make_shared<mysql::Pool>(reactor, std::move(sink), std::move(*settings), std::move(params));
  // Connect from a posted call, so `done` never runs inside this one.
  reactor.post([pool, done = std::move(done)] {
    pool->open([pool, done](std::error_code ec) {
      if (ec) {
        pool->close();
        return done(fail(ec));
      }
      done(std::unique_ptr<Storage>(std::make_unique<mysql::MysqlStorage>(pool)));
    });
  });
}

}  // namespace cacheme::drivers
