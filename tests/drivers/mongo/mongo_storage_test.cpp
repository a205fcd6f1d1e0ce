// The MongoDB storage against the MongoDB-wire test server (CACHEME_TEST_MONGO_URL), on every
// built reactor. A blocking libmongoc client of the test's own looks behind the storage's back.
//
// The test server (congodb) has no TTL monitor: a document past its `expire` stays until the
// driver deletes it. That is what these tests check: the driver must not rely on the TTL index
// (a real mongod would also delete them, within about a minute).
#include <catch2/catch.hpp>

#include <mongoc/mongoc.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <optional>

#include "cacheme/drivers/mongo.hpp"
#include "cacheme/errc.hpp"
#include "reactor_loops.hpp"

namespace {

using namespace std::chrono_literals;
using cacheme::errc;
using cacheme::core::FetchResult;
using cacheme::core::IoStatus;
using cacheme::core::StoreEntry;

constexpr const char* kDatabase = "cacheme_test";

// The server's URL, or nullopt (a failure under CACHEME_REQUIRE_SERVERS=1, else a warning).
std::optional<std::string> server_url() {
  const char* url = std::getenv("CACHEME_TEST_MONGO_URL");
  if (url && *url) return std::string(url);
  const char* required = std::getenv("CACHEME_REQUIRE_SERVERS");
  if (required && std::string(required) == "1") FAIL("CACHEME_TEST_MONGO_URL is not set (CACHEME_REQUIRE_SERVERS=1)");
  WARN("CACHEME_TEST_MONGO_URL is not set: this test did NOT run");
  return std::nullopt;
}

// A collection of one test, read and dropped by a blocking client of the test's own.
struct TestCollection {
  std::string base;
  std::string name;
  mongoc_client_t* client;
  mongoc_collection_t* coll;

  explicit TestCollection(std::string url) : base(std::move(url)), name(unique_name()) {
    mongoc_init();
    client = mongoc_client_new(base.c_str());
    coll = mongoc_client_get_collection(client, kDatabase, name.c_str());
  }
  ~TestCollection() {
    mongoc_collection_drop(coll, nullptr);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(client);
  }
  static std::string unique_name() {
    static std::atomic<int> next{0};
    return "drivers_" + std::to_string(::getpid()) + "_" + std::to_string(next++);
  }
  std::string url(const std::string& extra = "&init=1") const {
    return base + "/?database=" + kDatabase + "&collection=" + name + extra;
  }
  long long count() const {
    bson_t empty = BSON_INITIALIZER;
    mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(coll, &empty, nullptr, nullptr);
    const bson_t* doc;
    long long n = 0;
    while (mongoc_cursor_next(cursor, &doc)) ++n;
    const bool error = mongoc_cursor_error(cursor, nullptr);
    mongoc_cursor_destroy(cursor);
    return error ? -1 : n;
  }
  // The index named `name`'s expireAfterSeconds, or nullopt when there is no such index.
  std::optional<std::int32_t> ttl_of_index(const char* index) const {
    mongoc_cursor_t* cursor = mongoc_collection_find_indexes_with_opts(coll, nullptr);
    const bson_t* doc;
    std::optional<std::int32_t> out;
    while (mongoc_cursor_next(cursor, &doc)) {
      bson_iter_t it;
      if (!bson_iter_init_find(&it, doc, "name") || std::string(bson_iter_utf8(&it, nullptr)) != index) continue;
      if (bson_iter_init_find(&it, doc, "expireAfterSeconds")) out = bson_iter_as_int64(&it);
    }
    mongoc_cursor_destroy(cursor);
    return out;
  }
};

template <class Loop>
struct Client {
  Loop loop;
  std::unique_ptr<cacheme::drivers::Storage> storage;
  std::map<std::uint64_t, FetchResult> fetched;
  std::map<std::uint64_t, IoStatus> written;
  std::uint64_t next_id = 1;

