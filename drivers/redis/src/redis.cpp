#include "cacheme/drivers/redis.hpp"

#include <utility>

#include "redis_storage.hpp"
#include "redis_url.hpp"

namespace cacheme::drivers {

void connect_redis(Reactor& reactor, std::string_view url, const StorageOptions& options, CompletionSink sink,
                   ConnectDone done) {
  auto parsed = redis::detail::parse_redis_url(url);
  if (!parsed) {
    reactor.post([ec = parsed.error(), done = std::move(done)] { done(fail(ec)); });
    return;
  }
  std::size_t pool_size = parsed->pool_size;
  if (pool_size == 0) pool_size = options.pool_size != 0 ? options.pool_size : redis::kDefaultPoolSize;
  redis::detail::RedisStorage::connect(reactor, std::move(*parsed), pool_size, std::move(sink), std::move(done));
}

}  // namespace cacheme::drivers
