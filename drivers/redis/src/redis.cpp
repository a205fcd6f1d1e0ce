#include "cacheme/drivers/redis.hpp"

#include <signal.h>

#include <cstdio>
#include <utility>

#include "cacheme/drivers/net/resolve.hpp"
#include "cacheme/errc.hpp"
#include "cluster_storage.hpp"
#include "redis_storage.hpp"
#include "redis_url.hpp"

namespace cacheme::drivers {
namespace {

/// hiredis writes with write(2): a server that went away would kill the process with SIGPIPE.
/// Ignore it unless the application installed a handler of its own.
void ignore_default_sigpipe() {
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) ::signal(SIGPIPE, SIG_IGN);
}

}  // namespace

void connect_redis(Reactor& reactor, std::string_view url, const StorageOptions& options, CompletionSink sink,
                   ConnectDone done) {
  ignore_default_sigpipe();
  auto parsed = redis::detail::parse_redis_url(url);
  if (!parsed) {
    if (parsed.error() == make_error_code(errc::bad_url) || parsed.error() == make_error_code(errc::bad_option))
      std::fprintf(stderr, "cacheme: redis: %s\n", redis::detail::explain_bad_redis_url(url).c_str());
    reactor.post([ec = parsed.error(), done = std::move(done)] { done(fail(ec)); });
    return;
  }
  const std::size_t pool_size = parsed->pool_size != 0 ? parsed->pool_size : options.pool_size;  // 0: default
  std::vector<std::string> hosts;
  for (const auto& seed : parsed->seeds) hosts.push_back(seed.first);
  // hiredis would resolve names on this (the loop's) thread at every connect: resolve them once,
  // off the loop, and connect to the addresses ever after.
  net::resolve_hosts(
      reactor, std::move(hosts),
      [&reactor, url = std::move(*parsed), pool_size, sink = std::move(sink),
       done = std::move(done)](net::Resolved found) mutable {
        if (!found.error.empty()) {
          std::fprintf(stderr, "cacheme: redis: cannot resolve %s\n", found.error.c_str());
          return done(fail(errc::connect_failed));
        }
        for (std::size_t i = 0; i < url.seeds.size(); ++i) url.seeds[i].first = found.addresses[i];
        if (!url.cluster && url.seeds.front().first != url.host) url.host_name = url.host;
        url.host = url.seeds.front().first;
        if (url.cluster)  // per master; the default is shared among the masters
          return redis::detail::ClusterStorage::connect(reactor, std::move(url), pool_size, std::move(sink),
                                                        std::move(done));
        redis::detail::RedisStorage::connect(reactor, std::move(url),
                                             pool_size != 0 ? pool_size : redis::kDefaultPoolSize, std::move(sink),
                                             std::move(done));
      });
}

}  // namespace cacheme::drivers
