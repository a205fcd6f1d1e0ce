// The in-flight table: full key -> flight, as an open-addressing hash table (linear probing,
// backward-shift deletion). Each slot keeps the key's 64-bit hash beside the flight id, so a
// probe compares keys only when the hashes match; keys themselves live in the flights.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace cacheme::core::detail {

class FlightIndex {
 public:
  using KeyOf = std::string_view (*)(const void* owner, std::uint64_t flight);

  /// `key_of(owner, flight)` returns the full key of a flight in the table.
  FlightIndex(const void* owner, KeyOf key_of) : owner_(owner), key_of_(key_of) { slots_.resize(16); }

  /// The flight of `key` (with hash `h`), or 0.
  std::uint64_t find(std::string_view key, std::uint64_t h) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.flight == 0) return 0;
      if (s.hash == h && key_of_(owner_, s.flight) == key) return s.flight;
    }
  }

  /// Enters `flight` under `h`; the key must not be in the table.
  void insert(std::uint64_t h, std::uint64_t flight) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    place(h, flight);
    ++size_;
  }

  /// Removes the entry of `flight` (found by its key's hash `h`), if present.
  void erase(std::uint64_t h, std::uint64_t flight) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = h & mask;
    for (;; i = (i + 1) & mask) {
      if (slots_[i].flight == 0) return;
      if (slots_[i].flight == flight) break;
    }
    // Backward-shift: pull later entries of the cluster into the hole when they may live there.
    for (std::size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
      if (slots_[j].flight == 0) break;
      const std::size_t home = slots_[j].hash & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{};
    --size_;
  }

  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint64_t flight = 0;  // 0: empty
  };

  void place(std::uint64_t h, std::uint64_t flight) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = h & mask;
    while (slots_[i].flight != 0) i = (i + 1) & mask;
    slots_[i] = Slot{h, flight};
  }

  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old)
      if (s.flight) place(s.hash, s.flight);
  }

  const void* owner_;
  KeyOf key_of_;
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace cacheme::core::detail
