// BSON documents and filters of the cache collection.
#include "documents.hpp"

namespace cacheme::drivers::mongo {
namespace {

bool is_text(std::string_view s) { return bson_utf8_validate(s.data(), s.size(), false); }

const std::uint8_t* bytes(std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

// Regex metacharacters of PCRE and of JavaScript's RegExp (the test server's), escaped; nothing
// else, since an escaped letter or '-' is an error in JavaScript's unicode mode.
std::string regex_escape(std::string_view s) {
  static constexpr std::string_view kMeta = "\\^$.|?*+()[]{}";
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    if (kMeta.find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

void append_key(bson_t* doc, const char* field, std::string_view key) {
  if (is_text(key)) {
    bson_append_utf8(doc, field, -1, key.data(), static_cast<int>(key.size()));
  } else {
    bson_append_binary(doc, field, -1, BSON_SUBTYPE_BINARY, bytes(key), static_cast<std::uint32_t>(key.size()));
  }
}

Bson id_filter(const std::vector<std::string>& keys) {
  Bson filter(bson_new());
  if (keys.size() == 1) {
    append_key(filter.get(), "_id", keys.front());
    return filter;
  }
  bson_t id, in;
  bson_append_document_begin(filter.get(), "_id", -1, &id);
  bson_append_array_begin(&id, "$in", -1, &in);
  char index[16];
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const char* name = nullptr;
    bson_uint32_to_string(static_cast<std::uint32_t>(i), &name, index, sizeof index);
    append_key(&in, name, keys[i]);
  }
  bson_append_array_end(&id, &in);
  bson_append_document_end(filter.get(), &id);
  return filter;
}

Bson entry_document(const core::StoreEntry& entry, std::int64_t now_ms) {
  Bson doc(bson_new());
  append_key(doc.get(), "_id", entry.key);
  bson_append_binary(doc.get(), "value", -1, BSON_SUBTYPE_BINARY, bytes(entry.bytes),
                     static_cast<std::uint32_t>(entry.bytes.size()));
  if (entry.ttl) bson_append_date_time(doc.get(), "expire", -1, now_ms + entry.ttl->count());
  return doc;
}

std::optional<ReadEntry> read_entry(const bson_t* doc, std::int64_t now_ms) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, doc, "_id")) return std::nullopt;
  ReadEntry out;
  if (BSON_ITER_HOLDS_UTF8(&it)) {
    std::uint32_t len = 0;
    const char* s = bson_iter_utf8(&it, &len);
    out.key.assign(s, len);
  } else if (BSON_ITER_HOLDS_BINARY(&it)) {
    bson_subtype_t subtype;
    std::uint32_t len = 0;
    const std::uint8_t* data = nullptr;
    bson_iter_binary(&it, &subtype, &len, &data);
    out.key.assign(reinterpret_cast<const char*>(data), len);
  } else {
    return std::nullopt;
  }
  // MongoDB's TTL monitor runs once a minute: a document past its expiry may still be there.
  if (bson_iter_init_find(&it, doc, "expire") && BSON_ITER_HOLDS_DATE_TIME(&it) && bson_iter_date_time(&it) <= now_ms)
    return out;
  if (bson_iter_init_find(&it, doc, "value") && BSON_ITER_HOLDS_BINARY(&it)) {
    bson_subtype_t subtype;
    std::uint32_t len = 0;
    const std::uint8_t* data = nullptr;
    bson_iter_binary(&it, &subtype, &len, &data);
    out.value.emplace(reinterpret_cast<const char*>(data), len);
  }
  return out;
}

Bson prefix_filter(std::string_view prefix) {
  if (!is_text(prefix)) return Bson(nullptr);
  const std::string pattern = "^" + regex_escape(prefix);
  Bson filter(bson_new());
  bson_t id;
  bson_append_document_begin(filter.get(), "_id", -1, &id);
  bson_append_regex(&id, "$regex", -1, pattern.c_str(), "");
  bson_append_document_end(filter.get(), &id);
  return filter;
}

Bson expired_filter(std::int64_t now_ms) {
  Bson filter(bson_new());
  bson_t expire;
  bson_append_document_begin(filter.get(), "expire", -1, &expire);
  bson_append_date_time(&expire, "$lte", -1, now_ms);
  bson_append_document_end(filter.get(), &expire);
  return filter;
}

}  // namespace cacheme::drivers::mongo
