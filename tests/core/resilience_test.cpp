// Transcripts of the resilience rules of issue 19: fail-safe (stale-if-error) with its throttle,
// the soft load timeout, XFetch early refresh, negative caching and the per-node load limit,
// with their interplay with coalescing (rule 3), invalidate (rule 6) and load deadlines (rule 10).
#include "cacheme/codec/entry_header.hpp"
#include "core/harness.hpp"

namespace cacheme::test {
namespace {

struct Options {
  std::vector<core::ChainLink> chain;
  core::Duration stale_for{};
  core::Duration throttle = 5s;
  std::optional<core::Duration> soft_timeout{};
  double early_refresh = 0;
  std::optional<core::Duration> negative_ttl{};
  std::size_t max_loads = 0;
  core::Duration load_timeout = 30s;
};

core::NodeId node_with(Harness& h, Options o) {
  core::NodeConfig c;
  c.name = "resilient-" + std::to_string(h.engine.nodes().size());
  c.version = "v1";
  c.caches = std::move(o.chain);
  c.codec = codec::make_codec<std::string>(codec::Id::raw);
  c.stale_for = o.stale_for;
  c.fail_safe_throttle = o.throttle;
  c.soft_timeout = o.soft_timeout;
  c.early_refresh = o.early_refresh;
  c.negative_ttl = o.negative_ttl;
  c.max_concurrent_loads = o.max_loads;
  c.load_timeout = o.load_timeout;
  auto id = h.engine.add_node(std::move(c));
  REQUIRE(id);
  return *id;
}

// A get that reports how its value came (RequestOptions::info).
struct Get {
  core::Submitted s;
  core::ValueInfo info;
};
std::unique_ptr<Get> get_info(Harness& h, core::NodeId n, const std::string& key) {
  auto g = std::make_unique<Get>();
  g->s = h.engine.get(n, key, source_of(key), h.now, {.info = &g->info});
  h.drain();
  return g;
}

void load_error(Harness& h, const LoadRequest& r, errc e) {
  CHECK_FALSE(h.engine.complete_load(r.id, {Result<core::AnyValue>(fail(e))}, h.now));
  h.drain();
}

std::error_code reply_error(const Reply& r) {
  REQUIRE(r.values.size() == 1);
  REQUIRE_FALSE(r.values[0]);
  return r.values[0].error();
}

// Fills key "k" with `value` through a [local, redis] chain: returns the redis entry's bytes.
std::string fill(Harness& h, core::NodeId n, core::TierId redis, const std::string& value) {
  auto t = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {std::nullopt});
  h.loaded(h.expect_load({"k"}), {value});
  CHECK(h.expect_value(t) == value);
  auto store = h.expect_store(redis, {Harness::key("k")});
  h.written(store.id);
  return store.entries[0].bytes;
}

TEST_CASE("fail-safe: a failed load with a stale copy answers it, marked stale, and throttles", "[engine][resilience]") {
  Harness h;
  h.local("local");
  auto redis = h.remote("redis");
  auto n = node_with(h, {.chain = {{"local", 10s}, {"redis", 10s}}, .stale_for = 60s, .throttle = 5s});
  const auto filled_at = h.now.unix_ms;
  auto t = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {std::nullopt});
  h.loaded(h.expect_load({"k"}), {"V1"});
  CHECK(h.expect_value(t) == "V1");
  auto store = h.expect_store(redis, {Harness::key("k")});
  // The header holds fresh-until; the storage keeps the entry fresh + grace.
  CHECK(store.entries[0].ttl == std::chrono::milliseconds(70'000));
  CHECK(codec::parse_entry(store.entries[0].bytes)->expire_unix_ms == filled_at + 10'000);
  h.written(store.id);

  h.advance(11s);  // past fresh, within the grace
  auto g = get_info(h, n, "k");
  REQUIRE_FALSE(g->s.answered());  // a stale copy is no hit while the source may answer
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {store.entries[0].bytes});
  auto load = h.expect_load({"k"});
  load_error(h, load, errc::load_failed);
  CHECK(h.expect_value(g->s.ticket) == "V1");
  CHECK(g->info.stale);
  CHECK(g->info.loaded);
  auto again = h.expect_store(redis, {Harness::key("k")});
  CHECK(again.entries[0].ttl == std::chrono::milliseconds(65'000));  // throttle + grace
  CHECK(codec::parse_entry(again.entries[0].bytes)->expire_unix_ms == h.now.unix_ms + 5'000);
  h.written(again.id);
  auto st = h.engine.stats(n);
  CHECK(st.fail_safe == 1);
  CHECK(st.stale_served == 1);
  CHECK(st.load_failures == 1);

  // Throttled: the next requests get the value without asking the source.
  h.advance(4s);
  CHECK(as_str(h.get(n, "k").ready) == "V1");
  h.expect_no_effect();
  // After the throttle the source is asked again, and its fresh value is not stale.
  h.advance(2s);
  auto g2 = get_info(h, n, "k");
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {again.entries[0].bytes});
  h.loaded(h.expect_load({"k"}), {"V2"});
  CHECK(h.expect_value(g2->s.ticket) == "V2");
  CHECK_FALSE(g2->info.stale);
}

TEST_CASE("without a grace period a failed load fails, and an expired copy is gone", "[engine][resilience]") {
  Harness h;
  auto redis = h.remote("redis");
  auto n = node_with(h, {.chain = {{"redis", 10s}}});
  auto t = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {std::nullopt});
  h.loaded(h.expect_load({"k"}), {"V1"});
  h.expect_value(t);
  auto store = h.expect_store(redis, {Harness::key("k")});
  CHECK(store.entries[0].ttl == std::chrono::milliseconds(10'000));  // no grace: as before
  h.written(store.id);
  h.advance(11s);
  auto t2 = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {store.entries[0].bytes});
  load_error(h, h.expect_load({"k"}), errc::load_failed);
  CHECK(reply_error(h.expect_reply(t2)) == errc::load_failed);
  h.expect_no_effect();
  CHECK(h.engine.stats(n).stale_served == 0);
}

TEST_CASE("fail-safe covers a load timeout, and every coalesced waiter gets the stale value", "[engine][resilience][rule3][rule10]") {
  Harness h;
  auto redis = h.remote("redis");
  auto n = node_with(h, {.chain = {{"redis", 10s}}, .stale_for = 60s, .load_timeout = 2s});
  const std::string bytes = fill(h, n, redis, "V1");
  h.advance(11s);
  auto a = h.get(n, "k").ticket;
  auto b = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {bytes});
  auto load = h.expect_load({"k"});
  h.advance(2s);
  CHECK(h.expect_value(a) == "V1");
  CHECK(h.expect_value(b) == "V1");
  auto store = h.expect_store(redis, {Harness::key("k")});
  h.expect_cancel_load(load.id);
  h.written(store.id);
  auto st = h.engine.stats(n);
  CHECK(st.load_timeouts == 1);
  CHECK(st.stale_served == 2);
  CHECK(h.engine.flights() == 0);
}

TEST_CASE("fail-safe after an invalidate answers the earlier waiters and writes nothing", "[engine][resilience][rule6]") {
  Harness h;
  auto redis = h.remote("redis");
  auto n = node_with(h, {.chain = {{"redis", 10s}}, .stale_for = 60s});
  const std::string bytes = fill(h, n, redis, "V1");
  h.advance(11s);
  auto a = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {bytes});
  auto load = h.expect_load({"k"});
  auto inv = h.engine.invalidate(n, "k", h.now);
  h.drain();
  auto erase = h.expect_erase(redis, {Harness::key("k")});
  load_error(h, load, errc::load_failed);
  CHECK(h.expect_value(a) == "V1");  // it asked before the invalidate
  h.expect_no_effect();              // detached: no write-back of the stale value
  h.written(erase.id);
  h.expect_reply(inv);
}

TEST_CASE("a not_found load is never replaced by a stale value", "[engine][resilience]") {
  Harness h;
  auto redis = h.remote("redis");
  auto n = node_with(h, {.chain = {{"redis", 10s}}, .stale_for = 60s});
  const std::string bytes = fill(h, n, redis, "V1");
  h.advance(11s);
  auto a = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {bytes});
  load_error(h, h.expect_load({"k"}), errc::not_found);
  CHECK(reply_error(h.expect_reply(a)) == errc::not_found);
}

TEST_CASE("soft timeout: waiters get the stale value then, newcomers at once, the load goes on", "[engine][resilience][rule3]") {
  Harness h;
  h.local("local");
  auto redis = h.remote("redis");
  auto n = node_with(h, {.chain = {{"local", 10s}, {"redis", 10s}}, .stale_for = 60s, .soft_timeout = 100ms});
  const std::string bytes = fill(h, n, redis, "V1");
  h.advance(11s);
  auto a = get_info(h, n, "k");
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {bytes});
  auto load = h.expect_load({"k"});
  REQUIRE(h.engine.next_deadline());
  CHECK(*h.engine.next_deadline() == h.now.mono + 100ms);
  h.advance(99ms);
  h.expect_no_effect();
  h.advance(1ms);
  CHECK(h.expect_value(a->s.ticket) == "V1");
  CHECK(a->info.stale);
  CHECK_FALSE(a->info.loaded);
  auto b = get_info(h, n, "k");  // a newcomer: the local copy is stale, the flight answers at once
  REQUIRE(b->s.ready);
  CHECK(as_str(b->s.ready) == "V1");
  CHECK(b->info.stale);
  h.expect_no_effect();  // no second fetch, no second load, no cancel
  h.loaded(load, {"V2"});
  h.written(h.expect_store(redis, {Harness::key("k")}).id);
  auto c = get_info(h, n, "k");
  CHECK(as_str(c->s.ready) == "V2");
  CHECK_FALSE(c->info.stale);
  auto st = h.engine.stats(n);
  CHECK(st.stale_served == 2);
  CHECK(st.loads_cancelled == 0);
}

