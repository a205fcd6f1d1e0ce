// Redis stopped and restarted under the cache, on both adapters: while it is down every request
// still gets its value (the chain falls through to the loader, storage errors are counted);
// once it is back the driver reconnects and reads hit Redis again. The test runs a redis-server
// of its own on a free port (spawned and killed by PID), so it never disturbs the shared one.
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "harness.hpp"
#include "storages.hpp"

extern char** environ;

using namespace cacheme;
using namespace cacheme::conformance;
using namespace std::chrono_literals;

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

/// A redis-server of the test's own (no persistence), stopped by PID and reaped.
class OwnRedis {
 public:
  ~OwnRedis() { stop(); }

  bool start(int port) {
    const std::string p = std::to_string(port), d = temp_dir().string();
    const char* argv[] = {"redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                          "no", "--daemonize", "no", "--dir", d.c_str(), "--logfile", "", nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawnp(&pid_, "redis-server", &fa, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return pid_ = -1, false;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (answers_ping(port)) return true;
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return pid_ = -1, false;  // exited (port taken?)
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
  pid_t pid_ = -1;
};

}  // namespace

TEMPLATE_TEST_CASE("conformance: Redis stopped and restarted mid-run", "[conformance][redis][restart]", AsioHarness,
                   EventHarness) {
  // Runs where Redis tests run: with a configured server or where servers are required.
  if (!storage_url("redis")) return;
  OwnRedis server;
  const int port = free_port();
  REQUIRE(server.start(port));
  TestType h;
  Source::reset();
  h.cm.set_prefix(unique_prefix(TestType::kName, "redis-restart"));
  REQUIRE_FALSE(h.register_storage("store", "redis://127.0.0.1:" + std::to_string(port) + "?pool_size=4"));

  CHECK(*h.get(TestNode{"k"}).value == "k#1");
  h.settle();
  CHECK(*h.get(TestNode{"k"}).value == "k#1");
  CHECK(h.cm.template stats<TestNode>().tiers.at(0).hits == 1);

  // Down: every request still gets its value, from the loader; the errors are counted.
  server.stop();
  int right = 0, done = 0;
  for (int i = 0; i < 50; ++i)
    h.start_get(TestNode{"down-" + std::to_string(i % 10)}, [&, i](Value v) {
      ++done;
      right += !v.ec && v.value && *v.value == "down-" + std::to_string(i % 10) + "#1";
    });
  REQUIRE(h.run_until([&] { return done == 50; }));
  CHECK(right == 50);
  CHECK(*h.get(TestNode{"k"}).value == "k#1");
  h.settle();
  const auto down = h.cm.template stats<TestNode>();
  CHECK(down.tiers.at(0).errors > 0);
  CHECK(down.tiers.at(0).hits == 1);

  // Back (empty, no persistence): the driver reconnects; a stored value is read from Redis again.
  REQUIRE(server.start(port));
  bool hit_again = false;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  for (int round = 0; !hit_again && std::chrono::steady_clock::now() < deadline; ++round) {
    const TestNode node{"after-" + std::to_string(round)};
    REQUIRE_FALSE(h.get(node).ec);
    h.settle();
    const auto before = h.cm.template stats<TestNode>().tiers.at(0).hits;
    REQUIRE_FALSE(h.get(node).ec);
    hit_again = h.cm.template stats<TestNode>().tiers.at(0).hits > before;
    if (!hit_again) h.run_for(100ms);
  }
  CHECK(hit_again);
  h.settle();
  server.stop();
}
