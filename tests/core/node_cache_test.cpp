// The typed node layer: node types, built nodes, memoize, stats, nodes(), set_prefix.
#include "cacheme/memoize.hpp"
#include "cacheme/node_cache.hpp"
#include "core/harness.hpp"

namespace cacheme::test {
namespace {

struct User {
  int id = 0;
  std::string name;
  MSGPACK_DEFINE(id, name)
};

struct UserNode {
  using value_type = User;
  int user_id = 0;
  std::string key() const { return "user:" + std::to_string(user_id) + ":info"; }
  static Meta meta() {
    return {.version = "v1", .caches = {{"local", 30s}, {"redis", std::chrono::hours(240)}}, .codec = codecs::msgpack_zlib};
  }
};

struct LocalOnlyNode {
  using value_type = int;
  int n = 0;
  std::string key() const { return std::to_string(n); }
  static Meta meta() { return {.version = "v2", .caches = {{"local", std::nullopt}}}; }
};

struct GuardedNode {  // a doorkeeper in front of both tiers
  using value_type = std::string;
  std::string id;
  std::string key() const { return "guarded:" + id; }
  static Meta meta() {
    return {.version = "v1", .caches = {{"local", std::nullopt}, {"redis", std::nullopt}}, .codec = codecs::raw,
            .doorkeeper = BloomFilter{.capacity = 100, .false_positive_rate = 0.01}};
  }
};

struct Typed {
  NodeCache cache;
  core::Now now{core::Instant{} + 1000s, 1'700'000'000'000};
  core::TierId redis;

