// PostgreSQL and MariaDB under many operations at once: queued fetches (or stores) share one
// statement, PostgreSQL pipelines statements on one connection; each operation still gets its
// own result, in order on a connection, and a failed statement fails only its own operations.
#include <catch2/catch.hpp>

#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "reactor_loops.hpp"
#include "storage_client.hpp"

namespace {

using namespace std::chrono_literals;
using cacheme::core::IoStatus;
using cacheme::core::StoreEntry;
using cacheme::test::sql::Backend;
using cacheme::test::sql::Client;
using cacheme::test::sql::for_each_target;
using cacheme::test::sql::Table;
using cacheme::test::sql::Target;
using Values = std::vector<std::optional<std::string>>;

std::uint64_t statements(const cacheme::drivers::Storage& s, const char* command) {
  const auto counts = s.command_counts();
  const auto it = counts.find(command);
  return it == counts.end() ? 0 : it->second;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("sql: queued fetches and stores share a statement, each with its own result", "[sql][batch]",
                        cacheme::test::Loops) {
  for_each_target([](const Target& t) {
    if (t.backend == Backend::sqlite) return;  // SQLite groups its writes its own way
    Table table{t};
    Client<TestType> c;
    REQUIRE(c.connect(t, cacheme::test::sql::url_for(t, table.name, "&init=1&pool_size=1")) == std::error_code{});
    std::vector<std::uint64_t> stores;
    for (int i = 0; i < 20; ++i) {
      stores.push_back(c.id().v);
      c.storage->start(cacheme::core::StoreRequest{{stores.back()}, {1}, {{"b:" + std::to_string(i), "v" + std::to_string(i), 60s}}});
    }
    for (const char* v : {"first", "second", "last"}) {  // one key thrice in one statement: the last wins
      stores.push_back(c.id().v);
      c.storage->start(cacheme::core::StoreRequest{{stores.back()}, {1}, {{"dup", v, std::nullopt}}});
    }
    REQUIRE(c.loop.run_until([&] { return c.written.size() == stores.size(); }, 10s));
    for (auto id : stores) CHECK(c.written[id] == IoStatus::ok);
    CHECK(statements(*c.storage, "UPSERT") == 1);

    std::vector<std::uint64_t> fetches;
    for (int i = 0; i < 30; ++i) {  // b:20..b:29 were never stored
      fetches.push_back(c.id().v);
      c.storage->start(cacheme::core::FetchRequest{{fetches.back()}, {1}, {"b:" + std::to_string(i)}});
    }
    const auto several = c.id();
    c.storage->start(cacheme::core::FetchRequest{several, {1}, {"b:3", "none", "dup", "b:3"}});
    REQUIRE(c.loop.run_until([&] { return c.fetched.size() == fetches.size() + 1; }, 10s));
    CHECK(statements(*c.storage, "SELECT") == 1);
    for (int i = 0; i < 30; ++i) {
      INFO(i);
      const auto& r = c.fetched[fetches[i]];
      REQUIRE(r.status == IoStatus::ok);
      CHECK(r.values == (i < 20 ? Values{"v" + std::to_string(i)} : Values{std::nullopt}));
    }
    CHECK(c.fetched[several.v].values == Values{"v3", std::nullopt, "last", "v3"});
    // batch=1: one statement per operation.
    Client<TestType> single;
    REQUIRE(single.connect(t, cacheme::test::sql::url_for(t, table.name, "&pool_size=1&batch=1")) == std::error_code{});
    for (int i = 0; i < 5; ++i) single.storage->start(cacheme::core::FetchRequest{single.id(), {1}, {"b:1"}});
    REQUIRE(single.loop.run_until([&] { return single.fetched.size() == 5; }, 10s));
    CHECK(statements(*single.storage, "SELECT") == 5);
  });
}

#if CACHEME_TEST_POSTGRES
// batch=1, so every operation is a statement of its own, pipelined on the one connection.
TEMPLATE_LIST_TEST_CASE("postgres: pipelined statements answer in order, an error fails only its own", "[sql][pipeline]",
                        cacheme::test::Loops) {
  for_each_target([](const Target& t) {
    if (t.backend != Backend::postgres) return;
    Table table{t};
    Client<TestType> c;
    REQUIRE(c.connect(t, cacheme::test::sql::url_for(t, table.name, "&init=1&pool_size=4&batch=1&pipeline=8")) ==
            std::error_code{});
    // A TTL past PostgreSQL's interval range fails that upsert on the server.
    const auto too_far = std::chrono::milliseconds(std::numeric_limits<std::int64_t>::max());
    const auto a = c.id(), bad = c.id(), b = c.id();
    c.storage->start(cacheme::core::StoreRequest{a, {1}, {{"p:a", "A", 60s}}});
    c.storage->start(cacheme::core::StoreRequest{bad, {1}, {{"p:bad", "X", too_far}}});
    c.storage->start(cacheme::core::StoreRequest{b, {1}, {{"p:b", "B", std::nullopt}}});
    const auto fa = c.id(), fbad = c.id(), fb = c.id();
    for (auto [id, key] : {std::pair{fa, "p:a"}, {fbad, "p:bad"}, {fb, "p:b"}})
      c.storage->start(cacheme::core::FetchRequest{id, {1}, {key}});
    REQUIRE(c.loop.run_until([&] { return c.completed.size() == 6; }, 10s));
    CHECK(c.completed == std::vector<std::uint64_t>{a.v, bad.v, b.v, fa.v, fbad.v, fb.v});
    CHECK(c.written[a.v] == IoStatus::ok);
    CHECK(c.written[bad.v] == IoStatus::backend_error);
    CHECK(c.written[b.v] == IoStatus::ok);
    CHECK(c.fetched[fa.v].values == Values{"A"});
    CHECK(c.fetched[fbad.v].values == Values{std::nullopt});
    CHECK(c.fetched[fb.v].values == Values{"B"});
    // All six went down the connection that was up: the pool did not need another one.
    CHECK(c.storage->health().connections == 1);

    // A longer pipeline with an operation abandoned in its middle: the others keep their results.
    c.completed.clear();
    std::vector<std::uint64_t> ids;
    const auto sent_before = statements(*c.storage, "SELECT");
    for (int i = 0; i < 6; ++i) {  // with room left in the pipeline for a sweep of expired rows
      ids.push_back(c.id().v);
      c.storage->start(cacheme::core::FetchRequest{{ids.back()}, {1}, {i % 2 ? "p:a" : "p:b"}});
    }
    // All six are sent by one pump, before any answer can be read: the fourth is in flight.
    REQUIRE(c.loop.run_until([&] { return statements(*c.storage, "SELECT") == sent_before + 6; }, 10s));
    REQUIRE(c.completed.empty());
    c.storage->abandon({ids[3]});
    REQUIRE(c.loop.run_until([&] { return c.completed.size() == 5; }, 10s));
    c.loop.run_for(50ms);
    ids.erase(ids.begin() + 3);
    CHECK(c.completed == ids);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      INFO(i);
      const int n = i < 3 ? static_cast<int>(i) : static_cast<int>(i) + 1;
      CHECK(c.fetched[ids[i]].values == Values{n % 2 ? "A" : "B"});
    }
    const auto h = c.storage->health();
    CHECK(h.abandoned == 1);
    CHECK(h.outstanding == 0);
    CHECK(h.connections == 1);
  });
}
#endif
