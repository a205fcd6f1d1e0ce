/// @file tinylfu_policy.hpp
/// W-TinyLFU (`local://tlfu`): an LRU window, a TinyLFU admission filter and a segmented LRU.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <utility>

#include "cacheme/local/access_buffer.hpp"
#include "cacheme/local/frequency_sketch.hpp"
#include "cacheme/local/node_table.hpp"
#include "cacheme/local/random.hpp"
#include "cacheme/local/window_adapter.hpp"

namespace cacheme::local {

/// Window TinyLFU eviction with an adaptive window, after Caffeine (Ben Manes).
///
/// Design. Einziger, Friedman and Manes, "TinyLFU: A Highly Efficient Cache Admission Policy"
/// (ACM TOS 2017). A newcomer enters a small LRU *window* (1% of the capacity at first). The
/// window's overflow becomes a *candidate* for the *main* space, a segmented LRU (Karedla et
/// al., 1994) of a *probation* segment and a *protected* segment (80% of main). When the cache
/// is over capacity the candidate competes with the *victim*, probation's least recently used
/// entry: the one a `FrequencySketch` estimates as more frequent stays. A hit in probation
/// promotes the entry to protected, whose overflow is demoted back to probation.
///
/// The window absorbs bursts (recency); the filter keeps one-hit wonders out of main
/// (frequency). A `WindowAdapter` moves capacity between window and main to follow the
/// workload, up to all of it either way (all window: an LRU). A tie rejects the candidate,
/// which keeps a looping scan from flushing main.
///
/// Hash flooding. An attacker who makes keys collide in the sketch can give a victim a high
/// estimate so that nothing displaces it. As in Caffeine, a warm candidate (estimate >= 6) that
/// loses is still admitted at random; the coin comes from the seeded generator, so runs repeat.
/// Caffeine admits with probability 1/128; we use 1/4096, because on a looping scan (LIRS's
/// LOOP) every candidate is warm and ties, and 1/128 cost 4 points of hit ratio there (1/1024
/// still 0.2). An attacker must still win 4096 coin flips on average per displaced entry.
///
/// Memory beyond key and value: the node (64 bytes with a string key, the key's inline bytes,
/// the value and its expiry included), 8 bytes of queue links, 5 to 10 of index (4-byte slots,
/// a power of two of them, at most 80% full), 12 of sketch per entry (32 KiB at least: see `FrequencySketch`)
/// and about 0.25 of ghosts (see `WindowAdapter`).
///
/// Hits are buffered (`AccessBuffer`): `touch` records one, and the queues and the sketch see
/// it with its batch, before any operation or inspection that depends on them. A node whose
/// key's sketch estimate has reached 15 since the last halving says so (`Node::saturated`), and
/// its hits skip the sketch: incrementing it would change nothing (see `count_hit`).
template <class Key, class Value = NoValue>
class TinyLfuPolicy;

/// W-TinyLFU's tunable constants; the defaults are the measured choice.
struct TinyLfuSettings {
  double initial_window = 0.01;         ///< the window's first share of the capacity (Caffeine's)
  double sketch_sample_per_entry = FrequencySketch::kSamplePerEntry;  ///< sketch halving period
  bool adaptive = true;                 ///< false: the window keeps its first size (tests)
  WindowAdapterSettings adapter;       ///< the hill climber that resizes the window (`adaptive`)
};

template <class Key, class Value>
class TinyLfuPolicy {
 public:
  /// What lookups take: `std::string_view` for string keys, the key itself for integers.
  using View = typename KeyTraits<Key>::View;

  /// A policy holding at most `capacity` weight; `seed` seeds the key hash and the jitter.
  TinyLfuPolicy(std::uint64_t capacity, std::uint64_t seed, const TinyLfuSettings& settings = {})
      : capacity_(std::max<std::uint64_t>(capacity, 1)),
        table_(static_cast<std::size_t>(capacity_), seed),
        sketch_(static_cast<std::size_t>(capacity_), settings.sketch_sample_per_entry),
        adapter_(capacity_, settings.adapter),
        adaptive_(settings.adaptive),
        random_(seed ^ 0x5bd1e9955bd1e995ULL) {
    // The main space's share rounds down (so 1% of 100 is a window of 1, of 150 a window of 2).
    const double main_share = 1 - settings.initial_window;
    window_max_ = capacity_ - static_cast<std::uint64_t>(main_share * static_cast<double>(capacity_) + 1e-9);
    protected_max_ = static_cast<std::uint64_t>(kProtectedPercent * static_cast<double>(capacity_ - window_max_));
  }