  Typed() {
    REQUIRE(cache.add_local_storage("local", "local://lru?size=100"));
    redis = *cache.engine().add_remote_storage("redis");
  }
  std::vector<Effect> drain() {
    std::vector<Effect> out;
    while (auto e = cache.engine().poll_effect()) out.push_back(std::move(*e));
    return out;
  }
};

TEST_CASE("a node type is registered at first use and its values come back typed", "[node]") {
  Typed t;
  auto s = t.cache.get(UserNode{7}, t.now);
  REQUIRE_FALSE(s.answered());
  auto fx = t.drain();
  REQUIRE(fx.size() == 1);
  auto fetch = std::get<FetchRequest>(fx[0]);
  CHECK(fetch.keys == std::vector<std::string>{"cacheme:user:7:info:v1"});
  t.cache.engine().complete_fetch(fetch.id, {core::IoStatus::ok, {std::nullopt}}, t.now);
  fx = t.drain();
  auto load = std::get<LoadRequest>(fx.at(0));
  // The source is a copy of the node: the loader knows which user to load.
  auto node = std::static_pointer_cast<const UserNode>(load.sources.at(0));
  CHECK(node->user_id == 7);
  std::vector<Result<core::AnyValue>> values{core::AnyValue(std::make_shared<const User>(User{7, "ann"}))};
  t.cache.engine().complete_load(load.id, std::move(values), t.now);
  fx = t.drain();
  auto reply = std::get<Reply>(fx.at(0));
  CHECK(value_cast<User>(*reply.values[0])->name == "ann");
  // The remote copy is msgpack+zlib behind the entry header.
  auto store = std::get<StoreRequest>(fx.at(1));
  auto entry = codec::parse_entry(store.entries[0].bytes);
  REQUIRE(entry);
  CHECK(entry->codec == codec::Id::msgpack_zlib);
  auto decoded = codec::decode<User>(codec::Id::msgpack_zlib, entry->body);
  REQUIRE(decoded);
  CHECK(decoded->name == "ann");
  // Second get: a local hit, typed, no effect.
  auto again = t.cache.get(UserNode{7}, t.now);
  REQUIRE(again.ready);
  CHECK(value_cast<User>(again.ready)->id == 7);
  auto st = t.cache.stats<UserNode>();
  CHECK(st.requests == 2);
  CHECK(st.hits == 1);
  auto nodes = t.cache.nodes();
  REQUIRE(nodes.size() == 1);
  CHECK(nodes[0].name.find("UserNode") != std::string::npos);
}

TEST_CASE("a node type's doorkeeper keeps a first sighting out of every tier", "[node][rule7]") {
  Typed t;
  for (int round = 0; round < 2; ++round) {
    INFO("round " << round);
    auto s = t.cache.get(GuardedNode{"g"}, t.now);
    REQUIRE_FALSE(s.answered());  // round 1 too: round 0 left nothing in the local tier
    auto fx = t.drain();
    auto fetch = std::get<FetchRequest>(fx.at(0));
    t.cache.engine().complete_fetch(fetch.id, {core::IoStatus::ok, {std::nullopt}}, t.now);
    fx = t.drain();
    auto load = std::get<LoadRequest>(fx.at(0));
    std::vector<Result<core::AnyValue>> values{core::AnyValue(std::make_shared<const std::string>("G"))};
    t.cache.engine().complete_load(load.id, std::move(values), t.now);
    fx = t.drain();
    CHECK(*value_cast<std::string>(*std::get<Reply>(fx.at(0)).values.at(0)) == "G");
    if (round == 0) {
      CHECK(fx.size() == 1);  // no store
    } else {
      REQUIRE(fx.size() == 2);
      auto store = std::get<StoreRequest>(fx.at(1));
      CHECK(store.entries.at(0).key == "cacheme:guarded:g:v1");
      t.cache.engine().complete_write(store.id, core::IoStatus::ok, t.now);
    }
  }
  CHECK(t.cache.get(GuardedNode{"g"}, t.now).ready);  // now a local hit
}

TEST_CASE("a node whose storage is missing gives a clear error", "[node]") {
  NodeCache cache;
  core::Now now{};
  auto s = cache.get(UserNode{1}, now);
  CHECK(s.error == errc::unknown_storage);
  CHECK(cache.stats<UserNode>().requests == 0);
}

TEST_CASE("two built nodes keep separate configurations and stats", "[node][rule9]") {
  Typed t;
  auto a = t.cache.build_node<std::string>("A", {.version = "va", .caches = {{"redis", 5s}}, .codec = codecs::raw});
  auto b = t.cache.build_node<std::string>("B", {.version = "vb", .caches = {{"local", std::nullopt}}, .codec = codecs::json});
  REQUIRE(a);
  REQUIRE(b);
  t.cache.get(*a, "k", t.now);
  auto fx = t.drain();
  CHECK(std::get<FetchRequest>(fx.at(0)).keys == std::vector<std::string>{"cacheme:k:va"});
  t.cache.get(*b, "k", t.now);
  fx = t.drain();
  CHECK(std::get<LoadRequest>(fx.at(0)).keys == std::vector<std::string>{"k"});  // local only: straight to load
  CHECK(t.cache.stats(*a).tiers.at(0).storage == "redis");
  CHECK(t.cache.stats(*b).tiers.at(0).storage == "local");
  CHECK(t.cache.stats(*a).requests == 1);
  CHECK(t.cache.stats(*b).requests == 1);
  auto names = t.cache.nodes();
  REQUIRE(names.size() == 2);
  CHECK(names[0].name == "A");
  CHECK(names[1].version == "vb");
}

TEST_CASE("memoize maps a function's arguments to a node and calls the function on a miss", "[node][memoize]") {
  Typed t;
  int calls = 0;
  auto square = memoize<LocalOnlyNode>([&calls](int x) { ++calls; return x * x; }, [](int x) { return LocalOnlyNode{x}; });
  auto s = square.get(t.cache, t.now, 9);
  REQUIRE_FALSE(s.answered());
  auto fx = t.drain();
  auto load = std::get<LoadRequest>(fx.at(0));
  CHECK(load.keys == std::vector<std::string>{"9"});
  const int result = square.load<int>(load.sources.at(0));  // what an adapter's loader does
  CHECK(result == 81);
  CHECK(calls == 1);
  t.cache.engine().complete_load(load.id, {core::AnyValue(std::make_shared<const int>(result))}, t.now);
  t.drain();
  auto hit = square.get(t.cache, t.now, 9);
  REQUIRE(hit.ready);
  CHECK(*value_cast<int>(hit.ready) == 81);
  CHECK(calls == 1);
}

TEST_CASE("set_prefix changes every key", "[node]") {
  Typed t;
  t.cache.set_prefix("mycache");
  t.cache.get(UserNode{1}, t.now);
  auto fx = t.drain();
  CHECK(std::get<FetchRequest>(fx.at(0)).keys == std::vector<std::string>{"mycache:user:1:info:v1"});
}

}  // namespace
}  // namespace cacheme::test
