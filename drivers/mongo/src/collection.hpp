// The cache collection as one worker thread uses it: blocking libmongoc calls on one client.
#pragma once

#include <mongoc/mongoc.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cacheme/core/effects.hpp"
#include "mongo_url.hpp"

namespace cacheme::drivers::mongo {

struct UriDeleter {
  void operator()(mongoc_uri_t* u) const noexcept { mongoc_uri_destroy(u); }
};
using Uri = std::unique_ptr<mongoc_uri_t, UriDeleter>;

struct ClientDeleter {
  void operator()(mongoc_client_t* c) const noexcept { mongoc_client_destroy(c); }
};
using Client = std::unique_ptr<mongoc_client_t, ClientDeleter>;

struct PoolDeleter {
  void operator()(mongoc_client_pool_t* p) const noexcept { mongoc_client_pool_destroy(p); }
};
using ClientPool = std::unique_ptr<mongoc_client_pool_t, PoolDeleter>;

/// Calls `mongoc_init` once per process (libmongoc needs it before any other call).
void init_library();

/// What the URI is for: the first check (one try, `connect_timeout`) or the workers' pool
/// (every wait bounded by about the core's operation `timeout`).
enum class UriUse { probe, pool };

/// The libmongoc URI of `s`, built field by field (no text to escape, no cacheme keys in it).
Uri make_uri(const Settings& s, UriUse use);

/// Sends `ping`; on failure `error` holds the server's or the socket's message.
bool ping(mongoc_client_t* client, std::string& error);

/// Creates the TTL index of sql/mongo.js (`{expire: 1}`, `expireAfterSeconds: 0`) if missing.
bool create_ttl_index(mongoc_client_t* client, const Settings& s, std::string& error);

/// The cache collection on one client. Each call blocks until the server answers (or a timeout);
/// on failure it returns false/nullopt and `error()` says why.
class Collection {
 public:
  Collection(mongoc_client_t* client, const Settings& s);
  ~Collection();
  Collection(const Collection&) = delete;
  Collection& operator=(const Collection&) = delete;

  /// key -> value of the live documents among `keys` (distinct), in one `find`.
  std::optional<std::unordered_map<std::string, std::string>> fetch(const std::vector<std::string>& keys,
                                                                     std::int64_t now_ms);
  /// Every entry as one unordered bulk write of `replace_one(upsert)`s.
  bool upsert(const std::vector<const core::StoreEntry*>& entries, std::int64_t now_ms);
  /// `delete_one` for one key, `delete_many` with `$in` for several.
  bool erase(const std::vector<std::string>& keys);
  /// Deletes every document whose `_id` starts with `prefix` (a string prefix).
  bool erase_prefix(std::string_view prefix);
  /// Deletes at most kExpiredBatch expired documents; the count, or `nullopt` on an error.
  std::optional<std::uint64_t> sweep(std::int64_t now_ms);

  const std::string& error() const { return error_; }

 private:
  bool failed(const bson_error_t& e);

  mongoc_collection_t* collection_;
  std::string error_;
};

}  // namespace cacheme::drivers::mongo
