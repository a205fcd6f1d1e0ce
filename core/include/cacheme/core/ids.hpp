/// @file ids.hpp
/// Typed identifiers: a ticket can not be passed where an I/O operation is expected.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace cacheme::core {

template <class Tag>
struct Id {
  std::uint64_t v = 0;
  auto operator<=>(const Id&) const = default;
};

using Ticket = Id<struct TicketTag>;  ///< one caller request (get, get_all, invalidate, refresh)
using IoId = Id<struct IoTag>;        ///< one storage operation (fetch, store, erase)
using LoadId = Id<struct LoadTag>;    ///< one call of a node's loader (one key, or a batch)
using TierId = Id<struct TierTag>;    ///< one registered storage
using NodeId = Id<struct NodeTag>;    ///< one registered node (typed or built)

}  // namespace cacheme::core

template <class Tag>
struct std::hash<cacheme::core::Id<Tag>> {
  std::size_t operator()(cacheme::core::Id<Tag> id) const noexcept { return std::hash<std::uint64_t>{}(id.v); }
};