  /// The id of `key` without recording an access, or `kNoNode`.
  std::uint32_t peek(View key) const noexcept { return table_.find(key, table_.hash(key)); }

  /// Records an access to the live node `id` (a hit). It is counted and moves the node up its
  /// queues with the next batch (see `AccessBuffer`), before anything that depends on them.
  void touch(std::uint32_t id) {
    if (pending_.push(id)) drain();
  }

  /// Applies the recorded accesses now (every other operation does it first).
  void drain() {
    if (pending_.empty()) return;
    for (const std::uint32_t id : pending_.pending()) {
      if (!known_saturated(table_[id])) sketch_.prefetch(table_[id].hash);
    }
    table_.prefetch_moves(pending_.pending());
    for (const std::uint32_t id : pending_.pending()) apply_hit(id);
    pending_.clear();
    adapt();  // once per batch: the adapter's evidence moves slowly
  }

  /// The id of `key`, recording the access if present, or `kNoNode`.
  std::uint32_t find(View key) {
    const std::uint32_t id = peek(key);
    if (id != kNoNode) touch(id);
    return id;
  }

  /// Inserts or replaces `key`. A new key enters the window; entries past the capacity are
  /// evicted (the admission filter chooses between candidate and victim), with `on_evict(id)`
  /// called before each is freed. Returns the key's id, or `kNoNode` if the key was evicted
  /// at once (its weight alone exceeds the capacity).
  template <class OnEvict>
  std::uint32_t insert(View key, Value value, std::uint32_t weight, OnEvict&& on_evict) {
    drain();
    const std::uint32_t h = table_.hash(key);
    sketch_.prefetch(h);  // counted below either way: overlap that load with the index probe
    std::uint32_t id = table_.find(key, h);
    if (id != kNoNode) {
      auto& n = table_[id];
      n.value = std::move(value);
      queue_of(n.queue).reweigh(table_.weight(id), weight);
      table_.set_weight(id, weight);
      apply_hit(id);
      adapt();
      prefetch_contest(0);  // a heavier value may evict
    } else {
      prefetch_contest(weight);  // a newcomer: its contest's loads overlap its own work below
      count(h);
      adapter_.record_miss(h);
      id = table_.add(key, h, std::move(value), weight);
      window_.push_back(table_, id);
      adapt();
    }
    bool kept = true;
    evict([&](std::uint32_t victim) {
      kept = kept && victim != id;
      on_evict(victim);
    });
    return kept ? id : kNoNode;
  }

  /// Removes the live node `id` (expiry, erase).
  void remove(std::uint32_t id) {
    drain();
    queue_of(table_[id].queue).unlink(table_, id);
    table_.remove(id);
  }

  /// The key of the live node `id`.
  View key(std::uint32_t id) const noexcept { return KeyTraits<Key>::view(table_[id].key); }
  /// The value of the live node `id` (the reference is valid until the next insert).
  Value& value(std::uint32_t id) noexcept { return table_[id].value; }
  /// The value of the live node `id`, read-only.
  const Value& value(std::uint32_t id) const noexcept { return table_[id].value; }
  /// The 32 bits of node `id` that the policy leaves to its owner (0 when the key was added).
  std::uint32_t& stamp(std::uint32_t id) noexcept { return table_[id].stamp; }
  /// Calls `f(id)` for every live node.
  template <class F>
  void for_each_live(F&& f) {
    table_.for_each_live(f);
  }

  /// Live entries.
  std::size_t size() const noexcept { return table_.size(); }
  /// The summed weight of the live entries (pending hits move entries, never change the sum).
  std::uint64_t weight() const noexcept { return window_.weight() + probation_.weight() + protected_.weight(); }
  /// The maximum summed weight.
  std::uint64_t capacity() const noexcept { return capacity_; }
  /// The window's current maximum weight (moved by the `WindowAdapter`).
  std::uint64_t window_capacity() {
    drain();
    return window_max_;
  }
  /// The protected segment's current maximum weight.
  std::uint64_t protected_capacity() {
    drain();
    return protected_max_;
  }
  /// The queue the live node `id` is in (tests).
  detail::Queue queue(std::uint32_t id) {
    drain();
    return table_[id].queue;
  }
  /// The frequency sketch (tests).
  const FrequencySketch& sketch() {
    drain();
    return sketch_;
  }
  /// Bytes held by the policy's own structures (keys' heap memory excluded).
  std::size_t memory_bytes() const noexcept {
    return table_.memory_bytes() + sketch_.memory_bytes() + adapter_.memory_bytes();
  }

