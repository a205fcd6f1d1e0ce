/// @file redis.hpp
/// The Redis storage driver (hiredis, async, over any `drivers::Reactor`).
#pragma once

#include <cstddef>
#include <string_view>

#include "cacheme/drivers/reactor.hpp"
#include "cacheme/drivers/storage.hpp"

namespace cacheme::drivers::redis {

/// Connections per storage when neither the options nor the URL set `pool_size`.
inline constexpr std::size_t kDefaultPoolSize = 100;

}  // namespace cacheme::drivers::redis

namespace cacheme::drivers {

/// Connects to the Redis server of `url` and hands the storage to `done`.
///
/// URL: `redis://[[user]:password@]host[:port][/db][?pool_size=N]` (port 6379, db 0 by
/// default; `redis://secret@host` is a password, as with redis-cli; user and password may be
/// percent-encoded). `?pool_size=N` overrides `options.pool_size`, which overrides
/// `redis::kDefaultPoolSize`; other query parameters are ignored here.
///
/// Redis Cluster: `redis://[user:pass@]host:port[,host:port...][/0]?cluster=true` (seed nodes;
/// the first that answers `CLUSTER SLOTS` is enough). `pool_size` is then per master; without
/// it, the masters share `kDefaultPoolSize` connections (100 / 3 masters = 34 each). Commands
/// go to the master of their key's slot; `MOVED`, `ASK` and `TRYAGAIN` are followed (see
/// README, Redis Cluster). A database other than 0 is `errc::bad_url`; a server without cluster
/// support is `errc::connect_failed`.
///
/// `done` always runs later on the reactor's thread, never inside this call, with either:
/// - the storage, once its first connection is up (TCP, then `AUTH` and `SELECT` when the URL
///   asks for them); the other connections connect in the background;
/// - `errc::bad_url` / `errc::bad_option` for a URL that does not parse;
/// - `errc::connect_failed` when the first connection fails (refused, timed out after 3 s,
///   wrong password, bad db); the server's message goes to stderr.
///
/// The storage pipelines commands over the pool (the connection with the fewest commands in
/// flight, round-robin among equals): `GET` or `MGET` for fetches, one `SET key value [PX ms]`
/// per entry for stores, one `DEL` for erases, `SCAN MATCH` + `UNLINK` for `flush_prefix`.
/// Any failure (error reply, unexpected reply type, lost connection) completes the operation
/// with `backend_error`; a lost connection reconnects with backoff (50 ms doubling to 2 s)
/// and, while no connection is up, operations fail at once. Completions reach `sink` on the
/// reactor's thread, never inside `start`, `flush_prefix` or `close`.
///
/// Stalled servers (README, "Redis under a stalled server"): `abandon` drops an operation not
/// yet sent and ignores the reply of one sent; a connection whose oldest reply is older than
/// `timeout` plus a margin is closed (its commands fail at once) and reconnected; every
/// connection has TCP keepalive; `?max_outstanding=N` (default 1,024 per connection) caps the
/// operations held, past it they complete at once with `IoStatus::overloaded`. Host names are
/// resolved once, off the loop thread (IP literals are not resolved). `health()` tells it all.
///
/// hiredis writes with `write(2)`: unless the application handles SIGPIPE itself, this call
/// sets it to SIG_IGN, so that a server going away cannot kill the process.
///
/// `reactor` must outlive the storage. Destroying the storage drops pending operations without
/// completing them; `close()` completes them with `backend_error`.
void connect_redis(Reactor& reactor, std::string_view url, const StorageOptions& options, CompletionSink sink,
                   ConnectDone done);

}  // namespace cacheme::drivers
