// Conformance of the SQL storages (sqlite, postgres, mysql) on every built reactor.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <optional>

#include "cacheme/drivers/sql/keys.hpp"
#include "cacheme/errc.hpp"
#include "reactor_loops.hpp"
#include "sql_helpers.hpp"
#include "storage_client.hpp"

namespace {

using namespace std::chrono_literals;
using cacheme::errc;
using cacheme::core::FetchResult;
using cacheme::core::IoStatus;
using cacheme::core::StoreEntry;
using cacheme::drivers::StorageOptions;
using cacheme::test::sql::Backend;
using cacheme::test::sql::Client;
using cacheme::test::sql::for_each_target;
using cacheme::test::sql::Table;
using cacheme::test::sql::Target;
namespace sqlt = cacheme::test::sql;

std::string binary_value() {
  std::string v;
  for (int i = 0; i < 256; ++i) v.push_back(static_cast<char>(i));
  return v + std::string("\0\0tail", 6);
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("sql: miss, store, fetch, overwrite, binary values", "[sql]", cacheme::test::Loops) {
  for_each_target([](const Target& t) {
    Table table{t};
    Client<TestType> c;
    c.open(t, table);
    CHECK(c.get("absent") == std::nullopt);
    CHECK(c.set("k1", "v1") == IoStatus::ok);
    CHECK(c.get("k1") == std::optional<std::string>("v1"));
    CHECK(c.set("k1", "v2") == IoStatus::ok);
    CHECK(c.get("k1") == std::optional<std::string>("v2"));
    CHECK(c.set("bin", binary_value()) == IoStatus::ok);
    CHECK(c.get("bin") == binary_value());
    CHECK(c.set("empty", "") == IoStatus::ok);
    CHECK(c.get("empty") == std::optional<std::string>(""));
    CHECK(sqlt::count_rows(t, table.name) == 3);
    const auto counts = c.storage->command_counts();
    CHECK(counts.at("SELECT") >= 5);
    CHECK(counts.at("UPSERT") >= 3);
  });
}

TEMPLATE_LIST_TEST_CASE("sql: multi-key fetch answers in order, with duplicates", "[sql]", cacheme::test::Loops) {
  for_each_target([](const Target& t) {
    Table table{t};
    Client<TestType> c;
    c.open(t, table);
    REQUIRE(c.store({{"a", "A", std::nullopt}, {"b", "B", std::nullopt}, {"c", "C", 60s}, {"a", "A2", std::nullopt}}) ==
            IoStatus::ok);
    const auto r = c.fetch({"c", "x", "a", "b", "a", "c"});
    REQUIRE(r.status == IoStatus::ok);
    using V = std::optional<std::string>;
    CHECK(r.values == std::vector<V>{"C", std::nullopt, "A2", "B", "A2", "C"});
    // A batch larger than one statement's usual size.
    std::vector<StoreEntry> many;
    std::vector<std::string> keys;
    for (int i = 0; i < 700; ++i) {
      many.push_back({"many:" + std::to_string(i), "value " + std::to_string(i), std::nullopt});
      keys.push_back("many:" + std::to_string(i));
    }
    REQUIRE(c.store(many) == IoStatus::ok);
    keys.push_back("many:absent");
    const auto all = c.fetch(keys);
    REQUIRE(all.status == IoStatus::ok);
    REQUIRE(all.values.size() == 701);
    for (int i = 0; i < 700; ++i) CHECK(all.values[i] == "value " + std::to_string(i));
    CHECK(all.values[700] == std::nullopt);
  });
}

TEMPLATE_LIST_TEST_CASE("sql: an expired row is a miss", "[sql]", cacheme::test::Loops) {
  for_each_target([](const Target& t) {
    Table table{t};
    Client<TestType> c;
    c.open(t, table);
    REQUIRE(c.set("long", "l", 60s) == IoStatus::ok);
    REQUIRE(c.set("forever", "f") == IoStatus::ok);
    // 300 ms: a store and a fetch fit in it on a loaded machine under ASan (50 ms did not).
    REQUIRE(c.set("short", "s", 300ms) == IoStatus::ok);
    CHECK(c.get("short") == std::optional<std::string>("s"));
    c.loop.run_for(400ms);
    CHECK(c.get("short") == std::nullopt);
    CHECK(c.get("long") == std::optional<std::string>("l"));
    CHECK(c.get("forever") == std::optional<std::string>("f"));
    // Storing again revives the key with its new expiry.
    REQUIRE(c.set("short", "s2") == IoStatus::ok);
    CHECK(c.get("short") == std::optional<std::string>("s2"));
  });
}

TEMPLATE_LIST_TEST_CASE("sql: expired rows are deleted in bounded batches", "[sql]", cacheme::test::Loops) {
  for_each_target([](const Target& t) {
    Table table{t};
    Client<TestType> c;
    c.open(t, table);
    const std::size_t n = 2 * cacheme::drivers::sql::kExpiredBatch + 200;
    std::vector<StoreEntry> entries;
    // Long enough that no row expires while they are being written (MySQL: 19 statements).
    constexpr auto kTtl = 1000ms;
    for (std::size_t i = 0; i < n; ++i) entries.push_back({"exp:" + std::to_string(i), "x", kTtl});
    REQUIRE(c.store(entries) == IoStatus::ok);
    REQUIRE(c.set("live", "l") == IoStatus::ok);
    REQUIRE(sqlt::count_rows(t, table.name) == static_cast<long long>(n + 1));
    c.loop.run_for(std::max<std::chrono::milliseconds>(kTtl, cacheme::drivers::sql::kSweepInterval) + 100ms);
    const auto before = c.storage->command_counts()["DELETE_EXPIRED"];
    // Use the storage until the expired rows are gone; each sweep deletes at most one batch.
    long long rows = -1;
    for (int i = 0; i < 40 && rows != 1; ++i) {
      CHECK(c.get("live") == std::optional<std::string>("l"));
      c.loop.run_for(30ms);
      rows = sqlt::count_rows(t, table.name);
    }
    CHECK(rows == 1);
    const auto sweeps = c.storage->command_counts()["DELETE_EXPIRED"] - before;
    CHECK(sweeps >= 3);  // 1,200 rows in batches of at most 500
  });
}

TEMPLATE_LIST_TEST_CASE("sql: erase and flush_prefix", "[sql]", cacheme::test::Loops) {
  for_each_target([](const Target& t) {
    Table table{t};
    Client<TestType> c;
    c.open(t, table);
    const std::vector<std::string> keys{"p:1", "p:2", "p:\xff", "p;x", "q:1", "p\xff\xff", "p", "P:1",
                                        "p%", "p_1"};
    for (const auto& k : keys) REQUIRE(c.set(k, "v" + k) == IoStatus::ok);
    CHECK(c.erase({"q:1", "nope", std::string(600, 'z')}) == IoStatus::ok);
    CHECK(c.get("q:1") == std::nullopt);
    CHECK(c.flush("p:") == IoStatus::ok);
    for (const auto* gone : {"p:1", "p:2", "p:\xff"}) CHECK(c.get(gone) == std::nullopt);
    for (const auto* kept : {"p;x", "p\xff\xff", "p", "P:1", "p%", "p_1"}) CHECK(c.get(kept) == "v" + std::string(kept));
    // LIKE wildcards in a prefix are plain bytes.
    CHECK(c.flush("p%") == IoStatus::ok);
    CHECK(c.get("p%") == std::nullopt);
    CHECK(c.get("p_1") == std::optional<std::string>("vp_1"));
    CHECK(sqlt::count_rows(t, table.name) == 5);
  });
}

TEMPLATE_LIST_TEST_CASE("sql: hostile keys are stored and read back exactly", "[sql]", cacheme::test::Loops) {
  for_each_target([](const Target& t) {
    Table table{t};
    Client<TestType> c;
    c.open(t, table);
    const std::vector<std::string> keys{
        "it's",      "a\"b",           "back\\slash", std::string("nul\0key", 7), std::string("\0", 1),
        "\xff\xfe\x80\xc3", "'); DROP TABLE " + table.name + "; --", "`tick`", "ünïcödé", "trailing ",
        "trailing",  std::string(512, 'k')};
    for (std::size_t i = 0; i < keys.size(); ++i) REQUIRE(c.set(keys[i], "value" + std::to_string(i)) == IoStatus::ok);
    const auto r = c.fetch(keys);
    REQUIRE(r.status == IoStatus::ok);
    for (std::size_t i = 0; i < keys.size(); ++i) CHECK(r.values[i] == "value" + std::to_string(i));
    CHECK(sqlt::count_rows(t, table.name) == static_cast<long long>(keys.size()));
    // 513 bytes: a store fails cleanly and writes nothing of its request; a fetch is a miss.
    const std::string too_long(513, 'k');
    CHECK(c.store({{"ok-before", "x", std::nullopt}, {too_long, "x", std::nullopt}}) == IoStatus::backend_error);
    CHECK(c.get("ok-before") == std::nullopt);
    const auto mixed = c.fetch({too_long, "it's"});
    REQUIRE(mixed.status == IoStatus::ok);
    CHECK(mixed.values == std::vector<std::optional<std::string>>{std::nullopt, "value0"});
    CHECK(c.get(too_long) == std::nullopt);
    CHECK(c.erase({"it's", std::string("nul\0key", 7)}) == IoStatus::ok);
    CHECK(c.get("it's") == std::nullopt);
    CHECK(c.get(std::string("nul\0key", 7)) == std::nullopt);
    CHECK(c.get("nul") == std::nullopt);
  });
}

TEMPLATE_LIST_TEST_CASE("sql: schema missing, init, bad table name", "[sql]", cacheme::test::Loops) {
  for_each_target([](const Target& t) {
    Table table{t};
    {
      Client<TestType> c;
      CHECK(c.connect(t, sqlt::url_for(t, table.name)) == make_error_code(errc::schema_missing));
    }
    {
      Client<TestType> c;  // through StorageOptions instead of the URL
      StorageOptions options;
      options.table = table.name;
      options.init = true;
      REQUIRE(c.connect(t, t.url, options) == std::error_code{});
      CHECK(c.set("k", "v") == IoStatus::ok);
    }
    {
      Client<TestType> c;  // now it exists
      REQUIRE(c.connect(t, sqlt::url_for(t, table.name)) == std::error_code{});
      CHECK(c.get("k") == std::optional<std::string>("v"));
    }
    for (const char* bad : {"bad-name", "1abc", "x%3By", "t%20t", "a%22b", ""}) {
      Client<TestType> c;
      INFO("table: " << bad);
      CHECK(c.connect(t, t.url + "?table=" + bad + "&init=1") == make_error_code(errc::bad_option));
    }
    Client<TestType> c;
    CHECK(c.connect(t, sqlt::url_for(t, table.name, "&pool_size=abc")) == make_error_code(errc::bad_option));
    CHECK(c.connect(t, sqlt::url_for(t, table.name, "&unknown=1")) == make_error_code(errc::bad_option));
  });
}

TEMPLATE_LIST_TEST_CASE("sql: bad urls and unreachable servers", "[sql]", cacheme::test::Loops) {
  for_each_target([](const Target& t) {
    Client<TestType> c;
    const std::string scheme = t.url.substr(0, t.url.find("://"));
    CHECK(c.connect(t, "redis://127.0.0.1:6379") == make_error_code(errc::bad_url));
    CHECK(c.connect(t, "no url at all") == make_error_code(errc::bad_url));
    CHECK(c.connect(t, scheme + "://bad%zzescape/db") == make_error_code(errc::bad_url));
    const auto start = std::chrono::steady_clock::now();
    if (t.backend == Backend::sqlite) {
      CHECK(c.connect(t, "sqlite:///nonexistent-dir-cacheme/x/y.db?init=1") == make_error_code(errc::connect_failed));
    } else {
      CHECK(c.connect(t, scheme + "://u:p@127.0.0.1:1/db?init=1") == make_error_code(errc::connect_failed));
      CHECK(c.connect(t, scheme + "://u:p@127.0.0.1:99999/db") == make_error_code(errc::bad_url));
    }
    CHECK(std::chrono::steady_clock::now() - start < 3s);
  });
}

TEMPLATE_LIST_TEST_CASE("sql: many concurrent operations, then close", "[sql]", cacheme::test::Loops) {
  for_each_target([](const Target& t) {
    Table table{t};
    Client<TestType> c;
    REQUIRE(c.connect(t, sqlt::url_for(t, table.name, "&init=1&pool_size=8")) == std::error_code{});
    constexpr int kN = 300;
    std::vector<std::uint64_t> stores, fetches;
    for (int i = 0; i < kN; ++i) {
      const auto io = c.id();
      stores.push_back(io.v);
      c.storage->start(cacheme::core::StoreRequest{io, {1}, {{"c:" + std::to_string(i), std::to_string(i), 60s}}});
    }
    REQUIRE(c.loop.run_until([&] { return c.written.size() == kN; }, 20s));
    for (auto id : stores) CHECK(c.written[id] == IoStatus::ok);
    for (int i = 0; i < kN; ++i) {
      const auto io = c.id();
      fetches.push_back(io.v);
      c.storage->start(cacheme::core::FetchRequest{io, {1}, {"c:" + std::to_string(i)}});
    }
    REQUIRE(c.loop.run_until([&] { return c.fetched.size() == kN; }, 20s));
    for (int i = 0; i < kN; ++i) {
      const auto& r = c.fetched[fetches[i]];
      REQUIRE(r.status == IoStatus::ok);
      CHECK(r.values == std::vector<std::optional<std::string>>{std::to_string(i)});
    }
    // close(): what is still pending completes with backend_error, later starts too.
    const auto io = c.id();
    c.storage->start(cacheme::core::FetchRequest{io, {1}, {"c:1"}});
    c.storage->close();
    const auto after = c.id();
    c.storage->start(cacheme::core::EraseRequest{after, {1}, {"c:1"}});
    REQUIRE(c.loop.run_until([&] { return c.fetched.count(io.v) && c.written.count(after.v); }));
    CHECK(c.written[after.v] == IoStatus::backend_error);
  });
}

TEMPLATE_LIST_TEST_CASE("sql: the cap on outstanding operations, abandon, health", "[sql]", cacheme::test::Loops) {
  for_each_target([](const Target& t) {
    Table table{t};
    Client<TestType> c;
    REQUIRE(c.connect(t, sqlt::url_for(t, table.name, "&init=1&pool_size=2&max_outstanding=5")) == std::error_code{});
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 12; ++i) {
      ids.push_back(c.id().v);
      c.storage->start(cacheme::core::FetchRequest{{ids.back()}, {1}, {"cap:" + std::to_string(i)}});
    }
    CHECK(c.fetched.empty());  // refusals are posted too
    CHECK(c.storage->health().outstanding == 5);
    CHECK(c.storage->health().overloaded == 7);
    c.storage->abandon({ids[4]});  // the last one admitted: still queued (or running) here
    CHECK(c.storage->health().abandoned == 1);
    CHECK(c.storage->health().outstanding == 4);
    // A refusal not yet reported (a busy loop can run the post after the core's timeout).
    c.storage->abandon({ids[11]});
    CHECK(c.storage->health().abandoned == 2);
    CHECK(c.storage->health().overloaded == 6);
    c.loop.run_for(300ms);
    CHECK(c.fetched.size() == 10);  // never a completion for the abandoned ones
    CHECK_FALSE(c.fetched.count(ids[4]));
    CHECK_FALSE(c.fetched.count(ids[11]));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i == 4 || i == 11) continue;
      INFO(i);
      CHECK(c.fetched[ids[i]].status == (i < 5 ? IoStatus::ok : IoStatus::overloaded));
    }
    const auto h = c.storage->health();
    CHECK(h.outstanding == 0);
    CHECK(h.connections >= 1);
    CHECK(h.connections_up == h.connections);
  });
}
