// The Redis Cluster storage against a real 3-master cluster (CACHEME_TEST_REDIS_CLUSTER_URL), on
// every built reactor: routing, get_all by slot, flush on every master, registration errors.
// (The slot migration is redis_cluster_migration_test.cpp, run alone.)
#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "cluster_test_helpers.hpp"

using namespace cacheme;
using namespace cacheme::test;
using namespace std::chrono_literals;
using core::IoStatus;
using drivers::redis::detail::key_slot;

TEMPLATE_LIST_TEST_CASE("redis cluster: GET, SET PX and DEL go to the slot's master, keys spread over all", "[redis][cluster]",
                        Loops) {
  const auto url = redis_cluster_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(*url + "&pool_size=2"));
  const ClusterView view(*url);
  REQUIRE(view.masters.size() >= 3);
  const auto p = unique_prefix("cluster-route");

  std::vector<core::StoreEntry> entries;
  std::set<int> owners;
  for (int i = 0; i < 300; ++i) {
    entries.push_back(entry(p + std::to_string(i), "v" + std::to_string(i), i % 2 ? std::optional(60000ms) : std::nullopt));
    owners.insert(view.owner(key_slot(entries.back().key)));
  }
  CHECK(owners == view.masters);  // the keys cover every master
  CHECK(h.store(entries) == IoStatus::ok);
  CHECK(count_of(*h.storage, "SET") == 300);

  for (int i = 0; i < 300; i += 37) {
    const std::string key = p + std::to_string(i);
    CHECK(h.fetch({key}).values == Values{"v" + std::to_string(i)});
    RawClient owner(node_url(view.owner(key_slot(key))));  // stored on its master, not elsewhere
    CHECK(owner.get(key) == "v" + std::to_string(i));
    const auto pttl = owner.integer({"PTTL", key});
    const bool ttl_right = i % 2 ? (pttl > 50000 && pttl <= 60000) : pttl == -1;
    CHECK(ttl_right);
  }

  // A DEL of keys of several slots: one DEL per slot, every key gone.
  std::vector<std::string> gone{p + "0", p + "1", p + "2", p + "3"};
  std::set<std::uint16_t> slots;
  for (const auto& k : gone) slots.insert(key_slot(k));
  const auto dels = count_of(*h.storage, "DEL");
  CHECK(h.erase(gone) == IoStatus::ok);
  CHECK(count_of(*h.storage, "DEL") - dels == slots.size());
  CHECK(h.fetch(gone).values == Values(4, std::nullopt));
  CHECK(h.rec.reentrant == 0);
  CHECK(h.rec.duplicates == 0);
}

TEMPLATE_LIST_TEST_CASE("redis cluster: get_all of 1,000 keys over all slots, in order, one MGET per slot", "[redis][cluster]",
                        Loops) {
  const auto url = redis_cluster_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(*url));
  const auto p = unique_prefix("cluster-getall");

  std::vector<core::StoreEntry> entries;
  for (int i = 0; i < 1000; ++i)
    if (i % 7 != 0) entries.push_back(entry(p + std::to_string(i), "v" + std::to_string(i)));  // every 7th is a miss
  REQUIRE(h.store(entries) == IoStatus::ok);

  std::vector<std::string> keys;
  Values expected;
  std::set<std::uint16_t> slots;
  for (int i = 0; i < 1000; ++i) {
    keys.push_back(p + std::to_string(i));
    expected.push_back(i % 7 ? std::optional("v" + std::to_string(i)) : std::nullopt);
    slots.insert(key_slot(keys.back()));
  }
  keys.push_back(p + "5");  // duplicates keep their place
  expected.push_back("v5");
  const auto mgets = count_of(*h.storage, "MGET");
  const auto gets = count_of(*h.storage, "GET");
  const auto result = h.fetch(keys);
  REQUIRE(result.status == IoStatus::ok);
  CHECK(result.values == expected);
  CHECK(count_of(*h.storage, "MGET") - mgets == slots.size());
  CHECK(count_of(*h.storage, "GET") == gets);

  // Keys with one {hash tag} share a slot: one MGET.
  const auto before = count_of(*h.storage, "MGET");
  const std::string tag = "{" + p + "user7}";
  REQUIRE(h.store({entry(tag + ":name", "n"), entry(tag + ":mail", "m")}) == IoStatus::ok);
  CHECK(h.fetch({tag + ":name", tag + ":mail", tag + ":none"}).values == Values{"n", "m", std::nullopt});
  CHECK(count_of(*h.storage, "MGET") - before == 1);
  CHECK(h.rec.reentrant == 0);
  CHECK(h.rec.duplicates == 0);
}

