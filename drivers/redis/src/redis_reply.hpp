// Interpreting hiredis replies (pure functions; any unexpected shape is a backend error).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cacheme/core/effects.hpp"

struct redisReply;

namespace cacheme::drivers::redis::detail {

/// A `GET` reply: a string (hit) or nil (miss); nullptr, an error or anything else fails.
core::FetchResult get_result(const redisReply* r);

/// An `MGET` reply: an array of exactly `keys` strings or nils.
core::FetchResult mget_result(const redisReply* r, std::size_t keys);

/// The same two, written into `out` (a result filled before: its buffers are reused).
void read_get(const redisReply* r, core::FetchResult& out);
void read_mget(const redisReply* r, std::size_t keys, core::FetchResult& out);

/// `+OK` (the reply to `SET`).
bool is_ok_status(const redisReply* r);

/// An integer reply (`DEL`, `UNLINK`).
bool is_integer(const redisReply* r);

/// One `SCAN` page: the next cursor ("0" when done) and the keys found.
struct ScanPage {
  std::string cursor;
  std::vector<std::string> keys;
};
std::optional<ScanPage> scan_page(const redisReply* r);

/// `prefix` with the glob specials (`*?[]\`) escaped, followed by `*`: a `SCAN MATCH` pattern
/// that matches exactly the keys starting with `prefix`.
std::string prefix_pattern(std::string_view prefix);

}  // namespace cacheme::drivers::redis::detail
