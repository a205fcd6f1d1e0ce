#include "cluster_reply.hpp"

#include <hiredis/hiredis.h>

#include <charconv>

#include "cluster_slot.hpp"

namespace cacheme::drivers::redis::detail {
namespace {

template <class T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

/// "host:port" (the host may itself hold colons, as an IPv6 address does: the last one splits).
std::optional<NodeAddress> parse_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  unsigned port = 0;
  if (!parse_number(text.substr(colon + 1), port) || port == 0 || port > 65535) return std::nullopt;
  return NodeAddress{std::string(text.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

/// `MOVED 3999 127.0.0.1:6381` / `ASK 3999 127.0.0.1:6381`, after the word.
bool parse_target(std::string_view rest, Redirect& out) {
  const auto space = rest.find(' ');
  if (space == std::string_view::npos) return false;
  unsigned slot = 0;
  if (!parse_number(rest.substr(0, space), slot) || slot >= kSlotCount) return false;
  auto address = parse_address(rest.substr(space + 1));
  if (!address) return false;
  out.slot = static_cast<std::uint16_t>(slot);
  out.target = std::move(*address);
  return true;
}

std::optional<long long> integer_of(const redisReply* r) {
  if (!r || r->type != REDIS_REPLY_INTEGER) return std::nullopt;
  return r->integer;
}

std::optional<NodeAddress> node_of(const redisReply* r, std::string_view asked_host) {
  // [host, port, id, ...]; older servers send only [host, port].
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 2) return std::nullopt;
  const redisReply* host = r->element[0];
  const auto port = integer_of(r->element[1]);
  if (!host || host->type != REDIS_REPLY_STRING || !port || *port <= 0 || *port > 65535) return std::nullopt;
  std::string h(host->str, host->len);
  if (h.empty() || h == "?") h = std::string(asked_host);
  return NodeAddress{std::move(h), static_cast<std::uint16_t>(*port)};
}

}  // namespace

Redirect redirect_of(const redisReply* r) {
  Redirect out;
  if (!r || r->type != REDIS_REPLY_ERROR) return out;
  const std::string_view text(r->str, r->len);
  if (text.rfind("MOVED ", 0) == 0) {
    if (parse_target(text.substr(6), out)) out.kind = RedirectKind::moved;
  } else if (text.rfind("ASK ", 0) == 0) {
    if (parse_target(text.substr(4), out)) out.kind = RedirectKind::ask;
  } else if (text.rfind("TRYAGAIN", 0) == 0) {
    out.kind = RedirectKind::try_again;
  }
  return out;
}

std::optional<std::vector<SlotRange>> parse_cluster_slots(const redisReply* r, std::string_view asked_host) {
  if (!r || r->type != REDIS_REPLY_ARRAY) return std::nullopt;
  std::vector<SlotRange> ranges;
  ranges.reserve(r->elements);
  for (std::size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    if (!e || e->type != REDIS_REPLY_ARRAY || e->elements < 3) return std::nullopt;
    const auto first = integer_of(e->element[0]);
    const auto last = integer_of(e->element[1]);
    auto master = node_of(e->element[2], asked_host);
    if (!first || !last || !master || *first < 0 || *last < *first || *last >= kSlotCount) return std::nullopt;
    ranges.push_back(SlotRange{static_cast<std::uint16_t>(*first), static_cast<std::uint16_t>(*last), std::move(*master)});
  }
  return ranges;
}

}  // namespace cacheme::drivers::redis::detail
