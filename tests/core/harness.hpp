// A transcript harness for the engine (cf. h11's helpers, Boost.MySQL's algo tests): a fake
// clock, effects drained into a queue, and expectations that pop them in order.
#pragma once

#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "cacheme/codec/codec.hpp"
#include "cacheme/core/engine.hpp"
#include "cacheme/errc.hpp"

namespace cacheme::test {

using namespace std::chrono_literals;
using core::Effect;
using core::FetchRequest;
using core::LoadRequest;
using core::Reply;
using core::StoreRequest;
using core::EraseRequest;

inline core::AnyValue str(std::string s) { return std::make_shared<const std::string>(std::move(s)); }
inline std::string as_str(const core::AnyValue& v) { return *std::static_pointer_cast<const std::string>(v); }
/// A source whose value is the key itself (the key must outlive the request).
inline core::SourceRef source_of(const std::string& key) {
  return {&key, [](const void* p) -> core::AnyValue { return str(*static_cast<const std::string*>(p)); }};
}

/// A whole remote entry holding string `s` under the raw codec (what a store would write).
inline std::string entry(const std::string& s, std::int64_t expire_unix_ms = 0, std::int64_t write_ms = 0) {
  return codec::make_entry(codec::Id::raw, expire_unix_ms, write_ms, s);
}

struct Harness {
  core::Engine engine;
  core::Now now{core::Instant{} + 1000s, 1'700'000'000'000};
  std::deque<Effect> effects;

  explicit Harness(core::Config config = {}) : engine(std::move(config)) {}

  core::TierId local(const std::string& name, std::size_t size = 1000);
  core::TierId remote(const std::string& name, core::Duration timeout = 1s);
  core::NodeId node(std::vector<core::ChainLink> chain, std::string version = "v1",
                    std::optional<core::DoorkeeperOptions> doorkeeper = std::nullopt);

  core::Submitted get(core::NodeId n, const std::string& key);
  core::Ticket get_all(core::NodeId n, const std::vector<std::string>& keys);

  Harness& advance(core::Duration d);  // moves the clock and runs on_timeout
  void drain();                        // polls every effect into `effects`

  FetchRequest expect_fetch(core::TierId tier, const std::vector<std::string>& keys);
  StoreRequest expect_store(core::TierId tier, const std::vector<std::string>& keys);
  EraseRequest expect_erase(core::TierId tier, const std::vector<std::string>& keys);
  LoadRequest expect_load(const std::vector<std::string>& keys);
  Reply expect_reply(core::Ticket t);
  core::CancelLoad expect_cancel_load(core::LoadId id);
  void expect_abandon(core::IoId id, core::TierId tier);
  std::string expect_value(core::Ticket t);  // a one-value reply, successful
  void expect_no_effect();

  Harness& fetched(const FetchRequest& r, std::vector<std::optional<std::string>> values);
  Harness& fetch_failed(const FetchRequest& r);
  Harness& written(core::IoId id, core::IoStatus s = core::IoStatus::ok);
  Harness& loaded(const LoadRequest& r, std::vector<std::string> values);
  Harness& load_failed(const LoadRequest& r);

  static std::string key(const std::string& k, const std::string& version = "v1") { return "cacheme:" + k + ":" + version; }
};

}  // namespace cacheme::test
