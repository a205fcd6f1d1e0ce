#include "redis_info.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <sstream>

#include "cacheme/build_config.hpp"
#if CACHEME_HAVE_REDIS
#include <hiredis/hiredis.h>
#endif

namespace cacheme::cli {

std::map<std::string, std::uint64_t> redis_command_stats(const std::string& url) {
  std::map<std::string, std::uint64_t> out;
#if CACHEME_HAVE_REDIS
  // redis://[user:password@]host:port[/db]
  std::string rest = url.substr(url.find("://") + 3);
  std::string user, password;
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    const std::string auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = auth.find(':');
    user = colon == std::string::npos ? "" : auth.substr(0, colon);
    password = colon == std::string::npos ? auth : auth.substr(colon + 1);
  }
  rest = rest.substr(0, rest.find_first_of("/?"));
  const auto colon = rest.rfind(':');
  const std::string host = rest.substr(0, colon);
  const int port = colon == std::string::npos ? 6379 : std::atoi(rest.c_str() + colon + 1);
  const timeval timeout{2, 0};
  std::unique_ptr<redisContext, decltype(&redisFree)> c(redisConnectWithTimeout(host.c_str(), port, timeout), &redisFree);
  if (!c || c->err) return out;
  if (!password.empty()) {
    auto* r = static_cast<redisReply*>(user.empty() ? redisCommand(c.get(), "AUTH %s", password.c_str())
                                                    : redisCommand(c.get(), "AUTH %s %s", user.c_str(), password.c_str()));
    if (r) freeReplyObject(r);
  }
  auto* reply = static_cast<redisReply*>(redisCommand(c.get(), "INFO commandstats"));
  if (!reply) return out;
  if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS) {
    std::istringstream lines(std::string(reply->str, reply->len));
    std::string line;
    while (std::getline(lines, line)) {  // cmdstat_get:calls=123,usec=...
      if (line.rfind("cmdstat_", 0) != 0) continue;
      const auto colon_pos = line.find(':');
      const auto calls = line.find("calls=");
      if (colon_pos == std::string::npos || calls == std::string::npos) continue;
      std::string name = line.substr(8, colon_pos - 8);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::toupper(ch); });
      out[name] = std::strtoull(line.c_str() + calls + 6, nullptr, 10);
    }
  }
  freeReplyObject(reply);
#else
  (void)url;
#endif
  return out;
}

}  // namespace cacheme::cli