TEST_CASE("soft timeout 0 is stale-while-revalidate; a failing background load is fail-safe", "[engine][resilience]") {
  Harness h;
  auto redis = h.remote("redis");
  auto n = node_with(h, {.chain = {{"redis", 10s}}, .stale_for = 60s, .throttle = 5s, .soft_timeout = 0s});
  const std::string bytes = fill(h, n, redis, "V1");
  h.advance(11s);
  auto a = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {bytes});
  auto load = h.expect_load({"k"});
  CHECK(h.expect_value(a) == "V1");
  load_error(h, load, errc::load_failed);
  auto store = h.expect_store(redis, {Harness::key("k")});  // the stale copy, fresh for the throttle
  CHECK(store.entries[0].ttl == std::chrono::milliseconds(65'000));
  h.written(store.id);
  CHECK(h.engine.flights() == 0);
}

TEST_CASE("a soft timeout without a stale copy changes nothing", "[engine][resilience]") {
  Harness h;
  auto n = node_with(h, {.chain = {}, .stale_for = 60s, .soft_timeout = 10ms});
  auto a = h.get(n, "k").ticket;
  auto load = h.expect_load({"k"});
  h.advance(1s);
  h.expect_no_effect();
  h.loaded(load, {"V"});
  CHECK(h.expect_value(a) == "V");
}

// A first load that takes `took`, so the node has a measured load time (XFetch's delta).
void fill_local(Harness& h, core::NodeId n, core::Duration took) {
  auto t = h.get(n, "k").ticket;
  auto load = h.expect_load({"k"});
  h.advance(took);
  h.loaded(load, {"V1"});
  CHECK(h.expect_value(t) == "V1");
}

TEST_CASE("early refresh: a hit near expiry loads in the background, once per key", "[engine][resilience][xfetch]") {
  Harness h;
  h.local("local");
  auto n = node_with(h, {.chain = {{"local", 10s}}, .early_refresh = 1.0});
  fill_local(h, n, 1s);
  // Far from expiry (gap 9 s, delta 1 s): P(refresh) = e^-9 per hit; with this seed none of 200.
  for (int i = 0; i < 200; ++i) CHECK(as_str(h.get(n, "k").ready) == "V1");
  h.expect_no_effect();
  h.advance(9999ms);  // 1 ms before expiry: refreshed unless u > e^-0.001
  auto g = get_info(h, n, "k");
  CHECK(as_str(g->s.ready) == "V1");  // the caller never waits
  CHECK_FALSE(g->info.loaded);
  auto load = h.expect_load({"k"});
  CHECK(as_str(h.get(n, "k").ready) == "V1");  // one refresh per key
  h.expect_no_effect();
  h.advance(1ms);  // the copy expired meanwhile: the background flight answers at once
  auto late = get_info(h, n, "k");
  CHECK(as_str(late->s.ready) == "V1");
  CHECK(late->info.stale);
  h.expect_no_effect();
  h.loaded(load, {"V2"});
  h.expect_no_effect();
  CHECK(as_str(h.get(n, "k").ready) == "V2");
  auto st = h.engine.stats(n);
  CHECK(st.early_refreshes == 1);
  CHECK(st.requests == st.hits + 1);  // only the very first request missed
}

TEST_CASE("early refresh of a remote hit: the flight answers, then loads and writes the new value", "[engine][resilience][xfetch][rule3]") {
  Harness h;
  auto redis = h.remote("redis");
  auto n = node_with(h, {.chain = {{"redis", 10s}}, .early_refresh = 1.0});
  auto t = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {std::nullopt});
  auto first = h.expect_load({"k"});
  h.advance(1s);
  h.loaded(first, {"V1"});
  h.expect_value(t);
  h.written(h.expect_store(redis, {Harness::key("k")}).id);
  auto a = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {entry("V1", h.now.unix_ms + 1)});
  CHECK(h.expect_value(a) == "V1");
  auto load = h.expect_load({"k"});
  auto b = h.get(n, "k");  // coalesced with the refresh: answered at once, no fetch
  CHECK(as_str(b.ready) == "V1");
  h.expect_no_effect();
  h.loaded(load, {"V2"});
  auto store = h.expect_store(redis, {Harness::key("k")});
  CHECK(store.entries[0].bytes.find("V2") != std::string::npos);
  h.written(store.id);
  CHECK(h.engine.flights() == 0);
}

