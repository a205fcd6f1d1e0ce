// Transcripts of rule 10 (load deadlines, cancellation of callers and of abandoned loads) and
// rule 11 (node identity) of DESIGN.md §3.
#include "core/harness.hpp"

namespace cacheme::test {
namespace {

core::NodeId node_with_timeout(Harness& h, std::vector<core::ChainLink> chain, core::Duration load_timeout) {
  core::NodeConfig c;
  c.name = "timed";
  c.version = "v1";
  c.caches = std::move(chain);
  c.codec = codec::make_codec<std::string>(codec::Id::raw);
  c.load_timeout = load_timeout;
  auto id = h.engine.add_node(std::move(c));
  REQUIRE(id);
  return *id;
}

std::error_code reply_error(const Reply& r) {
  REQUIRE(r.values.size() == 1);
  REQUIRE_FALSE(r.values[0]);
  return r.values[0].error();
}

TEST_CASE("a load past its deadline answers every waiter with load_timeout and is cancelled", "[engine][rule10]") {
  Harness h;
  auto r = h.remote("redis");
  auto n = node_with_timeout(h, {{"redis", std::nullopt}}, 5s);
  auto a = h.get(n, "k").ticket;
  auto b = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(r, {Harness::key("k")}), {std::nullopt});
  auto load = h.expect_load({"k"});
  h.expect_no_effect();
  REQUIRE(h.engine.next_deadline());
  CHECK(*h.engine.next_deadline() == h.now.mono + 5s);

  h.advance(4999ms);
  h.expect_no_effect();
  h.advance(1ms);
  CHECK(reply_error(h.expect_reply(a)) == errc::load_timeout);
  CHECK(reply_error(h.expect_reply(b)) == errc::load_timeout);
  h.expect_cancel_load(load.id);
  h.expect_no_effect();
  CHECK(h.engine.flights() == 0);
  CHECK(h.engine.pending_operations() == 0);

  // The late result is ignored and nothing is cached from it.
  CHECK(h.engine.complete_load(load.id, {Result<core::AnyValue>(str("late"))}, h.now) == errc::unknown_io);
  h.drain();
  h.expect_no_effect();
  auto st = h.engine.stats(n);
  CHECK(st.load_failures == 1);
  CHECK(st.load_timeouts == 1);

  // The flight detached: the next request starts a new one.
  auto c = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(r, {Harness::key("k")}), {std::nullopt});
  h.loaded(h.expect_load({"k"}), {"V"});
  CHECK(h.expect_value(c) == "V");
}

TEST_CASE("the default load timeout is 30 s; 0 means none; a call may override it", "[engine][rule10]") {
  Harness h;
  auto deflt = h.node({});  // no tiers: every get loads
  h.get(deflt, "k");
  h.expect_load({"k"});
  REQUIRE(h.engine.next_deadline());
  CHECK(*h.engine.next_deadline() == h.now.mono + 30s);

  Harness h2;
  auto none = node_with_timeout(h2, {}, 0s);
  auto t = h2.get(none, "k").ticket;
  auto load = h2.expect_load({"k"});
  CHECK_FALSE(h2.engine.next_deadline());
  h2.advance(std::chrono::hours(24 * 365));
  h2.expect_no_effect();
  h2.loaded(load, {"V"});
  CHECK(h2.expect_value(t) == "V");

  // A per-call override bounds the load the call starts (here on a node without a deadline).
  std::string key = "o";
  auto o = h2.engine.get(none, key, source_of(key), h2.now, {.load_timeout = 100ms}).ticket;
  h2.drain();
  auto ol = h2.expect_load({"o"});
  h2.advance(100ms);
  CHECK(reply_error(h2.expect_reply(o)) == errc::load_timeout);
  h2.expect_cancel_load(ol.id);
}

