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

namespace cacheme::test {
namespace {

// Two node types whose keys collide ("42" under version v1) and whose value types differ: the
// engine must never hand a User to an Order caller (rule 11), locally or in flight.
struct Order {
  std::vector<std::string> lines;
  double total = 0;
  MSGPACK_DEFINE(lines, total)
};
struct UserById {
  using value_type = User;
  std::string id;
  std::string key() const { return id; }
  static Meta meta() { return {.version = "v1", .caches = {{"local", std::nullopt}, {"redis", std::nullopt}}}; }
};
struct OrderById {
  using value_type = Order;
  std::string id;
  std::string key() const { return id; }
  static Meta meta() { return {.version = "v1", .caches = {{"local", std::nullopt}, {"redis", std::nullopt}}}; }
};

// Answers one load (or fetch with a miss) of whatever is pending, with `value` for loads.
template <class V>
void answer_pending(Typed& t, const V& value, std::vector<std::optional<std::string>> fetched = {std::nullopt}) {
  for (auto fx = t.drain(); !fx.empty(); fx = t.drain()) {
    for (auto& e : fx) {
      if (auto* f = std::get_if<FetchRequest>(&e)) t.cache.engine().complete_fetch(f->id, {core::IoStatus::ok, fetched}, t.now);
      if (auto* l = std::get_if<LoadRequest>(&e)) {
        std::vector<Result<core::AnyValue>> r{core::AnyValue(std::make_shared<const V>(value))};
        t.cache.engine().complete_load(l->id, std::move(r), t.now);
      }
      if (auto* s = std::get_if<StoreRequest>(&e)) t.cache.engine().complete_write(s->id, core::IoStatus::ok, t.now);
    }
  }
}

TEST_CASE("node types with colliding keys never share a local value, in either order", "[node][rule11]") {
  for (bool user_first : {true, false}) {
    Typed t;
    auto get_user = [&] {
      auto s = t.cache.get(UserById{"42"}, t.now);
      if (!s.answered()) answer_pending(t, User{42, "ann"});
    };
    auto get_order = [&] {
      auto s = t.cache.get(OrderById{"42"}, t.now);
      if (!s.answered()) answer_pending(t, Order{{"book"}, 9.5});
    };
    if (user_first) {
      get_user();
      get_order();
    } else {
      get_order();
      get_user();
    }
    auto u = t.cache.get(UserById{"42"}, t.now);
    auto o = t.cache.get(OrderById{"42"}, t.now);
    REQUIRE(u.ready);  // each from its own local entry
    REQUIRE(o.ready);
    CHECK(value_cast<User>(u.ready)->name == "ann");
    CHECK(value_cast<Order>(o.ready)->lines == std::vector<std::string>{"book"});
    CHECK(t.cache.stats<UserById>().load_successes == 1);
    CHECK(t.cache.stats<OrderById>().load_successes == 1);
  }
}

TEST_CASE("a remote value of another node type is a decode error and a miss", "[node][rule11]") {
  Typed t;
  // The User's remote copy, as the store wrote it.
  t.cache.get(UserById{"42"}, t.now);
  std::string user_bytes;
  for (auto fx = t.drain(); !fx.empty(); fx = t.drain())
    for (auto& e : fx) {
      if (auto* f = std::get_if<FetchRequest>(&e)) t.cache.engine().complete_fetch(f->id, {core::IoStatus::ok, {std::nullopt}}, t.now);
      if (auto* l = std::get_if<LoadRequest>(&e))
        t.cache.engine().complete_load(l->id, {core::AnyValue(std::make_shared<const User>(User{42, "ann"}))}, t.now);
      if (auto* s = std::get_if<StoreRequest>(&e)) {
        user_bytes = s->entries.at(0).bytes;
        t.cache.engine().complete_write(s->id, core::IoStatus::ok, t.now);
      }
    }
  REQUIRE_FALSE(user_bytes.empty());
  // The Order node finds the User's bytes under the same full key: not an Order, so it loads.
  auto s = t.cache.get(OrderById{"42"}, t.now);
  REQUIRE_FALSE(s.answered());
  answer_pending(t, Order{{"pen"}, 1.0}, {user_bytes});
  auto st = t.cache.stats<OrderById>();
  CHECK(st.tiers.at(1).decode_errors == 1);
  CHECK(st.load_successes == 1);
  auto o = t.cache.get(OrderById{"42"}, t.now);
  REQUIRE(o.ready);
  CHECK(value_cast<Order>(o.ready)->lines == std::vector<std::string>{"pen"});
}

TEST_CASE("build_node refuses a name twice; typed nodes with one printed name both register", "[node][rule9]") {
  Typed t;
  REQUIRE(t.cache.build_node<int>("counter", Meta{.version = "v1"}));
  CHECK(t.cache.build_node<int>("counter", Meta{.version = "v2"}).error() == errc::duplicate_name);
  REQUIRE(t.cache.build_node<int>("cacheme::test::(anonymous namespace)::UserById", Meta{}));
  REQUIRE(t.cache.node_id<UserById>());  // its printed name is taken: registered as "...#2"
  CHECK(t.cache.nodes().back().name == "cacheme::test::(anonymous namespace)::UserById#2");
}

}  // namespace
}  // namespace cacheme::test
