// Blocking libmongoc calls on the cache collection, made by the worker threads only.
#include "collection.hpp"

#include <algorithm>
#include <mutex>

#include "documents.hpp"

namespace cacheme::drivers::mongo {
namespace {

// The shortest heartbeat libmongoc allows: a restarted server is seen again within half a second.
constexpr std::int32_t kHeartbeatMs = 500;

std::int32_t ms32(std::chrono::milliseconds d) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(d.count(), 1, 24 * 3600 * 1000));
}

Bson upsert_options() {
  Bson opts(bson_new());
  BSON_APPEND_BOOL(opts.get(), "upsert", true);
  return opts;
}

}  // namespace

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    mongoc_init();
    // libmongoc's default log handler prints every warning on stderr; ours go through
    // sql::log_message with the password masked, and libmongoc's own are not needed.
    mongoc_log_set_handler(nullptr, nullptr);
  });
}

Uri make_uri(const Settings& s, UriUse use) {
  Uri uri(mongoc_uri_new_for_host_port(s.host.c_str(), s.port));
  if (!uri) return nullptr;
  if (!s.user.empty()) {
    mongoc_uri_set_username(uri.get(), s.user.c_str());
    if (s.password) mongoc_uri_set_password(uri.get(), s.password->c_str());
  }
  if (!s.auth_source.empty()) mongoc_uri_set_auth_source(uri.get(), s.auth_source.c_str());
  mongoc_uri_set_appname(uri.get(), "cacheme");
  const bool probe = use == UriUse::probe;
  const std::int32_t wait = ms32(probe ? s.connect_timeout : s.timeout);
  mongoc_uri_set_option_as_int32(uri.get(), MONGOC_URI_CONNECTTIMEOUTMS, wait);
  mongoc_uri_set_option_as_int32(uri.get(), MONGOC_URI_SERVERSELECTIONTIMEOUTMS, wait);
  // A hung server must not hold a worker much longer than the core waits for the operation.
  mongoc_uri_set_option_as_int32(uri.get(), MONGOC_URI_SOCKETTIMEOUTMS, probe ? wait : std::max(2 * wait, 1000));
  if (!probe) {
    mongoc_uri_set_option_as_int32(uri.get(), MONGOC_URI_HEARTBEATFREQUENCYMS, kHeartbeatMs);
    mongoc_uri_set_option_as_int32(uri.get(), MONGOC_URI_MAXPOOLSIZE, static_cast<std::int32_t>(s.pool_size));
  }
  return uri;
}

bool ping(mongoc_client_t* client, std::string& error) {
  Bson cmd(BCON_NEW("ping", BCON_INT32(1)));
  bson_error_t e;
  if (mongoc_client_command_simple(client, "admin", cmd.get(), nullptr, nullptr, &e)) return true;
  error = e.message;
  return false;
}

bool create_ttl_index(mongoc_client_t* client, const Settings& s, std::string& error) {
  Bson cmd(BCON_NEW("createIndexes", BCON_UTF8(s.collection.c_str()), "indexes", "[", "{", "key", "{", "expire",
                    BCON_INT32(1), "}", "name", BCON_UTF8("expire_1"), "expireAfterSeconds", BCON_INT32(0), "}",
                    "]"));
  bson_error_t e;
  bson_t reply;
  const bool ok = mongoc_client_write_command_with_opts(client, s.database.c_str(), cmd.get(), nullptr, &reply, &e);
  bson_destroy(&reply);
  if (!ok) error = e.message;
  return ok;
}

Collection::Collection(mongoc_client_t* client, const Settings& s)
    : collection_(mongoc_client_get_collection(client, s.database.c_str(), s.collection.c_str())) {}

Collection::~Collection() { mongoc_collection_destroy(collection_); }

bool Collection::failed(const bson_error_t& e) {
  error_ = e.message;
  return false;
}

