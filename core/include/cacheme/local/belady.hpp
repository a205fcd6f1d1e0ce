/// @file belady.hpp
/// Belady's offline optimum: the ceiling of every policy's hit ratio on a trace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace cacheme::local {

/// The hits of Belady's MIN on `trace` with room for `capacity` keys: on a miss with a full
/// cache, evict the key whose next use is farthest in the future (Belady, "A study of
/// replacement algorithms for a virtual-storage computer", IBM Systems Journal 1966).
/// O(n log n): one backward pass finds each request's next use, a heap orders the cache.
std::uint64_t belady_hits(std::span<const std::uint64_t> trace, std::size_t capacity);

}  // namespace cacheme::local
