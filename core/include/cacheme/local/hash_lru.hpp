/// @file hash_lru.hpp
/// An exact LRU of 32-bit keys in 22 to 32 bytes an entry: the recency guard's simulated LRU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cacheme::local {

/// Least-recently-used order over at most `capacity` 32-bit keys (the guard's key hashes),
/// answering one question per access: was the key there? Exact LRU, as `LruPolicy` is, in a
/// fraction of its memory and work: 12 bytes per entry (key and queue links, by slot) and an
/// open-addressing index of 8-byte slots (key and slot number) at most 80 % full, no values,
/// weights or hit buffer. Every operation is O(1). The index holds the keys so that a probe, and
/// a deletion's backward shift, never read an entry they do not keep (with 4-byte slot numbers
/// each slot passed cost an entry's cache miss; the keys in the index took W-TinyLFU's evicting
/// insert at 100,000 entries to 0.79 of its time).
class HashLru {
 public:
  /// An LRU of at most `capacity` keys (at least 1).
  explicit HashLru(std::uint64_t capacity);

  /// Whether `key` was present. It is the most recently used afterwards: inserted when absent,
  /// the least recently used key evicted when that passes the capacity.
  bool access(std::uint32_t key) noexcept;

  /// The most keys held.
  std::uint64_t capacity() const noexcept { return capacity_; }
  /// Keys held now.
  std::size_t size() const noexcept { return size_; }
  /// Bytes held (entries and index).
  std::size_t memory_bytes() const noexcept {
    return entries_.capacity() * sizeof(Entry) + index_.capacity() * sizeof(IndexSlot);
  }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  /// An index slot holds the key with its entry's number, so that a probe and a deletion's
  /// shift compare and rehash keys without reading entries (a cache miss each).
  struct IndexSlot {
    std::uint32_t key = 0;
    std::uint32_t slot = kNone;  ///< kNone: empty
  };
  struct Entry {
    std::uint32_t key = 0;
    std::uint32_t prev = kNone;  ///< towards the least recently used end
    std::uint32_t next = kNone;  ///< towards the most recently used end
  };

  std::size_t home(std::uint32_t key) const noexcept;
  void unlink(std::uint32_t slot) noexcept;
  void push_back(std::uint32_t slot) noexcept;
  void index_insert(std::uint32_t slot) noexcept;
  void index_erase(std::uint32_t slot) noexcept;

  std::uint64_t capacity_;
  std::vector<Entry> entries_;        // by slot; slots are never freed, only reused by eviction
  std::vector<IndexSlot> index_;     // a power of two of slots, at most 80 % full
  std::size_t mask_;
  std::size_t size_ = 0;
  std::uint32_t lru_ = kNone;  // least recently used slot
  std::uint32_t mru_ = kNone;  // most recently used slot
};

}  // namespace cacheme::local
