/// @file effects.hpp
/// What the engine asks of the outside world (polled with `Engine::poll_effect`), and the
/// completions the outside world hands back. Plain aggregates, no callbacks.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cacheme/core/any_value.hpp"
#include "cacheme/core/ids.hpp"
#include "cacheme/result.hpp"

namespace cacheme::core {

/// Read `keys` from remote storage `tier`: one key for a `get` (Redis `GET`), several for a
/// `get_all` (one `MGET`). Complete with `Engine::complete_fetch`, one value per key, in order.
struct FetchRequest {
  IoId id;
  TierId tier;
  std::vector<std::string> keys;
};

/// One entry to write: `bytes` is a whole remote entry (header and body); `ttl` is absent for
/// entries that never expire, and always at least 1 ms otherwise.
struct StoreEntry {
  std::string key;
  std::string bytes;
  std::optional<std::chrono::milliseconds> ttl;
};

/// Write `entries` to remote storage `tier` (`SET ... PX`, pipelined for several).
/// Complete with `Engine::complete_write`.
struct StoreRequest {
  IoId id;
  TierId tier;
  std::vector<StoreEntry> entries;
};

/// Delete `keys` from remote storage `tier` (`DEL`). Complete with `Engine::complete_write`.
struct EraseRequest {
  IoId id;
  TierId tier;
  std::vector<std::string> keys;
};

/// Call the loader of `node` for `keys` (the node's own keys, without prefix and version).
/// `sources[i]` is the opaque object the request that started the flight of `keys[i]` passed
/// in (the typed layer puts the node object there). Complete with `Engine::complete_load`.
struct LoadRequest {
  LoadId id;
  NodeId node;
  std::vector<std::string> keys;
  std::vector<AnyValue> sources;
};

/// Cancel load `id`: its deadline passed, or every caller waiting for it cancelled. The core
/// has already forgotten the load (its completion, if it still comes, is `errc::unknown_io`);
/// the adapter turns this into the loader's own cancellation. Never emitted while a caller
/// still waits for one of the load's keys (DESIGN.md §3 rule 10).
struct CancelLoad {
  LoadId id;
};

/// The core gave up on storage operation `id` of `tier` (its storage timeout passed) and has
/// already failed it: the driver drops the operation if it has not sent it yet and ignores its
/// reply if it has. A driver may also take it as a sign of an unhealthy connection.
struct AbandonIo {
  IoId id;
  TierId tier;
};

/// The answer to a ticket. `get`/`refresh`: one value; `get_all`: one per input key, in input
/// order; `invalidate`: no values, `error` set when a storage failed to erase.
struct Reply {
  Ticket ticket;
  std::error_code error;
  std::vector<Result<AnyValue>> values;
};

using Effect = std::variant<FetchRequest, StoreRequest, EraseRequest, LoadRequest, Reply, CancelLoad, AbandonIo>;

/// How a storage operation ended, as the driver saw it. Timeouts are the core's own business.
enum class IoStatus {
  ok,             ///< the server answered
  backend_error,  ///< connection lost, server error reply, protocol error, ...
  overloaded,     ///< refused at once: the storage's cap on outstanding operations was reached
};

/// A fetch's outcome: on `ok`, one slot per requested key, `nullopt` for a miss.
struct FetchResult {
  IoStatus status = IoStatus::ok;
  std::vector<std::optional<std::string>> values;
};

}  // namespace cacheme::core
