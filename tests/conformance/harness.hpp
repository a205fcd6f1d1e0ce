// The conformance suite's two adapters behind one blocking test API, so one test body runs on
// both: `h.get(node)`, `h.get_all(nodes)`, `h.invalidate(node)`, ... run the adapter's loop until
// the completion comes (at most 10 s), `h.start_get(node, cb)` only starts one.
//
// Nodes give both loaders (`load(done)` for libevent, `load()` as an awaitable for Asio); the
// source behind them is `Source`, which counts loads and can be told to fail.
#pragma once

#include <event2/event.h>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <catch2/catch.hpp>

#include "cacheme/asio/cacheme.hpp"
#include "cacheme/libevent/cacheme.hpp"

namespace cacheme::conformance {

using namespace std::chrono_literals;

/// The source of truth behind every test node: `value(key)` is "<key>#<generation>".
struct Source {
  static inline int loads = 0;
  static inline int generation = 1;
  static inline bool failing = false;

  static void reset() { loads = 0, generation = 1, failing = false; }
  static std::string value(const std::string& key) { return key + "#" + std::to_string(generation); }
  /// One load: the value, or an error while `failing`.
  static std::error_code load(const std::string& key, std::string& out) {
    ++loads;
    if (failing) return make_error_code(errc::load_failed);
    out = value(key);
    return {};
  }
};

/// A node of key `id` in storage "store", with both adapters' loaders.
template <long TtlMs>
struct BasicNode {
  using value_type = std::string;
  std::string id;
  std::string key() const { return id; }
  void load(std::function<void(std::error_code, std::string)> done) const {
    std::string v;
    const auto ec = Source::load(id, v);
    done(ec, std::move(v));
  }
  ::asio::awaitable<std::string> load() const {
    std::string v;
    if (auto ec = Source::load(id, v)) throw std::system_error(ec);
    co_return v;
  }
  static Meta meta() {
    Meta m{.version = "v1", .caches = {{"store", std::nullopt}}};
    if (TtlMs > 0) m.caches[0].ttl = std::chrono::milliseconds(TtlMs);
    return m;
  }
};

using TestNode = BasicNode<0>;        ///< no TTL
using ShortTtlNode = BasicNode<150>;  ///< 150 ms

/// A completed value request.
struct Value {
  std::error_code ec;
  std::shared_ptr<const std::string> value;
};
/// A completed get_all.
struct Values {
  std::error_code ec;
  std::vector<std::shared_ptr<const std::string>> values;
};

/// The blocking helpers both harnesses share (`Self` provides the loop and the adapter calls).
template <class Self>
class HarnessBase {
 public:
  /// Runs the loop until `pred()` (true) or `max` elapsed (false).
  template <class Pred>
  bool run_until(Pred pred, std::chrono::milliseconds max = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + max;
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      self().run_once();
    }
    return true;
  }
  void run_for(std::chrono::milliseconds d) {
    const auto deadline = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < deadline) self().run_once();
  }

  std::error_code register_storage(const std::string& name, const std::string& url) {
    std::optional<std::error_code> result;
    // Both adapters take the same callbacks, so the requests are made here, on `self().cm`.
    self().cm.register_storage(name, {url}, [&](std::error_code ec) { result = ec; });
    REQUIRE(run_until([&] { return result.has_value(); }));
    return *result;
  }
  template <class N>
  Value get(const N& node) {
    std::optional<Value> result;
    start_get(node, [&](Value v) { result = std::move(v); });
    REQUIRE(run_until([&] { return result.has_value(); }));
    return *result;
  }
  template <class N>
  Values get_all(const std::vector<N>& nodes) {
    std::optional<Values> result;
    self().cm.get_all(nodes, [&](std::error_code ec, std::vector<std::shared_ptr<const std::string>> v) {
      result = Values{ec, std::move(v)};
    });
    REQUIRE(run_until([&] { return result.has_value(); }));
    return *result;
  }
  template <class N>
  std::error_code invalidate(const N& node) {
    std::optional<std::error_code> result;
    self().cm.invalidate(node, [&](std::error_code ec) { result = ec; });
    REQUIRE(run_until([&] { return result.has_value(); }));
    return *result;
  }
  template <class N>
  Value refresh(const N& node) {
    std::optional<Value> result;
    self().cm.refresh(node, [&](std::error_code ec, std::shared_ptr<const std::string> v) { result = Value{ec, std::move(v)}; });
    REQUIRE(run_until([&] { return result.has_value(); }));
    return *result;
  }
  /// The memoized function "square of id" through TestNode, counting its calls in `Source::loads`.
  Value memo(int id) {
    std::optional<Value> result;
    self().start_memo(id, [&](Value v) { result = std::move(v); });
    REQUIRE(run_until([&] { return result.has_value(); }));
    return *result;
  }
  /// Starts a get; `cb` runs when it completes (the loop must be run meanwhile).
  template <class N>
  void start_get(const N& node, std::function<void(Value)> cb) {
    self().cm.get(node, [cb](std::error_code ec, std::shared_ptr<const std::string> v) { cb({ec, std::move(v)}); });
  }
  /// Waits until no flight is left (every write-back acknowledged).
  void settle() { REQUIRE(run_until([&] { return self().cm.runtime().engine().flights() == 0; })); }

 private:
  Self& self() { return static_cast<Self&>(*this); }
};

