/// @file postgres.hpp
/// The PostgreSQL storage: `postgresql://user:pass@host:port/db?table=cache&pool_size=50`.
///
/// libpq's non-blocking API runs on the Reactor (`PQsendQueryParams`, `PQflush`,
/// `PQconsumeInput`, `PQisBusy`): nothing blocks the loop. Connections are opened as load needs
/// them, up to `pool_size` (default 50); each runs one statement at a time. Every statement is
/// parameterized (binary parameters and results): a fetch is one
/// `SELECT ... WHERE key = ANY($1)`, a store one `INSERT ... SELECT FROM unnest(...) ON CONFLICT
/// (key) DO UPDATE`, an erase one `DELETE ... WHERE key = ANY($1)`.
///
/// Keys are `bytea` of at most 512 bytes: fetching a longer key is a miss, storing one completes
/// with `backend_error` (nothing of that request is written). Expiry uses the server's clock
/// (`now() + ttl`); expired rows are misses and are deleted in batches of at most 500 as the
/// storage is used. `command_counts()` names `SELECT`, `UPSERT`, `DELETE`, `DELETE_PREFIX` and
/// `DELETE_EXPIRED`.
#pragma once

#include <string_view>

#include "cacheme/drivers/reactor.hpp"
#include "cacheme/drivers/storage.hpp"

namespace cacheme::drivers {

/// Connects to the PostgreSQL storage of `url` (`postgresql://` or `postgres://`; query keys
/// `table`, `pool_size`, `init`, `connect_timeout` (ms, default 5000), `timeout` (ignored),
/// `sslmode`) and calls `done` later on the loop thread of `reactor`, never from inside this
/// call. Errors: `bad_url`, `bad_option` (bad table name or option), `connect_failed` (server
/// unreachable, refused, bad credentials, timed out; the server's message goes to the log),
/// `schema_missing` (no table and no `init`; the log names sql/postgresql.sql). One connection is
/// opened at once, more on demand. `reactor` must outlive the storage.
void connect_postgres(Reactor& reactor, std::string_view url, const StorageOptions& options, CompletionSink sink,
                      ConnectDone done);

}  // namespace cacheme::drivers
