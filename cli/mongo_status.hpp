/// @file mongo_status.hpp
/// The MongoDB server's own operation counts (`serverStatus.opcounters`), read with a separate
/// blocking libmongoc client, so the benchmark can show them beside the client's commands.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace cacheme::cli {

/// `opcounters` of the server at a `mongodb://` URL, by upper-case name (`QUERY`, `INSERT`,
/// `UPDATE`, `DELETE`, `GETMORE`, `COMMAND`); `nullopt` when the server cannot be asked or its
/// `serverStatus` has no `opcounters` (the MongoDB-wire test server), or without libmongoc.
std::optional<std::map<std::string, std::uint64_t>> mongo_opcounters(const std::string& url);

}  // namespace cacheme::cli
