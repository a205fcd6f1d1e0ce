// The seed workload's `[redis]` replay by the smallest client that can do it: no framework, one
// hiredis connection on libevent, ideal coalescing, a FIFO of 100 ms loads. It does only what
// the workload needs: N workers pull keys from one queue; a key in flight is waited for (or
// answered at once once its value is known); a new key is read with GET; a miss loads (a timer)
// and writes back with SET, its waiters answered when the load returns.
//
// It is a yardstick, not a cache. Before the clock starts it interns the keys to dense ids and
// formats every GET and SET, so the timed run does no hashing, no formatting and no allocation
// of its own: what it takes is what the workload costs a client that pays for nothing but
// hiredis and the event loop. `cacheme-bench replay --chain redis://...` is compared with it
// side by side (scripts/minimal_replay_ab.sh; README, Benchmarks).
//
// Usage: minimal_redis_replay TRACE WORKERS [PORT] [LOAD_MS]
// TRACE: one key per line (../shared/traces/seed-zipf-200k.txt). Its keys are written under
// "minimal-replay:" and deleted before the run.
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using KeyId = std::uint32_t;

/// The process's CPU time (user + system), in seconds.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

/// A RESP command of the given arguments (what `redisFormatCommand` makes, done once up front).
std::string resp(std::initializer_list<std::string> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

/// The trace as dense key ids, with each key's GET and SET already formatted.
struct Trace {
  std::vector<KeyId> requests;
  std::vector<std::string> get, set, del;

  explicit Trace(std::ifstream& in) {
    std::unordered_map<std::string, KeyId> ids;
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == '#') continue;
      auto [it, fresh] = ids.try_emplace(line, static_cast<KeyId>(ids.size()));
      if (fresh) {
        const std::string full = "minimal-replay:" + line + ":v1";
        get.push_back(resp({"GET", full}));
        set.push_back(resp({"SET", full, "value-" + line}));
        del.push_back(resp({"DEL", full}));
      }
      requests.push_back(it->second);
    }
  }
};

/// One key's flight: the workers waiting for it.
struct Flight {
  std::vector<std::uint32_t> waiting;
  bool active = false;
  bool known = false;  ///< loaded, its SET not yet acknowledged
};

class Replay {
 public:
  Replay(const Trace& trace, std::size_t workers, int port, int load_ms)
      : trace_(trace), workers_(workers), load_(std::chrono::milliseconds(load_ms)), flights_(trace.get.size()) {
    base_ = event_base_new();
    ctx_ = redisAsyncConnect("127.0.0.1", port);
    if (ctx_ == nullptr || ctx_->err) {
      std::fprintf(stderr, "minimal_redis_replay: cannot connect to 127.0.0.1:%d\n", port);
      std::exit(2);
    }
    ctx_->data = this;
    redisLibeventAttach(ctx_, base_);
    timer_ = evtimer_new(base_, &Replay::on_timer, this);
  }

  /// Runs the trace; returns the seconds until the last request was answered (as
  /// `cacheme-bench replay` counts them).
  double run() {
    flush();
    const double cpu_before = cpu_seconds();
    const auto start = Clock::now();
    for (std::uint32_t w = 0; w < workers_; ++w) ready_.push_back(w);
    drain_ready();
    event_base_dispatch(base_);
    cpu_s = cpu_seconds() - cpu_before;
    return std::chrono::duration<double>(last_answer_ - start).count();
  }

  std::size_t gets = 0, sets = 0, loads = 0, answered = 0;
  double cpu_s = 0;  ///< the run's CPU time (until the last SET is acknowledged)
  std::size_t write_every = 1024;  ///< sends what is buffered every this many GETs (0: never)

 private:
  void flush() {
    for (const auto& del : trace_.del) redisAsyncFormattedCommand(ctx_, nullptr, nullptr, del.data(), del.size());
    redisAsyncCommand(ctx_, &Replay::on_flushed, this, "PING");
    event_base_dispatch(base_);
  }
  static void on_flushed(redisAsyncContext*, void*, void* self) {
    event_base_loopbreak(static_cast<Replay*>(self)->base_);
  }

