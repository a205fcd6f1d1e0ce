// The conformance suite: one body per behaviour, run under both adapters (Asio, libevent) and
// against every storage (Redis, Redis Cluster, SQLite, PostgreSQL, MariaDB, MongoDB), each chain being that storage
// alone, so every request goes through it. DESIGN.md §3 is the contract.
#include <chrono>
#include <string>
#include <vector>

#include "harness.hpp"
#include "storages.hpp"

using namespace cacheme;
using namespace cacheme::conformance;
using namespace std::chrono_literals;

namespace {

/// A harness with storage `storage` registered as "store" and a prefix of its own, or nothing
/// when the storage is not available here.
template <class H>
bool setup(H& h, const std::string& storage, std::string& url) {
  auto u = storage_url(storage);
  if (!u) return false;
  url = *u;
  Source::reset();
  h.cm.set_prefix(unique_prefix(H::kName, storage));
  REQUIRE_FALSE(h.register_storage("store", url));
  return true;
}

std::uint64_t fetches(drivers::Storage* s, const std::string& storage) {
  const auto counts = s->command_counts();
  const auto it = counts.find(fetch_command(storage));
  return it == counts.end() ? 0 : it->second;
}

#define STORAGES GENERATE(as<std::string>{}, "redis", "redis-cluster", "sqlite", "postgres", "mysql", "mongo")

}  // namespace

TEMPLATE_TEST_CASE("conformance: get, get_all, invalidate, refresh, stats", "[conformance]", AsioHarness,
                   EventHarness) {
  const std::string storage = STORAGES;
  INFO(TestType::kName << " on " << storage);
  TestType h;
  std::string url;
  if (!setup(h, storage, url)) return;

  Value a = h.get(TestNode{"a"});  // cold: loaded
  REQUIRE_FALSE(a.ec);
  CHECK(*a.value == "a#1");
  CHECK(Source::loads == 1);
  h.settle();
  a = h.get(TestNode{"a"});  // from the storage
  CHECK(*a.value == "a#1");
  CHECK(Source::loads == 1);
  CHECK(h.cm.template stats<TestNode>().tiers.at(0).hits == 1);

  // get_all: input order, duplicates kept; only the missing keys load.
  const Values all = h.get_all(std::vector<TestNode>{{"a"}, {"b"}, {"a"}, {"c"}});
  REQUIRE_FALSE(all.ec);
  REQUIRE(all.values.size() == 4);
  CHECK(*all.values[0] == "a#1");
  CHECK(*all.values[1] == "b#1");
  CHECK(*all.values[2] == "a#1");
  CHECK(*all.values[3] == "c#1");
  CHECK(Source::loads == 3);
  h.settle();

  // invalidate removes it from the storage: the next get loads the new generation.
  Source::generation = 2;
  CHECK_FALSE(h.invalidate(TestNode{"a"}));
  CHECK(*h.get(TestNode{"a"}).value == "a#2");
  CHECK(Source::loads == 4);
  // refresh returns the fresh value and stores it.
  CHECK(*h.refresh(TestNode{"b"}).value == "b#2");
  CHECK(Source::loads == 5);
  h.settle();
  CHECK(*h.get(TestNode{"b"}).value == "b#2");
  CHECK(Source::loads == 5);

  // A failed load: the caller's error, nothing cached.
  Source::failing = true;
  const Value failed = h.get(TestNode{"x"});
  CHECK(failed.ec == errc::load_failed);
  CHECK(failed.value == nullptr);
  Source::failing = false;
  CHECK(*h.get(TestNode{"x"}).value == "x#2");
  CHECK(Source::loads == 7);

  const auto st = h.cm.template stats<TestNode>();
  CHECK(st.requests == 10);  // 2 gets + 4 (get_all) + get + get + 2 gets (refresh is no request)
  CHECK(st.hits == 4);       // a from the storage, a twice in get_all, b after refresh
  CHECK(st.load_successes == 6);
  CHECK(st.load_failures == 1);
  CHECK(st.tiers.at(0).storage == "store");
  CHECK(st.tiers.at(0).errors == 0);
  CHECK(st.tiers.at(0).decode_errors == 0);
  h.settle();
}

TEMPLATE_TEST_CASE("conformance: memoize", "[conformance]", AsioHarness, EventHarness) {
  const std::string storage = STORAGES;
  INFO(TestType::kName << " on " << storage);
  TestType h;
  std::string url;
  if (!setup(h, storage, url)) return;
  CHECK(*h.memo(7).value == memo_value(7));
  CHECK(Source::loads == 1);
  h.settle();
  CHECK(*h.memo(7).value == memo_value(7));  // from the storage, the function not called
  CHECK(*h.memo(8).value == memo_value(8));
  CHECK(Source::loads == 2);
  CHECK(h.cm.template stats<TestNode>().tiers.at(0).hits == 1);
  h.settle();
}

