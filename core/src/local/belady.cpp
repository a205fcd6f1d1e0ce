#include "cacheme/local/belady.hpp"

#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cacheme::local {

std::uint64_t belady_hits(std::span<const std::uint64_t> trace, std::size_t capacity) {
  if (capacity == 0 || trace.empty()) return 0;
  const std::size_t n = trace.size();
  constexpr std::size_t kNever = SIZE_MAX;

  // Dense ids, so the cache state is a flat array.
  std::vector<std::uint32_t> ids(n);
  {
    std::unordered_map<std::uint64_t, std::uint32_t> dense;
    dense.reserve(n / 2);
    for (std::size_t i = 0; i < n; ++i) ids[i] = dense.emplace(trace[i], static_cast<std::uint32_t>(dense.size())).first->second;
  }
  std::vector<std::size_t> next_use(n);
  {
    std::vector<std::size_t> seen;
    for (std::size_t i = n; i-- > 0;) {
      if (ids[i] >= seen.size()) seen.resize(ids[i] + 1, kNever);
      next_use[i] = seen[ids[i]];
      seen[ids[i]] = i;
    }
  }

  // cached_next[id]: the next use of key id as of its latest request.
  // The heap holds (next use, id) pairs; stale pairs (the key was used since) are skipped.
  std::vector<std::size_t> cached_next;
  std::vector<bool> in_cache;
  std::priority_queue<std::pair<std::size_t, std::uint32_t>> heap;
  std::size_t size = 0;
  std::uint64_t hits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t id = ids[i];
    if (id >= in_cache.size()) {
      in_cache.resize(id + 1, false);
      cached_next.resize(id + 1, kNever);
    }
    cached_next[id] = next_use[i];
    heap.emplace(next_use[i], id);
    if (in_cache[id]) {
      ++hits;
      continue;
    }
    in_cache[id] = true;
    if (++size <= capacity) continue;
    // Evict the farthest next use, the newcomer included (then it simply bypasses the cache).
    for (;;) {
      const auto [when, victim] = heap.top();
      heap.pop();
      if (in_cache[victim] && cached_next[victim] == when) {
        in_cache[victim] = false;
        --size;
        break;
      }
    }
  }
  return hits;
}

}  // namespace cacheme::local