  ~Client() {
    storage.reset();
    loop.run_for(20ms);  // let posted callbacks of the closed storage drain
  }

  std::error_code connect(const std::string& url) {
    std::optional<cacheme::Result<std::unique_ptr<cacheme::drivers::Storage>>> result;
    cacheme::drivers::CompletionSink sink{
        [this](cacheme::core::IoId id, FetchResult r) { fetched[id.v] = std::move(r); },
        [this](cacheme::core::IoId id, IoStatus s) { written[id.v] = s; }};
    cacheme::drivers::connect_mongo(loop.reactor(), url, {}, sink,
                                    [&](cacheme::Result<std::unique_ptr<cacheme::drivers::Storage>> r) {
                                      result = std::move(r);
                                    });
    REQUIRE_FALSE(result.has_value());  // never from inside the connect call
    REQUIRE(loop.run_until([&] { return result.has_value(); }, 10s));
    if (!*result) return result->error();
    storage = std::move(**result);
    return {};
  }

  cacheme::core::IoId id() { return {next_id++}; }
  FetchResult fetch(std::vector<std::string> keys) {
    const auto io = id();
    storage->start(cacheme::core::FetchRequest{io, {1}, std::move(keys)});
    REQUIRE(loop.run_until([&] { return fetched.count(io.v) > 0; }));
    return fetched[io.v];
  }
  std::optional<std::string> get(const std::string& key) {
    auto r = fetch({key});
    REQUIRE(r.status == IoStatus::ok);
    REQUIRE(r.values.size() == 1);
    return r.values[0];
  }
  IoStatus wait_written(cacheme::core::IoId io) {
    REQUIRE(loop.run_until([&] { return written.count(io.v) > 0; }));
    return written[io.v];
  }
  IoStatus store(std::vector<StoreEntry> entries) {
    const auto io = id();
    storage->start(cacheme::core::StoreRequest{io, {1}, std::move(entries)});
    return wait_written(io);
  }
  IoStatus set(const std::string& key, const std::string& value,
               std::optional<std::chrono::milliseconds> ttl = std::nullopt) {
    return store({StoreEntry{key, value, ttl}});
  }
  IoStatus erase(std::vector<std::string> keys) {
    const auto io = id();
    storage->start(cacheme::core::EraseRequest{io, {1}, std::move(keys)});
    return wait_written(io);
  }
  IoStatus flush(std::string prefix) {
    const auto io = id();
    storage->flush_prefix(io, std::move(prefix));
    return wait_written(io);
  }
  std::uint64_t sent(const char* command) { return storage->command_counts()[command]; }
};

}  // namespace

TEMPLATE_LIST_TEST_CASE("mongo: miss, store, fetch, overwrite, binary values, get_all", "[mongo]",
                        cacheme::test::Loops) {
  auto url = server_url();
  if (!url) return;
  TestCollection t(*url);
  Client<TestType> c;
  REQUIRE_FALSE(c.connect(t.url()));
  CHECK(c.get("a") == std::nullopt);
  const std::string binary("\0\x01\xff value \0", 11);
  REQUIRE(c.set("a", binary) == IoStatus::ok);
  CHECK(c.get("a") == std::optional<std::string>(binary));
  REQUIRE(c.set("a", "second") == IoStatus::ok);
  CHECK(c.get("a") == std::optional<std::string>("second"));
  REQUIRE(c.set("b", "bee") == IoStatus::ok);
  CHECK(t.count() == 2);

  // A batch is one find ({_id: {$in: [...]}}); answers come in input order, duplicates kept.
  const auto finds = c.sent("FIND");
  const auto r = c.fetch({"b", "missing", "a", "b"});
  REQUIRE(r.status == IoStatus::ok);
  CHECK(r.values == std::vector<std::optional<std::string>>{"bee", std::nullopt, "second", "bee"});
  CHECK(c.sent("FIND") - finds == 1);
}