TEMPLATE_TEST_CASE("conformance: millisecond TTL", "[conformance]", AsioHarness, EventHarness) {
  const std::string storage = STORAGES;
  INFO(TestType::kName << " on " << storage);
  TestType h;
  std::string url;
  if (!setup(h, storage, url)) return;
  CHECK(*h.get(ShortTtlNode{"t"}).value == "t#1");
  h.settle();
  Source::generation = 2;
  CHECK(*h.get(ShortTtlNode{"t"}).value == "t#1");  // fresh within 150 ms
  CHECK(Source::loads == 1);
  h.run_for(400ms);
  CHECK(*h.get(ShortTtlNode{"t"}).value == "t#2");  // expired: reloaded
  CHECK(Source::loads == 2);
  h.settle();
}

TEMPLATE_TEST_CASE("conformance: 1,000 concurrent gets of one cold key make one fetch and one load",
                   "[conformance]", AsioHarness, EventHarness) {
  const std::string storage = STORAGES;
  INFO(TestType::kName << " on " << storage);
  TestType h;
  std::string url;
  if (!setup(h, storage, url)) return;
  drivers::Storage* s = h.cm.runtime().storage("store");
  REQUIRE(s);
  const auto before = fetches(s, storage);
  int done = 0, right = 0;
  for (int i = 0; i < 1000; ++i)
    h.start_get(TestNode{"hot"}, [&](Value v) {
      ++done;
      right += !v.ec && v.value && *v.value == "hot#1";
    });
  REQUIRE(h.run_until([&] { return done == 1000; }));
  CHECK(right == 1000);
  CHECK(fetches(s, storage) - before == 1);
  CHECK(Source::loads == 1);
  const auto st = h.cm.template stats<TestNode>();
  CHECK(st.requests == 1000);
  CHECK(st.coalesced == 999);
  h.settle();
}

TEMPLATE_TEST_CASE("conformance: garbage bytes are a counted decode error and a reload", "[conformance]",
                   AsioHarness, EventHarness) {
  const std::string storage = STORAGES;
  INFO(TestType::kName << " on " << storage);
  TestType h;
  std::string url;
  if (!setup(h, storage, url)) return;
  const std::string prefix = h.cm.runtime().engine().prefix();
  write_raw(h, storage, url, prefix + ":junk:v1", std::string("\x00\xffnot a cacheme entry\x01\x02", 23));
  const Value v = h.get(TestNode{"junk"});
  REQUIRE_FALSE(v.ec);
  CHECK(*v.value == "junk#1");
  CHECK(Source::loads == 1);
  CHECK(h.cm.template stats<TestNode>().tiers.at(0).decode_errors == 1);
  h.settle();
  CHECK(*h.get(TestNode{"junk"}).value == "junk#1");  // the reloaded value replaced the garbage
  CHECK(Source::loads == 1);
  CHECK(h.cm.template stats<TestNode>().tiers.at(0).hits == 1);
}

TEMPLATE_TEST_CASE("conformance: hostile keys round-trip", "[conformance]", AsioHarness, EventHarness) {
  const std::string storage = STORAGES;
  INFO(TestType::kName << " on " << storage);
  TestType h;
  std::string url;
  if (!setup(h, storage, url)) return;
  const std::vector<std::string> keys = {"quote\"'`",   "back\\slash\\",           std::string("nul\0byte", 8),
                                         "\xff\xfe\xc3(", "like%_*?[a-z]{}; DROP", "space and\nnewline\t"};
  for (const auto& k : keys) {
    INFO("key of " << k.size() << " bytes");
    CHECK(*h.get(TestNode{k}).value == k + "#1");
  }
  h.settle();
  for (const auto& k : keys) {
    INFO("key of " << k.size() << " bytes");
    CHECK(*h.get(TestNode{k}).value == k + "#1");
  }
  const auto st = h.cm.template stats<TestNode>();
  CHECK(Source::loads == int(keys.size()));
  CHECK(st.tiers.at(0).hits == keys.size());
  CHECK(st.tiers.at(0).errors == 0);
}

TEMPLATE_TEST_CASE("conformance: a storage that is down fails register_storage quickly", "[conformance]",
                   AsioHarness, EventHarness) {
  const std::string storage = STORAGES;
  INFO(TestType::kName << " on " << storage);
  if (!built(storage)) return not_run(storage, "driver not built");
  TestType h;
  const auto start = std::chrono::steady_clock::now();
  CHECK(h.register_storage("store", down_url(storage)) == errc::connect_failed);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEMPLATE_TEST_CASE("conformance: an unknown scheme is a bad URL", "[conformance]", AsioHarness, EventHarness) {
  TestType h;
  CHECK(h.register_storage("store", "gopher://127.0.0.1:70") == errc::bad_url);
  CHECK(h.register_storage("store", "no scheme at all") == errc::bad_url);
}
