/// @file sqlite.hpp
/// The SQLite storage: `sqlite:///path/to/file.db?table=cache&init=1`, the embedded default.
///
/// The database runs in WAL mode (synchronous=NORMAL) on one worker thread that owns the only
/// connection (`pool_size` is accepted and ignored): the blocking SQLite calls never run on the
/// loop thread, and completions come back through `Reactor::post`. The worker drains every queued
/// operation at once and runs them, in order, in one transaction (group commit): one fsync per
/// batch, not per key. A fetch is one `SELECT ... WHERE key IN (...)`; a store is one upsert per
/// entry inside that transaction.
///
/// Keys are BLOBs of at most 512 bytes: fetching a longer key is a miss, storing one completes
/// with `backend_error` (nothing of that request is written). Expired rows are misses, and are
/// deleted in batches of at most 500 as the storage is used. `command_counts()` names `SELECT`,
/// `UPSERT`, `DELETE`, `DELETE_PREFIX`, `DELETE_EXPIRED` and `COMMIT`.
#pragma once

#include <string_view>

#include "cacheme/drivers/reactor.hpp"
#include "cacheme/drivers/storage.hpp"

namespace cacheme::drivers {

/// Opens the SQLite storage of `url` (`sqlite:///abs/path.db`, `sqlite://relative.db`, query
/// keys `table`, `init`, `pool_size`, `timeout`) on a worker thread and calls `done` later on the
/// loop thread of `reactor` (through `post`, never from inside this call). Errors: `bad_url`
/// (not `sqlite://`, empty path), `bad_option` (bad table name or option), `connect_failed` (the
/// file cannot be opened), `schema_missing` (no table and no `init`; the log names
/// sql/sqlite.sql). `reactor` must outlive the storage; `sink` is called on the loop thread.
void connect_sqlite(Reactor& reactor, std::string_view url, const StorageOptions& options, CompletionSink sink,
                    ConnectDone done);

}  // namespace cacheme::drivers
