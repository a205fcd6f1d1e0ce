// The cluster storage with one master stalled (SIGSTOP, shorter than the cluster's node timeout,
// so the cluster does not fail it over): a 3-master cluster of the test's own, on free ports.
#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "cluster_slot.hpp"
#include "redis_test_helpers.hpp"
#include "support/redis_server.hpp"

using namespace cacheme;
using namespace cacheme::test;
using namespace std::chrono_literals;
using cacheme::test_support::free_port;
using cacheme::test_support::RedisServer;
using core::IoStatus;
using drivers::redis::detail::key_slot;
using Clock = std::chrono::steady_clock;

namespace {

/// Three masters of 16384 / 3 slots each, met with CLUSTER MEET; a node timeout of 10 s.
struct OwnCluster {
  std::array<RedisServer, 3> servers;
  std::array<int, 3> ports{};
  std::array<int, 3> bus_ports{};

  bool start() {
    for (std::size_t i = 0; i < 3; ++i) {
      ports[i] = free_port();
      bus_ports[i] = free_port();
      const std::string conf = (servers[i].dir() / "nodes.conf").string();
      // The bus port explicitly: the default (port + 10000) may be taken or beyond 65535.
      if (!servers[i].start(ports[i], {"--cluster-enabled", "yes", "--cluster-config-file", conf,
                                       "--cluster-node-timeout", "10000", "--cluster-port",
                                       std::to_string(bus_ports[i])}))
        return false;
    }
    for (std::size_t i = 0; i < 3; ++i) {
      RawClient node(node_url(ports[i]));
      const long first = long(i) * 5462, last = i == 2 ? 16383 : first + 5461;
      if (node.command({"CLUSTER", "ADDSLOTSRANGE", std::to_string(first), std::to_string(last)})->type ==
          REDIS_REPLY_ERROR)
        return false;
      if (i > 0)
        node.command({"CLUSTER", "MEET", "127.0.0.1", std::to_string(ports[0]), std::to_string(bus_ports[0])});
    }
    const auto deadline = Clock::now() + 20s;
    while (Clock::now() < deadline) {
      if (all_ok()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  bool all_ok() {
    for (const int port : ports) {
      RawClient node(node_url(port));
      const redisReply* r = node.command({"CLUSTER", "INFO"});
      if (std::string_view(r->str, r->len).find("cluster_state:ok") == std::string_view::npos) return false;
    }
    return true;
  }

  static std::string node_url(int port) { return "redis://127.0.0.1:" + std::to_string(port); }
  /// The master (0..2) of `key`.
  static std::size_t owner(const std::string& key) { return std::min<std::size_t>(key_slot(key) / 5462, 2); }
};

}  // namespace

TEMPLATE_LIST_TEST_CASE("redis cluster: a stalled master: its connections close, the others serve, it recovers",
                        "[redis][cluster][stall]", Loops) {
  if (!may_spawn_redis()) return;
  OwnCluster cluster;
  REQUIRE(cluster.start());
  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(OwnCluster::node_url(cluster.ports[0]) + "?cluster=true&pool_size=2&timeout=200"));
  std::array<std::string, 3> key_of;  // one key per master
  for (int i = 0; key_of[0].empty() || key_of[1].empty() || key_of[2].empty(); ++i) {
    const std::string k = "stall-" + std::to_string(i);
    if (key_of[OwnCluster::owner(k)].empty()) key_of[OwnCluster::owner(k)] = k;
  }
  for (const auto& k : key_of) CHECK(h.store({entry(k, "v", 60000ms)}) == IoStatus::ok);

  // Master 1 stalls for 1.5 s: its operations fail within its connections' deadline (300 ms
  // here) plus the watchdog's period; the other masters keep serving.
  cluster.servers[1].pause();
  Clock::duration slowest{};
  int others_ok = 0, rounds = 0;
  const auto stall_start = Clock::now();
  while (Clock::now() - stall_start < 1500ms) {
    const auto start = Clock::now();
    const auto stalled = h.fetch_async({key_of[1]});
    const auto fine = h.fetch_async({key_of[rounds % 2 == 0 ? 0 : 2]});
    const auto fine_result = h.wait_fetch(fine, 1000ms);
    others_ok += fine_result.status == IoStatus::ok && fine_result.values == Values{"v"};
    CHECK(h.wait_fetch(stalled, 1000ms).status == IoStatus::backend_error);
    slowest = std::max(slowest, Clock::now() - start);
    ++rounds;
  }
  CHECK(slowest < 600ms);
  CHECK(others_ok == rounds);
  CHECK(h.storage->health().connection_timeouts >= 1);

  cluster.servers[1].resume();
  const auto resumed = Clock::now();
  bool back = false;
  while (!back && Clock::now() - resumed < 3s) {
    const auto r = h.fetch({key_of[1]});
    back = r.status == IoStatus::ok && r.values == Values{"v"};
    if (!back) h.loop.run_for(20ms);
  }
  CHECK(back);
  CHECK(Clock::now() - resumed < 1s);
  CHECK(h.rec.duplicates == 0);
}
