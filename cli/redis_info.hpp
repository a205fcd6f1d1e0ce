/// @file redis_info.hpp
/// The Redis server's own command counts (`INFO commandstats`), read with a separate
/// synchronous hiredis connection, so the benchmark can show them beside the client's.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace cacheme::cli {

/// Calls per command (`GET`, `MGET`, `SET`, ...) of the server at a `redis://` URL; for a
/// `cluster=true` URL, the sum over the cluster's masters (as `CLUSTER SLOTS` lists them now;
/// that reading is counted as `CLUSTER|SLOTS` by the node asked).
/// Empty when the server cannot be asked (or cacheme was built without hiredis).
std::map<std::string, std::uint64_t> redis_command_stats(const std::string& url);

}  // namespace cacheme::cli