TEMPLATE_LIST_TEST_CASE("mongo: an expired document is a miss though the server still holds it", "[mongo]",
                        cacheme::test::Loops) {
  auto url = server_url();
  if (!url) return;
  TestCollection t(*url);
  Client<TestType> c;
  REQUIRE_FALSE(c.connect(t.url()));
  REQUIRE(c.set("short", "s", 250ms) == IoStatus::ok);
  CHECK(c.get("short") == std::optional<std::string>("s"));  // at once: a loaded machine is slow
  REQUIRE(c.set("long", "l", 60s) == IoStatus::ok);
  REQUIRE(c.set("forever", "f") == IoStatus::ok);
  c.loop.run_for(400ms);
  CHECK(c.get("short") == std::nullopt);
  CHECK(c.get("long") == std::optional<std::string>("l"));
  CHECK(c.get("forever") == std::optional<std::string>("f"));
  REQUIRE(c.set("short", "s2") == IoStatus::ok);  // stored again: live, with no expiry
  CHECK(c.get("short") == std::optional<std::string>("s2"));
}

TEMPLATE_LIST_TEST_CASE("mongo: expired documents are deleted by the driver in bounded batches", "[mongo]",
                        cacheme::test::Loops) {
  auto url = server_url();
  if (!url) return;
  TestCollection t(*url);
  Client<TestType> c;
  REQUIRE_FALSE(c.connect(t.url()));
  REQUIRE(t.ttl_of_index("expire_1") == std::optional<std::int32_t>(0));  // init=1, as sql/mongo.js
  constexpr std::size_t n = 1200;
  std::vector<StoreEntry> entries;
  for (std::size_t i = 0; i < n; ++i) entries.push_back({"exp:" + std::to_string(i), "x", 1000ms});
  REQUIRE(c.store(entries) == IoStatus::ok);
  REQUIRE(c.set("live", "l") == IoStatus::ok);
  REQUIRE(t.count() == static_cast<long long>(n + 1));
  c.loop.run_for(1300ms);
  REQUIRE(t.count() == static_cast<long long>(n + 1));  // the test server never expires anything itself
  const auto before = c.sent("DELETE_EXPIRED");
  long long left = -1;
  for (int i = 0; i < 60 && left != 1; ++i) {  // use the storage until the expired ones are gone
    CHECK(c.get("live") == std::optional<std::string>("l"));
    c.loop.run_for(50ms);
    left = t.count();
  }
  CHECK(left == 1);
  CHECK(c.sent("DELETE_EXPIRED") - before >= 3);  // 1,200 documents, at most 500 a sweep
}

TEMPLATE_LIST_TEST_CASE("mongo: erase and flush_prefix (own prefix only, regex characters literal)", "[mongo]",
                        cacheme::test::Loops) {
  auto url = server_url();
  if (!url) return;
  TestCollection t(*url);
  Client<TestType> c;
  REQUIRE_FALSE(c.connect(t.url()));
  const std::vector<std::string> keys{"p:1", "p:2", "p;x", "q:1", "q:2", "q:3", "p", "P:1", "p.*", "pX*"};
  for (const auto& k : keys) REQUIRE(c.set(k, "v" + k) == IoStatus::ok);
  CHECK(c.erase({"q:1"}) == IoStatus::ok);
  CHECK(c.erase({"q:2", "q:3", "nope", "q:2"}) == IoStatus::ok);
  CHECK(c.sent("DELETE_ONE") == 1);
  CHECK(c.sent("DELETE_MANY") == 1);
  for (const auto* gone : {"q:1", "q:2", "q:3"}) CHECK(c.get(gone) == std::nullopt);
  CHECK(c.flush("p:") == IoStatus::ok);
  for (const auto* gone : {"p:1", "p:2"}) CHECK(c.get(gone) == std::nullopt);
  for (const auto* kept : {"p;x", "p", "P:1", "p.*", "pX*"}) CHECK(c.get(kept) == "v" + std::string(kept));
  CHECK(c.flush("p.") == IoStatus::ok);  // '.' is a dot, not any character
  CHECK(c.get("p.*") == std::nullopt);
  CHECK(c.get("pX*") == std::optional<std::string>("vpX*"));
  CHECK(t.count() == 4);
}

