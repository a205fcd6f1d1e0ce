#include "redis_url.hpp"

#include <charconv>
#include <limits>

#include "cacheme/errc.hpp"

namespace cacheme::drivers::redis::detail {
namespace {

constexpr std::string_view kScheme = "redis://";
constexpr std::size_t kMaxPoolSize = 10000;
constexpr std::size_t kMaxOutstanding = 100'000'000;

template <class T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += char(hi * 16 + lo);
    i += 2;
  }
  return true;
}

bool parse_userinfo(std::string_view info, RedisUrl& url) {
  const auto colon = info.find(':');
  if (colon == std::string_view::npos) return percent_decode(info, url.password);
  return percent_decode(info.substr(0, colon), url.user) && percent_decode(info.substr(colon + 1), url.password);
}

bool parse_host_port(std::string_view hp, RedisUrl& url) {
  std::string_view port;
  if (!hp.empty() && hp.front() == '[') {  // [IPv6]:port
    const auto close = hp.find(']');
    if (close == std::string_view::npos) return false;
    url.host = std::string(hp.substr(1, close - 1));
    const auto rest = hp.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
  } else {
    const auto colon = hp.find(':');
    url.host = std::string(hp.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = hp.substr(colon + 1);
      if (port.empty()) return false;
    }
  }
  if (url.host.empty()) return false;
  if (!port.empty()) {
    unsigned value = 0;
    if (!parse_number(port, value) || value == 0 || value > 65535) return false;
    url.port = static_cast<std::uint16_t>(value);
  }
  return true;
}

/// `host[:port][,host[:port]...]`: the first is `url.host`/`url.port`, all are `url.seeds`.
bool parse_hosts(std::string_view hosts, RedisUrl& url) {
  RedisUrl one;
  while (true) {
    const auto comma = hosts.find(',');
    one.port = 6379;
    if (!parse_host_port(hosts.substr(0, comma), one)) return false;
    url.seeds.emplace_back(one.host, one.port);
    if (comma == std::string_view::npos) break;
    hosts.remove_prefix(comma + 1);
  }
  url.host = url.seeds.front().first;
  url.port = url.seeds.front().second;
  return true;
}

}  // namespace

namespace {

/// The URL's fields, before the checks that combine them; `why` says what is wrong, if anything.
Result<RedisUrl> parse_fields(std::string_view text, std::string& why) {
  if (text.substr(0, kScheme.size()) != kScheme) return fail(errc::bad_url);
  text.remove_prefix(kScheme.size());
  if (text.find('#') != std::string_view::npos) return fail(errc::bad_url);

  RedisUrl url;
  std::string_view query;
  if (const auto q = text.find('?'); q != std::string_view::npos) {
    query = text.substr(q + 1);
    text = text.substr(0, q);
  }
  std::string_view path;
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    path = text.substr(slash + 1);
    text = text.substr(0, slash);
  }
  // The password may contain '@' only percent-encoded; the last '@' ends the userinfo.
  if (const auto at = text.rfind('@'); at != std::string_view::npos) {
    if (!parse_userinfo(text.substr(0, at), url)) return fail(errc::bad_url);
    text = text.substr(at + 1);
  }
  if (!parse_hosts(text, url)) return fail(errc::bad_url);
  if (!path.empty() && (!parse_number(path, url.db) || url.db < 0)) return fail(errc::bad_url);

  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = item.find('=');
    const auto key = item.substr(0, eq);
    const auto value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    if (key.empty()) return fail(errc::bad_url);
    why = "bad " + std::string(key) + "=" + std::string(value);
    if (key == "pool_size") {
      if (!parse_number(value, url.pool_size) || url.pool_size == 0 || url.pool_size > kMaxPoolSize)
        return fail(errc::bad_option);
    } else if (key == "cluster") {
      if (value != "true" && value != "false") return fail(errc::bad_option);
      url.cluster = value == "true";
    } else if (key == "timeout") {
      long ms = 0;
      if (!parse_number(value, ms) || ms <= 0) return fail(errc::bad_option);
      url.timeout = std::chrono::milliseconds(ms);
    } else if (key == "max_outstanding") {
      why = "bad max_outstanding=" + std::string(value) + " (expected 1 to " + std::to_string(kMaxOutstanding) + ")";
      if (!parse_number(value, url.max_outstanding) || url.max_outstanding == 0 ||
          url.max_outstanding > kMaxOutstanding)
        return fail(errc::bad_option);
    }
    why.clear();
  }
  return url;
}

/// Several hosts are seed nodes of one cluster; a cluster has only database 0.
std::string combination_problem(const RedisUrl& url) {
  if (url.seeds.size() > 1 && !url.cluster) return "several hosts are only for a cluster (add ?cluster=true)";
  if (url.cluster && url.db != 0)
    return "a Redis Cluster has only database 0, the URL asks for database " + std::to_string(url.db) +
           " (drop /" + std::to_string(url.db) + ")";
  return {};
}

}  // namespace

Result<RedisUrl> parse_redis_url(std::string_view text) {
  std::string why;
  auto url = parse_fields(text, why);
  if (url && !combination_problem(*url).empty()) return fail(errc::bad_url);
  return url;
}

std::string explain_bad_redis_url(std::string_view text) {
  std::string why;
  const auto url = parse_fields(text, why);
  if (!url) return why.empty() ? "malformed redis URL" : why;
  return combination_problem(*url);
}

}  // namespace cacheme::drivers::redis::detail
