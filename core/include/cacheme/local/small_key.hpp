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
  SmallKey(const SmallKey& other) : SmallKey() { assign(other.view()); }
  SmallKey(SmallKey&& other) noexcept {
    std::memcpy(bytes_, other.bytes_, sizeof(bytes_));
    other.bytes_[kTag] = 0;
  }
  SmallKey& operator=(const SmallKey& other) {
    if (this != &other) assign(other.view());
    return *this;
  }
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
    if (key.size() <= kInline) {
      return bytes_[kTag] == key.size() && std::memcmp(bytes_, key.data(), key.size()) == 0;
    }
    return bytes_[kTag] == kHeap && heap_size() == key.size() && std::memcmp(heap_data(), key.data(), key.size()) == 0;
  }

 private:
  static constexpr std::size_t kTag = kInline;
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
