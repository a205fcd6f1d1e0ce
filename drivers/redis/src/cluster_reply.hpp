// Interpreting Redis Cluster replies (pure functions): redirect errors and `CLUSTER SLOTS`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace cacheme::drivers::redis::detail {

/// A node's address as the cluster announces it.
struct NodeAddress {
  std::string host;
  std::uint16_t port = 0;
  /// "host:port", the key of the driver's node table.
  std::string text() const { return host + ":" + std::to_string(port); }
  bool operator==(const NodeAddress&) const = default;
};

/// What an error reply asks the client to do.
enum class RedirectKind {
  none,         ///< not an error, or an error no retry can fix (CLUSTERDOWN, CROSSSLOT, ERR, ...)
  moved,        ///< `MOVED slot host:port`: the slot has a new owner for good
  ask,          ///< `ASK slot host:port`: this one command goes to host:port after `ASKING`
  try_again,    ///< `TRYAGAIN`: a multi-key command during a slot migration; retry shortly
};

struct Redirect {
  RedirectKind kind = RedirectKind::none;
  std::uint16_t slot = 0;
  NodeAddress target;  ///< moved and ask only
};

/// Reads a reply's redirect; `kind == none` for anything that is not a well-formed one.
Redirect redirect_of(const redisReply* r);

/// One `CLUSTER SLOTS` range and its master.
struct SlotRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  NodeAddress master;
};

/// The ranges of a `CLUSTER SLOTS` reply, or nullopt for any malformed shape. A master whose
/// host is empty (or "?") is announced as "the node you asked": `asked_host` is put there.
std::optional<std::vector<SlotRange>> parse_cluster_slots(const redisReply* r, std::string_view asked_host);

}  // namespace cacheme::drivers::redis::detail