TEST_CASE("an invalidate during an early refresh: the refresh writes nothing", "[engine][resilience][xfetch][rule6]") {
  Harness h;
  h.local("local");
  auto n = node_with(h, {.chain = {{"local", 10s}}, .early_refresh = 1.0});
  fill_local(h, n, 1s);
  h.advance(9999ms);
  h.get(n, "k");
  auto load = h.expect_load({"k"});
  auto inv = h.engine.invalidate(n, "k", h.now);
  h.drain();
  h.expect_reply(inv);
  auto t = h.get(n, "k").ticket;  // a new flight, not the detached refresh
  auto fresh = h.expect_load({"k"});
  h.loaded(load, {"OLD"});
  h.expect_no_effect();
  h.loaded(fresh, {"NEW"});
  CHECK(h.expect_value(t) == "NEW");
  CHECK(as_str(h.get(n, "k").ready) == "NEW");
}

TEST_CASE("negative caching: not_found is cached for negative_ttl in every tier", "[engine][resilience][negative]") {
  Harness h;
  h.local("local");
  auto redis = h.remote("redis");
  // negative_ttl, not the tiers' TTL, bounds a negative entry.
  auto n = node_with(h, {.chain = {{"local", 1s}, {"redis", 1s}}, .negative_ttl = 5s});
  auto a = h.get(n, "k").ticket;
  auto b = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {std::nullopt});
  load_error(h, h.expect_load({"k"}), errc::not_found);
  CHECK(reply_error(h.expect_reply(a)) == errc::not_found);
  CHECK(reply_error(h.expect_reply(b)) == errc::not_found);
  auto store = h.expect_store(redis, {Harness::key("k")});
  CHECK(store.entries[0].ttl == std::chrono::milliseconds(5'000));
  auto parsed = codec::parse_entry(store.entries[0].bytes);
  REQUIRE(parsed);
  CHECK(parsed->negative);
  h.written(store.id);
  // Local: answered at once, no load, also past the tier's own TTL.
  h.advance(2s);
  auto c = h.get(n, "k");
  CHECK(c.error == errc::not_found);
  h.expect_no_effect();
  // Remote (another process): the negative entry is a hit too.
  Harness other;
  other.local("local");
  auto redis2 = other.remote("redis");
  auto n2 = node_with(other, {.chain = {{"local", 1s}, {"redis", 1s}}, .negative_ttl = 5s});
  auto d = other.get(n2, "k").ticket;
  other.fetched(other.expect_fetch(redis2, {Harness::key("k")}), {store.entries[0].bytes});
  CHECK(reply_error(other.expect_reply(d)) == errc::not_found);
  other.expect_no_effect();  // not written back to redis; the local copy is written at once
  CHECK(other.get(n2, "k").error == errc::not_found);
  CHECK(other.engine.stats(n2).negative_hits == 2);
  // Past negative_ttl the source is asked again.
  h.advance(3s);
  auto e = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(redis, {Harness::key("k")}), {std::nullopt});
  h.loaded(h.expect_load({"k"}), {"NOW"});
  CHECK(h.expect_value(e) == "NOW");
  auto st = h.engine.stats(n);
  CHECK(st.negative_hits == 2);  // b (coalesced) and c
  CHECK(st.load_successes == 2);
}

