// The Redis storage against a real server (CACHEME_TEST_REDIS_URL), on every built reactor.
#include <chrono>

#include "redis_test_helpers.hpp"
#include "support/redis_server.hpp"

using namespace cacheme;
using namespace cacheme::test;
using namespace std::chrono_literals;
using core::IoStatus;

namespace {

std::string with_query(const std::string& url, std::string_view query) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + std::string(query);
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("redis: GET, MGET and SET with and without PX", "[redis]", Loops) {
  const auto url = redis_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(with_query(*url, "pool_size=4")));
  const auto p = unique_prefix("get");
  RawClient raw(*url);

  CHECK(h.store({entry(p + "a", "alpha", 60000ms), entry(p + "b", "beta"), entry(p + "long", "x", 123456789ms)}) ==
        IoStatus::ok);

  auto one = h.fetch({p + "a"});
  REQUIRE(one.status == IoStatus::ok);
  CHECK(one.values == Values{"alpha"});
  CHECK(h.fetch({p + "nope"}).values == Values{std::nullopt});

  auto many = h.fetch({p + "a", p + "nope", p + "b"});
  REQUIRE(many.status == IoStatus::ok);
  CHECK(many.values == Values{"alpha", std::nullopt, "beta"});

  const auto pttl_a = raw.integer({"PTTL", p + "a"});
  CHECK(pttl_a > 50000);
  CHECK(pttl_a <= 60000);
  CHECK(raw.integer({"PTTL", p + "b"}) == -1);                // no PX: never expires
  CHECK(raw.integer({"PTTL", p + "long"}) > 123456789 - 60000);  // milliseconds, not truncated

  // A short TTL really expires.
  CHECK(h.store({entry(p + "short", "s", 50ms)}) == IoStatus::ok);
  h.loop.run_for(150ms);
  CHECK(h.fetch({p + "short"}).values == Values{std::nullopt});

  // Empty requests complete (later) without a command.
  CHECK(h.fetch({}).values.empty());
  CHECK(h.store({}) == IoStatus::ok);
  CHECK(h.erase({}) == IoStatus::ok);
  CHECK(h.rec.reentrant == 0);
  CHECK(h.rec.duplicates == 0);
}

// The driver fills the results of earlier completions again (their buffers are reused): a
// value must never keep a longer earlier value's tail, a miss never an earlier hit's bytes.
TEMPLATE_LIST_TEST_CASE("redis: reused fetch results never mix values", "[redis]", Loops) {
  const auto url = redis_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(with_query(*url, "pool_size=2")));
  const auto p = unique_prefix("reuse");
  const std::string big(10000, 'b');  // above what a delivered batch keeps (4 KiB)
  const std::string mid(300, 'm');
  REQUIRE(h.store({entry(p + "big", big), entry(p + "mid", mid), entry(p + "s", "s")}) == IoStatus::ok);

  const std::vector<std::vector<std::string>> requests{
      {p + "big"}, {p + "mid"}, {p + "s"}, {p + "none"}, {p + "s", p + "none", p + "big"}, {p + "mid", p + "s"}};
  const std::vector<Values> expected{{big}, {mid}, {"s"}, {std::nullopt}, {"s", std::nullopt, big}, {mid, "s"}};
  for (int round = 0; round < 6; ++round) {
    // A burst in a rotated order: each slot is refilled with a different shape than before.
    std::vector<std::pair<core::IoId, std::size_t>> ids;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const std::size_t k = (i + static_cast<std::size_t>(round)) % requests.size();
      ids.emplace_back(h.fetch_async(requests[k]), k);
    }
    for (const auto& [id, k] : ids) {
      const auto r = h.wait_fetch(id);
      REQUIRE(r.status == IoStatus::ok);
      CHECK(r.values == expected[k]);
    }
  }
  CHECK(h.rec.duplicates == 0);
}

TEMPLATE_LIST_TEST_CASE("redis: binary keys and values with NUL bytes", "[redis]", Loops) {
  const auto url = redis_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(with_query(*url, "pool_size=2")));
  const auto p = unique_prefix("binary");
  std::string all;
  for (int i = 0; i < 256; ++i) all += char(i);
  all += std::string("\0\0end\0", 7);
  const std::string key = p + std::string("k\0 %s %b\r\n", 11);

  CHECK(h.store({entry(key, all, 10000ms), entry(p + "empty", "")}) == IoStatus::ok);
  CHECK(h.fetch({key}).values == Values{all});
  CHECK(h.fetch({key, p + "empty"}).values == Values{all, std::string()});
  RawClient raw(*url);
  CHECK(raw.get(key) == all);
}

