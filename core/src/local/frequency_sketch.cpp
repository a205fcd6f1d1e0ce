#include "cacheme/local/frequency_sketch.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "cacheme/local/hash.hpp"

namespace cacheme::local {

namespace {
constexpr std::uint64_t kOneMask = 0x1111111111111111ULL;    // the low bit of each counter
constexpr std::uint64_t kResetMask = 0x7777777777777777ULL;  // clears the bit shifted in from the left
}  // namespace

FrequencySketch::FrequencySketch(std::size_t capacity, double sample_per_entry) {
  const auto wanted = static_cast<std::size_t>(std::ceil(kWordsPerEntry * static_cast<double>(capacity)));
  const std::size_t words = std::max<std::size_t>(wanted, kMinWords);
  blocks_.assign((words + kWordsPerBlock - 1) / kWordsPerBlock, Block{});
  sample_size_ = std::max<std::size_t>(1, static_cast<std::size_t>(sample_per_entry * static_cast<double>(std::max<std::size_t>(capacity, 1))));
}

void FrequencySketch::halve() noexcept {
  // Each odd counter loses half a count to truncation; the paper corrects the sample size
  // by the number of such counters / 4 (each key owns 4 counters).
  std::size_t odd = 0;
  for (Block& b : blocks_) {
    for (std::uint64_t& word : b.words) {
      odd += static_cast<std::size_t>(std::popcount(word & kOneMask));
      word = (word >> 1) & kResetMask;
    }
  }
  size_ = (size_ - std::min(size_, odd >> 2)) >> 1;
  ++halvings_;
}

}  // namespace cacheme::local