 private:
  static constexpr double kProtectedPercent = 0.80;
  static constexpr int kJitterThreshold = 6;  // Caffeine's ADMIT_HASHDOS_THRESHOLD
  static constexpr int kAlwaysRemembered = 1 << 20;  // a window entry evicted as victim
  static constexpr std::uint64_t kJitterMask = 4095;  // admit a losing warm candidate 1 in 4096
  static constexpr std::uint64_t kTags = 31;          // saturation tags: a node's 5 bits, but 0

  /// A hit on the live node `id`: counts it and moves it up its queues.
  void apply_hit(std::uint32_t id) {
    auto& n = table_[id];
    count_hit(n);
    adapter_.record_hit(n.hash);
    switch (n.queue) {
      case detail::Queue::window:
        window_.move_to_back(table_, id);
        break;
      case detail::Queue::probation:
        probation_.unlink(table_, id);
        protected_.push_back(table_, id);
        demote_from_protected();
        break;
      default:
        protected_.move_to_back(table_, id);
        break;
    }
  }

  /// Whether `n`'s key's estimate is known to have reached 15 since the last halving.
  template <class Node>
  bool known_saturated(const Node& n) const noexcept {
    return n.saturated == tag_;
  }

  /// Counts a hit on node `n` in the sketch, unless its key's estimate is known to be 15
  /// since the last halving: the increment would change nothing then (no counter, nor the
  /// sample's count), and skipping it saves a cache miss on most hits of a skewed workload,
  /// whose popular keys stay saturated. The hit ratio is exactly that of counting every hit.
  template <class Node>
  void count_hit(Node& n) noexcept {
    if (known_saturated(n)) return;
    if (sketch_.increment(n.hash)) n.saturated = tag_;  // the tag from before any halving it made
    forget_stale_tags();
  }

  /// Counts one occurrence of `hash` in the sketch.
  void count(std::uint32_t hash) noexcept {
    sketch_.increment(hash);
    forget_stale_tags();
  }

  /// After a halving, moves on to the next tag. Tags repeat every 31 halvings: when they come
  /// round, every node's tag is cleared, so that a tag from 31 halvings ago never passes for a
  /// current one (O(entries) every 31 x 40 x capacity increments).
  void forget_stale_tags() noexcept {
    if (sketch_.halvings() == halvings_seen_) return;
    halvings_seen_ = sketch_.halvings();
    tag_ = static_cast<std::uint8_t>(halvings_seen_ % kTags + 1);
    if (tag_ == 1) table_.for_each_node([](auto& n) { n.saturated = 0; });
  }

  detail::LinkedQueue& queue_of(detail::Queue q) noexcept {
    return q == detail::Queue::window ? window_ : q == detail::Queue::probation ? probation_ : protected_;
  }

  /// Moves protected's overflow to probation's most recently used end.
  void demote_from_protected() noexcept {
    while (protected_.weight() > protected_max_) {
      const std::uint32_t id = protected_.head();
      protected_.unlink(table_, id);
      probation_.push_back(table_, id);
    }
  }

  /// Starts loading what the next admission contest reads, once `incoming` more weight enters
  /// the window: the sketch counters of its likely candidate (the window's oldest) and victim
  /// (probation's oldest), their index slots (the loser leaves the index) and the links of the
  /// entries behind them (unlinking either rewrites them). Their nodes and links were loaded
  /// after the last eviction (`prefetch_next_contest`); a newcomer's insert calls this as soon
  /// as its probe misses, so that these misses overlap its own work.
  void prefetch_contest(std::uint64_t incoming) const noexcept {
    if (window_.weight() + incoming <= window_max_) return;  // no candidate: no contest
    for (const std::uint32_t id : {window_.head(), probation_.head()}) {
      if (id == kNoNode) continue;
      sketch_.prefetch(table_[id].hash);
      table_.prefetch_slot(table_[id].hash);
      table_.prefetch_link(table_.link(id).next);
    }
  }

  /// TinyLFU admission: does `candidate` deserve the place of `victim`? A loser is shown to
  /// the adapter with its margin.
  bool admit(std::uint32_t candidate, std::uint32_t victim) noexcept {
    const int candidate_freq = sketch_.frequency(table_[candidate].hash);
    const int victim_freq = sketch_.frequency(table_[victim].hash);
    if (candidate_freq > victim_freq) return true;
    if (candidate_freq >= kJitterThreshold && (random_.next() & kJitterMask) == 0) return true;
    adapter_.record_rejected(table_[candidate].hash, victim_freq - candidate_freq);
    return false;
  }

