/// @file node_table.hpp
/// The storage shared by the policies: a slab of nodes, a hash index over it, and intrusive
/// doubly-linked queues of node ids. Internal (namespace `detail`), public only so the
/// simulator can instantiate the policies with integer keys.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
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

/// Cache-line alignment of a string-keyed node (one line, 64 bytes).
inline constexpr std::size_t kCacheLine = 64;

/// One cached entry. With string keys and the engine's entries (a shared value and its expiry)
/// it is exactly one cache line: value 24, key 31 (30 inline bytes), queue and saturation tag 1,
/// hash 4, stamp 4; a hit reads that one line. The weight is not here: most stores weigh nothing
/// (every weight is 1), so the table keeps weights apart, and only once one differs from 1
/// (`NodeTable::weight`).
template <class Key, class Value>
struct alignas(std::is_same_v<Key, std::string> ? kCacheLine : alignof(std::uint64_t)) Node {
  [[no_unique_address]] Value value{};
  typename KeyTraits<Key>::Stored key{};
  Queue queue : 3 = Queue::none;
  /// W-TinyLFU's tag of the halving in which the key's sketch estimate was seen at 15 (its hits
  /// skip the sketch while the tag is current); 0 when added, or not known.
  std::uint8_t saturated : 5 = 0;
  std::uint32_t hash = 0;   ///< the low 32 bits of the key's seeded hash
  std::uint32_t stamp = 0;  ///< the table's owner's (the engine's store: the birth time); 0 when added
};

/// A node's place in its queue, kept apart from the nodes in one dense array (8 bytes per
/// node): moving an entry reads and writes its neighbours' links only, not their whole nodes,
/// and the array is small enough to stay in cache.
struct Link {
  std::uint32_t prev = kNoNode;  ///< towards the queue's LRU end; the free list's link
  std::uint32_t next = kNoNode;  ///< towards the queue's MRU end
};

/// A slab of nodes addressed by 32-bit ids, with an open-addressing (linear probing) index
/// from key to id. Ids are stable while a node lives and reused after it is removed.
///
/// Index. Slots are 32 bits, a power of two of them, at most 80% full. A key's home slot is
/// its hash's low `b` bits (2^b slots). Node ids stay below 2^b (a new id is taken only when
/// every node is live, and the index grows before it passes 80%), so a slot holds, from the low
/// end: the node id in `b` bits; the entry's displacement from its home in up to 6 bits
/// (saturated at 63: "63 or more"); and a tag, the hash's next highest bits (9 of them at
/// 2^17 slots, none from 2^26 on). A probe at displacement `d` reads a node only when a slot's
/// displacement and tag both match, that is when the entry's home and tag equal the key's
/// (about 1 in 2^(b + tag bits) for another key), and then compares the full hash and the key:
/// a miss almost never leaves the index (one or two cache lines), a hit reads one node. The
/// displacement also gives a slot's home without reading its node when deletion shifts entries
/// back (no tombstones, so probes stay short); only a saturated one reads the node's hash. Six
/// bits, not four: at 76 % load a deletion's backward shift walks 11.6 slots on average, and
/// with displacements saturated at 15 it read 0.86 nodes (a cache miss each) per deletion; at
/// 63, 0.05 (see `saturated_slots` and its test). The tag's lost bits cost nothing: a false
/// match needs the same home as well. When the index grows, `b`, and so the layout, changes,
/// and every slot is rebuilt.
template <class Key, class Value>
class NodeTable {
 public:
  using Traits = KeyTraits<Key>;
  using View = typename Traits::View;
  using NodeType = Node<Key, Value>;

  /// A table expecting about `expected` live nodes (it grows beyond), hashing with `seed`.
  NodeTable(std::size_t expected, std::uint64_t seed) : seed_(seed) {
    nodes_.reserve(expected + 1);
    links_.reserve(expected + 1);
    resize_index(std::bit_ceil(std::max<std::size_t>(16, expected + expected / 4 + 1)));
  }

  /// The 32-bit seeded hash of `key` that nodes, the index and the sketch use.
  std::uint32_t hash(View key) const noexcept { return static_cast<std::uint32_t>(Traits::hash(key, seed_)); }