TEMPLATE_LIST_TEST_CASE("redis: DEL erases all keys in one command", "[redis]", Loops) {
  const auto url = redis_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(with_query(*url, "pool_size=2")));
  const auto p = unique_prefix("del");
  CHECK(h.store({entry(p + "1", "1"), entry(p + "2", "2"), entry(p + "3", "3")}) == IoStatus::ok);
  const auto before = h.storage->command_counts();
  CHECK(h.erase({p + "1", p + "3", p + "absent"}) == IoStatus::ok);
  auto after = h.storage->command_counts();
  const std::uint64_t dels_before = before.count("DEL") ? before.at("DEL") : 0;
  CHECK(after["DEL"] == dels_before + 1);
  CHECK(h.fetch({p + "1", p + "2", p + "3"}).values == Values{std::nullopt, "2", std::nullopt});
}

TEMPLATE_LIST_TEST_CASE("redis: a store of many entries is pipelined, one SET each", "[redis]", Loops) {
  const auto url = redis_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(with_query(*url, "pool_size=3")));
  const auto p = unique_prefix("pipeline");
  constexpr int kEntries = 2000;
  std::vector<core::StoreEntry> entries;
  std::vector<std::string> keys;
  for (int i = 0; i < kEntries; ++i) {
    keys.push_back(p + std::to_string(i));
    entries.push_back(entry(keys.back(), std::string("v").append(std::to_string(i)), i % 2 ? std::optional(30000ms) : std::nullopt));
  }
  // Several requests in flight at once, spread over the pool.
  const auto a = h.store_async(entries);
  const auto b = h.store_async({entry(p + "extra", "e")});
  CHECK(h.wait_write(a) == IoStatus::ok);
  CHECK(h.wait_write(b) == IoStatus::ok);
  CHECK(h.storage->command_counts()["SET"] == kEntries + 1);

  const auto got = h.fetch(keys);
  REQUIRE(got.status == IoStatus::ok);
  REQUIRE(got.values.size() == std::size_t(kEntries));
  int wrong = 0;
  for (int i = 0; i < kEntries; ++i) wrong += got.values[std::size_t(i)] != std::string("v").append(std::to_string(i));
  CHECK(wrong == 0);
  CHECK(h.flush(p) == IoStatus::ok);
}

TEMPLATE_LIST_TEST_CASE("redis: error replies and wrong types are backend errors", "[redis]", Loops) {
  const auto url = redis_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(with_query(*url, "pool_size=1")));
  const auto p = unique_prefix("types");
  RawClient raw(*url);
  raw.command({"RPUSH", p + "list", "x"});
  raw.command({"EXPIRE", p + "list", "60"});

  CHECK(h.fetch({p + "list"}).status == IoStatus::backend_error);  // GET on a list: WRONGTYPE
  // MGET answers nil for a non-string: a miss, not an error.
  CHECK(h.fetch({p + "list", p + "none"}).values == Values{std::nullopt, std::nullopt});
  // The storage keeps working afterwards.
  CHECK(h.store({entry(p + "s", "ok")}) == IoStatus::ok);
  CHECK(h.fetch({p + "s"}).values == Values{"ok"});
}

TEMPLATE_LIST_TEST_CASE("redis: flush_prefix deletes exactly the keys with the prefix", "[redis]", Loops) {
  const auto url = redis_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(with_query(*url, "pool_size=2")));
  const auto base = unique_prefix("flush");
  const auto target = base + "p*x[1]:";  // glob characters must match literally
  const auto other = base + "pAx1:";
  std::vector<core::StoreEntry> entries;
  for (int i = 0; i < 2500; ++i) entries.push_back(entry(target + std::to_string(i), "t", 60000ms));
  entries.push_back(entry(other + "keep", "k", 60000ms));
  CHECK(h.store(entries) == IoStatus::ok);

  CHECK(h.flush(target) == IoStatus::ok);
  CHECK(h.fetch({target + "0", target + "2499", other + "keep"}).values == Values{std::nullopt, std::nullopt, "k"});
  const auto counts = h.storage->command_counts();
  CHECK(counts.at("SCAN") >= 1);
  CHECK(counts.at("UNLINK") >= 1);
  CHECK(h.flush(base) == IoStatus::ok);
  CHECK(h.fetch({other + "keep"}).values == Values{std::nullopt});
}