  /// Moves the window's overflow into probation, then evicts until within capacity: each
  /// candidate (a former window entry) against probation's least recently used victim. The
  /// caller has started the contest's loads (`prefetch_contest`).
  template <class OnEvict>
  void evict(OnEvict&& on_evict) {
    std::uint32_t candidate = kNoNode;
    while (window_.weight() > window_max_) {
      const std::uint32_t id = window_.head();
      window_.unlink(table_, id);
      probation_.push_back(table_, id);
      if (candidate == kNoNode) candidate = id;
    }
    while (weight() > capacity_) {
      std::uint32_t victim = probation_.head();
      if (victim == kNoNode) victim = protected_.head();
      if (victim == kNoNode) victim = window_.head();
      std::uint32_t loser = victim;
      if (candidate != kNoNode && candidate != victim && admit(candidate, victim) == false) loser = candidate;
      if (loser == candidate) candidate = table_.link(candidate).next;  // later candidates follow it
      if (loser == victim && table_[loser].queue != detail::Queue::window) adapter_.record_evicted(table_[loser].hash);
      if (loser == victim && table_[loser].queue == detail::Queue::window) adapter_.record_rejected(table_[loser].hash, kAlwaysRemembered);
      on_evict(loser);
      remove(loser);
    }
    prefetch_next_contest();
  }

  /// Starts loading the nodes of the next contest's likely candidate and victim, the oldest of
  /// the window and of probation. With a large window both are cold (a miss each, then their
  /// sketch counters): loading them now overlaps those misses with whatever comes before the
  /// next insert (at least its hash and index probe).
  void prefetch_next_contest() const noexcept {
    if (window_.head() != kNoNode) table_.prefetch_node(window_.head());
    if (probation_.head() != kNoNode) table_.prefetch_node(probation_.head());
  }

  /// Applies the adapter's decision, if it has one.
  void adapt() {
    if (!adaptive_) return;
    const std::int64_t amount = adapter_.adjustment(capacity_ - window_max_);
    if (amount > 0) {
      grow_window(static_cast<std::uint64_t>(amount));
    } else if (amount < 0) {
      shrink_window(static_cast<std::uint64_t>(-amount));
    }
  }

  /// Moves up to `amount` weight from main (least recently used first) into the window. The
  /// window may take all of main (the cache is then an LRU): protected gives first, then
  /// probation. (Caffeine takes from protected only, which caps the window near 80%: on a
  /// workload that wants pure recency that cost 3 to 5 points against LRU.)
  void grow_window(std::uint64_t amount) {
    std::uint64_t quota = std::min(amount, capacity_ - window_max_);
    const std::uint64_t from_protected = std::min(quota, protected_max_);
    protected_max_ -= from_protected;
    window_max_ += quota;
    demote_from_protected();
    while (quota > 0) {
      std::uint32_t id = probation_.head();
      if (id == kNoNode) id = protected_.head();
      if (id == kNoNode || table_.weight(id) > quota) break;
      quota -= table_.weight(id);
      queue_of(table_[id].queue).unlink(table_, id);
      window_.push_back(table_, id);
    }
    window_max_ -= quota;  // what could not move stays with main, protected's share first
    protected_max_ += std::min(quota, from_protected);
  }

  /// Moves up to `amount` weight from the window (least recently used first) into probation.
  void shrink_window(std::uint64_t amount) {
    std::uint64_t quota = std::min(amount, window_max_ > 0 ? window_max_ - 1 : 0);
    protected_max_ += quota;
    window_max_ -= quota;
    while (quota > 0) {
      const std::uint32_t id = window_.head();
      if (id == kNoNode || table_.weight(id) > quota) break;
      quota -= table_.weight(id);
      window_.unlink(table_, id);
      probation_.push_back(table_, id);
    }
    protected_max_ -= quota;
    window_max_ += quota;
  }

  std::uint64_t capacity_;
  std::uint64_t window_max_ = 0;
  std::uint64_t protected_max_ = 0;
  detail::NodeTable<Key, Value> table_;
  detail::LinkedQueue window_{detail::Queue::window};
  detail::LinkedQueue probation_{detail::Queue::probation};
  detail::LinkedQueue protected_{detail::Queue::protected_};
  FrequencySketch sketch_;
  WindowAdapter adapter_;
  bool adaptive_;
  Xoshiro256 random_;
  std::uint64_t halvings_seen_ = 0;  // by `forget_stale_tags`
  std::uint8_t tag_ = 1;  // what `Node::saturated` holds for a key saturated since the last halving: 1 to 31
  detail::AccessBuffer pending_;
};

}  // namespace cacheme::local
