// The driver across a server restart: a redis-server of the test's own, on a free port.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "redis_test_helpers.hpp"

extern char** environ;

using namespace cacheme;
using namespace cacheme::test;
using namespace std::chrono_literals;
using core::IoStatus;

namespace {

int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(s);
  return ntohs(a.sin_port);
}

bool answers_ping(int port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  bool ok = false;
  if (c && !c->err) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
  }
  if (c) redisFree(c);
  return ok;
}

/// A redis-server of our own (no persistence), stopped by PID with SIGTERM and reaped.
class OwnServer {
 public:
  OwnServer() : dir_(std::filesystem::temp_directory_path() / ("cacheme-redis-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
  }
  ~OwnServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /// Starts on `port`; false when redis-server cannot be run or does not answer within 10 s.
  bool start(int port) {
    const std::string p = std::to_string(port), d = dir_.string();
    const char* argv[] = {"redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                          "no", "--daemonize", "no", "--dir", d.c_str(), "--logfile", "", nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawnp(&pid_, "redis-server", &fa, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      pid_ = -1;
      return false;
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (answers_ping(port)) return true;
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {  // exited (port taken?)
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(20ms);
    }
    stop();
    return false;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

/// Whether the test may spawn redis-server: where servers are required, or where one is configured.
bool may_run() {
  const char* require = std::getenv("CACHEME_REQUIRE_SERVERS");
  if (require && std::string_view(require) == "1") return true;
  return redis_url().has_value();
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("redis: a server restart fails commands promptly, then the pool reconnects", "[redis][restart]",
                        Loops) {
  if (!may_run()) return;
  OwnServer server;
  const int port = free_port();
  REQUIRE(server.start(port));
  const std::string url = "redis://127.0.0.1:" + std::to_string(port) + "?pool_size=3";

  Harness<TestType> h;
  REQUIRE_FALSE(h.connect(url));
  CHECK(h.store({entry("k", "before", 60000ms)}) == IoStatus::ok);
  h.loop.run_for(100ms);  // the background connections come up
  CHECK(h.fetch({"k"}).values == Values{"before"});

  // Stopped with commands still buffered in hiredis: they fail, nobody hangs.
  const auto pending = h.fetch_async({"k"});
  const auto pending_store = h.store_async({entry("k2", "x"), entry("k3", "y")});
  server.stop();
  CHECK(h.wait_fetch(pending, 3000ms).status == IoStatus::backend_error);
  CHECK(h.wait_write(pending_store, 3000ms) == IoStatus::backend_error);

  // While the server is down, every operation fails promptly.
  h.loop.run_for(200ms);
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    CHECK(h.fetch({"k"}).status == IoStatus::backend_error);
    CHECK(h.erase({"k"}) == IoStatus::backend_error);
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    h.loop.run_for(50ms);
  }

  // Same port again: the pool reconnects (backoff at most 2 s) and commands succeed.
  REQUIRE(server.start(port));
  bool back = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!back && std::chrono::steady_clock::now() < deadline) {
    back = h.fetch({"k"}).status == IoStatus::ok;  // a fresh server: a miss
    if (!back) h.loop.run_for(100ms);
  }
  REQUIRE(back);
  CHECK(h.store({entry("k", "after", 60000ms)}) == IoStatus::ok);
  CHECK(h.fetch({"k"}).values == Values{"after"});
  CHECK(h.rec.reentrant == 0);
  CHECK(h.rec.duplicates == 0);
  server.stop();
}