TEMPLATE_LIST_TEST_CASE("redis: command counts by name", "[redis]", Loops) {
  const auto url = redis_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(with_query(*url, "pool_size=1")));
  const auto p = unique_prefix("counts");
  h.store({entry(p + "a", "1", 10000ms), entry(p + "b", "2", 10000ms)});
  h.fetch({p + "a"});
  h.fetch({p + "a", p + "b"});
  h.fetch({p + "a", p + "b"});
  h.erase({p + "a", p + "b"});
  const auto counts = h.storage->command_counts();
  CHECK(counts.at("SET") == 2);
  CHECK(counts.at("GET") == 1);
  CHECK(counts.at("MGET") == 2);
  CHECK(counts.at("DEL") == 1);
}

TEMPLATE_LIST_TEST_CASE("redis: SELECT from the URL on connect", "[redis]", Loops) {
  const auto url = redis_url();
  if (!url) return;
  const auto u = drivers::redis::detail::parse_redis_url(*url);
  REQUIRE(u);
  if (u->db != 0) return;  // the configured URL already selects a database
  const std::string db5 = *url + "/5";
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(with_query(db5, "pool_size=2")));
  const auto p = unique_prefix("select");
  CHECK(h.store({entry(p + "k", "in-db-5", 10000ms)}) == IoStatus::ok);
  RawClient raw0(*url);
  CHECK(raw0.get(p + "k") == std::nullopt);
  RawClient raw5(db5);
  CHECK(raw5.get(p + "k") == "in-db-5");
  CHECK(h.storage->command_counts().at("SELECT") >= 1);
}

TEMPLATE_LIST_TEST_CASE("redis: close completes pending operations with backend_error", "[redis]", Loops) {
  const auto url = redis_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(with_query(*url, "pool_size=2")));
  const auto p = unique_prefix("close");
  const auto f = h.fetch_async({p + "a"});  // buffered, not yet written
  const auto s = h.store_async({entry(p + "a", "1"), entry(p + "b", "2")});
  h.rec.inside_call = true;
  h.storage->close();
  h.rec.inside_call = false;
  CHECK(h.wait_fetch(f).status == IoStatus::backend_error);
  CHECK(h.wait_write(s) == IoStatus::backend_error);
  CHECK(h.fetch({p + "a"}).status == IoStatus::backend_error);  // closed for good
  CHECK(h.rec.reentrant == 0);
  CHECK(h.rec.duplicates == 0);
}

TEMPLATE_LIST_TEST_CASE("redis: connect errors", "[redis]", Loops) {
  Harness<TestType> h;
  SECTION("a closed port fails quickly with connect_failed") {
    const auto start = std::chrono::steady_clock::now();
    CHECK(h.connect("redis://127.0.0.1:" + std::to_string(test_support::free_port())) == errc::connect_failed);
    CHECK(std::chrono::steady_clock::now() - start < 2s);
    CHECK(h.storage == nullptr);
  }
  SECTION("a bad url is bad_url, reported later") {
    CHECK(h.connect("redis//127.0.0.1") == errc::bad_url);
    CHECK(h.connect("redis://127.0.0.1:99999") == errc::bad_url);
    CHECK(h.connect("redis://127.0.0.1?pool_size=0") == errc::bad_option);
  }
  SECTION("a password the server rejects is connect_failed") {
    const auto url = redis_url();
    if (!url) return;
    const auto u = drivers::redis::detail::parse_redis_url(*url);
    REQUIRE(u);
    if (!u->password.empty()) return;
    const std::string bad = "redis://nobody:wrong@" + u->host + ":" + std::to_string(u->port);
    CHECK(h.connect(bad) == errc::connect_failed);
  }
}

TEMPLATE_LIST_TEST_CASE("redis: a host name is resolved off the loop thread, then connected to", "[redis][resolve]",
                        Loops) {
  const auto url = redis_url();
  if (!url) return;
  const auto parsed = drivers::redis::detail::parse_redis_url(*url);
  REQUIRE(parsed);
  REQUIRE(parsed->host == "127.0.0.1");
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect("redis://localhost:" + std::to_string(parsed->port) + "?pool_size=2"));
  CHECK(h.fetch({unique_prefix("resolve") + "k"}).status == IoStatus::ok);
  Harness<TestType> bad;
  CHECK(bad.connect("redis://no-such-host.invalid:6379") == errc::connect_failed);
}