TEMPLATE_LIST_TEST_CASE("mongo: concurrent stores are grouped into bulk writes", "[mongo]", cacheme::test::Loops) {
  auto url = server_url();
  if (!url) return;
  TestCollection t(*url);
  Client<TestType> c;
  REQUIRE_FALSE(c.connect(t.url("&pool_size=2")));
  constexpr std::uint64_t n = 300;
  for (std::uint64_t i = 0; i < n; ++i)
    c.storage->start(cacheme::core::StoreRequest{{1000 + i}, {1}, {StoreEntry{"g:" + std::to_string(i), "v", {}}}});
  REQUIRE(c.loop.run_until([&] { return c.written.size() == n; }));
  for (const auto& [id, status] : c.written) CHECK(status == IoStatus::ok);
  CHECK(t.count() == static_cast<long long>(n));
  CHECK(c.sent("BULK_UPSERT") < n / 4);  // two workers: while one writes, the next stores queue up
}

TEMPLATE_LIST_TEST_CASE("mongo: bad URLs, a server that is down, close with work pending", "[mongo]",
                        cacheme::test::Loops) {
  auto url = server_url();
  if (!url) return;
  Client<TestType> c;
  CHECK(c.connect("mongodb://127.0.0.1:1/?database=x.y") == errc::bad_option);
  CHECK(c.connect("mongodb://127.0.0.1:1/?colection=y") == errc::bad_option);
  CHECK(c.connect("mongodb:/oops") == errc::bad_url);
  const auto start = std::chrono::steady_clock::now();
  CHECK(c.connect("mongodb://u:secret@127.0.0.1:1/?database=d") == errc::connect_failed);
  CHECK(std::chrono::steady_clock::now() - start < 3s);

  TestCollection t(*url);
  REQUIRE_FALSE(c.connect(t.url()));
  for (std::uint64_t i = 0; i < 200; ++i) c.storage->start(cacheme::core::FetchRequest{{500 + i}, {1}, {"k"}});
  c.storage->close();  // what did not run completes with backend_error, posted; nothing is lost
  REQUIRE(c.loop.run_until([&] { return c.fetched.size() == 200; }));
  c.storage->start(cacheme::core::FetchRequest{{900}, {1}, {"k"}});
  REQUIRE(c.loop.run_until([&] { return c.fetched.count(900) > 0; }));
  CHECK(c.fetched[900].status == IoStatus::backend_error);
}

TEMPLATE_LIST_TEST_CASE("mongo: the cap on outstanding operations, abandon, health", "[mongo]", cacheme::test::Loops) {
  auto url = server_url();
  if (!url) return;
  TestCollection t(*url);
  Client<TestType> c;
  REQUIRE_FALSE(c.connect(t.url("&pool_size=1&max_outstanding=5")));
  for (std::uint64_t i = 1; i <= 12; ++i) c.storage->start(cacheme::core::FetchRequest{{i}, {1}, {"cap"}});
  CHECK(c.fetched.empty());  // refusals are posted too
  CHECK(c.storage->health().outstanding == 5);
  CHECK(c.storage->health().overloaded == 7);
  c.storage->abandon({5});
  CHECK(c.storage->health().abandoned == 1);
  REQUIRE(c.loop.run_until([&] { return c.fetched.size() == 11; }));
  c.loop.run_for(100ms);
  CHECK_FALSE(c.fetched.count(5));  // never a completion for the abandoned one
  for (std::uint64_t i = 1; i <= 12; ++i)
    if (i != 5) CHECK(c.fetched[i].status == (i < 5 ? IoStatus::ok : IoStatus::overloaded));
  CHECK(c.storage->health().outstanding == 0);
  CHECK(c.storage->health().connections == 1);
}
