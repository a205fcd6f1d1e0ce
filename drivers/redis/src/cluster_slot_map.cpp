#include "cluster_slot_map.hpp"

#include <algorithm>

namespace cacheme::drivers::redis::detail {

void SlotMap::assign(const std::vector<SlotRange>& ranges) {
  owner_.fill(kNone);
  assigned_ = 0;
  for (const auto& r : ranges) {
    const auto index = static_cast<std::uint16_t>(index_of(r.master));
    for (std::size_t s = r.first; s <= r.last; ++s) {
      assigned_ += owner_[s] == kNone;
      owner_[s] = index;
    }
  }
}

void SlotMap::move_slot(std::uint16_t slot, const NodeAddress& master) {
  assigned_ += owner_[slot] == kNone;
  owner_[slot] = static_cast<std::uint16_t>(index_of(master));
}

std::size_t SlotMap::index_of(const NodeAddress& a) {
  const auto it = std::find(addresses_.begin(), addresses_.end(), a);
  if (it != addresses_.end()) return static_cast<std::size_t>(it - addresses_.begin());
  addresses_.push_back(a);
  return addresses_.size() - 1;
}

std::vector<std::size_t> SlotMap::masters() const {
  std::vector<bool> seen(addresses_.size(), false);
  std::vector<std::size_t> out;
  for (const auto o : owner_)
    if (o != kNone && !seen[o]) {
      seen[o] = true;
      out.push_back(o);
    }
  return out;
}

}  // namespace cacheme::drivers::redis::detail
