// The slot map behind the engine's flights, tickets and operations: an erased value's id never
// finds the value that reuses its slot, and the most recently freed slot is reused first.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <vector>

#include "slot_map.hpp"

using cacheme::core::detail::SlotMap;

namespace {

std::uint32_t index_of(std::uint64_t id) { return static_cast<std::uint32_t>(id); }

}  // namespace

TEST_CASE("slot map: ids of erased values find nothing, not their slot's next value", "[slot_map]") {
  SlotMap<std::unique_ptr<int>> map;  // move-only values
  const auto a = map.insert(std::make_unique<int>(1));
  const auto b = map.insert(std::make_unique<int>(2));
  CHECK(a != 0);
  CHECK(b != 0);
  CHECK(**map.find(a) == 1);
  map.erase(a);
  CHECK(map.find(a) == nullptr);
  map.erase(a);  // erasing twice is harmless
  CHECK(map.size() == 1);
  const auto c = map.insert(std::make_unique<int>(3));
  CHECK(index_of(c) == index_of(a));  // the slot is reused...
  CHECK(c != a);                      // ...under a new generation
  CHECK(map.find(a) == nullptr);
  CHECK(**map.find(c) == 3);
  CHECK(**map.find(b) == 2);
  CHECK(map.find(std::uint64_t{1} << 40 | 99) == nullptr);  // an index never used
}

TEST_CASE("slot map: the most recently freed slot is reused first", "[slot_map]") {
  SlotMap<int> map;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(map.insert(i));
  // Free 10, 50, 20 in that order: they come back as 20, 50, 10, then new slots follow.
  for (const int i : {10, 50, 20}) map.erase(ids[static_cast<std::size_t>(i)]);
  CHECK(map.size() == 97);
  CHECK(index_of(map.insert(-1)) == 20);
  CHECK(index_of(map.insert(-1)) == 50);
  CHECK(index_of(map.insert(-1)) == 10);
  CHECK(index_of(map.insert(-1)) == 100);
  CHECK(map.size() == 101);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    INFO("value " << i);
    if (i == 10 || i == 20 || i == 50) {
      CHECK(map.find(ids[i]) == nullptr);
    } else {
      CHECK(*map.find(ids[i]) == static_cast<int>(i));
    }
  }
}

TEST_CASE("slot map: bursts of inserts and erases keep every live value and reuse freed slots",
          "[slot_map]") {
  SlotMap<int> map;
  std::vector<std::uint64_t> live;
  std::uint32_t highest = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 1000; ++i) {
      live.push_back(map.insert(round * 1000 + i));
      highest = std::max(highest, index_of(live.back()));
    }
    // Erase every other live value.
    std::vector<std::uint64_t> kept;
    for (std::size_t i = 0; i < live.size(); ++i) {
      if (i % 2 == 0) {
        map.erase(live[i]);
        CHECK(map.find(live[i]) == nullptr);
      } else {
        kept.push_back(live[i]);
      }
    }
    live = kept;
    CHECK(map.size() == live.size());
    for (const auto id : live) CHECK(map.find(id) != nullptr);
  }
  CHECK(highest < 2000);  // never more slots than values live at once
}
