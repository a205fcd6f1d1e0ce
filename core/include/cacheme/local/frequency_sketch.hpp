/// @file frequency_sketch.hpp
/// The popularity estimator of W-TinyLFU: a 4-bit count-min sketch with periodic halving.
#pragma once

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <vector>

#include "cacheme/local/hash.hpp"

namespace cacheme::local {

/// A probabilistic multiset estimating how often each key was seen recently, within a
/// time window (after Caffeine's `FrequencySketch`, Ben Manes).
///
/// Design. Einziger, Friedman and Manes ("TinyLFU: A Highly Efficient Cache Admission Policy",
/// ACM TOS 2017) show that an admission filter needs only an approximate, aging frequency of
/// each key. This sketch is a count-min sketch (Cormode and Muthukrishnan, "An improved data
/// stream summary: the count-min sketch and its applications", 2005) of 4-bit counters: a key
/// owns 4 counters and its estimate is their minimum; 4 bits suffice because admission only
/// compares small frequencies, and every counter saturates at 15. An increment is
/// *conservative* (Estan and Varghese, "New directions in traffic measurement and accounting",
/// SIGCOMM 2002): only the key's counters equal to its minimum grow, so a collision inflates an
/// estimate less; an estimate is still never below the key's true (halved) count.
///
/// Layout. The table is an array of 64-bit words, 16 counters per word, grouped in blocks of
/// 8 words (one 64-byte cache line, so aligned). A key's hash selects one block; its 4 counters sit in 4
/// different words of that block, so an increment or an estimate touches one cache line.
///
/// Aging. After `sample_size` increments (40 x the cache's capacity) every counter is halved
/// at once ("reset" in the paper), so the sketch forgets old popularity: frequency is measured
/// over a sliding window of about 40 x capacity accesses. Caffeine uses 10 x capacity; then a
/// key near the cache's boundary on a skewed (Zipf) workload is seen less than once per sample
/// and looks like a one-hit wonder. With 40 x, `cacheme-bench sim` on a Zipf(1.0001) stream
/// gains 0.4 to 1.5 points at 500..20,000 entries, OLTP 0.5 on average, LOOP a little; 100 x
/// was too slow to forget for OLTP's shifting popularity. The cost: the sketch forgets a past
/// phase's popular keys 4 x slower, so after a sudden change of workload they hold the main
/// space longer (until the window adapter moves the window towards recency).
///
/// Width. A small cache's sample (40 x capacity increments) may still hold thousands of
/// distinct keys (a loop of 1,011 keys, a Zipf tail), and a count-min sketch's estimates are
/// only as good as its counters are many per distinct key: at 2 words per entry a cache of 51
/// entries had 1,632 counters for LOOP's 1,011 keys, every estimate was noise, and main churned
/// (0.39 % hit ratio where an exact LFU has 5.03). So the table never has fewer than
/// `kMinWords` words (32 KiB, 65,536 counters): measured with the sweep of every trace
/// (`cacheme-bench sim --sweep`), that floor took LOOP at 51 to 202 entries, Glimpse at 51 and
/// 126 and the Zipf(1.0001) trace at 500 and 1,000 within the rule; 16 KiB left multi2 at 284
/// short, 64 KiB sprite at 100 to 200 (a sketch that forgets less favours frequency there).
///
/// Memory: one and a half words (24 counters) per cached entry, 12 bytes (Caffeine: one word),
/// 32 KiB at least (caches below 2,731 entries). The block
/// count is not rounded to a power of two (a key's block comes from its hash by multiply-shift).
/// A longer sample sees more distinct keys, so a wider table keeps collisions down; measured
/// with `cacheme-bench sim` (OLTP, LOOP, Glimpse, Zipf seeds 1-3) at 1, 2, 4, 6 and 8 words,
/// one word lost the longer sample's gain on Zipf, and beyond two the results only moved within
/// the runs' noise (about half a point either way) at up to 48 more bytes per entry. Two words
/// became one and a half for issue 14's memory aim (64 bytes per entry with a TTL): measured
/// point by point with `scripts/hit_ratio_points.sh` (see README, Local storage), every point
/// stays within issue 14's rule.
class FrequencySketch {
 public:
  /// A sketch sized for a cache of `capacity` entries (at least one block).
  /// `sample_per_entry` x `capacity` increments make a sample (see Aging).
  explicit FrequencySketch(std::size_t capacity, double sample_per_entry = kSamplePerEntry);

  /// The estimated frequency of the key whose (well-mixed) hash is `hash`, in [0, 15].
  int frequency(std::uint64_t hash) const noexcept;

