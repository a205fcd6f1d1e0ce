// SQL storage URL parsing: scheme://[user[:pass]@]host[:port][/path][?k=v&...], percent-decoded.
#include "cacheme/drivers/sql/url.hpp"

#include <algorithm>
#include <charconv>

#include "cacheme/drivers/sql/schema.hpp"
#include "cacheme/errc.hpp"

namespace cacheme::drivers::sql {
namespace {

constexpr std::size_t kMaxOutstanding = 1'000'000;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes ('+' stays '+': these are not form-encoded).
std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

template <class Int>
std::optional<Int> parse_int(std::string_view s) {
  Int v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view s) {
  if (s == "1" || s == "true" || s == "yes" || s == "on") return true;
  if (s == "0" || s == "false" || s == "no" || s == "off") return false;
  return std::nullopt;
}

Result<std::string> decoded(std::string_view s) {
  auto d = percent_decode(s);
  if (!d) return fail(errc::bad_url);
  return std::move(*d);
}

// Splits "user[:pass]@host[:port]" into `url`.
Result<void> parse_authority(std::string_view auth, Url& url) {
  if (const auto at = auth.rfind('@'); at != std::string_view::npos) {
    std::string_view info = auth.substr(0, at);
    auth.remove_prefix(at + 1);
    const auto colon = info.find(':');
    auto user = decoded(info.substr(0, colon));
    if (!user) return fail(user.error());
    url.user = std::move(*user);
    if (colon != std::string_view::npos) {
      auto pass = decoded(info.substr(colon + 1));
      if (!pass) return fail(pass.error());
      url.password = std::move(*pass);
    }
  }
  std::string_view host = auth;
  std::string_view port;
  if (!auth.empty() && auth.front() == '[') {  // [v6]:port
    const auto close = auth.find(']');
    if (close == std::string_view::npos) return fail(errc::bad_url);
    host = auth.substr(1, close - 1);
    std::string_view after = auth.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail(errc::bad_url);
      port = after.substr(1);
      if (port.empty()) return fail(errc::bad_url);
    }
  } else if (const auto colon = auth.rfind(':'); colon != std::string_view::npos) {
    host = auth.substr(0, colon);
    port = auth.substr(colon + 1);
    if (port.empty()) return fail(errc::bad_url);
  }
  auto h = decoded(host);
  if (!h) return fail(h.error());
  url.host = std::move(*h);
  if (!port.empty()) {
    const auto p = parse_int<unsigned>(port);
    if (!p || *p == 0 || *p > 65535) return fail(errc::bad_url);
    url.port = static_cast<std::uint16_t>(*p);
  }
  return {};
}

}  // namespace

Result<Url> parse_url(std::string_view text) {
  Url url;
  const auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return fail(errc::bad_url);
  url.scheme = std::string(text.substr(0, sep));
  for (char& c : url.scheme) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
          c == '.'))
      return fail(errc::bad_url);
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::string_view rest = text.substr(sep + 3);
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  auto target = decoded(rest);
  if (!target) return fail(target.error());
  url.target = std::move(*target);

  const auto slash = rest.find('/');
  if (auto r = parse_authority(rest.substr(0, slash), url); !r) return fail(r.error());
  if (slash != std::string_view::npos) {
    auto path = decoded(rest.substr(slash));
    if (!path) return fail(path.error());
    url.path = std::move(*path);
  }

  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = decoded(pair.substr(0, eq));
    auto value = decoded(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!key || !value || key->empty()) return fail(errc::bad_url);
    url.query.emplace_back(std::move(*key), std::move(*value));
  }
  return url;
}

Result<Settings> resolve_settings(const Url& url, const StorageOptions& options, std::size_t default_pool_size,
                                  std::initializer_list<std::string_view> extra_keys) {
  Settings s;
  s.table = options.table;
  s.pool_size = options.pool_size == 0 ? default_pool_size : options.pool_size;
  s.init = options.init;
  for (const auto& [key, value] : url.query) {
    if (key == "table") {
      s.table = value;
    } else if (key == "pool_size") {
      const auto n = parse_int<std::size_t>(value);
      if (!n) return fail(errc::bad_option);
      s.pool_size = *n == 0 ? default_pool_size : *n;
    } else if (key == "init") {
      const auto b = parse_bool(value);
      if (!b) return fail(errc::bad_option);
      s.init = *b;
    } else if (key == "connect_timeout") {
      const auto ms = parse_int<std::int64_t>(value);
      if (!ms || *ms <= 0) return fail(errc::bad_option);
      s.connect_timeout = std::chrono::milliseconds(*ms);
    } else if (key == "timeout") {
      const auto ms = parse_int<std::int64_t>(value);
      if (!ms || *ms <= 0) return fail(errc::bad_option);
      s.timeout = std::chrono::milliseconds(*ms);
    } else if (key == "max_outstanding") {
      const auto n = parse_int<std::size_t>(value);
      if (!n || *n < 1 || *n > kMaxOutstanding) return fail(errc::bad_option);
      s.max_outstanding = *n;
    } else if (std::find(extra_keys.begin(), extra_keys.end(), key) != extra_keys.end()) {
      s.extra[key] = value;
    } else {
      return fail(errc::bad_option);
    }
  }
  if (!valid_table_name(s.table)) return fail(errc::bad_option);
  if (s.pool_size < 1 || s.pool_size > 1000) return fail(errc::bad_option);
  return s;
}

}  // namespace cacheme::drivers::sql
