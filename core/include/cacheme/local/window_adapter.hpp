/// @file window_adapter.hpp
/// Sizes W-TinyLFU's admission window: are the next hits to come from recency or frequency?
#pragma once

#include <cstddef>
#include <cstdint>

#include "cacheme/local/ghost_filter.hpp"
#include "cacheme/local/recency_guard.hpp"

namespace cacheme::local {

/// The adapter's constants; the defaults are the measured choice (see `WindowAdapter`).
struct WindowAdapterSettings {
  double ghost_gain = 0.25;   ///< window weight moved per ghost hit
  double ghost_span = 0.06;   ///< each ghost's memory, x capacity evictions of its kind
  int rejection_margin = 2;   ///< a rejected candidate is remembered if it lost by this much
  double guard_period = 0.5;  ///< recency guard verdicts, x its sampled LRU's entries
  double guard_z = 3;         ///< how sure the guard must be that LRU does better
  double guard_early_z = 4;   ///< ... to decide before the period's end (0: never)
  std::uint64_t guard_early_min = 30;  ///< ... and on at least this many discordant requests
  double guard_grow = 0.1;    ///< share of main given to the window on such a verdict
  double guard_shrink = 0.05; ///< share of main taken back from a window over half the cache
                              ///< when the cache beats LRU (z < -`guard_z`)
};

/// Decides how much capacity to move between W-TinyLFU's window (recency) and its main space
/// (frequency), from two kinds of evidence.
///
/// Design. Einziger, Eytan, Friedman and Manes ("Adaptive Software Cache Management",
/// Middleware 2018) adapt the window by hill climbing on the hit ratio of successive samples,
/// as Caffeine does. Measured with `cacheme-bench sim --sweep`, a climber was too slow or too
/// noisy at every setting tried (samples of 1 to 10 x capacity requests, steps of 3 to 12.5%,
/// decay 0.98 to 0.995, sketch halving at 10 or 20 x): a sample's hit ratio moves by more than
/// the effect of one step, and a short trace allows a few samples only. The best setting left
/// 10 of the 60 (trace, size) points short, sprite 7 points below LRU. This adapter
/// uses evidence that says which way to go instead of trying both ways:
///
/// 1. Ghosts, after ARC (Megiddo and Modha, FAST 2003): keys recently evicted from each side.
///    A miss on a *rejected candidate* (the admission filter preferred the victim) says a
///    larger window would have hit; a miss on a *victim evicted from main* says a larger main
///    would have. Each such miss moves `ghost_gain` of weight. A ghost remembers its last
///    `ghost_span` x capacity evictions, what a move of that size would have kept: both sides'
///    marginal gains, counted in the same unit. A candidate that lost by less than
///    `rejection_margin` is not remembered: it was about as frequent as the victim (on a loop
///    every candidate ties), so a larger window would only have swapped equals.
/// 2. A recency guard (`RecencyGuard`): LRU simulated on a sample of the keys. When it beats
///    the cache beyond noise (a paired test, z > `guard_z`) the window takes `guard_grow` of
///    main, as soon as it is sure (z > `guard_early_z` on `guard_early_min` discordant
///    sampled requests: a sequential test, so the cadence follows the evidence, not the
///    capacity) or at its period's end. Ghosts see marginal gains only, and on a workload that wants pure recency their
///    rates balance with the window at about half; the guard takes it to LRU's corner.
///    The way back: when the cache beats the sampled LRU beyond noise (z < -`guard_z`) while
///    the window holds more than half of it, the window gives `guard_shrink` of main back.
///    Without it a window grown on a recency phase stayed large through the frequency phase
///    that followed (sprite at 142 entries: 3.1 points below LFU; 0.5 with it). Half of the
///    cache, because below that the ghosts balance the window on their own, and a smaller
///    step than the growth's, because a wrong shrink costs more than a wrong growth (OLTP lost
///    1 to 2 points with a symmetric 10 % step and no floor).
///
/// Memory: two ghosts of 2 bytes per span entry (about 0.25 byte per cache entry) and the
/// guard's sampled LRU (up to 1,024 entries, about 29 KB, below 8,192 of capacity; then 1 key
/// in 8: about 2.8 to 4 bytes per cache entry). CPU: two Bloom tests per miss; a sampled key (all of them
/// below 2,048 entries, 1 in 8 from 8,192) costs an LRU step.
class WindowAdapter {
 public:
  /// An adapter for a cache of `capacity` weight.
  explicit WindowAdapter(std::uint64_t capacity, const WindowAdapterSettings& settings = {});

  /// A hit on the key of hash `hash`.
  void record_hit(std::uint32_t hash) { guard_.record(hash, true); }

  /// A miss on the key of hash `hash` (a newcomer).
  void record_miss(std::uint32_t hash);

  /// A candidate of hash `hash` lost admission; `margin` is the victim's estimated frequency
  /// minus the candidate's.
  void record_rejected(std::uint32_t hash, int margin) noexcept {
    if (margin < settings_.rejection_margin) return;
    rejected_.add(hash);
    rejected_.tick();
  }

  /// An entry of hash `hash` was evicted from main.
  void record_evicted(std::uint32_t hash) noexcept {
    evicted_.add(hash);
    evicted_.tick();
  }

  /// The weight to move into the window now (negative: out of it), given main's capacity.
  /// Called after every access: the common answer (nothing to do) is inline.
  std::int64_t adjustment(std::uint64_t main_capacity) noexcept {
    if (!guard_.ready() && balance_ < 1 && balance_ > -1) return 0;
    return decide(main_capacity);
  }

  /// Bytes held by the ghosts and the guard.
  std::size_t memory_bytes() const noexcept {
    return rejected_.memory_bytes() + evicted_.memory_bytes() + guard_.memory_bytes();
  }

 private:
  WindowAdapterSettings settings_;
  GhostFilter rejected_;
  GhostFilter evicted_;
  RecencyGuard guard_;
  std::uint64_t capacity_;
  double balance_ = 0;  // ghost evidence not applied yet, in weight (positive: grow the window)

  std::int64_t decide(std::uint64_t main_capacity) noexcept;
};

}  // namespace cacheme::local
