// The BSON of the cache: documents `{_id: key, value: BinData, expire: Date}` and the filters that
// find them. Keys that are valid UTF-8 without NUL are strings (as the seed writes them); any
// other key is BinData, so every byte string round-trips.
#pragma once

#include <bson/bson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cacheme/core/effects.hpp"

namespace cacheme::drivers::mongo {

/// Owns a `bson_t` from `bson_new`/`BCON_NEW` (not a unique_ptr: bson_t's alignment attribute
/// is dropped, with a warning, in a template argument).
class Bson {
 public:
  explicit Bson(bson_t* doc) : doc_(doc) {}
  ~Bson() {
    if (doc_) bson_destroy(doc_);
  }
  Bson(Bson&& other) noexcept : doc_(std::exchange(other.doc_, nullptr)) {}
  Bson(const Bson&) = delete;
  Bson& operator=(const Bson&) = delete;
  Bson& operator=(Bson&&) = delete;

  bson_t* get() const { return doc_; }
  explicit operator bool() const { return doc_ != nullptr; }

 private:
  bson_t* doc_;
};

/// Expired documents deleted by one cleanup: a bound on the work any one sweep adds.
inline constexpr std::uint32_t kExpiredBatch = 500;

/// Appends `key` under `field`: a UTF-8 string, or BinData (subtype 0) when it is not valid UTF-8.
void append_key(bson_t* doc, const char* field, std::string_view key);

/// `{_id: key}` for one key, `{_id: {$in: [keys...]}}` for several.
Bson id_filter(const std::vector<std::string>& keys);

/// The replacement document of `entry` written at `now_ms`; `expire` only when it has a TTL.
Bson entry_document(const core::StoreEntry& entry, std::int64_t now_ms);

/// A document read back: its key and, when it is live at `now_ms`, its value.
struct ReadEntry {
  std::string key;
  std::optional<std::string> value;  ///< absent: expired, or no BinData `value`
};

/// Reads `doc`; `nullopt` when its `_id` is neither a string nor BinData (not ours).
std::optional<ReadEntry> read_entry(const bson_t* doc, std::int64_t now_ms);

/// `{_id: {$regex: "^<prefix, escaped>"}}`, or null when `prefix` is not valid UTF-8 (or holds a
/// NUL): an anchored prefix regex is the form MongoDB answers from the `_id` index.
Bson prefix_filter(std::string_view prefix);

/// `{expire: {$lte: Date(now_ms)}}`.
Bson expired_filter(std::int64_t now_ms);

}  // namespace cacheme::drivers::mongo
