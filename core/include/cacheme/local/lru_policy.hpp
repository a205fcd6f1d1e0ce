/// @file lru_policy.hpp
/// Exact LRU over a node table: the baseline policy (`local://lru`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "cacheme/local/access_buffer.hpp"
#include "cacheme/local/node_table.hpp"

namespace cacheme::local {

/// Least-recently-used eviction, exact: one queue ordered by last access; inserting past the
/// capacity evicts from the least recently used end. Every operation is O(1).
///
/// `Key` is `std::string` (the engine) or `std::uint64_t` (the simulator); `Value` is what an
/// entry holds (`NoValue` to track keys only). Capacity counts weights (1 per entry unless the
/// caller weighs entries).
template <class Key, class Value = NoValue>
class LruPolicy {
 public:
  /// What lookups take: `std::string_view` for string keys, the key itself for integers.
  using View = typename KeyTraits<Key>::View;

  /// A policy holding at most `capacity` weight; `seed` seeds the key hash.
  LruPolicy(std::uint64_t capacity, std::uint64_t seed) : capacity_(capacity), table_(capacity, seed) {}

  /// The id of `key` without recording an access, or `kNoNode`.
  std::uint32_t peek(View key) const noexcept { return table_.find(key, table_.hash(key)); }

  /// Records an access to the live node `id` (a hit). It reaches the queue with the next
  /// batch (see `AccessBuffer`), before anything that depends on the order.
  void touch(std::uint32_t id) noexcept {
    if (pending_.push(id)) drain();
  }

  /// Applies the recorded accesses now (every other operation does it first).
  void drain() noexcept {
    if (pending_.empty()) return;
    table_.prefetch_moves(pending_.pending());
    for (const std::uint32_t id : pending_.pending()) queue_.move_to_back(table_, id);
    pending_.clear();
  }

  /// The id of `key`, recording the access if present, or `kNoNode`.
  std::uint32_t find(View key) noexcept {
    const std::uint32_t id = peek(key);
    if (id != kNoNode) touch(id);
    return id;
  }

  /// Inserts or replaces `key`, evicting least recently used nodes past the capacity; calls
  /// `on_evict(id)` before each evicted node is freed. Returns the key's id, or `kNoNode` when
  /// its weight alone exceeds the capacity (it is then not cached, and an old value is removed).
  template <class OnEvict>
  std::uint32_t insert(View key, Value value, std::uint32_t weight, OnEvict&& on_evict) {
    drain();
    const std::uint32_t h = table_.hash(key);
    std::uint32_t id = table_.find(key, h);
    if (id != kNoNode) {
      auto& n = table_[id];
      n.value = std::move(value);
      queue_.reweigh(table_.weight(id), weight);
      table_.set_weight(id, weight);
      queue_.move_to_back(table_, id);
    } else {
      id = table_.add(key, h, std::move(value), weight);
      queue_.push_back(table_, id);
    }
    bool kept = true;
    while (queue_.weight() > capacity_) {
      const std::uint32_t victim = queue_.head();
      kept = kept && victim != id;
      on_evict(victim);
      remove(victim);
    }
    // The next insert's victim: its node is far from everything this insert touched (its
    // links are not in it), so start loading it now rather than when that insert needs it.
    if (queue_.head() != kNoNode) table_.prefetch_node(queue_.head());
    return kept ? id : kNoNode;
  }

  /// Removes the live node `id` (expiry, erase).
  void remove(std::uint32_t id) {
    drain();
    queue_.unlink(table_, id);
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
  /// The summed weight of the live entries.
  std::uint64_t weight() const noexcept { return queue_.weight(); }
  /// The maximum summed weight.
  std::uint64_t capacity() const noexcept { return capacity_; }
  /// Bytes held by the policy's own structures (keys' heap memory excluded).
  std::size_t memory_bytes() const noexcept { return table_.memory_bytes(); }

 private:
  std::uint64_t capacity_;
  detail::NodeTable<Key, Value> table_;
  detail::LinkedQueue queue_{detail::Queue::lru};
  detail::AccessBuffer pending_;
};

}  // namespace cacheme::local
