/// @file mysql.hpp
/// The MySQL/MariaDB storage: `mysql://user:pass@host:port/db?table=cache&pool_size=50`.
///
/// MariaDB Connector/C's non-blocking API (`MYSQL_OPT_NONBLOCK`, `*_start`/`*_cont`) runs on the
/// Reactor: nothing blocks the loop. Connections are opened as load needs them, up to
/// `pool_size` (default 50); each runs one statement at a time. Every statement is a prepared
/// statement with bound parameters, cached per connection: a fetch is `SELECT ... WHERE key IN
/// (?, ...)` (the list padded to a power of two, at most 256 keys per statement), a store
/// `INSERT ... ON DUPLICATE KEY UPDATE` (at most 64 rows per statement), an erase
/// `DELETE ... WHERE key IN (...)`.
///
/// Keys are `VARBINARY(512)`: fetching a longer key is a miss, storing one completes with
/// `backend_error` (nothing of that request is written). Expiry uses the server's UTC clock;
/// expired rows are misses and are deleted in batches of at most 500 as the storage is used.
/// `command_counts()` names `SELECT`, `UPSERT`, `DELETE`, `DELETE_PREFIX` and `DELETE_EXPIRED`
/// (one per statement). Connector/C switches stacks inside `*_start`/`*_cont`, which
/// AddressSanitizer may misreport.
#pragma once

#include <string_view>

#include "cacheme/drivers/reactor.hpp"
#include "cacheme/drivers/storage.hpp"

namespace cacheme::drivers {

/// Connects to the MySQL/MariaDB storage of `url` (`mysql://` or `mariadb://`; query keys
/// `table`, `pool_size`, `init`, `connect_timeout` (ms, default 5000), `timeout` (ignored)) and
/// calls `done` later on the loop thread of `reactor`, never from inside this call. Errors:
/// `bad_url`, `bad_option`, `connect_failed` (the server's message goes to the log),
/// `schema_missing` (no table and no `init`; the log names sql/mysql.sql). One connection is
/// opened at once, more on demand. `reactor` must outlive the storage.
void connect_mysql(Reactor& reactor, std::string_view url, const StorageOptions& options, CompletionSink sink,
                   ConnectDone done);

}  // namespace cacheme::drivers
