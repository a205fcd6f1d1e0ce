// A slot of the 3-master cluster (CACHEME_TEST_REDIS_CLUSTER_URL) migrated while the storage
// runs: ASK, TRYAGAIN, then MOVED are followed and no request fails. Its own executable, run
// alone (RUN_SERIAL): the other tests' keys may live in the slot it moves, and their exact
// command counts would see the redirects.
#include <algorithm>
#include <chrono>
#include <set>
#include <string>

#include "cluster_test_helpers.hpp"

using namespace cacheme;
using namespace cacheme::test;
using namespace std::chrono_literals;
using core::IoStatus;
using drivers::redis::detail::key_slot;

namespace {

/// Ends a slot migration: moves the slot's remaining keys, gives the slot to `to` on every
/// master. Run on every exit of the test (a failed check must not leave the shared cluster
/// with a slot half migrated: every later command on it would be redirected).
struct MigrationCloser {
  std::set<int> masters;
  int from = 0, to = 0;
  std::uint16_t slot = 0;
  std::string to_id;
  bool done = false;

  void close() {
    done = true;
    for (int page = 0; page < 100; ++page) {
      RawClient src(node_url(from));
      const redisReply* keys = src.command({"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "100"});
      if (keys->type != REDIS_REPLY_ARRAY || keys->elements == 0) break;
      migrate_keys(from, to, slot, 100);
    }
    for (const int m : masters) RawClient(node_url(m)).command({"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", to_id});
  }
  ~MigrationCloser() {
    if (done) return;
    try {
      close();
    } catch (...) {  // the test already failed; nothing more to say from a destructor
    }
  }
};

}  // namespace

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
  MigrationCloser closer{view.masters, from, to, slot, to_id};
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
  closer.close();
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