  static void* as_data(KeyId id) { return reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)); }
  static KeyId as_id(void* data) { return static_cast<KeyId>(reinterpret_cast<std::uintptr_t>(data)); }

  // Each ready worker takes requests until one waits (a loop, not recursion). Every
  // `write_every` GETs the buffer is sent, so Redis starts on a burst while the rest of it is
  // still being queued (hiredis alone writes once the loop regains control).
  void drain_ready() {
    while (!ready_.empty()) {
      const std::uint32_t w = ready_.front();
      ready_.pop_front();
      request(w);
      if (write_every > 0 && unsent_ >= write_every) {
        unsent_ = 0;
        redisAsyncHandleWrite(ctx_);
      }
    }
    finish_if_done();
  }

  void request(std::uint32_t worker) {
    if (next_ >= trace_.requests.size()) return;
    const KeyId key = trace_.requests[next_++];
    Flight& f = flights_[key];
    if (f.active) {
      if (f.known) {
        answer(worker);
      } else {
        f.waiting.push_back(worker);
      }
      return;
    }
    f.active = true;
    f.waiting.push_back(worker);
    ++gets;
    ++unsent_;
    const std::string& cmd = trace_.get[key];
    redisAsyncFormattedCommand(ctx_, &Replay::on_get, as_data(key), cmd.data(), cmd.size());
  }

  void answer(std::uint32_t worker) {
    if (++answered == trace_.requests.size()) last_answer_ = Clock::now();
    ready_.push_back(worker);
  }

  void answer_all(Flight& f) {
    for (std::uint32_t w : f.waiting) answer(w);
    f.waiting.clear();
  }

  static void on_get(redisAsyncContext* ctx, void* reply, void* data) {
    auto& self = *static_cast<Replay*>(ctx->data);
    const KeyId key = as_id(data);
    Flight& f = self.flights_[key];
    auto* r = static_cast<redisReply*>(reply);
    if (r != nullptr && r->type == REDIS_REPLY_STRING) {  // a hit
      self.answer_all(f);
      f.active = false;
    } else {
      ++self.loads;
      self.pending_loads_.push_back({Clock::now() + self.load_, key});
      if (self.pending_loads_.size() == 1) self.arm_timer();
    }
    self.drain_ready();
  }

  void arm_timer() {
    const auto wait = std::chrono::duration_cast<std::chrono::microseconds>(pending_loads_.front().due - Clock::now());
    const long us = wait.count() > 0 ? static_cast<long>(wait.count()) : 0;
    timeval tv{us / 1000000, us % 1000000};
    evtimer_add(timer_, &tv);
  }

  // Every load due: its waiters are answered and its value written back.
  static void on_timer(evutil_socket_t, short, void* arg) {
    auto& self = *static_cast<Replay*>(arg);
    const auto now = Clock::now();
    while (!self.pending_loads_.empty() && self.pending_loads_.front().due <= now) {
      const KeyId key = self.pending_loads_.front().key;
      self.pending_loads_.pop_front();
      Flight& f = self.flights_[key];
      f.known = true;
      self.answer_all(f);
      ++self.sets;
      const std::string& cmd = self.trace_.set[key];
      redisAsyncFormattedCommand(self.ctx_, &Replay::on_set, as_data(key), cmd.data(), cmd.size());
    }
    if (!self.pending_loads_.empty()) self.arm_timer();
    self.drain_ready();
  }

  static void on_set(redisAsyncContext* ctx, void*, void* data) {
    auto& self = *static_cast<Replay*>(ctx->data);
    Flight& f = self.flights_[as_id(data)];
    f.active = false;
    f.known = false;
    ++self.acknowledged_;
    self.finish_if_done();
  }

  void finish_if_done() {
    if (answered == trace_.requests.size() && acknowledged_ == sets && !done_) {
      done_ = true;
      evtimer_del(timer_);
      redisAsyncDisconnect(ctx_);  // the loop ends once the last reply is read
    }
  }

  struct PendingLoad {
    Clock::time_point due;
    KeyId key;
  };

  const Trace& trace_;
  std::size_t workers_;
  Clock::duration load_;
  std::vector<Flight> flights_;
  event_base* base_ = nullptr;
  redisAsyncContext* ctx_ = nullptr;
  event* timer_ = nullptr;
  std::size_t next_ = 0;
  std::size_t unsent_ = 0;
  std::size_t acknowledged_ = 0;  ///< SETs Redis answered
  bool done_ = false;
  Clock::time_point last_answer_;
  std::deque<std::uint32_t> ready_;
  std::deque<PendingLoad> pending_loads_;  ///< in due order: every load takes the same time
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: minimal_redis_replay TRACE WORKERS [PORT] [LOAD_MS]\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::fprintf(stderr, "minimal_redis_replay: cannot read %s\n", argv[1]);
    return 2;
  }
  const Trace trace(in);
  const std::size_t workers = std::strtoul(argv[2], nullptr, 10);
  const int port = argc > 3 ? std::atoi(argv[3]) : 6379;
  const int load_ms = argc > 4 ? std::atoi(argv[4]) : 100;
  if (workers == 0 || trace.requests.empty()) {
    std::fprintf(stderr, "minimal_redis_replay: need at least one worker and one key\n");
    return 2;
  }
  Replay replay(trace, workers, port, load_ms);
  if (const char* every = std::getenv("WRITE_EVERY")) replay.write_every = std::strtoul(every, nullptr, 10);
  const double seconds = replay.run();
  std::printf("requests %zu workers %zu seconds %.4f cpu %.4f gets %zu sets %zu loads %zu\n", replay.answered, workers,
              seconds, replay.cpu_s, replay.gets, replay.sets, replay.loads);
  return replay.answered == trace.requests.size() ? 0 : 1;
}
