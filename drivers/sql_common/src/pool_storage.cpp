// The URL checks and the deferred failure shared by the pooled SQL drivers' connect_*.
#include "cacheme/drivers/sql/pool_storage.hpp"

#include <algorithm>

#include "cacheme/errc.hpp"

namespace cacheme::drivers::sql {

Result<ServerTarget> parse_server_url(std::string_view url, std::initializer_list<std::string_view> schemes,
                                      const StorageOptions& options, std::size_t default_pool_size) {
  auto parsed = parse_url(url);
  if (!parsed) return fail(parsed.error());
  if (std::find(schemes.begin(), schemes.end(), parsed->scheme) == schemes.end()) return fail(errc::bad_url);
  if (parsed->path.find('/', 1) != std::string::npos) return fail(errc::bad_url);
  auto settings = resolve_settings(*parsed, options, default_pool_size, {"sslmode", "sslrootcert", "sslcert", "sslkey"});
  if (!settings) return fail(settings.error());
  return ServerTarget{std::move(*parsed), std::move(*settings)};
}

void fail_later(Reactor& reactor, ConnectDone done, std::error_code ec) {
  reactor.post([done = std::move(done), ec] { done(fail(ec)); });
}

}  // namespace cacheme::drivers::sql