  /// Records one occurrence of `hash`; halves every counter when the sample is full. Returns
  /// whether the estimate of `hash` had reached 15 (before a halving this call made): until the
  /// next halving, incrementing it again changes nothing, not even the sample's count.
  bool increment(std::uint64_t hash) noexcept;

  /// Starts loading the cache line of `hash`'s counters (a hint: call it before a lookup whose
  /// outcome will increment them, so that the two memory accesses overlap).
  void prefetch(std::uint64_t hash) const noexcept { __builtin_prefetch(&blocks_[block_of(hash)]); }

  /// Increments since the last halving (a halving also halves this count).
  std::size_t sample_count() const noexcept { return size_; }

  /// How many increments trigger a halving (`kSamplePerEntry` x capacity).
  std::size_t sample_size() const noexcept { return sample_size_; }

  /// Halves every counter now (normally called by `increment`); exposed for tests.
  void halve() noexcept;

  /// How many halvings there have been.
  std::uint64_t halvings() const noexcept { return halvings_; }

  /// Bytes held by the table.
  std::size_t memory_bytes() const noexcept { return blocks_.size() * sizeof(Block); }

  /// Increments per halving, per entry of capacity (Caffeine: 10).
  static constexpr std::size_t kSamplePerEntry = 40;
  /// Words of 16 counters per entry of capacity, before rounding up (Caffeine: 1).
  static constexpr double kWordsPerEntry = 1.5;
  /// The fewest words of a table, whatever the capacity (see Width): 32 KiB.
  static constexpr std::size_t kMinWords = 4096;

 private:
  static constexpr int kMaxCount = 15;

  static constexpr std::size_t kWordsPerBlock = 8;

  /// One cache line of counters: 8 words of 16 counters.
  struct alignas(64) Block {
    std::uint64_t words[kWordsPerBlock];
  };

  /// The word (in its block) and the 4-bit slot in it of the key's `i`th counter (i in 0..3),
  /// from its counter hash (see `counter_hash`).
  struct Slot {
    std::size_t word;
    int shift;
  };
  static Slot slot(std::uint64_t counter_hash, int i) noexcept;

  /// The block of a hash: its low 32 bits scaled to the block count ("fastrange", Lemire 2016),
  /// uniform without a power-of-two table.
  std::size_t block_of(std::uint64_t hash) const noexcept {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(static_cast<std::uint32_t>(hash)) * blocks_.size()) >> 32);
  }
  static std::uint64_t counter_hash(std::uint64_t hash) noexcept;

  std::vector<Block> blocks_;

  std::size_t sample_size_ = 0;
  std::size_t size_ = 0;
  std::uint64_t halvings_ = 0;
};

// The block comes from the hash's low bits; the counters from a second, independent mix so
// that keys sharing a block rarely share counters.
inline std::uint64_t FrequencySketch::counter_hash(std::uint64_t hash) noexcept { return mix64(hash + 0x9e3779b97f4a7c15ULL); }

inline FrequencySketch::Slot FrequencySketch::slot(std::uint64_t counter_hash, int i) noexcept {
  const auto byte = static_cast<unsigned>(counter_hash >> (i * 8));
  const std::size_t word = (byte & 1U) + (static_cast<std::size_t>(i) << 1);
  return {word, static_cast<int>((byte >> 1) & 15U) << 2};
}

inline int FrequencySketch::frequency(std::uint64_t hash) const noexcept {
  const Block& b = blocks_[block_of(hash)];
  const std::uint64_t c = counter_hash(hash);
  int result = kMaxCount;
  for (int i = 0; i < 4; ++i) {
    const Slot s = slot(c, i);
    result = std::min(result, static_cast<int>((b.words[s.word] >> s.shift) & 15U));
  }
  return result;
}

inline bool FrequencySketch::increment(std::uint64_t hash) noexcept {
  Block& b = blocks_[block_of(hash)];
  const std::uint64_t c = counter_hash(hash);
  Slot slots[4];
  int counts[4];
  int least = kMaxCount;
  for (int i = 0; i < 4; ++i) {
    slots[i] = slot(c, i);
    counts[i] = static_cast<int>((b.words[slots[i].word] >> slots[i].shift) & 15U);
    least = std::min(least, counts[i]);
  }
  if (least == kMaxCount) return true;  // saturated: not counted in the sample either
  for (int i = 0; i < 4; ++i) {
    if (counts[i] == least) b.words[slots[i].word] += std::uint64_t{1} << slots[i].shift;  // conservative update
  }
  if (++size_ >= sample_size_) halve();
  return least + 1 == kMaxCount;  // every counter at `least` grew: the new minimum
}

}  // namespace cacheme::local
