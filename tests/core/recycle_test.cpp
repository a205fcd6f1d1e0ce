// Buffers that travel between the engine and its adapter: a fetch result the driver fills again
// after `complete_fetch`, and replies and fetch requests given back with `Engine::recycle`.
// Reuse must never mix one request's contents into another's.
#include "harness.hpp"

namespace cacheme::test {
namespace {

// What a driver that reuses one result does: completes with it, then fills it for the next one.
void complete_then_overwrite(Harness& h, const FetchRequest& req, core::FetchResult& result, std::string bytes) {
  result.values.resize(1);
  core::assign_value(result.values[0], bytes);
  REQUIRE_FALSE(h.engine.complete_fetch(req.id, result, h.now));
  core::assign_value(result.values[0], entry("overwritten"));
  h.drain();
}

TEST_CASE("complete_fetch keeps nothing of the result: the driver may fill it again at once", "[engine][recycle]") {
  Harness h;
  auto r1 = h.remote("r1");
  auto r2 = h.remote("r2");
  h.local("local");
  auto n = h.node({{"local", 30s}, {"r1", 60s}, {"r2", 60s}});
  core::FetchResult result;

  auto t = h.get(n, "k").ticket;
  h.fetched(h.expect_fetch(r1, {Harness::key("k")}), {std::nullopt});
  complete_then_overwrite(h, h.expect_fetch(r2, {Harness::key("k")}), result, entry("V"));
  CHECK(h.expect_value(t) == "V");
  // The write-back to r1 carries the body that was found, not what the buffer holds now.
  auto store = h.expect_store(r1, {Harness::key("k")});
  auto parsed = codec::parse_entry(store.entries[0].bytes);
  REQUIRE(parsed);
  CHECK(parsed->body == "V");
  h.written(store.id);
  // And the local copy is the value found.
  auto again = h.get(n, "k");
  REQUIRE(again.answered());
  CHECK(as_str(again.ready) == "V");
}

TEST_CASE("recycled replies and fetch requests carry nothing into later requests", "[engine][recycle]") {
  Harness h;
  auto r = h.remote("r");
  auto n = h.node({{"r", 60s}});

  auto t1 = h.get(n, "first-key-long-enough-for-the-heap").ticket;
  auto f1 = h.expect_fetch(r, {Harness::key("first-key-long-enough-for-the-heap")});
  h.fetched(f1, {entry("one")});
  Reply reply = h.expect_reply(t1);
  REQUIRE(reply.values.size() == 1);
  CHECK(as_str(*reply.values[0]) == "one");
  h.engine.recycle(std::move(reply));
  h.engine.recycle(std::move(f1));  // its keys as the driver left them

  // A shorter key in a reused key buffer, and a reused value list.
  auto t2 = h.get(n, "k2").ticket;
  auto f2 = h.expect_fetch(r, {Harness::key("k2")});
  h.fetched(f2, {entry("two")});
  CHECK(h.expect_value(t2) == "two");
  h.engine.recycle(std::move(f2));

  // A larger request after small ones: every key and every value slot its own.
  auto t3 = h.get_all(n, {"a", "b", "c"});
  auto f3 = h.expect_fetch(r, {Harness::key("a"), Harness::key("b"), Harness::key("c")});
  h.fetched(f3, {entry("A"), std::nullopt, entry("C")});
  auto l = h.expect_load({"b"});
  h.loaded(l, {"B"});
  Reply all = h.expect_reply(t3);
  REQUIRE(all.values.size() == 3);
  CHECK(as_str(*all.values[0]) == "A");
  CHECK(as_str(*all.values[1]) == "B");
  CHECK(as_str(*all.values[2]) == "C");
  auto store = h.expect_store(r, {Harness::key("b")});
  const core::IoId store_id = store.id;
  h.engine.recycle(std::move(all));

  // Effects of other kinds, and effects already emptied, are simply dropped.
  h.engine.recycle(core::Effect{std::move(store)});
  h.engine.recycle(core::Effect{core::CancelLoad{}});
  h.engine.recycle(core::Effect{core::FetchRequest{}});
  h.written(store_id);
  CHECK(h.engine.flights() == 0);
}

}  // namespace
}  // namespace cacheme::test
