/// @file effects.hpp
/// What the engine asks of the outside world (polled with `Engine::poll_effect`), and the
/// completions the outside world hands back. Plain aggregates, no callbacks.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cacheme/core/any_value.hpp"
#include "cacheme/core/ids.hpp"
#include "cacheme/result.hpp"

namespace cacheme::core {

/// Read `keys` from remote storage `tier`: one key for a `get` (Redis `GET`), several for a
/// `get_all` (one `MGET`). Complete with `Engine::complete_fetch`, one value per key, in order.
struct FetchRequest {
  IoId id;                        ///< to complete
  TierId tier;                    ///< the storage
  std::vector<std::string> keys;  ///< full keys (prefix and version included)
};

/// One entry to write: `bytes` is a whole remote entry (header and body); `ttl` is absent for
/// entries that never expire, and always at least 1 ms otherwise.
struct StoreEntry {
  std::string key;                               ///< full key
  std::string bytes;                             ///< header and body
  std::optional<std::chrono::milliseconds> ttl;  ///< absent: never expires
};

/// Write `entries` to remote storage `tier` (`SET ... PX`, pipelined for several).
/// Complete with `Engine::complete_write`.
struct StoreRequest {
  IoId id;                          ///< to complete
  TierId tier;                      ///< the storage
  std::vector<StoreEntry> entries;  ///< what to write
};

/// Delete `keys` from remote storage `tier` (`DEL`). Complete with `Engine::complete_write`.
struct EraseRequest {
  IoId id;                        ///< to complete
  TierId tier;                    ///< the storage
  std::vector<std::string> keys;  ///< full keys
};

/// Call the loader of `node` for `keys` (the node's own keys, without prefix and version).
/// `sources[i]` is the opaque object the request that started the flight of `keys[i]` passed
/// in (the typed layer puts the node object there). Complete with `Engine::complete_load`.
struct LoadRequest {
  LoadId id;                      ///< to complete
  NodeId node;                    ///< whose loader
  std::vector<std::string> keys;  ///< the node's own keys
  std::vector<AnyValue> sources;  ///< one per key
};

/// Cancel load `id`: its deadline passed, or every caller waiting for it cancelled. The core
/// has already forgotten the load (its completion, if it still comes, is `errc::unknown_io`);
/// the adapter turns this into the loader's own cancellation. Never emitted while a caller
/// still waits for one of the load's keys (DESIGN.md §3 rule 10).
struct CancelLoad {
  LoadId id;  ///< the load to cancel
};

/// The core gave up on storage operation `id` of `tier` (its storage timeout passed) and has
/// already failed it: the driver drops the operation if it has not sent it yet and ignores its
/// reply if it has. A driver may also take it as a sign of an unhealthy connection.
struct AbandonIo {
  IoId id;      ///< the operation given up
  TierId tier;  ///< its storage
};

/// The answer to a ticket. `get`/`refresh`: one value; `get_all`: one per input key, in input
/// order; `invalidate`: no values, `error` set when a storage failed to erase.
struct Reply {
  Ticket ticket;                         ///< the request answered
  std::error_code error;                 ///< the request's error, if any
  std::vector<Result<AnyValue>> values;  ///< one per key (see above)
};

/// What `Engine::poll_effect` returns: requests for the adapter, and replies.
using Effect = std::variant<FetchRequest, StoreRequest, EraseRequest, LoadRequest, Reply, CancelLoad, AbandonIo>;

/// How a storage operation ended, as the driver saw it. Timeouts are the core's own business.
enum class IoStatus {
  ok,             ///< the server answered
  backend_error,  ///< connection lost, server error reply, protocol error, ...
  overloaded,     ///< refused at once: the storage's cap on outstanding operations was reached
};

/// A fetch's outcome: on `ok`, one slot per requested key, `nullopt` for a miss.
struct FetchResult {
  IoStatus status = IoStatus::ok;                  ///< how it ended
  std::vector<std::optional<std::string>> values;  ///< on `ok`: one per key, nullopt for a miss
};

/// Sets `slot` to `bytes`, reusing the string the slot already holds: a driver that fills the
/// same `FetchResult` for each completion (`Engine::complete_fetch` keeps no reference to it)
/// allocates only when a value outgrows the one before.
inline void assign_value(std::optional<std::string>& slot, std::string_view bytes) {
  if (slot)
    slot->assign(bytes);
  else
    slot.emplace(bytes);
}

}  // namespace cacheme::core
