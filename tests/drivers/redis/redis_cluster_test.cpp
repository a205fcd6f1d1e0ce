// The Redis Cluster storage against a real 3-master cluster (CACHEME_TEST_REDIS_CLUSTER_URL), on
// every built reactor: routing, get_all by slot, flush on every master, a slot migrated under
// load (ASK, TRYAGAIN, then MOVED), and registration errors.
#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "cluster_slot.hpp"
#include "redis_test_helpers.hpp"

using namespace cacheme;
using namespace cacheme::test;
using namespace std::chrono_literals;
using core::IoStatus;
using drivers::redis::detail::key_slot;

namespace {

/// The cluster as `CLUSTER SLOTS` shows it now: the master port of every slot.
struct ClusterView {
  std::map<std::uint16_t, int> range_owner;  // first slot of a range -> master port
  std::set<int> masters;

  explicit ClusterView(const std::string& url) {
    RawClient raw(url);
    const redisReply* r = raw.command({"CLUSTER", "SLOTS"});
    REQUIRE(r->type == REDIS_REPLY_ARRAY);
    for (std::size_t i = 0; i < r->elements; ++i) {
      const redisReply* range = r->element[i];
      const int port = static_cast<int>(range->element[2]->element[1]->integer);
      range_owner[static_cast<std::uint16_t>(range->element[0]->integer)] = port;
      masters.insert(port);
    }
  }
  int owner(std::uint16_t slot) const { return std::prev(range_owner.upper_bound(slot))->second; }
};

std::string node_url(int port) { return "redis://127.0.0.1:" + std::to_string(port); }

std::uint64_t count_of(drivers::Storage& s, const std::string& name) {
  const auto counts = s.command_counts();
  const auto it = counts.find(name);
  return it == counts.end() ? 0 : it->second;
}

/// Moves every key of `slot` from `from` to `to` (MIGRATE in pages, as redis-cli does).
void migrate_keys(int from, int to, std::uint16_t slot, std::size_t max_keys = 1000) {
  RawClient src(node_url(from));
  const redisReply* keys = src.command({"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), std::to_string(max_keys)});
  REQUIRE(keys->type == REDIS_REPLY_ARRAY);
  if (keys->elements == 0) return;
  std::vector<std::string> migrate{"MIGRATE", "127.0.0.1", std::to_string(to), "", "0", "5000", "KEYS"};
  for (std::size_t i = 0; i < keys->elements; ++i) migrate.emplace_back(keys->element[i]->str, keys->element[i]->len);
  const redisReply* r = src.command(migrate);
  REQUIRE(r->type == REDIS_REPLY_STATUS);
}

std::string node_id(int port) {
  RawClient raw(node_url(port));
  const redisReply* r = raw.command({"CLUSTER", "MYID"});
  REQUIRE(r->type == REDIS_REPLY_STRING);
  return {r->str, r->len};
}

}  // namespace

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

TEMPLATE_LIST_TEST_CASE("redis cluster: a slot migrated during a run: ASK, TRYAGAIN, then MOVED, nothing fails",
                        "[redis][cluster][migration]", Loops) {
  const auto url = redis_cluster_url();
  if (!url) return;
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(*url + "&pool_size=2"));
  const auto p = unique_prefix("cluster-migrate");
  const std::string tag = "{" + p + "}";
  const std::uint16_t slot = key_slot(tag);
  const ClusterView view(*url);
  const int from = view.owner(slot);
  const int to = *std::find_if(view.masters.begin(), view.masters.end(), [&](int m) { return m != from; });
  const std::string from_id = node_id(from), to_id = node_id(to);

  std::vector<core::StoreEntry> entries;
  std::vector<std::string> keys;
  Values values;
  for (int i = 0; i < 20; ++i) {
    keys.push_back(tag + ":" + std::to_string(i));
    values.push_back("v" + std::to_string(i));
    entries.push_back(entry(keys.back(), *values.back()));
  }
  REQUIRE(h.store(entries) == IoStatus::ok);

  // Open the migration, move half the keys.
  RawClient src(node_url(from)), dst(node_url(to));
  const auto slot_text = std::to_string(slot);
  REQUIRE(dst.command({"CLUSTER", "SETSLOT", slot_text, "IMPORTING", from_id})->type == REDIS_REPLY_STATUS);
  REQUIRE(src.command({"CLUSTER", "SETSLOT", slot_text, "MIGRATING", to_id})->type == REDIS_REPLY_STATUS);
  migrate_keys(from, to, slot, 10);

  // Single keys: those already moved are served after ASK (ASKING + GET on the target).
  const auto askings = count_of(*h.storage, "ASKING");
  for (std::size_t i = 0; i < keys.size(); ++i) CHECK(h.fetch({keys[i]}).values == Values{values[i]});
  CHECK(count_of(*h.storage, "ASKING") > askings);
  CHECK(h.store({entry(tag + ":new", "fresh")}) == IoStatus::ok);  // a new key goes to the target (ASK)

  // An MGET over both halves gets TRYAGAIN until the rest has moved, then the target serves it.
  const auto pending = h.fetch_async(keys);
  h.loop.run_for(60ms);
  migrate_keys(from, to, slot);
  const auto all = h.wait_fetch(pending);
  REQUIRE(all.status == IoStatus::ok);
  CHECK(all.values == values);

  // Close the migration: the old owner now answers MOVED; the map learns it once.
  for (const int m : view.masters) {
    RawClient node(node_url(m));
    REQUIRE(node.command({"CLUSTER", "SETSLOT", slot_text, "NODE", to_id})->type == REDIS_REPLY_STATUS);
  }
  const auto gets = count_of(*h.storage, "GET");
  CHECK(h.fetch({keys[0]}).values == Values{values[0]});  // MOVED, then the new owner
  CHECK(count_of(*h.storage, "GET") - gets == 2);
  CHECK(h.fetch({keys[1]}).values == Values{values[1]});  // straight to the new owner
  CHECK(count_of(*h.storage, "GET") - gets == 3);
  CHECK(h.fetch({tag + ":new"}).values == Values{"fresh"});
  CHECK(h.erase(keys) == IoStatus::ok);
  CHECK(h.rec.reentrant == 0);
  CHECK(h.rec.duplicates == 0);
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