TEST_CASE("a call that attaches to a flight shares its deadline", "[engine][rule10]") {
  Harness h;
  auto n = node_with_timeout(h, {}, 10s);
  std::string key = "k";
  auto a = h.get(n, "k").ticket;
  auto load = h.expect_load({"k"});
  h.advance(5s);
  auto b = h.engine.get(n, key, source_of(key), h.now, {.load_timeout = 60s}).ticket;
  h.drain();
  h.expect_no_effect();
  h.advance(5s);
  CHECK(reply_error(h.expect_reply(a)) == errc::load_timeout);
  CHECK(reply_error(h.expect_reply(b)) == errc::load_timeout);
  h.expect_cancel_load(load.id);
}

TEST_CASE("cancelling one waiter leaves the others and the load", "[engine][rule10][rule3]") {
  Harness h;
  auto n = h.node({});
  auto a = h.get(n, "k").ticket;
  auto b = h.get(n, "k").ticket;
  auto load = h.expect_load({"k"});
  h.engine.cancel(a);
  h.drain();
  h.expect_no_effect();
  h.loaded(load, {"V"});
  CHECK(h.expect_value(b) == "V");
  h.expect_no_effect();
  CHECK(h.engine.stats(n).loads_cancelled == 0);
}

TEST_CASE("cancelling the last waiter cancels the load", "[engine][rule10]") {
  Harness h;
  auto r = h.remote("redis");
  auto n = h.node({{"redis", std::nullopt}});
  auto a = h.get(n, "k").ticket;
  auto b = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(r, {Harness::key("k")}), {std::nullopt});
  auto load = h.expect_load({"k"});
  h.engine.cancel(a);
  h.drain();
  h.expect_no_effect();
  h.engine.cancel(b);
  h.drain();
  h.expect_cancel_load(load.id);
  h.expect_no_effect();  // no reply for a cancelled ticket
  CHECK(h.engine.flights() == 0);
  CHECK_FALSE(h.engine.next_deadline());
  CHECK(h.engine.stats(n).loads_cancelled == 1);
  CHECK(h.engine.complete_load(load.id, {Result<core::AnyValue>(str("late"))}, h.now) == errc::unknown_io);

  h.engine.cancel(b);  // twice: ignored
  h.drain();
  h.expect_no_effect();
}

TEST_CASE("a flight whose callers all left while it read does not load", "[engine][rule10]") {
  Harness h;
  auto r = h.remote("redis");
  auto n = h.node({{"redis", std::nullopt}});
  auto a = h.get(n, "k").ticket;
  auto fetch = h.expect_fetch(r, {Harness::key("k")});
  h.engine.cancel(a);
  h.fetched(fetch, {std::nullopt});
  h.expect_no_effect();
  CHECK(h.engine.flights() == 0);
  CHECK(h.engine.stats(n).loads_cancelled == 1);

  // A remote hit still resolves (and is written nowhere else) when nobody waits.
  auto b = h.get(n, "j").ticket;
  auto fj = h.expect_fetch(r, {Harness::key("j")});
  h.engine.cancel(b);
  h.fetched(fj, {entry("J")});
  h.expect_no_effect();
  CHECK(h.engine.flights() == 0);
}

TEST_CASE("a batch load is cancelled only when no key of it has a waiter", "[engine][rule10][rule4]") {
  Harness h;
  auto n = h.node({});
  auto all = h.get_all(n, {"a", "b"});
  auto other = h.get(n, "b").ticket;  // waits on one key of the batch
  auto load = h.expect_load({"a", "b"});
  h.engine.cancel(all);
  h.drain();
  h.expect_no_effect();  // "b" still has a waiter
  h.loaded(load, {"A", "B"});
  CHECK(h.expect_value(other) == "B");
  h.expect_no_effect();

  auto all2 = h.get_all(n, {"c", "d", "c"});
  auto load2 = h.expect_load({"c", "d"});
  h.engine.cancel(all2);
  h.drain();
  h.expect_cancel_load(load2.id);
  h.expect_no_effect();
  CHECK(h.engine.flights() == 0);
}

