#include "redis_reply.hpp"

#include <hiredis/hiredis.h>

namespace cacheme::drivers::redis::detail {
namespace {

void fail(core::FetchResult& out) {
  out.status = core::IoStatus::backend_error;
  out.values.clear();
}

/// A string or nil element, or false for any other type.
bool value_of(const redisReply* r, std::optional<std::string>& out) {
  if (!r) return false;
  if (r->type == REDIS_REPLY_NIL) {
    out.reset();
    return true;
  }
  if (r->type != REDIS_REPLY_STRING) return false;
  core::assign_value(out, std::string_view(r->str, r->len));
  return true;
}

}  // namespace

void read_get(const redisReply* r, core::FetchResult& out) {
  out.status = core::IoStatus::ok;
  out.values.resize(1);
  if (!value_of(r, out.values[0])) fail(out);
}

void read_mget(const redisReply* r, std::size_t keys, core::FetchResult& out) {
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != keys) return fail(out);
  out.status = core::IoStatus::ok;
  out.values.resize(keys);
  for (std::size_t i = 0; i < keys; ++i)
    if (!value_of(r->element[i], out.values[i])) return fail(out);
}

core::FetchResult get_result(const redisReply* r) {
  core::FetchResult res;
  read_get(r, res);
  return res;
}

core::FetchResult mget_result(const redisReply* r, std::size_t keys) {
  core::FetchResult res;
  read_mget(r, keys, res);
  return res;
}

bool is_ok_status(const redisReply* r) {
  return r && r->type == REDIS_REPLY_STATUS && std::string_view(r->str, r->len) == "OK";
}

bool is_integer(const redisReply* r) { return r && r->type == REDIS_REPLY_INTEGER; }

std::optional<ScanPage> scan_page(const redisReply* r) {
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return std::nullopt;
  const redisReply* cursor = r->element[0];
  const redisReply* keys = r->element[1];
  if (!cursor || cursor->type != REDIS_REPLY_STRING || !keys || keys->type != REDIS_REPLY_ARRAY) return std::nullopt;
  ScanPage page;
  page.cursor.assign(cursor->str, cursor->len);
  page.keys.reserve(keys->elements);
  for (std::size_t i = 0; i < keys->elements; ++i) {
    const redisReply* k = keys->element[i];
    if (!k || k->type != REDIS_REPLY_STRING) return std::nullopt;
    page.keys.emplace_back(k->str, k->len);
  }
  return page;
}

std::string prefix_pattern(std::string_view prefix) {
  std::string out;
  out.reserve(prefix.size() + 1);
  for (const char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  out += '*';
  return out;
}

}  // namespace cacheme::drivers::redis::detail
