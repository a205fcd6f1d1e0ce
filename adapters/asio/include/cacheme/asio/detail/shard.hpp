/// @file shard.hpp
/// Private pieces of `cacheme::asio::ShardedCacheme`: one shard (an `io_context`, the thread
/// that runs it and the `Cacheme` on it), the gate that keeps requests away from a shard being
/// shut down, and the rewriting of a local storage's size into its per-shard share.
#pragma once

#include <atomic>
#include <charconv>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "cacheme/asio/cacheme.hpp"

namespace cacheme::asio::detail {

/// Lets requests in while the shard is open, and lets its shutdown wait until no request is
/// between its check and its hand-off to the shard's strand (after which the strand's FIFO
/// order puts it before the `Cacheme`'s destruction). One atomic add and one load per request
/// on a counter that, in the usual case, only the shard's own thread touches.
class ShardGate {
 public:
  /// True if the caller may start a request on the shard; then it must call `leave()` after.
  bool enter() noexcept {
    entering_.fetch_add(1, std::memory_order_seq_cst);
    if (!closed_.load(std::memory_order_seq_cst)) return true;
    leave();
    return false;
  }
  /// Ends what `enter()` began.
  void leave() noexcept { entering_.fetch_sub(1, std::memory_order_seq_cst); }
  /// One request's passage: open (`true`) if the request may start on the shard, and the
  /// shard's shutdown waits until it is destroyed.
  class Pass {
   public:
    explicit Pass(ShardGate& gate) noexcept : gate_(gate), open_(gate.enter()) {}
    ~Pass() {
      if (open_) gate_.leave();
    }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    explicit operator bool() const noexcept { return open_; }

   private:
    ShardGate& gate_;
    bool open_;
  };

  /// Closes the gate and waits until every request that entered left.
  void close() noexcept {
    closed_.store(true, std::memory_order_seq_cst);
    while (entering_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  }

 private:
  std::atomic<int> entering_{0};
  std::atomic<bool> closed_{false};
};

/// One engine on its own thread: an `io_context` (concurrency hint 1: its thread posts to
/// itself without a lock), a work guard that keeps it running, and the `Cacheme` on it.
struct Shard {
  explicit Shard(const core::Config& config) : io(1), guard(::asio::make_work_guard(io)) {
    cm.emplace(io, config);
    thread = std::thread([this] {
      io.run();
      exited.set_value();
    });
  }

  /// Destroys the `Cacheme` on its own thread (its pending requests complete with
  /// `operation_aborted`), lets the context run out of work (at most `drain`, then stops it)
  /// and joins the thread.
  void shut_down(std::chrono::milliseconds drain) {
    gate.close();
    std::promise<void> destroyed;
    // Through the engine's strand, not the context: a request that passed the gate waits in the
    // strand's queue, and if a strand handler was running when it came, the strand goes back
    // into the context's queue behind anything posted to the context meanwhile. The strand's
    // own order puts the request before the destruction.
    ::asio::post(cm->get_executor(), [&] {
      cm.reset();
      destroyed.set_value();
    });
    destroyed.get_future().wait();
    guard.reset();
    if (exited.get_future().wait_for(drain) != std::future_status::ready) io.stop();
    thread.join();
  }

  ::asio::io_context io;
  ::asio::executor_work_guard<::asio::io_context::executor_type> guard;
  std::optional<Cacheme> cm;
  ShardGate gate;
  std::promise<void> exited;
  std::thread thread;
};

/// `url` with its `size=N` (a `local://` URL) replaced by this shard's share, N / shards
/// rounded up, so the shards together hold what the URL says. Other URLs are returned as given.
inline std::string share_of_local_size(std::string url, std::size_t shards) {
  if (url.rfind("local://", 0) != 0 || shards <= 1) return url;
  for (std::size_t at = url.find("size="); at != std::string::npos; at = url.find("size=", at + 1)) {
    if (at == 0 || (url[at - 1] != '?' && url[at - 1] != '&')) continue;
    const std::size_t begin = at + 5;
    std::size_t end = url.find('&', begin);
    if (end == std::string::npos) end = url.size();
    std::uint64_t n = 0;
    const auto [stop, ec] = std::from_chars(url.data() + begin, url.data() + end, n);
    if (ec != std::errc{} || stop != url.data() + end || n == 0) return url;  // left to the parser to reject
    return url.replace(begin, end - begin, std::to_string((n + shards - 1) / shards));
  }
  return url;
}

}  // namespace cacheme::asio::detail