TEST_CASE("without negative_ttl a not_found is not cached", "[engine][resilience][negative]") {
  Harness h;
  h.local("local");
  auto n = node_with(h, {.chain = {{"local", 60s}}});
  auto a = h.get(n, "k").ticket;
  load_error(h, h.expect_load({"k"}), errc::not_found);
  CHECK(reply_error(h.expect_reply(a)) == errc::not_found);
  h.get(n, "k");
  h.expect_load({"k"});
  CHECK(h.engine.stats(n).load_failures == 1);
}

TEST_CASE("max_concurrent_loads: excess loads queue in FIFO order", "[engine][resilience][limit]") {
  Harness h;
  auto n = node_with(h, {.chain = {}, .max_loads = 1, .load_timeout = 10s});
  auto a = h.get(n, "a").ticket;
  auto la = h.expect_load({"a"});
  auto b = h.get(n, "b").ticket;
  auto c = h.get(n, "c").ticket;
  h.expect_no_effect();  // queued
  CHECK(h.engine.stats(n).loads_queued == 2);
  h.advance(3s);
  h.loaded(la, {"A"});
  CHECK(h.expect_value(a) == "A");
  auto lb = h.expect_load({"b"});  // the oldest queued
  h.expect_no_effect();
  h.advance(1s);
  h.loaded(lb, {"B"});
  CHECK(h.expect_value(b) == "B");
  auto lc = h.expect_load({"c"});
  h.loaded(lc, {"C"});
  CHECK(h.expect_value(c) == "C");
  // Load time counts from the emission: 3 s + 1 s + 0 s.
  CHECK(h.engine.stats(n).total_load_time_ns == std::uint64_t(4'000'000'000));
}

TEST_CASE("a queued load is bounded by its deadline and dropped when nobody waits", "[engine][resilience][limit][rule10]") {
  Harness h;
  auto n = node_with(h, {.chain = {}, .max_loads = 1, .load_timeout = 10s});
  auto a = h.get(n, "a").ticket;
  auto la = h.expect_load({"a"});
  h.advance(1s);
  auto b = h.get(n, "b").ticket;
  auto c = h.get(n, "c").ticket;
  h.engine.cancel(c);  // the queued load of c: dropped, never emitted, no CancelLoad
  h.drain();
  h.expect_no_effect();
  h.advance(9s);  // a's deadline: a times out, b (queued for 9 s) takes the slot
  CHECK(reply_error(h.expect_reply(a)) == errc::load_timeout);
  h.expect_cancel_load(la.id);
  auto lb = h.expect_load({"b"});
  h.expect_no_effect();
  h.advance(1s);  // b's deadline counts from its request
  CHECK(reply_error(h.expect_reply(b)) == errc::load_timeout);
  h.expect_cancel_load(lb.id);
  h.expect_no_effect();
  CHECK(h.engine.flights() == 0);
  CHECK(h.engine.pending_operations() == 0);
}

TEST_CASE("resilience options are validated", "[engine][resilience]") {
  Harness h;
  core::NodeConfig c;
  c.name = "bad";
  c.stale_for = -1s;
  CHECK(h.engine.add_node(c).error() == errc::bad_option);
  c.stale_for = 0s;
  c.negative_ttl = 0s;
  CHECK(h.engine.add_node(c).error() == errc::bad_option);
  c.negative_ttl.reset();
  c.early_refresh = -1;
  CHECK(h.engine.add_node(c).error() == errc::bad_option);
}

}  // namespace
}  // namespace cacheme::test
