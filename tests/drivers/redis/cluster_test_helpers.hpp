// Helpers of the Redis Cluster integration tests: the cluster as CLUSTER SLOTS shows it, node
// URLs and ids, command counts, moving a slot's keys.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cluster_slot.hpp"
#include "redis_test_helpers.hpp"

namespace cacheme::test {

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

inline std::string node_url(int port) { return "redis://127.0.0.1:" + std::to_string(port); }

inline std::uint64_t count_of(drivers::Storage& s, const std::string& name) {
  const auto counts = s.command_counts();
  const auto it = counts.find(name);
  return it == counts.end() ? 0 : it->second;
}

/// Moves every key of `slot` from `from` to `to` (MIGRATE in pages, as redis-cli does).
inline void migrate_keys(int from, int to, std::uint16_t slot, std::size_t max_keys = 1000) {
  RawClient src(node_url(from));
  const redisReply* keys = src.command({"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), std::to_string(max_keys)});
  REQUIRE(keys->type == REDIS_REPLY_ARRAY);
  if (keys->elements == 0) return;
  std::vector<std::string> migrate{"MIGRATE", "127.0.0.1", std::to_string(to), "", "0", "5000", "KEYS"};
  for (std::size_t i = 0; i < keys->elements; ++i) migrate.emplace_back(keys->element[i]->str, keys->element[i]->len);
  const redisReply* r = src.command(migrate);
  REQUIRE(r->type == REDIS_REPLY_STATUS);
}

inline std::string node_id(int port) {
  RawClient raw(node_url(port));
  const redisReply* r = raw.command({"CLUSTER", "MYID"});
  REQUIRE(r->type == REDIS_REPLY_STRING);
  return {r->str, r->len};
}


}  // namespace cacheme::test
