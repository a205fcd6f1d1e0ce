/// @file small_key.hpp
/// A string key stored inline in a policy's node when short (the common case for full keys).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace cacheme::local {

/// An owned byte string of 31 bytes, byte-aligned, so that a node can pack it with other
/// fields (the value handle, its expiry) in one 64-byte cache line. Up to `kInline` (30) bytes live inside the object, so a
/// lookup compares them without a second cache miss and an insert allocates nothing; longer
/// keys live on the heap. The last byte is the inline length, or `kHeap`.
class SmallKey {
 public:
  /// The longest key stored inline.
  static constexpr std::size_t kInline = 30;

  SmallKey() noexcept = default;
  ~SmallKey() { clear(); }
  /// A copy of `other`'s bytes (a long key gets a heap copy of its own).
  SmallKey(const SmallKey& other) : SmallKey() { assign(other.view()); }
  /// Takes `other`'s bytes (and heap buffer); `other` is left empty.
  SmallKey(SmallKey&& other) noexcept {
    std::memcpy(bytes_, other.bytes_, sizeof(bytes_));
    other.bytes_[kTag] = 0;
  }
  /// Replaces the bytes with a copy of `other`'s.
  SmallKey& operator=(const SmallKey& other) {
    if (this != &other) assign(other.view());
    return *this;
  }
  /// Frees the current bytes and takes `other`'s; `other` is left empty.
  SmallKey& operator=(SmallKey&& other) noexcept {
    if (this != &other) {
      clear();
      std::memcpy(bytes_, other.bytes_, sizeof(bytes_));
      other.bytes_[kTag] = 0;
    }
    return *this;
  }

  /// Replaces the bytes with `key`'s.
  void assign(std::string_view key) {
    clear();
    if (key.size() <= kInline) {
      std::memcpy(bytes_, key.data(), key.size());
      bytes_[kTag] = static_cast<unsigned char>(key.size());
      return;
    }
    char* heap = new char[key.size()];
    std::memcpy(heap, key.data(), key.size());
    const std::size_t size = key.size();
    std::memcpy(bytes_, &heap, sizeof(heap));
    std::memcpy(bytes_ + sizeof(heap), &size, sizeof(size));
    bytes_[kTag] = kHeap;
  }

  /// Empties the key, freeing a heap copy.
  void clear() noexcept {
    if (bytes_[kTag] == kHeap) delete[] heap_data();
    bytes_[kTag] = 0;
  }

  /// The key's bytes.
  std::string_view view() const noexcept {
    if (bytes_[kTag] == kHeap) return {heap_data(), heap_size()};
    return {reinterpret_cast<const char*>(bytes_), bytes_[kTag]};
  }

  /// Whether the key equals `key`; a short key is compared without leaving the node.
  bool operator==(std::string_view key) const noexcept {
    if (key.size() <= kInline) return bytes_[kTag] == key.size() && equal_short(bytes_, key.data(), key.size());
    return bytes_[kTag] == kHeap && heap_size() == key.size() && std::memcmp(heap_data(), key.data(), key.size()) == 0;
  }

 private:
  static constexpr std::size_t kTag = kInline;

  // Equality of `n` <= 32 bytes in at most four loads per side, inline: a lookup compares
  // every hit's key, and a call to memcmp costs more than the comparison itself. Two loads of
  // a power of two that overlap in the middle cover any length between it and twice it.
  template <class Word>
  static bool equal_pair(const unsigned char* a, const char* b, std::size_t n) noexcept {
    Word a0, b0, a1, b1;
    std::memcpy(&a0, a, sizeof(Word));
    std::memcpy(&b0, b, sizeof(Word));
    std::memcpy(&a1, a + n - sizeof(Word), sizeof(Word));
    std::memcpy(&b1, b + n - sizeof(Word), sizeof(Word));
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  static bool equal_short(const unsigned char* a, const char* b, std::size_t n) noexcept {
    static_assert(kInline <= 32);
    if (n >= 16) return equal_pair<std::uint64_t>(a, b, 16) && equal_pair<std::uint64_t>(a + n - 16, b + n - 16, 16);
    if (n >= 8) return equal_pair<std::uint64_t>(a, b, n);
    if (n >= 4) return equal_pair<std::uint32_t>(a, b, n);
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i] != static_cast<unsigned char>(b[i])) return false;
    }
    return true;
  }
  static constexpr unsigned char kHeap = 0xff;

  char* heap_data() const noexcept {
    char* p;
    std::memcpy(&p, bytes_, sizeof(p));
    return p;
  }
  std::size_t heap_size() const noexcept {
    std::size_t n;
    std::memcpy(&n, bytes_ + sizeof(char*), sizeof(n));
    return n;
  }

  unsigned char bytes_[kInline + 1] = {};
};

static_assert(sizeof(SmallKey) == 31 && alignof(SmallKey) == 1);

}  // namespace cacheme::local
