/// @file redis_server.hpp
/// A private redis-server for tests that stop and restart the server under the driver: spawned on
/// a free 127.0.0.1 port, stopped by PID and reaped, so it never disturbs a shared server.
/// Header-only; needs hiredis (to ping it) and Catch2.
#pragma once

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

extern char** environ;

namespace cacheme::test_support {

/// A 127.0.0.1 TCP port nothing listens on right now (bound, then released).
inline int free_port() {
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

/// Whether a Redis server on 127.0.0.1:`port` answers PING.
inline bool answers_ping(int port) {
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

/// A redis-server of the test's own (no persistence, its own temporary directory), stopped by
/// PID with SIGTERM and reaped; `start` may be called again after `stop` (a restart).
class RedisServer {
 public:
  RedisServer() : dir_(std::filesystem::temp_directory_path() / unique_dir_name()) {
    std::filesystem::create_directories(dir_);
  }
  ~RedisServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  /// Starts on `port`, with `extra` options (e.g. `--cluster-enabled yes`); false when
  /// redis-server cannot be run or does not answer within 10 s.
  bool start(int port, const std::vector<std::string>& extra = {}) {
    using namespace std::chrono_literals;
    const std::string p = std::to_string(port), d = dir_.string();
    std::vector<const char*> argv = {"redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no", "--daemonize", "no", "--dir", d.c_str(), "--logfile", ""};
    for (const auto& e : extra) argv.push_back(e.c_str());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawnp(&pid_, "redis-server", &fa, nullptr, const_cast<char**>(argv.data()), environ);
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

  /// Stalls the server (SIGSTOP): it keeps its connections and accepts new ones (the kernel does)
  /// but answers nothing, like a server in a long GC pause or behind a partition.
  void pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }
  /// Lets a paused server run again (SIGCONT).
  void resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

  /// Stops the server (SIGTERM) and reaps it; does nothing when it is not running.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);  // a paused server cannot act on SIGTERM
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  static std::string unique_dir_name() {
    static std::atomic<int> next{0};
    return "cacheme-redis-" + std::to_string(::getpid()) + "-" + std::to_string(next++);
  }

  std::filesystem::path dir_;
  pid_t pid_ = -1;

 public:
  /// The server's own temporary directory.
  const std::filesystem::path& dir() const { return dir_; }
};

}  // namespace cacheme::test_support
