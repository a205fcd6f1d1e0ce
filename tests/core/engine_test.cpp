// Transcripts of the engine, one scenario per rule of DESIGN.md §3 at least.
#include "core/harness.hpp"

namespace cacheme::test {
namespace {

TEST_CASE("full key is prefix:key:version, and set_prefix changes it", "[engine][rule1]") {
  Harness h;
  auto r = h.remote("redis");
  auto n = h.node({{"redis", std::nullopt}}, "v7");
  h.get(n, "user:1");
  h.expect_fetch(r, {"cacheme:user:1:v7"});
  h.engine.set_prefix("mycache");
  h.get(n, "user:1");
  h.expect_fetch(r, {"mycache:user:1:v7"});
}

TEST_CASE("concurrent gets of one key share one fetch per tier and one load", "[engine][rule3]") {
  Harness h;
  auto r1 = h.remote("r1");
  auto r2 = h.remote("r2");
  auto n = h.node({{"r1", std::nullopt}, {"r2", std::nullopt}});
  std::vector<core::Ticket> tickets;
  for (int i = 0; i < 5; ++i) tickets.push_back(h.get(n, "k").ticket);
  auto f1 = h.expect_fetch(r1, {Harness::key("k")});
  h.expect_no_effect();
  h.fetched(f1, {std::nullopt});
  auto f2 = h.expect_fetch(r2, {Harness::key("k")});
  h.expect_no_effect();
  h.fetched(f2, {std::nullopt});
  auto load = h.expect_load({"k"});
  h.expect_no_effect();
  h.loaded(load, {"V"});
  for (auto t : tickets) CHECK(h.expect_value(t) == "V");
  auto s1 = h.expect_store(r1, {Harness::key("k")});
  auto s2 = h.expect_store(r2, {Harness::key("k")});
  h.expect_no_effect();

  // While the write-backs are in flight, a newcomer is answered from the flight at once.
  auto late = h.get(n, "k");
  REQUIRE(late.ready);
  CHECK(as_str(late.ready) == "V");
  h.expect_no_effect();
  CHECK(h.engine.flights() == 1);
  h.written(s1.id).written(s2.id);
  CHECK(h.engine.flights() == 0);

  auto st = h.engine.stats(n);
  CHECK(st.requests == 6);
  CHECK(st.hits == 5);  // the leader loaded; 4 waiters shared the load, 1 came during write-back
  CHECK(st.miss_count() == 1);
  CHECK(st.coalesced == 5);
  CHECK(st.load_successes == 1);
}

TEST_CASE("a failed load reaches every waiter and caches nothing", "[engine][rule5]") {
  Harness h;
  h.local("local");
  auto r = h.remote("redis");
  auto n = h.node({{"local", std::nullopt}, {"redis", std::nullopt}});
  auto a = h.get(n, "k").ticket;
  auto b = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(r, {Harness::key("k")}), {std::nullopt});
  h.load_failed(h.expect_load({"k"}));
  for (auto t : {a, b}) {
    auto reply = h.expect_reply(t);
    REQUIRE(reply.values.size() == 1);
    CHECK(reply.values[0].error() == errc::load_failed);
  }
  h.expect_no_effect();  // no store
  CHECK(h.engine.flights() == 0);
  auto st = h.engine.stats(n);
  CHECK(st.load_failure_count() == 1);
  CHECK(st.load_success_count() == 0);
  CHECK(st.load_failure_rate() == 1.0);
  CHECK(st.hit_count() == 0);
  CHECK(st.miss_rate() == 1.0);
  // The next request starts afresh: nothing in the local tier, a new fetch.
  CHECK_FALSE(h.get(n, "k").ready);
  h.expect_fetch(r, {Harness::key("k")});
}

TEST_CASE("a storage error or a timeout falls through to the next tier and the source", "[engine][rule5]") {
  Harness h;
  auto r1 = h.remote("r1", 100ms);
  auto r2 = h.remote("r2", 100ms);
  auto n = h.node({{"r1", std::nullopt}, {"r2", std::nullopt}});
  auto t = h.get(n, "k").ticket;
  auto f1 = h.expect_fetch(r1, {Harness::key("k")});
  h.fetch_failed(f1);
  auto f2 = h.expect_fetch(r2, {Harness::key("k")});
  h.advance(99ms);
  h.expect_no_effect();
  h.advance(1ms);  // r2 times out: the driver is told to drop it
  h.expect_abandon(f2.id, r2);
  auto load = h.expect_load({"k"});
  // The late reply of r2 is ignored.
  CHECK(h.engine.complete_fetch(f2.id, {core::IoStatus::ok, {entry("stale")}}, h.now) == errc::unknown_io);
  h.loaded(load, {"fresh"});
  CHECK(h.expect_value(t) == "fresh");
  // Nothing is written to a tier that failed; r2 missed by timing out.
  h.expect_no_effect();
  CHECK(h.engine.flights() == 0);
  auto st = h.engine.stats(n);
  CHECK(st.tiers[0].errors == 1);
  CHECK(st.tiers[1].errors == 1);
  CHECK(st.tiers[1].timeouts == 1);
  CHECK(h.engine.next_deadline() == std::nullopt);
}

TEST_CASE("write-back uses the remaining lifetime of the copy found", "[engine][rule2]") {
  Harness h;
  auto loc = h.local("local");
  (void)loc;
  auto r1 = h.remote("r1");
  auto r2 = h.remote("r2");
  auto n = h.node({{"local", 30s}, {"r1", 60s}, {"r2", std::chrono::hours(240)}});
  auto t = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(r1, {Harness::key("k")}), {std::nullopt});
  // r2 holds a copy that expires in 10 s.
  h.fetched(h.expect_fetch(r2, {Harness::key("k")}), {entry("V", h.now.unix_ms + 10'000)});
  CHECK(h.expect_value(t) == "V");
  auto store = h.expect_store(r1, {Harness::key("k")});
  REQUIRE(store.entries[0].ttl);
  CHECK(*store.entries[0].ttl == 10'000ms);  // min(60 s, 10 s)
  auto parsed = codec::parse_entry(store.entries[0].bytes);
  REQUIRE(parsed);
  CHECK(parsed->expire_unix_ms == h.now.unix_ms + 10'000);
  CHECK(parsed->body == "V");
  h.written(store.id);

  // The local copy got min(30 s, 10 s): a hit at 9 s, gone at 11 s.
  h.advance(9s);
  auto hit = h.get(n, "k");
  REQUIRE(hit.ready);
  h.advance(2s);
  auto miss = h.get(n, "k");
  CHECK_FALSE(miss.ready);
  h.expect_fetch(r1, {Harness::key("k")});
}

TEST_CASE("an expired remote copy is a miss", "[engine][rule2]") {
  Harness h;
  auto r = h.remote("r");
  auto n = h.node({{"r", 60s}});
  auto t = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(r, {Harness::key("k")}), {entry("old", h.now.unix_ms - 1)});
  h.loaded(h.expect_load({"k"}), {"new"});
  CHECK(h.expect_value(t) == "new");
  auto s = h.expect_store(r, {Harness::key("k")});
  CHECK(*s.entries[0].ttl == 60s);
  CHECK(h.engine.stats(n).tiers[0].misses == 1);
}

TEST_CASE("garbage bytes are a counted decode error, reloaded and overwritten", "[engine][codec]") {
  Harness h;
  auto r = h.remote("r");
  auto n = h.node({{"r", std::nullopt}});
  std::string damaged = entry("V");
  damaged.back() ^= 0x55;
  for (const std::string& bad : {std::string("garbage"), damaged, std::string()}) {
    auto t = h.get(n, "k").ticket;
    h.fetched(h.expect_fetch(r, {Harness::key("k")}), {bad});
    h.loaded(h.expect_load({"k"}), {"V"});
    CHECK(h.expect_value(t) == "V");
    h.written(h.expect_store(r, {Harness::key("k")}).id);
  }
  CHECK(h.engine.stats(n).tiers[0].decode_errors == 3);
}

TEST_CASE("get_all keeps order and duplicates, one fetch per tier, attaches to flights", "[engine][rule4]") {
  Harness h;
  h.local("local");
  auto r = h.remote("redis");
  auto n = h.node({{"local", std::nullopt}, {"redis", std::nullopt}});
  // "b" is already in flight through a single get.
  auto single = h.get(n, "b").ticket;
  auto fb = h.expect_fetch(r, {Harness::key("b")});
  auto t = h.get_all(n, {"a", "b", "c", "a", "d"});
  auto f = h.expect_fetch(r, {Harness::key("a"), Harness::key("c"), Harness::key("d")});
  h.expect_no_effect();
  h.fetched(f, {std::nullopt, entry("C"), std::nullopt});
  auto load = h.expect_load({"a", "d"});  // one batch for the rest; "c" went to local only
  h.expect_no_effect();
  h.fetched(fb, {entry("B")});
  CHECK(h.expect_value(single) == "B");
  h.loaded(load, {"A", "D"});
  auto reply = h.expect_reply(t);
  REQUIRE(reply.values.size() == 5);
  std::vector<std::string> got;
  for (auto& v : reply.values) got.push_back(v ? as_str(*v) : "error");
  CHECK(got == std::vector<std::string>{"A", "B", "C", "A", "D"});
  auto store = h.expect_store(r, {Harness::key("a"), Harness::key("d")});
  h.written(store.id);
  CHECK(h.engine.flights() == 0);

  // Now every key is local: the whole batch is answered without any I/O, and counted.
  auto before = h.engine.stats(n);
  auto t2 = h.get_all(n, {"d", "c", "d"});
  auto r2 = h.expect_reply(t2);
  REQUIRE(r2.values.size() == 3);
  CHECK(as_str(*r2.values[2]) == "D");
  h.expect_no_effect();
  auto d = h.engine.stats(n) - before;
  CHECK(d.requests == 3);
  CHECK(d.hits == 3);
  CHECK(d.tiers[0].hits == 3);
}

TEST_CASE("stats are exact for get and get_all", "[engine][rule8]") {
  Harness h;
  auto r = h.remote("redis");
  auto n = h.node({{"redis", std::nullopt}});
  auto t = h.get_all(n, {"x", "y", "x"});
  auto f = h.expect_fetch(r, {Harness::key("x"), Harness::key("y")});
  h.fetched(f, {entry("X"), std::nullopt});
  auto load = h.expect_load({"y"});
  h.now = h.now + 5ms;
  h.loaded(load, {"Y"});
  h.expect_reply(t);
  auto st = h.engine.stats(n);
  CHECK(st.requests == 3);
  CHECK(st.request_count() == 3);
  CHECK(st.hits == 2);  // x from redis, and its duplicate shared the flight
  CHECK(st.hit_count() == 2);
  CHECK(st.miss_count() == 1);
  CHECK(st.miss_rate() == Approx(1.0 / 3));
  CHECK(st.load_success_count() == 1);
  CHECK(st.load_failure_count() == 0);
  CHECK(st.load_failure_rate() == 0.0);
  CHECK(st.coalesced == 1);
  CHECK(st.load_count() == 1);
  CHECK(st.total_load_time() == 5'000'000);
  CHECK(st.average_load_time() == 5'000'000.0);
  CHECK(st.hit_rate() == Approx(2.0 / 3));
  CHECK(st.tiers[0].hits == 1);
  CHECK(st.tiers[0].misses == 1);
}

TEST_CASE("an invalidate during a load keeps the stale value out", "[engine][rule6]") {
  Harness h;
  h.local("local");
  auto r = h.remote("redis");
  auto n = h.node({{"local", std::nullopt}, {"redis", std::nullopt}});
  auto waiter = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(r, {Harness::key("k")}), {std::nullopt});
  auto load = h.expect_load({"k"});
  auto inv = h.engine.invalidate(n, "k", h.now);
  h.drain();
  auto erase = h.expect_erase(r, {Harness::key("k")});
  // A request after the invalidate starts a new flight, which reads redis once the erase is done.
  auto after = h.get(n, "k").ticket;
  h.expect_no_effect();
  h.written(erase.id);
  auto f2 = h.expect_fetch(r, {Harness::key("k")});
  h.expect_reply(inv);
  // The old load completes: its waiter gets the value, nothing is written anywhere.
  h.loaded(load, {"stale"});
  CHECK(h.expect_value(waiter) == "stale");
  h.expect_no_effect();
  CHECK(h.engine.flights() == 1);  // only the new one
  h.fetched(f2, {std::nullopt});
  h.loaded(h.expect_load({"k"}), {"fresh"});
  CHECK(h.expect_value(after) == "fresh");
  h.written(h.expect_store(r, {Harness::key("k")}).id);
  auto local_hit = h.get(n, "k");
  REQUIRE(local_hit.ready);
  CHECK(as_str(local_hit.ready) == "fresh");
  CHECK(h.engine.flights() == 0);
}

TEST_CASE("invalidate removes the local copy as well as the remote one", "[engine][rule6]") {
  Harness h;
  h.local("local");
  auto r = h.remote("redis");
  auto n = h.node({{"local", std::nullopt}, {"redis", std::nullopt}});
  auto t = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(r, {Harness::key("k")}), {std::nullopt});
  h.loaded(h.expect_load({"k"}), {"V"});
  CHECK(h.expect_value(t) == "V");
  h.written(h.expect_store(r, {Harness::key("k")}).id);
  REQUIRE(h.get(n, "k").ready);  // a local hit
  auto inv = h.engine.invalidate(n, "k", h.now);
  h.drain();
  h.written(h.expect_erase(r, {Harness::key("k")}).id);
  CHECK_FALSE(h.expect_reply(inv).error);
  CHECK_FALSE(h.get(n, "k").ready);  // gone from the local tier: read from redis again
  h.expect_fetch(r, {Harness::key("k")});
}

// Reads "k" through the [redis] node `n`, which misses, loads "old", and returns the write-back
// of "old" to `r`, left pending.
StoreRequest load_leaving_writeback(Harness& h, core::TierId r, core::NodeId n) {
  auto t = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(r, {Harness::key("k")}), {std::nullopt});
  h.loaded(h.expect_load({"k"}), {"old"});
  CHECK(h.expect_value(t) == "old");
  return h.expect_store(r, {Harness::key("k")});
}

TEST_CASE("an invalidate during a write-back erases after the write-back finished", "[engine][rule6]") {
  // A storage may run a key's write and its erase on two connections: were the erase issued at
  // once, it could land first and leave the now stale value behind.
  Harness h;
  auto r = h.remote("redis");
  auto n = h.node({{"redis", std::nullopt}});
  auto store = load_leaving_writeback(h, r, n);
  auto inv = h.engine.invalidate(n, "k", h.now);
  h.drain();
  h.expect_no_effect();  // the erase waits for the store
  // Meanwhile a new request starts a new flight, which reads nothing before the erase is done:
  // it would find the old value the store is writing.
  auto after = h.get(n, "k").ticket;
  h.expect_no_effect();
  h.written(store.id);
  auto erase = h.expect_erase(r, {Harness::key("k")});
  h.expect_no_effect();
  h.written(erase.id);
  auto fetch = h.expect_fetch(r, {Harness::key("k")});
  CHECK_FALSE(h.expect_reply(inv).error);
  h.fetched(fetch, {std::nullopt});
  h.loaded(h.expect_load({"k"}), {"new"});
  CHECK(h.expect_value(after) == "new");
  h.written(h.expect_store(r, {Harness::key("k")}).id);
  CHECK(h.engine.flights() == 0);
  CHECK(h.engine.pending_operations() == 0);
}

TEST_CASE("a second invalidate during a write-back waits for it too", "[engine][rule6]") {
  Harness h;
  auto r = h.remote("redis");
  auto n = h.node({{"redis", std::nullopt}});
  auto store = load_leaving_writeback(h, r, n);
  auto first = h.engine.invalidate(n, "k", h.now);
  auto second = h.engine.invalidate(n, "k", h.now);  // the writer is detached by now
  h.drain();
  h.expect_no_effect();
  h.written(store.id);
  auto e1 = h.expect_erase(r, {Harness::key("k")});
  auto e2 = h.expect_erase(r, {Harness::key("k")});
  h.written(e2.id).written(e1.id);
  CHECK_FALSE(h.expect_reply(second).error);
  CHECK_FALSE(h.expect_reply(first).error);
  CHECK(h.engine.flights() == 0);
}

TEST_CASE("a get waits only for the erases asked before it, however many come after", "[engine][rule6]") {
  Harness h;
  auto r = h.remote("redis");
  auto n = h.node({{"redis", std::nullopt}});
  auto inv = h.engine.invalidate(n, "k", h.now);
  h.drain();
  auto erase = h.expect_erase(r, {Harness::key("k")});
  std::vector<core::Ticket> gets;
  for (int i = 0; i < 10; ++i) {  // each round: a get, then an invalidate overlapping the last erase
    gets.push_back(h.get(n, "k").ticket);
    auto next_inv = h.engine.invalidate(n, "k", h.now);
    h.drain();
    auto next = h.expect_erase(r, {Harness::key("k")});
    h.written(erase.id);
    // The erase the get waited for is done: it reads redis now, the later erase still pending.
    auto fetch = h.expect_fetch(r, {Harness::key("k")});
    CHECK_FALSE(h.expect_reply(inv).error);
    h.fetched(fetch, {std::nullopt});
    h.loaded(h.expect_load({"k"}), {"V"});
    CHECK(h.expect_value(gets.back()) == "V");
    h.expect_no_effect();  // detached by the next invalidate: written nowhere
    inv = next_inv;
    erase = next;
  }
  h.written(erase.id);
  CHECK_FALSE(h.expect_reply(inv).error);
  CHECK(h.engine.flights() == 0);
}

TEST_CASE("a write-back that times out releases the erase held behind it", "[engine][rule6]") {
  Harness h;
  auto r = h.remote("redis", 100ms);
  auto n = h.node({{"redis", std::nullopt}});
  auto store = load_leaving_writeback(h, r, n);  // never answered
  h.advance(50ms);
  auto inv = h.engine.invalidate(n, "k", h.now);
  h.drain();
  h.expect_no_effect();
  h.advance(60ms);  // the store's deadline passes: the erase goes, with a deadline of its own
  h.expect_abandon(store.id, r);
  auto erase = h.expect_erase(r, {Harness::key("k")});
  CHECK(h.engine.next_deadline() == h.now.mono + 100ms);
  h.written(erase.id);
  CHECK_FALSE(h.expect_reply(inv).error);
  CHECK(h.engine.flights() == 0);
}

TEST_CASE("a refresh during a write-back erases after it, and writes the fresh value last", "[engine][rule6]") {
  Harness h;
  auto r = h.remote("redis");
  auto n = h.node({{"redis", std::nullopt}});
  auto store = load_leaving_writeback(h, r, n);
  const std::string key = "k";
  const core::SourceRef src = source_of(key);
  auto fresh = h.engine.refresh(n, key, src, h.now);
  h.drain();
  auto load = h.expect_load({"k"});  // the load starts at once; the erase waits for the store
  h.expect_no_effect();
  h.loaded(load, {"new"});
  CHECK(h.expect_value(fresh) == "new");
  h.expect_no_effect();
  h.written(store.id);
  h.written(h.expect_erase(r, {Harness::key("k")}).id);
  h.written(h.expect_store(r, {Harness::key("k")}).id);
  CHECK(h.engine.flights() == 0);
}

TEST_CASE("get_all reads at once the keys no erase is removing, the others after it", "[engine][rule6]") {
  Harness h;
  auto r = h.remote("redis", 100ms);
  auto n = h.node({{"redis", std::nullopt}});
  auto inv = h.engine.invalidate(n, "k", h.now);
  h.drain();
  auto erase = h.expect_erase(r, {Harness::key("k")});  // never answered: it times out
  auto t = h.get_all(n, {"a", "k"});
  h.fetched(h.expect_fetch(r, {Harness::key("a")}), {entry("A")});
  h.expect_no_effect();  // k waits
  h.advance(100ms);      // the erase times out: the fence lifts, k is read
  h.expect_abandon(erase.id, r);
  auto fk = h.expect_fetch(r, {Harness::key("k")});
  CHECK(h.expect_reply(inv).error == errc::storage_error);
  h.fetched(fk, {entry("K")});
  auto reply = h.expect_reply(t);
  REQUIRE(reply.values.size() == 2);
  CHECK(as_str(*reply.values[1]) == "K");
  CHECK(h.engine.flights() == 0);
}

TEST_CASE("invalidate reports a failed erase", "[engine][rule6]") {
  Harness h;
  auto r = h.remote("redis");
  auto n = h.node({{"redis", std::nullopt}});
  auto inv = h.engine.invalidate(n, "k", h.now);
  h.drain();
  h.written(h.expect_erase(r, {Harness::key("k")}).id, core::IoStatus::backend_error);
  CHECK(h.expect_reply(inv).error == errc::storage_error);
}

TEST_CASE("an overloaded storage is counted and skipped; an invalidate reports it", "[engine][rule5]") {
  Harness h;
  auto r1 = h.remote("r1");
  auto r2 = h.remote("r2");
  auto n = h.node({{"r1", std::nullopt}, {"r2", std::nullopt}});
  auto t = h.get(n, "k").ticket;
  auto f1 = h.expect_fetch(r1, {Harness::key("k")});
  CHECK_FALSE(h.engine.complete_fetch(f1.id, {core::IoStatus::overloaded, {}}, h.now));
  h.drain();
  h.fetched(h.expect_fetch(r2, {Harness::key("k")}), {entry("V")});
  CHECK(h.expect_value(t) == "V");
  auto inv = h.engine.invalidate(n, "k", h.now);
  h.drain();
  h.written(h.expect_erase(r1, {Harness::key("k")}).id, core::IoStatus::overloaded);
  h.written(h.expect_erase(r2, {Harness::key("k")}).id);
  CHECK(h.expect_reply(inv).error == errc::overloaded);
  auto st = h.engine.stats(n);
  CHECK(st.tiers[0].errors == 2);
  CHECK(st.tiers[0].overloaded == 2);
  CHECK(st.tiers[1].overloaded == 0);
}

TEST_CASE("refresh erases, loads, and writes back only after the erase", "[engine][rule6]") {
  Harness h;
  h.local("local");
  auto r = h.remote("redis");
  auto n = h.node({{"local", std::nullopt}, {"redis", std::nullopt}});
  const std::string key = "k";
  const core::SourceRef src = source_of(key);
  auto t = h.engine.refresh(n, key, src, h.now);
  h.drain();
  auto erase = h.expect_erase(r, {Harness::key("k")});
  auto load = h.expect_load({"k"});
  h.loaded(load, {"fresh"});
  CHECK(h.expect_value(t) == "fresh");
  h.expect_no_effect();  // the store waits for the erase
  h.written(erase.id);
  h.written(h.expect_store(r, {Harness::key("k")}).id);
  CHECK(h.engine.flights() == 0);
  CHECK(h.get(n, "k").ready);
}

TEST_CASE("the doorkeeper skips the first write of a key and takes the second", "[engine][rule7]") {
  Harness h;
  auto r = h.remote("redis");
  auto n = h.node({{"redis", std::nullopt}}, "v1", core::DoorkeeperOptions{1000, 0.01});
  for (int round = 0; round < 2; ++round) {
    auto t = h.get(n, "k").ticket;
    h.fetched(h.expect_fetch(r, {Harness::key("k")}), {std::nullopt});
    h.loaded(h.expect_load({"k"}), {"V"});
    CHECK(h.expect_value(t) == "V");
    if (round == 0) {
      h.expect_no_effect();
      CHECK(h.engine.flights() == 0);
    } else {
      h.written(h.expect_store(r, {Harness::key("k")}).id);
    }
  }
}

TEST_CASE("the doorkeeper writes no tier on a first sighting, and forgets after n keys", "[engine][rule7]") {
  Harness h;
  h.local("local");
  auto r = h.remote("redis");
  auto n = h.node({{"local", std::nullopt}, {"redis", std::nullopt}}, "v1", core::DoorkeeperOptions{2, 0.01});
  // Reads a key that neither tier holds; returns whether its value was written back.
  auto load_once = [&](const std::string& key) {
    auto t = h.get(n, key);
    REQUIRE_FALSE(t.ready);  // never a local hit here
    h.fetched(h.expect_fetch(r, {Harness::key(key)}), {std::nullopt});
    h.loaded(h.expect_load({key}), {"V" + key});
    CHECK(h.expect_value(t.ticket) == "V" + key);
    if (h.effects.empty()) {
      CHECK(h.engine.flights() == 0);
      return false;
    }
    h.written(h.expect_store(r, {Harness::key(key)}).id);
    return true;
  };
  CHECK_FALSE(load_once("k"));  // first sighting: neither the local tier nor redis
  CHECK(load_once("k"));        // second: both
  CHECK(h.get(n, "k").ready);
  CHECK_FALSE(load_once("a"));  // the filter now holds k and a: n = 2
  CHECK_FALSE(load_once("b"));  // the third insertion clears it first
  CHECK_FALSE(load_once("a"));  // so a is a first sighting again
  CHECK(load_once("a"));
}

TEST_CASE("get_all fetches each remote tier once, in chain order, for what is still missing", "[engine][rule4]") {
  Harness h;
  auto r1 = h.remote("r1");
  auto r2 = h.remote("r2");
  auto n = h.node({{"r1", std::nullopt}, {"r2", std::nullopt}});
  auto t = h.get_all(n, {"a", "b", "c", "b"});
  auto f1 = h.expect_fetch(r1, {Harness::key("a"), Harness::key("b"), Harness::key("c")});
  h.expect_no_effect();
  h.fetched(f1, {std::nullopt, entry("B"), std::nullopt});  // r1 holds b
  auto f2 = h.expect_fetch(r2, {Harness::key("a"), Harness::key("c")});
  h.expect_no_effect();
  h.fetched(f2, {std::nullopt, entry("C")});  // r2 holds c: copied back to r1
  auto back = h.expect_store(r1, {Harness::key("c")});
  auto load = h.expect_load({"a"});
  h.expect_no_effect();
  h.loaded(load, {"A"});
  auto reply = h.expect_reply(t);
  REQUIRE(reply.values.size() == 4);
  std::vector<std::string> got;
  for (auto& v : reply.values) got.push_back(v ? as_str(*v) : "error");
  CHECK(got == std::vector<std::string>{"A", "B", "C", "B"});
  auto s1 = h.expect_store(r1, {Harness::key("a")});
  auto s2 = h.expect_store(r2, {Harness::key("a")});
  h.expect_no_effect();
  h.written(back.id).written(s1.id).written(s2.id);
  CHECK(h.engine.flights() == 0);
  auto st = h.engine.stats(n);
  CHECK(st.tiers[0].hits == 1);
  CHECK(st.tiers[1].hits == 1);
  CHECK(st.load_count() == 1);
}

TEST_CASE("a cancelled caller detaches only itself", "[engine][rule3]") {
  Harness h;
  auto r = h.remote("redis");
  auto n = h.node({{"redis", std::nullopt}});
  auto a = h.get(n, "k").ticket;
  auto b = h.get(n, "k").ticket;
  h.engine.cancel(a);
  h.fetched(h.expect_fetch(r, {Harness::key("k")}), {entry("V")});
  CHECK(h.expect_value(b) == "V");
  h.expect_no_effect();
  auto st = h.engine.stats(n);
  CHECK(st.requests == 2);
  CHECK(st.hits == 1);
}

TEST_CASE("a chain of local tiers only loads on a miss and caches the value", "[engine]") {
  Harness h;
  h.local("l1");
  h.local("l2");
  auto n = h.node({{"l1", 1s}, {"l2", std::nullopt}});
  auto t = h.get(n, "k").ticket;
  h.loaded(h.expect_load({"k"}), {"V"});
  CHECK(h.expect_value(t) == "V");
  h.expect_no_effect();
  CHECK(h.engine.flights() == 0);
  REQUIRE(h.get(n, "k").ready);
  h.advance(2s);  // l1's copy expired; l2 still has it and copies it back to l1
  REQUIRE(h.get(n, "k").ready);
  auto st = h.engine.stats(n);
  CHECK(st.tiers[0].hits == 1);
  CHECK(st.tiers[1].hits == 1);
}

TEST_CASE("registration errors are clear", "[engine]") {
  Harness h;
  h.remote("redis");
  CHECK(h.engine.add_remote_storage("redis").error() == errc::duplicate_name);
  core::NodeConfig c;
  c.caches = {{"nope", std::nullopt}};
  CHECK(h.engine.add_node(c).error() == errc::unknown_storage);
  c.caches = {{"redis", std::nullopt}};  // a remote tier needs a codec
  CHECK(h.engine.add_node(c).error() == errc::invalid_argument);
  auto s = h.engine.get(core::NodeId{99}, "k", {}, h.now);
  CHECK(s.error == errc::unknown_node);
}

}  // namespace
}  // namespace cacheme::test
