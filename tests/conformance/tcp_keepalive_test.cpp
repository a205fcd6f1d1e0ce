// Every network storage's connections have TCP keepalive, so a peer gone without a FIN or RST
// (a partition, a dead host) is found by the kernel's probes. The test reads SO_KEEPALIVE on the
// live sockets the storage opened: the TCP sockets of this process that were not there before it
// was registered.
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>

#include "harness.hpp"
#include "storages.hpp"

using namespace cacheme;
using namespace cacheme::conformance;

namespace {

/// The connected TCP sockets of this process, by what /proc/self/fd says each fd is (its
/// "socket:[inode]", so a reused fd number counts as a new socket), each with its SO_KEEPALIVE.
std::map<std::string, bool> tcp_sockets() {
  std::map<std::string, bool> found;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return found;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    const int fd = std::stoi(name);
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) continue;  // not a connected socket
    if (peer.ss_family != AF_INET && peer.ss_family != AF_INET6) continue;               // a Unix socket
    int keepalive = 0;
    socklen_t size = sizeof keepalive;
    if (::getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive, &size) != 0) continue;
    char target[64] = {};
    const ssize_t n = ::readlink(("/proc/self/fd/" + name).c_str(), target, sizeof target - 1);
    if (n > 0) found[std::string(target, static_cast<std::size_t>(n))] = keepalive != 0;
  }
  ::closedir(dir);
  return found;
}

}  // namespace

TEST_CASE("tcp keepalive: every connection of every network storage has SO_KEEPALIVE", "[keepalive]") {
  const std::string storage = GENERATE(as<std::string>{}, "redis", "redis-cluster", "postgres", "mysql", "mongo");
  INFO("storage: " << storage);
  auto url = storage_url(storage);
  if (!url) return;
  EventHarness h;
  Source::reset();
  h.cm.set_prefix(unique_prefix(EventHarness::kName, storage));
  const auto before = tcp_sockets();
  REQUIRE_FALSE(h.register_storage("store", *url));
  for (int i = 0; i < 20; ++i) REQUIRE_FALSE(h.get(TestNode{"keepalive-" + std::to_string(i)}).ec);
  h.settle();

  int opened = 0;
  for (const auto& [socket, keepalive] : tcp_sockets()) {
    if (before.count(socket)) continue;
    ++opened;
    INFO(socket);
    CHECK(keepalive);
  }
  CHECK(opened >= 1);
}
