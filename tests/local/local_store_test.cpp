#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "cacheme/errc.hpp"
#include "cacheme/local/local_store.hpp"
#include "cacheme/local/weigher.hpp"

using cacheme::core::Instant;
using cacheme::local::make_local_store;
using namespace std::chrono_literals;

namespace {
const Instant kT0 = Instant{} + 5h;

cacheme::core::AnyValue value(int v) { return std::make_shared<const int>(v); }
int as_int(const cacheme::local::Hit& hit) { return *static_cast<const int*>(hit.value->get()); }
}  // namespace

TEST_CASE("URLs: policies, sizes and errors", "[store]") {
  for (const char* url : {"local://lru?size=10", "local://tlfu?size=10"}) {
    auto store = make_local_store(url, 1);
    REQUIRE(store);
    CHECK((*store)->capacity() == 10);
  }
  CHECK(make_local_store("local://arc?size=10", 1).error() == cacheme::errc::bad_url);
  CHECK(make_local_store("redis://x", 1).error() == cacheme::errc::bad_url);
  CHECK(make_local_store("local://lru", 1).error() == cacheme::errc::bad_option);
  CHECK(make_local_store("local://lru?size=0", 1).error() == cacheme::errc::bad_option);
  CHECK(make_local_store("local://lru?size=ten", 1).error() == cacheme::errc::bad_option);
  CHECK(make_local_store("local://lru?size=10&colour=red", 1).error() == cacheme::errc::bad_option);
}

TEST_CASE("find, replace and erase", "[store]") {
  for (const char* url : {"local://lru?size=10", "local://tlfu?size=10"}) {
    auto store = std::move(*make_local_store(url, 1));
    CHECK(store->find("a", kT0).value == nullptr);
    store->insert("a", value(1), std::nullopt, kT0);
    auto hit = store->find("a", kT0);
    REQUIRE(hit.value != nullptr);
    CHECK(as_int(hit) == 1);
    CHECK_FALSE(hit.expiry.has_value());
    store->insert("a", value(2), kT0 + 1s, kT0);
    hit = store->find("a", kT0);
    CHECK(as_int(hit) == 2);
    CHECK(hit.expiry == kT0 + 1s);
    CHECK(store->erase("a"));
    CHECK_FALSE(store->erase("a"));
    CHECK(store->size() == 0);
  }
}

TEST_CASE("entries expire as time advances, not only when read", "[store]") {
  for (const char* url : {"local://lru?size=100", "local://tlfu?size=100"}) {
    auto store = std::move(*make_local_store(url, 1));
    store->insert("short", value(1), kT0 + 10ms, kT0);
    store->insert("long", value(2), kT0 + 1h, kT0);
    store->insert("forever", value(3), std::nullopt, kT0);
    REQUIRE(store->next_expiry().has_value());
    CHECK(*store->next_expiry() <= kT0 + 10ms);
    CHECK(store->find("short", kT0 + 10ms - 1ns).value != nullptr);
    store->advance(kT0 + 10ms);
    CHECK(store->size() == 2);
    CHECK(store->find("short", kT0 + 10ms).value == nullptr);
    CHECK(store->find("long", kT0 + 1h).value == nullptr);  // expired on read, before any advance
    CHECK(store->size() == 1);
    store->insert("long", value(4), kT0 + 2h, kT0 + 1h);  // re-insert reschedules
    store->insert("long", value(5), std::nullopt, kT0 + 1h);  // ... and no expiry cancels
    store->advance(kT0 + 24h);
    CHECK(store->size() == 2);
    CHECK(store->next_expiry() == std::nullopt);
  }
}

TEST_CASE("evicted entries take their timers with them", "[store]") {
  auto store = std::move(*make_local_store("local://lru?size=2", 1));
  store->insert("a", value(1), kT0 + 1s, kT0);
  store->insert("b", value(2), std::nullopt, kT0);
  store->insert("c", value(3), std::nullopt, kT0);  // evicts "a"
  CHECK(store->find("a", kT0).value == nullptr);
  store->insert("d", value(4), std::nullopt, kT0);  // takes a's slot, no timer
  store->advance(kT0 + 2s);
  CHECK(store->find("d", kT0 + 2s).value != nullptr);
}

TEST_CASE("a weigher bounds the summed weight", "[store]") {
  const auto weigh = [](std::string_view key, const cacheme::core::AnyValue&) {
    return static_cast<std::uint32_t>(key.size());
  };
  for (const char* url : {"local://lru?size=10", "local://tlfu?size=10"}) {
    auto store = std::move(*make_local_store(url, 1, weigh));
    store->insert("aaaa", value(1), std::nullopt, kT0);
    store->insert("bbbb", value(2), std::nullopt, kT0);
    store->insert("cccc", value(3), std::nullopt, kT0);  // 12 > 10
    CHECK(store->size() == 2);
    store->insert("a-key-longer-than-ten", value(4), std::nullopt, kT0);
    CHECK(store->find("a-key-longer-than-ten", kT0).value == nullptr);
  }
}
