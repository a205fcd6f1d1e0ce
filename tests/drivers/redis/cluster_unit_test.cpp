// Redis Cluster pieces without a server: slot hashing, the slot map, redirect and CLUSTER SLOTS
// parsing (hand-built replies: wrong shapes are refused, never crash), cluster URLs.
#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cacheme/errc.hpp"
#include "cluster_reply.hpp"
#include "cluster_slot.hpp"
#include "cluster_slot_map.hpp"
#include "hand_reply.hpp"
#include "redis_url.hpp"

using namespace cacheme::drivers::redis::detail;
using cacheme::errc;
using cacheme::test::Node;

namespace {

Node node(std::string host, long long port) { return Node::array({Node::str(std::move(host)), Node::integer(port), Node::str("id")}); }
Node range(long long first, long long last, Node master) {
  return Node::array({Node::integer(first), Node::integer(last), std::move(master)});
}

}  // namespace

TEST_CASE("cluster slots: CRC16-XMODEM and hash tags as the cluster spec gives them", "[redis][cluster]") {
  CHECK(crc16_xmodem("123456789") == 0x31C3);  // the spec's check value
  CHECK(crc16_xmodem("") == 0);
  // Values redis-cli's CLUSTER KEYSLOT gives.
  CHECK(key_slot("foo") == 12182);
  CHECK(key_slot("bar") == 5061);
  CHECK(key_slot("hello") == 866);
  CHECK(key_slot("{user1000}.following") == key_slot("{user1000}.followers"));
  CHECK(key_slot("{user1000}.following") == key_slot("user1000"));
  CHECK(hash_tag("foo{}{bar}") == "foo{}{bar}");  // an empty first tag: the whole key
  CHECK(hash_tag("foo{{bar}}zap") == "{bar");
  CHECK(hash_tag("foo{bar}{zap}") == "bar");
  CHECK(hash_tag("{unclosed") == "{unclosed");
  CHECK(hash_tag(std::string_view("a\0{b}", 5)) == "b");  // binary-safe
  for (const char* k : {"", "x", "cacheme:user:1:v1", "\xff\xfe"}) CHECK(key_slot(k) < kSlotCount);
}

TEST_CASE("cluster slot map: ranges, MOVED patches and the masters", "[redis][cluster]") {
  SlotMap map;
  CHECK(map.empty());
  CHECK_FALSE(map.owner(0));
  const NodeAddress a{"127.0.0.1", 7000}, b{"127.0.0.1", 7001};
  map.assign({SlotRange{0, 8191, a}, SlotRange{8192, 16383, b}});
  CHECK_FALSE(map.empty());
  REQUIRE(map.owner(100));
  CHECK(map.address(*map.owner(100)) == a);
  CHECK(map.address(*map.owner(16383)) == b);
  CHECK(map.masters().size() == 2);

  map.move_slot(100, b);
  CHECK(map.address(*map.owner(100)) == b);
  CHECK(map.address(*map.owner(101)) == a);

  const NodeAddress c{"127.0.0.1", 7002};  // a new master, found by a MOVED
  map.move_slot(5, c);
  CHECK(map.address(*map.owner(5)) == c);
  CHECK(map.masters().size() == 3);

  map.assign({SlotRange{0, 99, a}});  // a partial map: the rest has no owner
  CHECK_FALSE(map.owner(100));
  CHECK(map.masters().size() == 1);
}

