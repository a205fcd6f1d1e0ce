// Cross-process invalidation, the core's half: finished erases are announced, and another
// process's announcement drops local copies (Engine::poll_erased, drop_local, clear_local).
#include "core/harness.hpp"

namespace cacheme::test {
namespace {

struct TwoTiers {
  Harness h;
  core::TierId local = h.local("local");
  core::TierId redis;
  core::NodeId node;

  explicit TwoTiers(bool announce = true) {
    auto id = h.engine.add_remote_storage("redis", {1s, announce});
    REQUIRE(id);
    redis = *id;
    node = h.node({{"local", std::nullopt}, {"redis", std::nullopt}});
  }

  // Reads "k" (a miss everywhere), loads `value` and acknowledges its write-back: "k" is then
  // in the local tier.
  void fill(const std::string& key, const std::string& value) {
    auto t = h.get(node, key).ticket;
    h.fetched(h.expect_fetch(redis, {Harness::key(key)}), {std::nullopt});
    h.loaded(h.expect_load({key}), {value});
    CHECK(h.expect_value(t) == value);
    h.written(h.expect_store(redis, {Harness::key(key)}).id);
    REQUIRE(h.get(node, key).ready);
  }
};

TEST_CASE("a finished erase of an announcing tier is announced, once it is done", "[local_sync]") {
  TwoTiers s;
  s.fill("k", "V");
  auto inv = s.h.engine.invalidate(s.node, "k", s.h.now);
  s.h.drain();
  auto erase = s.h.expect_erase(s.redis, {Harness::key("k")});
  CHECK_FALSE(s.h.engine.poll_erased());  // not before Redis has done it
  s.h.written(erase.id);
  s.h.expect_reply(inv);
  auto announced = s.h.engine.poll_erased();
  REQUIRE(announced);
  CHECK(announced->tier == s.redis);
  CHECK(announced->full_key == Harness::key("k"));
  CHECK_FALSE(s.h.engine.poll_erased());
}

TEST_CASE("a failed erase is announced too, and a refresh's erase as well", "[local_sync]") {
  TwoTiers s;
  s.h.engine.invalidate(s.node, "a", s.h.now);
  s.h.drain();
  s.h.written(s.h.expect_erase(s.redis, {Harness::key("a")}).id, core::IoStatus::backend_error);
  s.h.drain();
  s.h.effects.clear();
  const std::string key = "b";
  s.h.engine.refresh(s.node, key, source_of(key), s.h.now);
  s.h.drain();
  auto erase = s.h.expect_erase(s.redis, {Harness::key("b")});
  s.h.written(erase.id);
  auto first = s.h.engine.poll_erased();
  auto second = s.h.engine.poll_erased();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->full_key == Harness::key("a"));
  CHECK(second->full_key == Harness::key("b"));
}

TEST_CASE("a tier without announce_erases announces nothing", "[local_sync]") {
  TwoTiers s(false);
  s.h.engine.invalidate(s.node, "k", s.h.now);
  s.h.drain();
  s.h.written(s.h.expect_erase(s.redis, {Harness::key("k")}).id);
  CHECK_FALSE(s.h.engine.poll_erased());
}

TEST_CASE("drop_local removes the local copy; the next get reads the shared tier", "[local_sync]") {
  TwoTiers s;
  s.fill("k", "old");
  s.fill("other", "O");
  CHECK(s.h.engine.drop_local(s.redis, Harness::key("k"), s.h.now) == 1);
  CHECK_FALSE(s.h.engine.poll_erased());  // dropping is not erasing: nothing to announce
  s.h.expect_no_effect();                 // and no remote erase either
  auto t = s.h.get(s.node, "k").ticket;
  s.h.fetched(s.h.expect_fetch(s.redis, {Harness::key("k")}), {entry("new")});
  CHECK(s.h.expect_value(t) == "new");
  REQUIRE(s.h.get(s.node, "other").ready);  // other keys stay
  CHECK(s.h.engine.stats(s.node).remote_invalidations == 1);
}

TEST_CASE("drop_local of an unknown key, tier or a node without that tier does nothing", "[local_sync]") {
  TwoTiers s;
  s.fill("k", "V");
  auto only_local = s.h.node({{"local", std::nullopt}}, "v1");
  (void)only_local;
  CHECK(s.h.engine.drop_local(s.redis, Harness::key("nope"), s.h.now) == 0);
  CHECK(s.h.engine.drop_local(core::TierId{99}, Harness::key("k"), s.h.now) == 0);
  CHECK(s.h.engine.drop_local(s.local, Harness::key("k"), s.h.now) == 1);  // the local tier is in the chain
  CHECK(s.h.engine.stats(s.node).remote_invalidations == 1);
}

TEST_CASE("drop_local detaches a flight that read the old value: it writes nothing back", "[local_sync]") {
  TwoTiers s;
  auto t = s.h.get(s.node, "k").ticket;
  auto fetch = s.h.expect_fetch(s.redis, {Harness::key("k")});
  // Another process erases "k" and announces it while this fetch is on its way.
  CHECK(s.h.engine.drop_local(s.redis, Harness::key("k"), s.h.now) == 0);
  s.h.fetched(fetch, {entry("old")});
  CHECK(s.h.expect_value(t) == "old");  // the caller asked before: it gets what was there
  s.h.expect_no_effect();
  CHECK(s.h.engine.flights() == 0);
  // Nothing reached the local tier: the next get reads redis again.
  CHECK_FALSE(s.h.get(s.node, "k").ready);
  s.h.expect_fetch(s.redis, {Harness::key("k")});
}

TEST_CASE("a request after drop_local starts a new flight", "[local_sync]") {
  TwoTiers s;
  auto first = s.h.get(s.node, "k").ticket;
  auto fetch = s.h.expect_fetch(s.redis, {Harness::key("k")});
  s.h.engine.drop_local(s.redis, Harness::key("k"), s.h.now);
  auto second = s.h.get(s.node, "k").ticket;
  auto fetch2 = s.h.expect_fetch(s.redis, {Harness::key("k")});
  s.h.fetched(fetch, {entry("old")});
  CHECK(s.h.expect_value(first) == "old");
  s.h.fetched(fetch2, {entry("new")});
  CHECK(s.h.expect_value(second) == "new");
  REQUIRE(s.h.get(s.node, "k").ready);
  CHECK(as_str(s.h.get(s.node, "k").ready) == "new");
}

TEST_CASE("clear_local empties the local tiers of the nodes using the tier", "[local_sync]") {
  TwoTiers s;
  s.fill("a", "A");
  s.fill("b", "B");
  s.h.engine.clear_local(s.redis, s.h.now);
  CHECK_FALSE(s.h.get(s.node, "a").ready);
  CHECK_FALSE(s.h.get(s.node, "b").ready);
  CHECK(s.h.engine.stats(s.node).local_clears == 1);
  CHECK(s.h.engine.local_store(s.local)->size() == 0);
}

TEST_CASE("clear_local leaves local tiers of nodes that do not use the tier", "[local_sync]") {
  Harness h;
  h.local("mine");
  h.local("theirs");
  auto redis = *h.engine.add_remote_storage("redis", {1s, true});
  auto other = *h.engine.add_remote_storage("other", {1s, true});
  auto a = h.node({{"mine", std::nullopt}, {"redis", std::nullopt}}, "v1");
  auto b = h.node({{"theirs", std::nullopt}, {"other", std::nullopt}}, "v2");
  (void)a;
  const std::string key = "k";
  auto t = h.get(b, key).ticket;
  h.fetched(h.expect_fetch(other, {Harness::key("k", "v2")}), {entry("B")});
  CHECK(h.expect_value(t) == "B");
  h.drain();
  h.effects.clear();
  h.engine.clear_local(redis, h.now);
  CHECK(h.get(b, key).ready);
}

TEST_CASE("storages() lists every tier; local_store gives the local ones", "[local_sync]") {
  TwoTiers s;
  auto list = s.h.engine.storages();
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "local");
  CHECK(list[0].local);
  CHECK(list[1].name == "redis");
  CHECK_FALSE(list[1].local);
  CHECK(s.h.engine.local_store(s.local) != nullptr);
  CHECK(s.h.engine.local_store(s.redis) == nullptr);
  CHECK(s.h.engine.local_store(core::TierId{0}) == nullptr);
}

TEST_CASE("load times are counted in the node's histogram", "[stats]") {
  TwoTiers s;
  auto t = s.h.get(s.node, "k").ticket;
  s.h.fetched(s.h.expect_fetch(s.redis, {Harness::key("k")}), {std::nullopt});
  auto load = s.h.expect_load({"k"});
  s.h.advance(30ms).loaded(load, {"V"});
  CHECK(s.h.expect_value(t) == "V");
  const auto& hist = s.h.engine.stats(s.node).load_time;
  CHECK(hist.count() == 1);
  CHECK(hist.sum_ns() == 30'000'000);
  // 30 ms falls in (25 ms, 50 ms], the sixth bucket.
  CHECK(hist.counts()[5] == 1);
  const auto before = s.h.engine.stats(s.node);
  CHECK((s.h.engine.stats(s.node) - before).load_time.count() == 0);
}

}  // namespace
}  // namespace cacheme::test
