#include "cacheme/local/exact_lfu.hpp"

#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace cacheme::local {

std::uint64_t exact_lfu_hits(std::span<const std::uint64_t> trace, std::size_t capacity) {
  if (capacity == 0) return 0;
  struct Key {
    std::uint64_t count = 0;
    std::uint64_t last = 0;  // request number of the latest access
    bool cached = false;
  };
  std::unordered_map<std::uint64_t, Key> keys;
  keys.reserve(trace.size() / 2);
  // Cached keys by (count, last access, key): the first is the one to evict.
  std::set<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>> cache;
  std::uint64_t hits = 0;
  for (std::uint64_t i = 0; i < trace.size(); ++i) {
    const std::uint64_t k = trace[i];
    Key& key = keys[k];
    if (key.cached) {
      ++hits;
      cache.erase({key.count, key.last, k});
      cache.insert({++key.count, key.last = i, k});
      continue;
    }
    ++key.count;
    key.last = i;
    if (cache.size() == capacity) {
      const auto victim = *cache.begin();
      if (key.count <= std::get<0>(victim)) continue;  // a tie keeps the incumbent
      cache.erase(cache.begin());
      keys[std::get<2>(victim)].cached = false;
    }
    key.cached = true;
    cache.insert({key.count, key.last, k});
  }
  return hits;
}

}  // namespace cacheme::local