TEST_CASE("refresh has a load deadline too", "[engine][rule10][rule6]") {
  Harness h;
  auto n = node_with_timeout(h, {}, 1s);
  std::string key = "k";
  auto t = h.engine.refresh(n, key, source_of(key), h.now);
  h.drain();
  auto load = h.expect_load({"k"});
  h.advance(1s);
  CHECK(reply_error(h.expect_reply(t)) == errc::load_timeout);
  h.expect_cancel_load(load.id);
  CHECK(h.engine.flights() == 0);
}

TEST_CASE("two nodes whose full keys collide share no local entry and no flight", "[engine][rule11]") {
  Harness h;
  h.local("local");
  auto a = h.node({{"local", std::nullopt}}, "v1");
  auto b = h.node({{"local", std::nullopt}}, "v1");  // same version: same full key for one key

  // Concurrent requests: one flight (and one load) per node.
  auto ta = h.get(a, "42").ticket;
  auto tb = h.get(b, "42").ticket;
  auto la = h.expect_load({"42"});
  auto lb = h.expect_load({"42"});
  CHECK(la.node == a);
  CHECK(lb.node == b);
  h.loaded(la, {"A"});
  CHECK(h.expect_value(ta) == "A");
  h.loaded(lb, {"B"});
  CHECK(h.expect_value(tb) == "B");

  // Both directions, from the shared local tier.
  auto ha = h.get(a, "42");
  auto hb = h.get(b, "42");
  REQUIRE(ha.ready);
  REQUIRE(hb.ready);
  CHECK(as_str(ha.ready) == "A");
  CHECK(as_str(hb.ready) == "B");

  // Invalidating one node's key leaves the other node's copy.
  h.engine.invalidate(a, "42", h.now);
  h.drain();
  h.effects.clear();
  CHECK_FALSE(h.get(a, "42").ready);
  REQUIRE(h.get(b, "42").ready);
}

TEST_CASE("bad options are refused with a clear error, never overflow", "[engine][rule10]") {
  Harness h;
  h.remote("redis");
  auto node = [&](auto edit) {
    core::NodeConfig c;
    c.name = "n" + std::to_string(h.engine.nodes().size());
    c.codec = codec::make_codec<std::string>(codec::Id::raw);
    edit(c);
    return h.engine.add_node(std::move(c));
  };
  CHECK(node([](core::NodeConfig& c) { c.load_timeout = -1s; }).error() == errc::bad_option);
  CHECK(node([](core::NodeConfig& c) { c.load_timeout = core::Duration::max(); }).error() == errc::bad_option);
  CHECK(node([](core::NodeConfig& c) { c.caches = {{"redis", -1s}}; }).error() == errc::bad_option);
  CHECK(node([](core::NodeConfig& c) { c.caches = {{"redis", 0s}}; }).error() == errc::bad_option);
  CHECK(node([](core::NodeConfig& c) { c.caches = {{"redis", core::Duration::max()}}; }).error() == errc::bad_option);
  CHECK(node([](core::NodeConfig& c) { c.caches = {{"redis", std::chrono::hours(24 * 365 * 99)}}; }));
  CHECK(h.engine.add_remote_storage("r2", {core::Duration::max()}).error() == errc::bad_option);

  auto ok = node([](core::NodeConfig&) {});
  REQUIRE(ok);
  std::string key = "k";
  CHECK(h.engine.get(*ok, key, source_of(key), h.now, {.load_timeout = -1ms}).error == errc::bad_option);
  CHECK(h.engine.get(*ok, key, source_of(key), h.now, {.load_timeout = core::Duration::max()}).error ==
        errc::bad_option);
}

TEST_CASE("a node name is registered once", "[engine][rule9]") {
  Harness h;
  core::NodeConfig c;
  c.name = "users";
  REQUIRE(h.engine.add_node(c));
  CHECK(h.engine.add_node(c).error() == errc::duplicate_name);
  CHECK(h.engine.nodes().size() == 1);
}

}  // namespace
}  // namespace cacheme::test
