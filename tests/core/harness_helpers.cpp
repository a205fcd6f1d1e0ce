#include "core/harness.hpp"

#include "cacheme/local/local_store.hpp"

namespace cacheme::test {

core::TierId Harness::local(const std::string& name, std::size_t size) {
  auto store = local::make_local_store("local://lru?size=" + std::to_string(size), 1);
  REQUIRE(store);
  auto id = engine.add_local_storage(name, std::move(*store));
  REQUIRE(id);
  return *id;
}

core::TierId Harness::remote(const std::string& name, core::Duration timeout) {
  auto id = engine.add_remote_storage(name, {timeout});
  REQUIRE(id);
  return *id;
}

core::NodeId Harness::node(std::vector<core::ChainLink> chain, std::string version,
                           std::optional<core::DoorkeeperOptions> doorkeeper) {
  core::NodeConfig c;
  c.name = "node-" + version + "-" + std::to_string(engine.nodes().size() + 1);  // names are unique
  c.version = std::move(version);
  c.caches = std::move(chain);
  c.codec = codec::make_codec<std::string>(codec::Id::raw);
  c.doorkeeper = doorkeeper;
  auto id = engine.add_node(std::move(c));
  REQUIRE(id);
  return *id;
}

core::Submitted Harness::get(core::NodeId n, const std::string& key) {
  auto s = engine.get(n, key, source_of(key), now);
  drain();
  return s;
}

core::Ticket Harness::get_all(core::NodeId n, const std::vector<std::string>& keys) {
  auto t = engine.get_all(n, keys, {}, now);
  drain();
  return t;
}

Harness& Harness::advance(core::Duration d) {
  now = now + d;
  engine.on_timeout(now);
  drain();
  return *this;
}

void Harness::drain() {
  while (auto e = engine.poll_effect()) effects.push_back(std::move(*e));
}

namespace {
template <class E>
E pop(std::deque<Effect>& effects) {
  REQUIRE_FALSE(effects.empty());
  INFO("next effect has variant index " << effects.front().index());
  REQUIRE(std::holds_alternative<E>(effects.front()));
  E e = std::get<E>(std::move(effects.front()));
  effects.pop_front();
  return e;
}
}  // namespace

FetchRequest Harness::expect_fetch(core::TierId tier, const std::vector<std::string>& keys) {
  auto r = pop<FetchRequest>(effects);
  CHECK(r.tier == tier);
  CHECK(r.keys == keys);
  return r;
}

StoreRequest Harness::expect_store(core::TierId tier, const std::vector<std::string>& keys) {
  auto r = pop<StoreRequest>(effects);
  CHECK(r.tier == tier);
  std::vector<std::string> got;
  for (auto& e : r.entries) got.push_back(e.key);
  CHECK(got == keys);
  return r;
}

EraseRequest Harness::expect_erase(core::TierId tier, const std::vector<std::string>& keys) {
  auto r = pop<EraseRequest>(effects);
  CHECK(r.tier == tier);
  CHECK(r.keys == keys);
  return r;
}

LoadRequest Harness::expect_load(const std::vector<std::string>& keys) {
  auto r = pop<LoadRequest>(effects);
  CHECK(r.keys == keys);
  return r;
}

Reply Harness::expect_reply(core::Ticket t) {
  auto r = pop<Reply>(effects);
  CHECK(r.ticket == t);
  return r;
}

std::string Harness::expect_value(core::Ticket t) {
  auto r = expect_reply(t);
  REQUIRE(r.values.size() == 1);
  REQUIRE(r.values[0]);
  return as_str(*r.values[0]);
}

void Harness::expect_no_effect() {
  INFO("unexpected effect, variant index " << (effects.empty() ? -1 : int(effects.front().index())));
  CHECK(effects.empty());
}

Harness& Harness::fetched(const FetchRequest& r, std::vector<std::optional<std::string>> values) {
  CHECK_FALSE(engine.complete_fetch(r.id, {core::IoStatus::ok, std::move(values)}, now));
  drain();
  return *this;
}

Harness& Harness::fetch_failed(const FetchRequest& r) {
  CHECK_FALSE(engine.complete_fetch(r.id, {core::IoStatus::backend_error, {}}, now));
  drain();
  return *this;
}

Harness& Harness::written(core::IoId id, core::IoStatus s) {
  CHECK_FALSE(engine.complete_write(id, s, now));
  drain();
  return *this;
}

Harness& Harness::loaded(const LoadRequest& r, std::vector<std::string> values) {
  std::vector<Result<core::AnyValue>> rs;
  for (auto& v : values) rs.emplace_back(str(std::move(v)));
  CHECK_FALSE(engine.complete_load(r.id, std::move(rs), now));
  drain();
  return *this;
}

core::CancelLoad Harness::expect_cancel_load(core::LoadId id) {
  auto c = pop<core::CancelLoad>(effects);
  CHECK(c.id == id);
  return c;
}

void Harness::expect_abandon(core::IoId id, core::TierId tier) {
  auto a = pop<core::AbandonIo>(effects);
  CHECK(a.id == id);
  CHECK(a.tier == tier);
}

Harness& Harness::load_failed(const LoadRequest& r) {
  std::vector<Result<core::AnyValue>> rs;
  rs.emplace_back(fail(errc::load_failed));
  CHECK_FALSE(engine.complete_load(r.id, std::move(rs), now));
  drain();
  return *this;
}

}  // namespace cacheme::test
