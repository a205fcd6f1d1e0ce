/// @file mongo.hpp
/// The MongoDB storage: `mongodb://[user:pass@]host:port/[authdb]?database=D&collection=C&pool_size=N`.
///
/// libmongoc's API blocks, so it never runs on the loop thread: worker threads (started as load
/// needs them, at most `pool_size`, default 50) each hold one client of a `mongoc_client_pool_t`
/// and hand their completions back through `Reactor::post`, as the SQLite driver does.
///
/// Documents are `{_id: key, value: BinData, expire: Date}` (`expire` absent for entries that
/// never expire); `_id` is a string when the key is valid UTF-8 without NUL, else BinData. A
/// fetch is one `find` by `_id` (`{_id: {$in: [...]}}` for a `get_all` batch). Writes are grouped:
/// every store queued when a worker becomes free goes into one unordered bulk write of
/// `replace_one(upsert)`s; an erase is `delete_one` (`delete_many` with `$in` for several keys).
///
/// An expired document is a miss. Expired documents are deleted by the driver in batches of at
/// most 500 (`find` of their `_id`s, then `delete_many`), so correctness never depends on the TTL
/// index; `init=1` creates that index (`{expire: 1}`, `expireAfterSeconds: 0`, as sql/mongo.js),
/// which lets a real server delete them too. `command_counts()` names `FIND`, `BULK_UPSERT` (bulk
/// writes) and `UPSERT` (the entries in them), `DELETE_ONE`, `DELETE_MANY`, `DELETE_PREFIX` and
/// `DELETE_EXPIRED`.
#pragma once

#include <string_view>

#include "cacheme/drivers/reactor.hpp"
#include "cacheme/drivers/storage.hpp"

namespace cacheme::drivers {

/// Connects to the MongoDB storage of `url` and calls `done` later on the loop thread of
/// `reactor` (through `post`, never from inside this call). Query keys: `database` (default
/// `cacheme`), `collection` (default `cache`), `pool_size`, `init`, `timeout` (ms, default 1000:
/// also the server selection and socket timeouts of the pooled clients, so a worker never waits
/// much longer than the core does), `connect_timeout` (ms, default 5000), `authSource`. Errors:
/// `bad_url`, `bad_option`, `connect_failed` (the server does not answer `ping`; the log gives
/// the URL with its password as `***`), `schema_missing` (`init=1` and the index cannot be
/// created). `reactor` must outlive the storage; `sink` is called on the loop thread.
void connect_mongo(Reactor& reactor, std::string_view url, const StorageOptions& options, CompletionSink sink,
                   ConnectDone done);

}  // namespace cacheme::drivers
