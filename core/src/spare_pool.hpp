// Spare containers for the engine's hot path: a vector (or string) that dies in one request
// gives its capacity to the next one instead of back to the heap.
//
// Why: a remote hit used to allocate and free the same few small buffers every time (the
// flight's key, the group of flights a fetch carries, the list of values found). Taking them
// from here makes those steps allocation-free once the engine has warmed up
// (`bench_core`'s `remote_hit_allocations` counts what is left). Only small buffers are kept
// (256 elements or bytes), and at most 1,024 of each kind, so a burst of large `get_all`s does
// not pin its memory: a few MB per engine at worst.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace cacheme::core::detail {

/// A stack of cleared containers (`std::vector<T>` or `std::string`) with their capacity.
template <class C>
class SparePool {
 public:
  /// An empty container, with the capacity of one given back earlier if any.
  C take() {
    if (spare_.empty()) return C{};
    C c = std::move(spare_.back());
    spare_.pop_back();
    return c;
  }
  /// Keeps `c`'s buffer for a later `take` (dropped when large or when enough are kept).
  void give(C&& c) {
    // No buffer of its own (an empty vector, a string in its inline bytes): nothing to keep.
    if (c.capacity() <= C{}.capacity() || c.capacity() > kMaxCapacity || spare_.size() >= kMaxKept) return;
    c.clear();
    // All the room at once: growing the stack step by step mid-run made large allocations
    // (each a malloc_consolidate) while a burst of flights finished.
    if (spare_.capacity() == 0) spare_.reserve(kMaxKept);
    spare_.push_back(std::move(c));
  }

 private:
  static constexpr std::size_t kMaxCapacity = 256;  // elements (or bytes for a string)
  static constexpr std::size_t kMaxKept = 1024;     // ~ the requests one pump handles at once
  std::vector<C> spare_;
};

}  // namespace cacheme::core::detail
