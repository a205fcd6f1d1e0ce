#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>

#include "cacheme/local/hash.hpp"
#include "cacheme/local/local_store.hpp"
#include "cacheme/local/small_key.hpp"

using cacheme::core::Instant;
using cacheme::local::SmallKey;

TEST_CASE("small keys: inline up to 30 bytes, heap beyond, equal only to the same bytes", "[small_key]") {
  for (const std::size_t n : {0, 1, 7, 8, 16, 29, 30, 31, 32, 38, 39, 255, 1000}) {
    const std::string text(n, 'k');
    SmallKey key;
    key.assign(text);
    CHECK(key.view() == text);
    CHECK(key == std::string_view(text));
    CHECK_FALSE(key == std::string_view(text + "x"));
    if (n > 0) {
      std::string other = text;
      other.back() = 'j';
      CHECK_FALSE(key == std::string_view(other));
      CHECK_FALSE(key == std::string_view(text).substr(1));
    }
    SmallKey copy = key;
    CHECK(copy == std::string_view(text));
    SmallKey moved = std::move(copy);
    CHECK(moved == std::string_view(text));
    key.assign("short");
    CHECK(key.view() == "short");
    key.clear();
    CHECK(key.view().empty());
  }
}

TEST_CASE("small keys: a difference at any position of any length is seen", "[small_key]") {
  for (std::size_t n = 1; n <= 40; ++n) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) text.push_back(static_cast<char>('a' + i % 26));
    SmallKey key;
    key.assign(text);
    REQUIRE(key == std::string_view(text));
    for (std::size_t i = 0; i < n; ++i) {
      std::string other = text;
      other[i] = static_cast<char>(other[i] ^ 0x80);  // a high bit too: bytes compare unsigned
      CHECK_FALSE(key == std::string_view(other));
    }
  }
}

TEST_CASE("the string hash depends on the seed and on every byte", "[hash]") {
  using cacheme::local::hash_bytes;
  for (const std::size_t n : {0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 100}) {
    std::string text(n, 'a');
    const std::uint64_t h = hash_bytes(text, 1);
    CHECK(h == hash_bytes(text, 1));
    CHECK(h != hash_bytes(text, 2));
    for (std::size_t i = 0; i < n; ++i) {
      std::string flipped = text;
      flipped[i] = 'b';
      CHECK(hash_bytes(flipped, 1) != h);
    }
    CHECK(hash_bytes(text + '\0', 1) != h);
  }
}

TEST_CASE("the store holds long keys and many keys sharing a long prefix", "[store]") {
  for (const char* url : {"local://lru?size=1000", "local://tlfu?size=1000"}) {
    auto store = std::move(*cacheme::local::make_local_store(url, 9));
    const Instant now{};
    const std::string prefix(60, 'p');
    for (int i = 0; i < 2000; ++i) {
      store->insert(prefix + std::to_string(i), std::make_shared<const int>(i), std::nullopt, now);
      store->insert(std::string("k").append(std::to_string(i)), std::make_shared<const int>(-i), std::nullopt, now);
    }
    CHECK(store->size() == 1000);
    int found = 0;
    for (int i = 0; i < 2000; ++i) {
      const auto hit = store->find(prefix + std::to_string(i), now);
      if (hit.value != nullptr) {
        CHECK(*static_cast<const int*>(hit.value->get()) == i);
        ++found;
      }
      const auto short_hit = store->find(std::string("k").append(std::to_string(i)), now);
      if (short_hit.value != nullptr) CHECK(*static_cast<const int*>(short_hit.value->get()) == -i);
    }
    CHECK(found > 0);
    for (int i = 0; i < 2000; ++i) store->erase(prefix + std::to_string(i));
    for (int i = 0; i < 2000; ++i) CHECK(store->find(prefix + std::to_string(i), now).value == nullptr);
  }
}
