/// @file ids.hpp
/// Typed identifiers: a ticket can not be passed where an I/O operation is expected.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace cacheme::core {

/// A typed identifier (`OpId`, `IoId`, `NodeId`, ...): the tag keeps kinds apart.
template <class Tag>
struct Id {
  std::uint64_t v = 0;                          ///< the value, unique per kind and engine
  auto operator<=>(const Id&) const = default;  ///< ordered and compared by value
};

using Ticket = Id<struct TicketTag>;  ///< one caller request (get, get_all, invalidate, refresh)

/// The slot of a ticket: a small number, reused only after the ticket's `Reply` has been polled
/// (or the ticket cancelled), so a caller may keep its waiters in an array indexed by it.
inline std::uint32_t slot_of(Id<struct TicketTag> ticket) { return static_cast<std::uint32_t>(ticket.v); }
using IoId = Id<struct IoTag>;        ///< one storage operation (fetch, store, erase)
using LoadId = Id<struct LoadTag>;    ///< one call of a node's loader (one key, or a batch)
using TierId = Id<struct TierTag>;    ///< one registered storage
using NodeId = Id<struct NodeTag>;    ///< one registered node (typed or built)

}  // namespace cacheme::core

// Hashing ids (for unordered containers) is no API of its own, and Doxygen cannot place a
// specialization of std:: declared outside namespace std: hidden from the reference.
/// @cond
template <class Tag>
struct std::hash<cacheme::core::Id<Tag>> {
  std::size_t operator()(cacheme::core::Id<Tag> id) const noexcept { return std::hash<std::uint64_t>{}(id.v); }
};
/// @endcond