std::optional<std::unordered_map<std::string, std::string>> Collection::fetch(const std::vector<std::string>& keys,
                                                                               std::int64_t now_ms) {
  std::unordered_map<std::string, std::string> found;
  if (keys.empty()) return found;
  Bson filter = id_filter(keys);
  mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(collection_, filter.get(), nullptr, nullptr);
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor, &doc)) {
    auto entry = read_entry(doc, now_ms);
    if (entry && entry->value) found.insert_or_assign(std::move(entry->key), std::move(*entry->value));
  }
  bson_error_t e;
  const bool error = mongoc_cursor_error(cursor, &e);
  mongoc_cursor_destroy(cursor);
  if (error) {
    failed(e);
    return std::nullopt;
  }
  return found;
}

bool Collection::upsert(const std::vector<const core::StoreEntry*>& entries, std::int64_t now_ms) {
  if (entries.empty()) return true;
  Bson bulk_opts(BCON_NEW("ordered", BCON_BOOL(false)));
  mongoc_bulk_operation_t* bulk = mongoc_collection_create_bulk_operation_with_opts(collection_, bulk_opts.get());
  const Bson opts = upsert_options();
  bson_error_t e;
  bool ok = true;
  for (const core::StoreEntry* entry : entries) {
    Bson selector = id_filter({entry->key});
    Bson doc = entry_document(*entry, now_ms);
    if (!mongoc_bulk_operation_replace_one_with_opts(bulk, selector.get(), doc.get(), opts.get(), &e)) {
      ok = failed(e);
      break;
    }
  }
  if (ok) {
    bson_t reply;
    ok = mongoc_bulk_operation_execute(bulk, &reply, &e) != 0 || failed(e);
    bson_destroy(&reply);
  }
  mongoc_bulk_operation_destroy(bulk);
  return ok;
}

bool Collection::erase(const std::vector<std::string>& keys) {
  if (keys.empty()) return true;
  Bson filter = id_filter(keys);
  bson_error_t e;
  const bool ok = keys.size() == 1
                      ? mongoc_collection_delete_one(collection_, filter.get(), nullptr, nullptr, &e)
                      : mongoc_collection_delete_many(collection_, filter.get(), nullptr, nullptr, &e);
  return ok || failed(e);
}

bool Collection::erase_prefix(std::string_view prefix) {
  Bson filter = prefix_filter(prefix);
  if (!filter) {
    error_ = "a flush prefix must be UTF-8 text";
    return false;
  }
  bson_error_t e;
  return mongoc_collection_delete_many(collection_, filter.get(), nullptr, nullptr, &e) || failed(e);
}

// A bounded delete needs the ids first: MongoDB's delete has no limit other than one.
std::optional<std::uint64_t> Collection::sweep(std::int64_t now_ms) {
  Bson filter = expired_filter(now_ms);
  Bson opts(BCON_NEW("projection", "{", "_id", BCON_INT32(1), "}", "limit", BCON_INT64(kExpiredBatch)));
  mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(collection_, filter.get(), opts.get(), nullptr);
  Bson ids(bson_new());
  bson_t id, in;
  bson_append_document_begin(ids.get(), "_id", -1, &id);
  bson_append_array_begin(&id, "$in", -1, &in);
  std::uint32_t n = 0;
  const bson_t* doc = nullptr;
  char index[16];
  while (mongoc_cursor_next(cursor, &doc)) {
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, "_id")) continue;
    const char* name = nullptr;
    bson_uint32_to_string(n++, &name, index, sizeof index);
    bson_append_iter(&in, name, -1, &it);
  }
  bson_append_array_end(&id, &in);
  bson_append_document_end(ids.get(), &id);
  bson_error_t e;
  const bool error = mongoc_cursor_error(cursor, &e);
  mongoc_cursor_destroy(cursor);
  if (error) {
    failed(e);
    return std::nullopt;
  }
  if (n == 0) return 0;
  // Still expired: a document rewritten since the find keeps its new value.
  bson_concat(ids.get(), filter.get());
  if (!mongoc_collection_delete_many(collection_, ids.get(), nullptr, nullptr, &e)) {
    failed(e);
    return std::nullopt;
  }
  return n;
}

}  // namespace cacheme::drivers::mongo
