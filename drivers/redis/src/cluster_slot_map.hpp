// Which master owns each of the 16,384 slots (pure state; the storage decides when to refresh).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "cluster_reply.hpp"
#include "cluster_slot.hpp"

namespace cacheme::drivers::redis::detail {

/// The client's view of a cluster: slot -> master address. Filled from `CLUSTER SLOTS`, patched
/// one slot at a time by `MOVED`. Addresses are never removed (a handful per cluster): an index
/// stays valid for the map's lifetime.
class SlotMap {
 public:
  SlotMap() { owner_.fill(kNone); }

  /// Replaces the whole map with `ranges`; slots no range covers become unowned.
  void assign(const std::vector<SlotRange>& ranges);
  /// One slot moved to `master` (a `MOVED` reply).
  void move_slot(std::uint16_t slot, const NodeAddress& master);

  /// The master of `slot`, or nullopt while the slot has none (cluster down for it).
  std::optional<std::size_t> owner(std::uint16_t slot) const {
    const auto o = owner_[slot];
    if (o == kNone) return std::nullopt;
    return o;
  }
  const NodeAddress& address(std::size_t index) const { return addresses_[index]; }
  /// Index of `a`, added when new.
  std::size_t index_of(const NodeAddress& a);
  /// The distinct masters that own at least one slot, each once.
  std::vector<std::size_t> masters() const;
  bool empty() const noexcept { return assigned_ == 0; }

 private:
  static constexpr std::uint16_t kNone = 0xffff;
  std::array<std::uint16_t, kSlotCount> owner_;
  std::vector<NodeAddress> addresses_;
  std::size_t assigned_ = 0;
};

}  // namespace cacheme::drivers::redis::detail