/// The memoized function of both harnesses: its value for `id`, or the node's.
inline std::string memo_value(int id) { return "memo:" + std::to_string(id * id); }
inline TestNode memo_node(int id) { return TestNode{"memo-" + std::to_string(id)}; }

/// The Asio adapter, driven with plain callbacks (the adapter's own tests cover awaitables).
class AsioHarness : public HarnessBase<AsioHarness> {
 public:
  static constexpr const char* kName = "asio";
  ::asio::io_context io;
  cacheme::asio::Cacheme cm{io};

  void run_once() {
    io.run_one_for(std::chrono::milliseconds(5));
    if (io.stopped()) io.restart();
  }
  drivers::Reactor& reactor() { return cm.runtime().reactor(); }

  void start_memo(int id, std::function<void(Value)> cb) {
    static const auto memo = cacheme::asio::memoize<TestNode>(
        [](int n) -> ::asio::awaitable<std::string> {
          ++Source::loads;
          co_return memo_value(n);
        },
        memo_node);
    memo.async_call(
        cm, [cb](std::error_code ec, std::shared_ptr<const std::string> v) { cb({ec, std::move(v)}); }, id);
  }
};

/// The libevent adapter.
class EventHarness : public HarnessBase<EventHarness> {
  struct Base {
    event_base* base = adapters::libevent::EventReactor::new_base();
    event* tick = evtimer_new(base, [](evutil_socket_t, short, void*) {}, nullptr);
    ~Base() {
      event_free(tick);
      event_base_free(base);
    }
  } owned_;  // declared first: destroyed after the Cacheme

 public:
  static constexpr const char* kName = "libevent";
  cacheme::libevent::Cacheme cm{owned_.base};

  void run_once() {
    timeval tv{0, 5000};
    evtimer_add(owned_.tick, &tv);
    event_base_loop(owned_.base, EVLOOP_ONCE);
  }
  drivers::Reactor& reactor() { return cm.runtime().reactor(); }

  void start_memo(int id, std::function<void(Value)> cb) {
    static const auto memo = cacheme::libevent::memoize<TestNode>(
        [](int n, std::function<void(std::error_code, std::string)> done) {
          ++Source::loads;
          done({}, memo_value(n));
        },
        memo_node);
    memo(cm, [cb](std::error_code ec, std::shared_ptr<const std::string> v) { cb({ec, std::move(v)}); }, id);
  }
};

}  // namespace cacheme::conformance
