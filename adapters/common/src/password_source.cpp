// password_file= / password_env=: a storage's password from outside the URL (password_source.hpp).
#include "cacheme/adapters/password_source.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <algorithm>
#include <optional>
#include <vector>

#include "cacheme/errc.hpp"

namespace cacheme::adapters {
namespace {

struct Source {
  std::string key;    ///< "password_file" or "password_env"
  std::string value;  ///< the path or the variable's name, as written
};

// The URL without its password parameters, and those found.
struct SplitUrl {
  std::string url;
  std::vector<Source> sources;
};

SplitUrl split_sources(std::string_view url) {
  const auto q = url.find('?');
  if (q == std::string_view::npos) return {std::string(url), {}};
  SplitUrl out{std::string(url.substr(0, q)), {}};
  std::string kept;
  std::string_view query = url.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    if (key == "password_file" || key == "password_env") {
      out.sources.push_back({std::string(key), std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1))});
    } else if (!pair.empty()) {
      kept.append(kept.empty() ? "" : "&").append(pair);
    }
  }
  if (!kept.empty()) out.url += "?" + kept;
  return out;
}

Result<std::string> refuse(const std::string& why) {
  std::fprintf(stderr, "cacheme: %s\n", why.c_str());
  return fail(errc::bad_option);
}

Result<std::string> read_secret(const Source& s) {
  std::string secret;
  if (s.key == "password_env") {
    const char* value = s.value.empty() ? nullptr : std::getenv(s.value.c_str());
    if (!value) return refuse("password_env: environment variable '" + s.value + "' is not set");
    secret = value;
  } else {
    std::ifstream file(s.value, std::ios::binary);
    if (!file) return refuse("password_file: cannot read '" + s.value + "': " + std::strerror(errno));
    secret.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    // One trailing newline is the editor's, not the password's (`echo pw > file`).
    if (!secret.empty() && secret.back() == '\n') secret.pop_back();
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  }
  if (secret.empty()) return refuse(s.key + ": the password is empty");
  return secret;
}

std::string percent_encoded(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

// Puts `password` into the user info of `url` (which has none), after the user name if any.
Result<std::string> with_password(std::string url, const std::string& password) {
  const auto sep = url.find("://");
  if (sep == std::string::npos) return fail(errc::bad_url);
  const std::size_t start = sep + 3;
  // As the drivers read it: the user info ends at the last '@' before the first '/' or '?'.
  const std::size_t authority_end = std::min(url.find_first_of("/?", start), url.size());
  const auto at = url.substr(0, authority_end).rfind('@');
  if (at == std::string::npos || at < start) return url.insert(start, ":" + percent_encoded(password) + "@");
  if (url.substr(start, at - start).find(':') != std::string::npos)
    return refuse("the URL has a password already: drop it or drop password_file/password_env");
  return url.insert(at, ":" + percent_encoded(password));
}

}  // namespace

Result<std::string> resolve_password_source(std::string_view url) {
  SplitUrl split = split_sources(url);
  if (split.sources.empty()) return std::string(url);
  if (split.sources.size() > 1) return refuse("give one password_file or one password_env, not several");
  auto secret = read_secret(split.sources.front());
  if (!secret) return secret;
  return with_password(std::move(split.url), *secret);
}

}  // namespace cacheme::adapters
