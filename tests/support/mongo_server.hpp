/// @file mongo_server.hpp
/// A private MongoDB-wire test server (scripts/mongo_test_server.mjs on node) for tests that
/// kill and restart the server under the driver: spawned on a free 127.0.0.1 port, killed by PID
/// and reaped, so it never disturbs the shared one. Needs the npm install that
/// scripts/services.sh makes, named by CACHEME_TEST_MONGO_JS_DIR. Header-only; needs Catch2.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

extern char** environ;

namespace cacheme::test_support {

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
inline bool accepts(int port) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

/// The MongoDB-wire server of the test's own (in memory: a restart starts empty).
class MongoServer {
 public:
  /// `script`: scripts/mongo_test_server.mjs; `js_dir`: its npm install.
  MongoServer(std::string script, std::string js_dir) : script_(std::move(script)), js_dir_(std::move(js_dir)) {}
  ~MongoServer() { kill(); }
  MongoServer(const MongoServer&) = delete;
  MongoServer& operator=(const MongoServer&) = delete;

  /// Starts on `port`; false when node cannot be run or the port does not accept within 15 s.
  bool start(int port) {
    using namespace std::chrono_literals;
    const std::string p = std::to_string(port);
    const char* argv[] = {"node", script_.c_str(), js_dir_.c_str(), p.c_str(), nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawnp(&pid_, "node", &fa, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      pid_ = -1;
      return false;
    }
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (accepts(port)) return true;
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {  // exited (port taken?)
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(20ms);
    }
    kill();
    return false;
  }

  /// Sends `sig` to the server (SIGSTOP stalls it, SIGCONT wakes it); false when not running.
  bool signal(int sig) { return pid_ > 0 && ::kill(pid_, sig) == 0; }

  /// Kills the server (SIGKILL: a crash, not a shutdown) and reaps it; a no-op when not running.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::string script_;
  std::string js_dir_;
  pid_t pid_ = -1;
};

}  // namespace cacheme::test_support