  /// The id of `key`, whose hash is `h`, or `kNoNode`.
  std::uint32_t find(View key, std::uint32_t h) const noexcept {
    const std::uint64_t tag = tag_of(h);
    std::uint32_t d = 0;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint32_t slot = slots_[i];
      if (slot == kEmpty) return kNoNode;
      if ((std::uint64_t{slot} >> id_bits_) == (tag | d)) {
        const std::uint32_t id = slot & id_mask_;
        if (nodes_[id].hash == h && Traits::equal(nodes_[id].key, key)) return id;
      }
      d += d < disp_max_;
    }
  }

  /// Adds `key` (absent, hash `h`) and returns its id; the node is in no queue yet.
  std::uint32_t add(View key, std::uint32_t h, Value value, std::uint32_t weight) {
    if (5 * (size_ + 1) > 4 * slots_.size()) resize_index(2 * slots_.size());
    std::uint32_t id = free_head_;
    if (id != kNoNode) {
      free_head_ = links_[id].prev;
    } else {
      id = static_cast<std::uint32_t>(nodes_.size());
      nodes_.emplace_back();
      links_.emplace_back();
    }
    NodeType& n = nodes_[id];
    Traits::assign(n.key, key);
    n.value = std::move(value);
    n.hash = h;
    n.stamp = 0;
    n.saturated = 0;
    set_weight(id, weight);
    insert_slot(id);
    ++size_;
    return id;
  }

  /// Removes node `id` (already out of its queue) from the index and frees its slot.
  void remove(std::uint32_t id) {
    erase_slot(id);
    NodeType& n = nodes_[id];
    n.value = Value{};  // release the value now, not when the slot is reused
    Traits::clear(n.key);
    n.queue = Queue::none;
    links_[id].prev = free_head_;
    free_head_ = id;
    --size_;
  }

  /// Node `id` (valid until it is removed; the reference until the next `add`).
  NodeType& operator[](std::uint32_t id) noexcept { return nodes_[id]; }
  /// Node `id`, read-only.
  const NodeType& operator[](std::uint32_t id) const noexcept { return nodes_[id]; }

  /// The queue links of node `id`.
  Link& link(std::uint32_t id) noexcept { return links_[id]; }
  /// The queue links of node `id`, read-only.
  const Link& link(std::uint32_t id) const noexcept { return links_[id]; }

  /// What node `id` counts against the capacity: 1 until a weight other than 1 was set.
  std::uint32_t weight(std::uint32_t id) const noexcept { return weights_.empty() ? 1 : weights_[id]; }

  /// Sets the weight of node `id`. The first weight other than 1 allocates the weights of
  /// every node (4 bytes each); until then an unweighted store holds none.
  void set_weight(std::uint32_t id, std::uint32_t weight) {
    if (weights_.empty()) {
      if (weight == 1) return;
      weights_.reserve(nodes_.capacity());
    }
    if (weights_.size() < nodes_.size()) weights_.resize(nodes_.size(), 1);
    weights_[id] = weight;
  }

  /// Calls `f(node)` for every node, live or free.
  template <class F>
  void for_each_node(F&& f) {
    for (NodeType& n : nodes_) f(n);
  }

  /// Calls `f(id)` for every live node.
  template <class F>
  void for_each_live(F&& f) {
    for (std::uint32_t id = 0; id < nodes_.size(); ++id) {
      if (nodes_[id].queue != Queue::none) f(id);
    }
  }

  /// Starts loading what moving the nodes `ids` in their queues will touch: their links, then
  /// their neighbours' links (the second pass waits for the first, all of whose loads overlap).
  void prefetch_moves(std::span<const std::uint32_t> ids) const noexcept {
    for (const std::uint32_t id : ids) __builtin_prefetch(&links_[id], 1);
    for (const std::uint32_t id : ids) {
      const Link& l = links_[id];
      if (l.prev != kNoNode) __builtin_prefetch(&links_[l.prev], 1);
      if (l.next != kNoNode) __builtin_prefetch(&links_[l.next], 1);
    }
  }

  /// Starts loading the home index slot of hash `h` (a hint).
  void prefetch_slot(std::uint32_t h) const noexcept { __builtin_prefetch(&slots_[h & mask_]); }

  /// Starts loading the links of node `id`, if it is one (a hint).
  void prefetch_link(std::uint32_t id) const noexcept {
    if (id != kNoNode) __builtin_prefetch(&links_[id], 1);
  }

  /// Starts loading node `id` and its links (a hint).
  void prefetch_node(std::uint32_t id) const noexcept {
    __builtin_prefetch(&nodes_[id]);
    __builtin_prefetch(&links_[id]);
  }

  /// Live nodes.
  std::size_t size() const noexcept { return size_; }

  /// Index slots whose displacement is saturated (their home is read from their node, a cache
  /// miss, each time a deletion shifts them back); for tests and diagnostics, O(slots).
  std::size_t saturated_slots() const noexcept {
    std::size_t n = 0;
    for (const std::uint32_t slot : slots_) n += slot != kEmpty && ((std::uint64_t{slot} >> id_bits_) & disp_max_) == disp_max_;
    return n;
  }

  /// Bytes held by the slab and the index (long keys' own heap memory excluded).
  std::size_t memory_bytes() const noexcept {
    return nodes_.capacity() * sizeof(NodeType) + links_.capacity() * sizeof(Link) +
           slots_.capacity() * sizeof(std::uint32_t) + weights_.capacity() * sizeof(std::uint32_t);
  }

 private:
  static constexpr std::uint32_t kEmpty = UINT32_MAX;  // its id field is all ones: never an id
  static constexpr std::uint32_t kDispBits = 6;         // the displacement's bits, when there is room

  // The tag of hash `h`, shifted to sit above the displacement's bits (both above the id).
  std::uint64_t tag_of(std::uint32_t h) const noexcept { return (std::uint64_t{h} >> tag_shift_) << disp_bits_; }

  // The slot of node `id`, `d` slots from its home.
  std::uint32_t slot_of(std::uint32_t h, std::uint32_t id, std::size_t d) const noexcept {
    const std::uint64_t disp = std::min<std::uint64_t>(d, disp_max_);
    return static_cast<std::uint32_t>(((tag_of(h) | disp) << id_bits_) | id);
  }

  // `slot` with its displacement set to `d`.
  std::uint32_t with_displacement(std::uint32_t slot, std::size_t d) const noexcept {
    const std::uint64_t disp = std::min<std::uint64_t>(d, disp_max_);
    return static_cast<std::uint32_t>((std::uint64_t{slot} & ~(std::uint64_t{disp_max_} << id_bits_)) | (disp << id_bits_));
  }

  // How far the entry in slot `i` is from its home (reads its node only when saturated).
  std::size_t displacement(std::size_t i) const noexcept {
    const std::uint32_t slot = slots_[i];
    const auto disp = static_cast<std::uint32_t>((std::uint64_t{slot} >> id_bits_) & disp_max_);
    if (disp < disp_max_) return disp;
    return (i - nodes_[slot & id_mask_].hash) & mask_;
  }

  void insert_slot(std::uint32_t id) noexcept {
    const std::uint32_t h = nodes_[id].hash;
    std::size_t i = h & mask_;
    std::size_t d = 0;
    for (; slots_[i] != kEmpty; i = (i + 1) & mask_) ++d;
    slots_[i] = slot_of(h, id, d);
  }

  // Backward-shift deletion: no tombstones, so probe lengths stay short forever.
  void erase_slot(std::uint32_t id) noexcept {
    const std::uint32_t h = nodes_[id].hash;
    std::size_t i = h & mask_;
    while ((slots_[i] & id_mask_) != id) i = (i + 1) & mask_;
    for (std::size_t j = (i + 1) & mask_; slots_[j] != kEmpty; j = (j + 1) & mask_) {
      const std::size_t disp = displacement(j);
      const std::size_t gap = (j - i) & mask_;
      if (disp >= gap) {  // its home is at or before i: it moves back to i
        slots_[i] = with_displacement(slots_[j], disp - gap);
        i = j;
      }
    }
    slots_[i] = kEmpty;
  }

  void resize_index(std::size_t slots) {
    slots_.assign(slots, kEmpty);
    mask_ = slots - 1;
    const auto index_bits = static_cast<std::uint32_t>(std::countr_zero(slots));
    id_bits_ = std::min<std::uint32_t>(index_bits, 32);
    id_mask_ = static_cast<std::uint32_t>((std::uint64_t{1} << id_bits_) - 1);
    disp_bits_ = std::min(kDispBits, 32 - id_bits_);
    disp_max_ = (std::uint32_t{1} << disp_bits_) - 1;
    tag_shift_ = index_bits + disp_bits_;  // the tag: the hash's bits above the home's, up to 32 - b - disp_bits_ of them
    for (std::uint32_t id = 0; id < nodes_.size(); ++id) {
      if (nodes_[id].queue != Queue::none) insert_slot(id);
    }
  }

  std::vector<NodeType> nodes_;
  std::vector<Link> links_;
  std::vector<std::uint32_t> weights_;  // by id; empty while every weight is 1
  std::vector<std::uint32_t> slots_;
  std::size_t mask_ = 0;
  std::uint32_t id_bits_ = 0;    // b: the id's bits, the low ones of a slot
  std::uint32_t id_mask_ = 0;    // 2^b - 1
  std::uint32_t disp_bits_ = 0;  // the displacement's bits, above the id
  std::uint32_t disp_max_ = 0;   // a saturated displacement: this or more
  std::uint32_t tag_shift_ = 0;  // the hash's tag is h >> tag_shift_
  std::size_t size_ = 0;
  std::uint32_t free_head_ = kNoNode;  // freed nodes, chained through `prev`
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
    t.link(id) = {tail_, kNoNode};
    n.queue = queue_;
    if (tail_ == kNoNode) {
      head_ = id;
    } else {
      t.link(tail_).next = id;
    }
    tail_ = id;
    weight_ += t.weight(id);
  }

  /// Unlinks `id`, which must be in this queue.
  template <class Table>
  void unlink(Table& t, std::uint32_t id) noexcept {
    auto& n = t[id];
    const Link l = t.link(id);
    (l.prev == kNoNode ? head_ : t.link(l.prev).next) = l.next;
    (l.next == kNoNode ? tail_ : t.link(l.next).prev) = l.prev;
    n.queue = Queue::none;
    weight_ -= t.weight(id);
  }

  /// Moves `id`, in this queue, to the most recently used end.
  template <class Table>
  void move_to_back(Table& t, std::uint32_t id) noexcept {
    if (id == tail_) return;
    // Only links move: the node keeps its queue and the summed weight its value.
    const Link l = t.link(id);
    (l.prev == kNoNode ? head_ : t.link(l.prev).next) = l.next;
    t.link(l.next).prev = l.prev;  // not the tail: it has a next
    t.link(id) = {tail_, kNoNode};
    t.link(tail_).next = id;
    tail_ = id;
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
