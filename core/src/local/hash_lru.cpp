#include "cacheme/local/hash_lru.hpp"

#include <algorithm>
#include <bit>

namespace cacheme::local {

HashLru::HashLru(std::uint64_t capacity) : capacity_(std::max<std::uint64_t>(capacity, 1)) {
  entries_.reserve(capacity_);
  index_.assign(std::bit_ceil(capacity_ + capacity_ / 4 + 1), IndexSlot{});
  mask_ = index_.size() - 1;
}

// The keys are hashes already, but sampled ones share some bits: mix them again (murmur3's
// finalizer) so that they spread over the index.
std::size_t HashLru::home(std::uint32_t key) const noexcept {
  key ^= key >> 16;
  key *= 0x85ebca6bU;
  key ^= key >> 13;
  key *= 0xc2b2ae35U;
  key ^= key >> 16;
  return key & mask_;
}

bool HashLru::access(std::uint32_t key) noexcept {
  for (std::size_t i = home(key); index_[i].slot != kNone; i = (i + 1) & mask_) {
    if (index_[i].key != key) continue;
    const std::uint32_t slot = index_[i].slot;
    if (slot != mru_) {
      unlink(slot);
      push_back(slot);
    }
    return true;
  }
  std::uint32_t slot;
  if (size_ < capacity_) {
    slot = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
    ++size_;
  } else {  // the least recently used key makes room
    slot = lru_;
    unlink(slot);
    index_erase(slot);
  }
  entries_[slot].key = key;
  push_back(slot);
  index_insert(slot);
  return false;
}

void HashLru::unlink(std::uint32_t slot) noexcept {
  Entry& e = entries_[slot];
  (e.prev == kNone ? lru_ : entries_[e.prev].next) = e.next;
  (e.next == kNone ? mru_ : entries_[e.next].prev) = e.prev;
  e.prev = e.next = kNone;
}

void HashLru::push_back(std::uint32_t slot) noexcept {
  Entry& e = entries_[slot];
  e.prev = mru_;
  e.next = kNone;
  (mru_ == kNone ? lru_ : entries_[mru_].next) = slot;
  mru_ = slot;
}

void HashLru::index_insert(std::uint32_t slot) noexcept {
  const std::uint32_t key = entries_[slot].key;
  std::size_t i = home(key);
  while (index_[i].slot != kNone) i = (i + 1) & mask_;
  index_[i] = {key, slot};
}

// Backward-shift deletion: no tombstones, so probes stay short.
void HashLru::index_erase(std::uint32_t slot) noexcept {
  std::size_t i = home(entries_[slot].key);
  while (index_[i].slot != slot) i = (i + 1) & mask_;
  for (std::size_t j = (i + 1) & mask_; index_[j].slot != kNone; j = (j + 1) & mask_) {
    const std::size_t h = home(index_[j].key);
    if (((j - h) & mask_) >= ((j - i) & mask_)) {
      index_[i] = index_[j];
      i = j;
    }
  }
  index_[i] = IndexSlot{};
}

}  // namespace cacheme::local