TEST_CASE("cluster replies: MOVED, ASK, TRYAGAIN and the rest", "[redis][cluster]") {
  auto moved = Node::error("MOVED 3999 127.0.0.1:6381");
  auto r = redirect_of(moved.get());
  CHECK(r.kind == RedirectKind::moved);
  CHECK(r.slot == 3999);
  CHECK(r.target == NodeAddress{"127.0.0.1", 6381});

  auto ask = Node::error("ASK 12182 ::1:7002");
  r = redirect_of(ask.get());
  CHECK(r.kind == RedirectKind::ask);
  CHECK(r.target == NodeAddress{"::1", 7002});

  auto again = Node::error("TRYAGAIN Multiple keys request during rehashing of slot");
  CHECK(redirect_of(again.get()).kind == RedirectKind::try_again);

  for (const char* text : {"CLUSTERDOWN The cluster is down", "MOVED", "MOVED 16384 h:1", "MOVED 1 h", "MOVED 1 h:0",
                           "ASK x h:1", "MOVED 1 h:99999", "ERR wrong"}) {
    auto e = Node::error(text);
    CHECK(redirect_of(e.get()).kind == RedirectKind::none);
  }
  auto status = Node::str("MOVED 1 h:1", REDIS_REPLY_STATUS);  // not an error
  CHECK(redirect_of(status.get()).kind == RedirectKind::none);
  CHECK(redirect_of(nullptr).kind == RedirectKind::none);
}

TEST_CASE("cluster replies: CLUSTER SLOTS", "[redis][cluster]") {
  auto slots = Node::array({range(0, 5460, node("127.0.0.1", 7000)), range(5461, 16383, node("", 7001))});
  auto ranges = parse_cluster_slots(slots.get(), "10.0.0.1");
  REQUIRE(ranges);
  REQUIRE(ranges->size() == 2);
  CHECK((*ranges)[0].first == 0);
  CHECK((*ranges)[0].last == 5460);
  CHECK((*ranges)[0].master == NodeAddress{"127.0.0.1", 7000});
  CHECK((*ranges)[1].master == NodeAddress{"10.0.0.1", 7001});  // "" = the node asked

  auto empty = Node::array({});
  CHECK(parse_cluster_slots(empty.get(), "h")->empty());

  std::vector<Node> bad;
  bad.push_back(Node::error("ERR This instance has cluster support disabled"));
  bad.push_back(Node::array({Node::integer(1)}));
  bad.push_back(Node::array({range(10, 5, node("h", 1))}));       // last < first
  bad.push_back(Node::array({range(0, 16384, node("h", 1))}));    // past the last slot
  bad.push_back(Node::array({range(0, 1, node("h", 0))}));        // port 0
  bad.push_back(Node::array({range(0, 1, Node::str("h:1"))}));    // node not an array
  for (auto& b : bad) CHECK_FALSE(parse_cluster_slots(b.get(), "h"));
  CHECK_FALSE(parse_cluster_slots(nullptr, "h"));
}

TEST_CASE("redis url: cluster seeds, cluster=true and database 0 only", "[redis][url][cluster]") {
  auto u = parse_redis_url("redis://u:p@127.0.0.1:7000,127.0.0.1:7001,[::1]:7002/0?cluster=true&pool_size=4&timeout=300");
  REQUIRE(u);
  CHECK(u->cluster);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 7000);
  REQUIRE(u->seeds.size() == 3);
  CHECK(u->seeds[2] == std::pair<std::string, std::uint16_t>{"::1", 7002});
  CHECK(u->user == "u");
  CHECK(u->pool_size == 4);
  CHECK(u->timeout == std::chrono::milliseconds(300));

  u = parse_redis_url("redis://127.0.0.1:7000?cluster=true");
  REQUIRE(u);
  CHECK(u->seeds.size() == 1);
  CHECK(parse_redis_url("redis://h:1")->cluster == false);

  CHECK(parse_redis_url("redis://h:7000/1?cluster=true").error() == errc::bad_url);  // one database only
  CHECK(explain_bad_redis_url("redis://u:secret@h:7000/1?cluster=true").find("only database 0") != std::string::npos);
  CHECK(explain_bad_redis_url("redis://u:secret@h:7000/1?cluster=true").find("secret") == std::string::npos);
  CHECK(parse_redis_url("redis://h:7000,h:7001").error() == errc::bad_url);  // seeds need cluster=true
  CHECK(parse_redis_url("redis://h:7000,?cluster=true").error() == errc::bad_url);
  CHECK(parse_redis_url("redis://h:7000,h:x?cluster=true").error() == errc::bad_url);
  CHECK(parse_redis_url("redis://h:7000?cluster=yes").error() == errc::bad_option);
  CHECK(parse_redis_url("redis://h:7000?timeout=0").error() == errc::bad_option);
}
