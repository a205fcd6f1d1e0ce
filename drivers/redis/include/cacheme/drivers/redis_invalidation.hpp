/// @file redis_invalidation.hpp
/// Cross-process invalidation of local tiers over Redis pub/sub: when one process erases a key
/// from a shared Redis (its `invalidate` or `refresh`), every other process that uses the same
/// Redis and prefix drops its local copies of that key.
///
/// One channel per key prefix (`channel_name(prefix)`); each message is the publishing
/// process's random origin id and the full key. A channel holds two connections of its own,
/// apart from the storage's pool: one subscribed, one publishing (a subscribed connection
/// cannot publish). Both reconnect by themselves (50 ms doubling to 2 s, each seed in turn).
/// Messages published while the subscriber was away are lost (pub/sub keeps nothing), so on
/// every subscription, the first included, `resubscribed` tells the owner to clear the local
/// tiers that depend on this Redis.
///
/// Redis Cluster: a regular `PUBLISH` reaches the subscribers of every node of the cluster
/// (the cluster bus forwards it), so one connection to any node is enough; the channel tries
/// the URL's seed nodes in turn.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cacheme/drivers/invalidation.hpp"
#include "cacheme/drivers/reactor.hpp"
#include "cacheme/result.hpp"

namespace cacheme::drivers {

/// The channel of key prefix `prefix`.
std::string invalidation_channel_name(std::string_view prefix);

/// Opens the channel of `prefix` on the Redis (or Redis Cluster) of `url`, the URL of the
/// storage it goes with (host(s), port, user and password are used). `errc::bad_url` for a URL
/// that does not parse. Connects in the background; `reactor` must outlive the channel.
Result<std::unique_ptr<InvalidationChannel>> open_invalidation_channel(Reactor& reactor, std::string_view url,
                                                                      std::string_view prefix,
                                                                      InvalidationEvents events);

}  // namespace cacheme::drivers
