// A slot map: values in stable slots (a deque never moves them), found by a 64-bit id that
// packs the slot index and a generation, so an id of an erased value never finds its
// successor (a late completion of a timed-out operation is simply unknown). No hashing and
// no node allocation: the engine's tables of flights, tickets and operations live here.
// Free slots form a stack threaded through the slots themselves: the most recently freed slot,
// the likeliest to be in the CPU's caches, is reused first, and freeing allocates nothing (a
// separate free list grew in large steps while a burst of flights finished, each step a
// malloc_consolidate).
#pragma once

#include <cassert>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

namespace cacheme::core::detail {

template <class T>
class SlotMap {
 public:
  /// Stores `value`; the id is never 0.
  std::uint64_t insert(T value) {
    std::uint32_t index;
    if (free_head_ != kNoSlot) {
      index = free_head_;
      free_head_ = slots_[index].next_free;
    } else {
      index = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    Slot& s = slots_[index];
    s.value.emplace(std::move(value));
    ++size_;
    return (static_cast<std::uint64_t>(s.generation) << 32) | index;
  }

  T* find(std::uint64_t id) {
    const auto index = static_cast<std::uint32_t>(id);
    if (index >= slots_.size()) return nullptr;
    Slot& s = slots_[index];
    return s.value && s.generation == static_cast<std::uint32_t>(id >> 32) ? &*s.value : nullptr;
  }
  const T* find(std::uint64_t id) const { return const_cast<SlotMap*>(this)->find(id); }

  T& at(std::uint64_t id) {
    T* v = find(id);
    assert(v && "slot map: stale or unknown id");
    return *v;
  }

  /// Erases the value of `id`, if it is there; its slot gets a new generation.
  void erase(std::uint64_t id) {
    if (!find(id)) return;
    const auto index = static_cast<std::uint32_t>(id);
    Slot& s = slots_[index];
    s.value.reset();
    if (++s.generation == 0) s.generation = 1;  // ids stay non-zero
    s.next_free = free_head_;
    free_head_ = index;
    --size_;
  }

  std::size_t size() const { return size_; }

 private:
  static constexpr std::uint32_t kNoSlot = UINT32_MAX;
  struct Slot {
    std::optional<T> value;
    std::uint32_t generation = 1;
    std::uint32_t next_free = kNoSlot;  ///< while free: the slot freed before it
  };
  std::deque<Slot> slots_;
  std::uint32_t free_head_ = kNoSlot;  ///< the most recently freed slot
  std::size_t size_ = 0;
};

}  // namespace cacheme::core::detail
