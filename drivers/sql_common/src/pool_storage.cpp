// The URL checks and the deferred failure shared by the pooled SQL drivers' connect_*.
#include "cacheme/drivers/sql/pool_storage.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "cacheme/errc.hpp"

namespace cacheme::drivers::sql {

namespace {

// `key`'s value from the URL's extras as a count in 1..`max` (absent: `fallback`); nullopt if bad.
std::optional<std::size_t> count_option(Settings& settings, const char* key, std::size_t fallback, std::size_t max) {
  auto it = settings.extra.find(key);
  if (it == settings.extra.end()) return fallback;
  const std::string text = it->second;
  settings.extra.erase(it);
  if (text.empty() || text.size() > 7 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const std::size_t n = std::stoul(text);
  if (n < 1 || n > max) return std::nullopt;
  return n;
}

}  // namespace

Result<ServerTarget> parse_server_url(std::string_view url, std::initializer_list<std::string_view> schemes,
                                      const StorageOptions& options, std::size_t default_pool_size,
                                      std::size_t default_pipeline) {
  auto parsed = parse_url(url);
  if (!parsed) return fail(parsed.error());
  if (std::find(schemes.begin(), schemes.end(), parsed->scheme) == schemes.end()) return fail(errc::bad_url);
  if (parsed->path.find('/', 1) != std::string::npos) return fail(errc::bad_url);
  auto settings = resolve_settings(*parsed, options, default_pool_size,
                                   {"sslmode", "sslrootcert", "sslcert", "sslkey", "batch", "pipeline"});
  if (!settings) return fail(settings.error());
  const auto batch = count_option(*settings, "batch", kDefaultBatch, kMaxBatch);
  const auto pipeline = count_option(*settings, "pipeline", default_pipeline, default_pipeline > 1 ? kMaxPipeline : 1);
  if (!batch || !pipeline) return fail(errc::bad_option);
  settings->batch = *batch;
  settings->pipeline = *pipeline;
  return ServerTarget{std::move(*parsed), std::move(*settings)};
}

void fail_later(Reactor& reactor, ConnectDone done, std::error_code ec) {
  reactor.post([done = std::move(done), ec] { done(fail(ec)); });
}

}  // namespace cacheme::drivers::sql
