// How soon an invalidate in one process is seen by another process's local tier, over a real
// Redis (cross-process invalidation, `?invalidation=pubsub`).
//
//   invalidation_latency REDIS_URL [--keys N] [--gap-ms G]
//
// Forks a listener: it fills its local tier with N keys and records, on the monotonic clock
// (CLOCK_MONOTONIC, one clock for every process of the machine), when each key's local copy
// was dropped. The parent then invalidates the keys one by one, G ms apart, recording when each
// `invalidate` was called. The latency of a key is drop time - call time: the DEL round trip,
// the PUBLISH, the delivery and the drop. Prints p50, p90, p99 and max, and the keys whose drop
// never came (missed).
#include <sys/wait.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cacheme/asio/cacheme.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct LatencyNode {
  int i = 0;
  std::string key() const { return "lat:" + std::to_string(i); }
  asio::awaitable<int> load() const { co_return i; }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 1h}, {"redis", 1h}}}; }
};

std::int64_t now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

asio::awaitable<void> connect(cacheme::asio::Cacheme& cm, const std::string& url, const std::string& prefix) {
  cm.set_prefix(prefix);
  co_await cm.register_storage("local", {"local://lru?size=100000"});
  co_await cm.register_storage("redis", {url + (url.find('?') == std::string::npos ? "?" : "&") + "invalidation=pubsub"});
  for (int i = 0; i < 500 && !cm.runtime().invalidation_channel("redis")->counts().subscribed; ++i) co_await sleep_for(10ms);
}

// The listener: fill, say ready (one byte on `ready_fd`), record drops, write "index ns" lines.
int listen(const std::string& url, const std::string& prefix, int keys, int ready_fd, int out_fd) {
  asio::io_context io;
  cacheme::asio::Cacheme cm(io);
  std::vector<std::int64_t> dropped(static_cast<std::size_t>(keys), 0);
  int seen = 0;
  cm.runtime().on_remote_invalidation([&](std::string_view full_key) {
    const auto at = full_key.find(":lat:");
    if (at == std::string_view::npos) return;
    const int i = std::atoi(std::string(full_key.substr(at + 5)).c_str());
    if (i >= 0 && i < keys && dropped[static_cast<std::size_t>(i)] == 0) {
      dropped[static_cast<std::size_t>(i)] = now_ns();
      ++seen;
    }
  });
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await connect(cm, url, prefix);
    for (int i = 0; i < keys; ++i) co_await cm.get(LatencyNode{i});
    const char byte = 'r';
    if (::write(ready_fd, &byte, 1) != 1) std::exit(1);
    for (int waited = 0; seen < keys && waited < 30'000; waited += 5) co_await sleep_for(5ms);
    io.stop();
  }, asio::detached);
  io.run();
  std::string lines;
  for (int i = 0; i < keys; ++i) lines += std::to_string(i) + ' ' + std::to_string(dropped[static_cast<std::size_t>(i)]) + '\n';
  for (std::size_t off = 0; off < lines.size();) {
    const ssize_t n = ::write(out_fd, lines.data() + off, lines.size() - off);
    if (n <= 0) return 1;
    off += static_cast<std::size_t>(n);
  }
  return 0;
}

// The invalidator: waits for the listener, then invalidates key after key.
std::vector<std::int64_t> invalidate_all(const std::string& url, const std::string& prefix, int keys, int gap_ms,
                                         int ready_fd) {
  asio::io_context io;
  cacheme::asio::Cacheme cm(io);
  std::vector<std::int64_t> sent(static_cast<std::size_t>(keys), 0);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await connect(cm, url, prefix);
    char byte = 0;
    if (::read(ready_fd, &byte, 1) != 1) std::exit(1);  // blocks the loop: nothing else to do yet
    for (int i = 0; i < keys; ++i) {
      sent[static_cast<std::size_t>(i)] = now_ns();
      co_await cm.invalidate(LatencyNode{i});
      co_await sleep_for(std::chrono::milliseconds(gap_ms));
    }
    co_await sleep_for(100ms);  // let the last publishes leave
    io.stop();
  }, asio::detached);
  io.run();
  return sent;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: invalidation_latency REDIS_URL [--keys N] [--gap-ms G]\n");
    return 2;
  }
  const std::string url = argv[1];
  int keys = 1000, gap_ms = 2;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--keys") keys = std::max(1, std::atoi(argv[i + 1]));
    if (std::string(argv[i]) == "--gap-ms") gap_ms = std::max(0, std::atoi(argv[i + 1]));
  }
  const std::string prefix = "cacheme-latency-" + std::to_string(::getpid());
  int ready[2], out[2];
  if (::pipe(ready) != 0 || ::pipe(out) != 0) return 1;
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(ready[0]);
    ::close(out[0]);
    return listen(url, prefix, keys, ready[1], out[1]);
  }
  ::close(ready[1]);
  ::close(out[1]);
  const auto sent = invalidate_all(url, prefix, keys, gap_ms, ready[0]);
  std::string text;
  char buf[65536];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  int status = 0;
  ::waitpid(child, &status, 0);
  std::vector<double> ms;
  int missed = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = text.find('\n', pos);
    int i = 0;
    long long t = 0;
    if (std::sscanf(text.c_str() + pos, "%d %lld", &i, &t) == 2 && i >= 0 && i < keys) {
      if (t == 0) ++missed;
      else ms.push_back(static_cast<double>(t - sent[static_cast<std::size_t>(i)]) / 1e6);
    }
    pos = end == std::string::npos ? text.size() : end + 1;
  }
  std::printf("keys %d, gap %d ms, seen %zu, missed %d\n", keys, gap_ms, ms.size(), missed);
  std::printf("invalidate -> other process's local copy dropped: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
              percentile(ms, 0.5), percentile(ms, 0.9), percentile(ms, 0.99), percentile(ms, 1.0));
  return missed == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
