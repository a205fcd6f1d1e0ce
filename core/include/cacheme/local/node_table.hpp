/// @file node_table.hpp
/// The storage shared by the policies: a slab of nodes, a hash index over it, and intrusive
/// doubly-linked queues of node ids. Internal (namespace `detail`), public only so the
/// simulator can instantiate the policies with integer keys.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "cacheme/local/hash.hpp"

namespace cacheme::local {

/// A node id that names no node.
inline constexpr std::uint32_t kNoNode = UINT32_MAX;

/// The value type of a policy that only tracks keys (the simulator).
struct NoValue {};

namespace detail {

/// Which queue a node is in.
enum class Queue : std::uint8_t {
  none,       ///< free slot, in no queue
  window,     ///< W-TinyLFU's admission window (LRU)
  probation,  ///< W-TinyLFU's main space, probation segment
  protected_, ///< W-TinyLFU's main space, protected segment
  lru,        ///< the single queue of exact LRU
};

/// One cached entry and its links. 24 bytes beyond key and value.
template <class Key, class Value>
struct Node {
  Key key{};
  [[no_unique_address]] Value value{};
  std::uint64_t hash = 0;            ///< the seeded hash of `key`
  std::uint32_t prev = kNoNode;      ///< towards the queue's LRU end
  std::uint32_t next = kNoNode;      ///< towards the queue's MRU end
  std::uint32_t weight = 1;          ///< what the entry counts against the capacity
  Queue queue = Queue::none;
};

/// A slab of nodes addressed by 32-bit ids, with an open-addressing (linear probing) index
/// from key to id. Ids are stable while a node lives and reused after it is removed.
template <class Key, class Value>
class NodeTable {
 public:
  using Traits = KeyTraits<Key>;
  using View = typename Traits::View;
  using NodeType = Node<Key, Value>;

  /// A table expecting about `expected` live nodes (it grows beyond), hashing with `seed`.
  NodeTable(std::size_t expected, std::uint64_t seed) : seed_(seed) {
    nodes_.reserve(expected + 1);
    resize_index(std::bit_ceil(std::max<std::size_t>(16, 2 * expected)));
  }

  /// The seeded hash of `key`.
  std::uint64_t hash(View key) const noexcept { return Traits::hash(key, seed_); }

  /// The id of `key`, whose hash is `h`, or `kNoNode`.
  std::uint32_t find(View key, std::uint64_t h) const noexcept {
    for (std::size_t i = home(h);; i = (i + 1) & mask_) {
      const std::uint32_t id = slots_[i];
      if (id == kNoNode) return kNoNode;
      const NodeType& n = nodes_[id];
      if (n.hash == h && Traits::equal(n.key, key)) return id;
    }
  }

  /// Adds `key` (absent, hash `h`) and returns its id; the node is in no queue yet.
  std::uint32_t add(View key, std::uint64_t h, Value value, std::uint32_t weight) {
    if (2 * (size_ + 1) > slots_.size()) resize_index(2 * slots_.size());
    std::uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      id = static_cast<std::uint32_t>(nodes_.size());
      nodes_.emplace_back();
    }
    NodeType& n = nodes_[id];
    n.key = Traits::make(key);
    n.value = std::move(value);
    n.hash = h;
    n.weight = weight;
    insert_slot(id);
    ++size_;
    return id;
  }

  /// Removes node `id` (already out of its queue) from the index and frees its slot.
  void remove(std::uint32_t id) {
    erase_slot(id);
    NodeType& n = nodes_[id];
    n.value = Value{};  // release the value now, not when the slot is reused
    n.queue = Queue::none;
    free_.push_back(id);
    --size_;
  }

  /// Node `id` (valid until it is removed; the reference until the next `add`).
  NodeType& operator[](std::uint32_t id) noexcept { return nodes_[id]; }
  /// Node `id`, read-only.
  const NodeType& operator[](std::uint32_t id) const noexcept { return nodes_[id]; }

  /// Live nodes.
  std::size_t size() const noexcept { return size_; }

  /// Bytes held by the slab, the free list and the index (keys' own heap memory excluded).
  std::size_t memory_bytes() const noexcept {
    return nodes_.capacity() * sizeof(NodeType) + free_.capacity() * sizeof(std::uint32_t) +
           slots_.capacity() * sizeof(std::uint32_t);
  }

 private:
  std::size_t home(std::uint64_t h) const noexcept { return static_cast<std::size_t>(h >> 32) & mask_; }

  void insert_slot(std::uint32_t id) noexcept {
    std::size_t i = home(nodes_[id].hash);
    while (slots_[i] != kNoNode) i = (i + 1) & mask_;
    slots_[i] = id;
  }

  // Backward-shift deletion: no tombstones, so probe lengths stay short forever.
  void erase_slot(std::uint32_t id) noexcept {
    std::size_t i = home(nodes_[id].hash);
    while (slots_[i] != id) i = (i + 1) & mask_;
    for (std::size_t j = (i + 1) & mask_; slots_[j] != kNoNode; j = (j + 1) & mask_) {
      const std::size_t h = home(nodes_[slots_[j]].hash);
      if (((j - h) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = kNoNode;
  }

  void resize_index(std::size_t slots) {
    slots_.assign(slots, kNoNode);
    mask_ = slots - 1;
    for (std::uint32_t id = 0; id < nodes_.size(); ++id) {
      if (nodes_[id].queue != Queue::none) insert_slot(id);
    }
  }

  std::vector<NodeType> nodes_;
  std::vector<std::uint32_t> free_;
  std::vector<std::uint32_t> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  std::uint64_t seed_;
};

/// An intrusive doubly-linked queue of node ids: `head` is the least recently used end,
/// `tail` the most recently used. Tracks the summed weight of its nodes.
class LinkedQueue {
 public:
  /// An empty queue tagging its nodes with `queue`.
  explicit LinkedQueue(Queue queue) noexcept : queue_(queue) {}

  /// The least recently used node, or `kNoNode`.
  std::uint32_t head() const noexcept { return head_; }
  /// The summed weight of the nodes.
  std::uint64_t weight() const noexcept { return weight_; }

  /// Appends `id` at the most recently used end.
  template <class Table>
  void push_back(Table& t, std::uint32_t id) noexcept {
    auto& n = t[id];
    n.prev = tail_;
    n.next = kNoNode;
    n.queue = queue_;
    if (tail_ == kNoNode) {
      head_ = id;
    } else {
      t[tail_].next = id;
    }
    tail_ = id;
    weight_ += n.weight;
  }

  /// Unlinks `id`, which must be in this queue.
  template <class Table>
  void unlink(Table& t, std::uint32_t id) noexcept {
    auto& n = t[id];
    (n.prev == kNoNode ? head_ : t[n.prev].next) = n.next;
    (n.next == kNoNode ? tail_ : t[n.next].prev) = n.prev;
    n.queue = Queue::none;
    weight_ -= n.weight;
  }

  /// Moves `id`, in this queue, to the most recently used end.
  template <class Table>
  void move_to_back(Table& t, std::uint32_t id) noexcept {
    if (id == tail_) return;
    unlink(t, id);
    push_back(t, id);
  }

  /// Adjusts the summed weight after a member's weight changed from `from` to `to`.
  void reweigh(std::uint32_t from, std::uint32_t to) noexcept { weight_ = weight_ - from + to; }

 private:
  std::uint32_t head_ = kNoNode;
  std::uint32_t tail_ = kNoNode;
  std::uint64_t weight_ = 0;
  Queue queue_;
};

}  // namespace detail
}  // namespace cacheme::local
