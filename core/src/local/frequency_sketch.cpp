#include "cacheme/local/frequency_sketch.hpp"

#include <algorithm>
#include <bit>

#include "cacheme/local/hash.hpp"

namespace cacheme::local {

namespace {
constexpr std::size_t kWordsPerBlock = 8;
constexpr std::uint64_t kOneMask = 0x1111111111111111ULL;    // the low bit of each counter
constexpr std::uint64_t kResetMask = 0x7777777777777777ULL;  // clears the bit shifted in from the left
}  // namespace

FrequencySketch::FrequencySketch(std::size_t capacity) {
  const std::size_t words = std::bit_ceil(std::max<std::size_t>(capacity, kWordsPerBlock));
  table_.assign(words, 0);
  block_mask_ = (words / kWordsPerBlock) - 1;
  sample_size_ = 10 * std::max<std::size_t>(capacity, 1);
}

// The block comes from the low bits; the counters from a second, independent mix so that
// keys sharing a block rarely share counters.
std::size_t FrequencySketch::block(std::uint64_t hash) const noexcept {
  return static_cast<std::size_t>(hash & block_mask_) * kWordsPerBlock;
}

std::uint64_t FrequencySketch::counter_hash(std::uint64_t hash) noexcept { return mix64(hash + 0x9e3779b97f4a7c15ULL); }

FrequencySketch::Slot FrequencySketch::slot(std::size_t block, std::uint64_t counter_hash, int i) const noexcept {
  const auto byte = static_cast<unsigned>(counter_hash >> (i * 8));
  const std::size_t word = block + (byte & 1U) + (static_cast<std::size_t>(i) << 1);
  return {word, static_cast<int>((byte >> 1) & 15U) << 2};
}

int FrequencySketch::frequency(std::uint64_t hash) const noexcept {
  const std::size_t b = block(hash);
  const std::uint64_t c = counter_hash(hash);
  int result = kMaxCount;
  for (int i = 0; i < 4; ++i) {
    const Slot s = slot(b, c, i);
    result = std::min(result, static_cast<int>((table_[s.word] >> s.shift) & 15U));
  }
  return result;
}

void FrequencySketch::increment(std::uint64_t hash) noexcept {
  const std::size_t b = block(hash);
  const std::uint64_t c = counter_hash(hash);
  bool added = false;
  for (int i = 0; i < 4; ++i) {
    const Slot s = slot(b, c, i);
    std::uint64_t& word = table_[s.word];
    if (((word >> s.shift) & 15U) != kMaxCount) {
      word += std::uint64_t{1} << s.shift;
      added = true;
    }
  }
  if (added && ++size_ >= sample_size_) halve();
}

void FrequencySketch::halve() noexcept {
  // Each odd counter loses half a count to truncation; the paper corrects the sample size
  // by the number of such counters / 4 (each key owns 4 counters).
  std::size_t odd = 0;
  for (std::uint64_t& word : table_) {
    odd += static_cast<std::size_t>(std::popcount(word & kOneMask));
    word = (word >> 1) & kResetMask;
  }
  size_ = (size_ - std::min(size_, odd >> 2)) >> 1;
}

}  // namespace cacheme::local