TEMPLATE_LIST_TEST_CASE("redis cluster: flush_prefix deletes the prefix's keys on every master, nothing else",
                        "[redis][cluster]", Loops) {
  const auto url = redis_cluster_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(*url));
  const auto p = unique_prefix("cluster-flush");
  std::vector<core::StoreEntry> entries;
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    keys.push_back(p + "x:" + std::to_string(i));
    entries.push_back(entry(keys.back(), "v"));
  }
  entries.push_back(entry(p + "keep", "k"));  // another prefix: kept
  REQUIRE(h.store(entries) == IoStatus::ok);
  CHECK(h.flush(p + "x:") == IoStatus::ok);
  const auto left = h.fetch(keys);
  REQUIRE(left.status == IoStatus::ok);
  CHECK(std::count(left.values.begin(), left.values.end(), std::nullopt) == 200);
  CHECK(h.fetch({p + "keep"}).values == Values{"k"});
  CHECK(count_of(*h.storage, "SCAN") >= 3);  // one walk per master at least
}

TEMPLATE_LIST_TEST_CASE("redis cluster: registration errors are clear, a dead seed is skipped", "[redis][cluster]", Loops) {
  const auto url = redis_cluster_url();
  if (!url) return;
  {
    Harness<TestType> h;
    CHECK(h.connect("redis://127.0.0.1:1/2?cluster=true") == errc::bad_url);  // a cluster has database 0 only
  }
  {
    Harness<TestType> h;
    CHECK(h.connect("redis://127.0.0.1:1?cluster=true") == errc::connect_failed);
  }
  if (const auto single = redis_url()) {  // a server without cluster support
    Harness<TestType> h;
    CHECK(h.connect(*single + (single->find('?') == std::string::npos ? "?" : "&") + "cluster=true") ==
          errc::connect_failed);
  }
  {
    // The first seed is down, the second answers; /0 is accepted.
    const std::string seeds = "redis://127.0.0.1:1," + url->substr(8, url->find('?') - 8) + "/0?cluster=true";
    Harness<TestType> h;
    REQUIRE_FALSE(h.connect(seeds));
    const auto p = unique_prefix("cluster-seeds");
    CHECK(h.store({entry(p + "k", "v")}) == IoStatus::ok);
    CHECK(h.fetch({p + "k"}).values == Values{"v"});
  }
}

TEMPLATE_LIST_TEST_CASE("redis cluster: an abandoned operation is dropped unsent or its reply ignored", "[redis][cluster][abandon]",
                        Loops) {
  const auto url = redis_cluster_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(*url + "&pool_size=2"));
  const auto p = unique_prefix("cluster-abandon");
  std::vector<std::string> keys;
  for (int i = 0; i < 30; ++i) keys.push_back(p + std::to_string(i));

  // The masters' pools open on first use: these wait for a connection, and are dropped unsent.
  const auto unsent_fetch = h.fetch_async(keys);
  const auto unsent_store = h.store_async({entry(p + "unsent", "v")});
  h.storage->abandon(unsent_fetch);
  h.storage->abandon(unsent_store);
  h.loop.run_for(300ms);
  CHECK(h.rec.fetched.count(unsent_fetch.v) == 0);
  CHECK(h.rec.written.count(unsent_store.v) == 0);
  CHECK(h.fetch({p + "unsent"}).values == Values{std::nullopt});  // never sent
  CHECK(count_of(*h.storage, "SET") == 0);

  // Pools up: these are sent at once; their replies are ignored.
  const auto sent_store = h.store_async({entry(p + "sent", "v")});
  const auto sent_fetch = h.fetch_async(keys);
  h.storage->abandon(sent_store);
  h.storage->abandon(sent_fetch);
  h.loop.run_for(300ms);
  CHECK(h.rec.written.count(sent_store.v) == 0);
  CHECK(h.rec.fetched.count(sent_fetch.v) == 0);
  CHECK(h.fetch({p + "sent"}).values == Values{"v"});
  const auto health = h.storage->health();
  CHECK(health.abandoned == 4);
  CHECK(health.outstanding == 0);
  CHECK(h.rec.duplicates == 0);
}

TEMPLATE_LIST_TEST_CASE("redis cluster: past max_outstanding an operation fails at once, overloaded; health",
                        "[redis][cluster][overload]", Loops) {
  const auto url = redis_cluster_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(*url + "&pool_size=2&max_outstanding=2"));
  const ClusterView view(*url);
  const auto p = unique_prefix("cluster-overload");
  const auto a = h.fetch_async({p + "a"});
  const auto b = h.store_async({entry(p + "b", "1")});
  const auto c = h.fetch_async({p + "c"});  // the third: refused
  CHECK(h.rec.fetched.count(c.v) == 0);     // never inside start
  CHECK(h.wait_fetch(c).status == IoStatus::overloaded);
  CHECK(h.wait_fetch(a).status == IoStatus::ok);
  CHECK(h.wait_write(b) == IoStatus::ok);
  CHECK(h.fetch({p + "b"}).values == Values{"1"});

  // Use every master, then look at the pools.
  std::vector<std::string> keys;
  for (int i = 0; i < 30; ++i) keys.push_back(p + std::to_string(i));
  CHECK(h.fetch(keys).status == IoStatus::ok);
  h.loop.run_for(100ms);
  const auto health = h.storage->health();
  CHECK(health.connections == 2 * view.masters.size());
  CHECK(health.connections_up == 2 * view.masters.size());
  CHECK(health.outstanding == 0);
  CHECK(health.overloaded == 1);
  CHECK(health.connection_timeouts == 0);
  CHECK(h.rec.reentrant == 0);
}
