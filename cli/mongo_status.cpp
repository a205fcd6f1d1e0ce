#include "mongo_status.hpp"

#include <algorithm>
#include <cctype>

#include "cacheme/build_config.hpp"
#if CACHEME_HAVE_MONGO
#include <mongoc/mongoc.h>
#endif

namespace cacheme::cli {

std::optional<std::map<std::string, std::uint64_t>> mongo_opcounters(const std::string& url) {
#if CACHEME_HAVE_MONGO
  mongoc_init();
  // cacheme's own query keys (database, collection, pool_size, ...) are no libmongoc options.
  mongoc_uri_t* uri = mongoc_uri_new_with_error(url.substr(0, url.find('?')).c_str(), nullptr);
  if (!uri) return std::nullopt;
  mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 2000);
  mongoc_client_t* client = mongoc_client_new_from_uri(uri);
  mongoc_uri_destroy(uri);
  if (!client) return std::nullopt;
  bson_t* command = BCON_NEW("serverStatus", BCON_INT32(1));
  bson_t reply;
  std::optional<std::map<std::string, std::uint64_t>> out;
  bson_iter_t it, counter;
  if (mongoc_client_command_simple(client, "admin", command, nullptr, &reply, nullptr) &&
      bson_iter_init_find(&it, &reply, "opcounters") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
      bson_iter_recurse(&it, &counter)) {
    out.emplace();
    while (bson_iter_next(&counter)) {
      std::string name = bson_iter_key(&counter);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
      (*out)[name] = static_cast<std::uint64_t>(bson_iter_as_int64(&counter));
    }
  }
  bson_destroy(&reply);
  bson_destroy(command);
  mongoc_client_destroy(client);
  return out;
#else
  (void)url;
  return std::nullopt;
#endif
}

}  // namespace cacheme::cli
