/// @file exact_lfu.hpp
/// An LFU with exact counts that never age: what TinyLFU's sketch approximates, for reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace cacheme::local {

/// The hits on `trace` of a cache of `capacity` keys that counts every request of every key
/// exactly and forever, and on a miss with a full cache admits the newcomer only if its count
/// (this request included) exceeds the smallest count in the cache, evicting that key (among
/// equal counts, the least recently used). No window, no aging, no collisions: on a stationary
/// workload (a generated Zipf stream) it is the frequency knowledge a sketch could at best
/// reach, so it shows what is left to win from better counting. O(n log n).
std::uint64_t exact_lfu_hits(std::span<const std::uint64_t> trace, std::size_t capacity);

}  // namespace cacheme::local
