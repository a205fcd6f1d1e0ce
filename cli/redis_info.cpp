#include "redis_info.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "cacheme/build_config.hpp"
#if CACHEME_HAVE_REDIS
#include <hiredis/hiredis.h>
#endif

namespace cacheme::cli {

#if CACHEME_HAVE_REDIS
namespace {

using Context = std::unique_ptr<redisContext, decltype(&redisFree)>;
using Reply = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

/// What a `redis://[user:password@]host:port[,host:port...][/db][?...]` URL says, for our own
/// reading connection.
struct Target {
  std::vector<std::pair<std::string, int>> hosts;
  std::string user, password;
  bool cluster = false;
};

Target parse_target(const std::string& url) {
  Target t;
  t.cluster = url.find("cluster=true") != std::string::npos;
  std::string rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find_first_of("/?"));
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    const std::string auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = auth.find(':');
    t.user = colon == std::string::npos ? "" : auth.substr(0, colon);
    t.password = colon == std::string::npos ? auth : auth.substr(colon + 1);
  }
  std::istringstream hosts(rest);
  std::string hp;
  while (std::getline(hosts, hp, ',')) {
    const auto colon = hp.rfind(':');
    t.hosts.emplace_back(hp.substr(0, colon), colon == std::string::npos ? 6379 : std::atoi(hp.c_str() + colon + 1));
  }
  return t;
}

Context connect(const Target& t, const std::string& host, int port) {
  const timeval timeout{2, 0};
  Context c(redisConnectWithTimeout(host.c_str(), port, timeout), &redisFree);
  if (!c || c->err) return Context(nullptr, &redisFree);
  if (!t.password.empty()) {
    void* r = t.user.empty() ? redisCommand(c.get(), "AUTH %s", t.password.c_str())
                             : redisCommand(c.get(), "AUTH %s %s", t.user.c_str(), t.password.c_str());
    if (r) freeReplyObject(r);
  }
  return c;
}

void add_command_stats(redisContext* c, std::map<std::string, std::uint64_t>& out) {
  Reply reply(static_cast<redisReply*>(redisCommand(c, "INFO commandstats")), &freeReplyObject);
  if (!reply || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS)) return;
  std::istringstream lines(std::string(reply->str, reply->len));
  std::string line;
  while (std::getline(lines, line)) {  // cmdstat_get:calls=123,usec=...
    if (line.rfind("cmdstat_", 0) != 0) continue;
    const auto colon_pos = line.find(':');
    const auto calls = line.find("calls=");
    if (colon_pos == std::string::npos || calls == std::string::npos) continue;
    std::string name = line.substr(8, colon_pos - 8);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::toupper(ch); });
    out[name] += std::strtoull(line.c_str() + calls + 6, nullptr, 10);
  }
}

/// The masters of the cluster `c` belongs to (host, port), each once, from `CLUSTER SLOTS`.
std::vector<std::pair<std::string, int>> cluster_masters(redisContext* c, const std::string& asked_host) {
  std::vector<std::pair<std::string, int>> masters;
  Reply reply(static_cast<redisReply*>(redisCommand(c, "CLUSTER SLOTS")), &freeReplyObject);
  if (!reply || reply->type != REDIS_REPLY_ARRAY) return masters;
  for (std::size_t i = 0; i < reply->elements; ++i) {
    const redisReply* range = reply->element[i];
    if (range->type != REDIS_REPLY_ARRAY || range->elements < 3) continue;
    const redisReply* node = range->element[2];
    if (node->type != REDIS_REPLY_ARRAY || node->elements < 2 || node->element[0]->type != REDIS_REPLY_STRING) continue;
    std::string host(node->element[0]->str, node->element[0]->len);
    if (host.empty() || host == "?") host = asked_host;
    std::pair<std::string, int> m{host, static_cast<int>(node->element[1]->integer)};
    if (std::find(masters.begin(), masters.end(), m) == masters.end()) masters.push_back(std::move(m));
  }
  return masters;
}

}  // namespace
#endif

std::map<std::string, std::uint64_t> redis_command_stats(const std::string& url) {
  std::map<std::string, std::uint64_t> out;
#if CACHEME_HAVE_REDIS
  const Target t = parse_target(url);
  for (const auto& [host, port] : t.hosts) {  // the first that answers
    Context c = connect(t, host, port);
    if (!c) continue;
    if (!t.cluster) {
      add_command_stats(c.get(), out);
      return out;
    }
    // A cluster: the sum over its masters (replicas replay the masters' writes: not counted).
    for (const auto& [mhost, mport] : cluster_masters(c.get(), host))
      if (Context m = connect(t, mhost, mport)) add_command_stats(m.get(), out);
    return out;
  }
#else
  (void)url;
#endif
  return out;
}

}  // namespace cacheme::cli
