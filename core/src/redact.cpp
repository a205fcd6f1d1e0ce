// Secrets of storage URLs as `***` (see redact.hpp for the rules and why they match the drivers).
#include "cacheme/redact.hpp"

#include <cctype>
#include <vector>

namespace cacheme {
namespace {

constexpr std::string_view kMask = "***";

bool is_scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// Decoded for comparison only: a bad escape stays as written (it then matches no secret key).
std::string percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_secret_key(std::string_view raw_key) {
  const std::string key = lowercase(percent_decoded(raw_key));
  return key == "pass" || key == "passwd" || key == "pwd" || ends_with(key, "password") ||
         key.find("secret") != std::string::npos || key.find("token") != std::string::npos;
}

// True if `text` at `pos` is `scheme://` (a comma before it then starts a new URL of a chain).
bool scheme_at(std::string_view text, std::size_t pos) {
  std::size_t end = pos;
  while (end < text.size() && is_scheme_char(text[end])) ++end;
  return end > pos && text.substr(end, 3) == "://";
}

// The URLs of a chain: a comma followed by `scheme://` starts the next one.
std::vector<std::string_view> split_chain(std::string_view text) {
  std::vector<std::string_view> urls;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ',' && scheme_at(text, i + 1)) {
      urls.push_back(text.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  urls.push_back(text.substr(begin));
  return urls;
}

// `info` is the user info (before the '@'): `user:password`, `:password`, or `user` (for Redis
// a password alone, as redis-cli and the driver read `redis://secret@host`).
std::string redact_user_info(std::string_view scheme, std::string_view info) {
  const auto colon = info.find(':');
  if (colon != std::string_view::npos) return std::string(info.substr(0, colon + 1)) + std::string(kMask);
  if (scheme == "redis" || scheme == "rediss") return std::string(kMask);
  return std::string(info);
}

std::string redact_query(std::string_view query) {
  std::string out;
  while (true) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && is_secret_key(pair.substr(0, eq)))
      out.append(pair.substr(0, eq + 1)).append(kMask);
    else
      out.append(pair);
    if (amp == std::string_view::npos) return out;
    out.push_back('&');
    query.remove_prefix(amp + 1);
  }
}

std::string redact_one(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return std::string(url);
  const std::string scheme = lowercase(url.substr(0, sep));
  const std::size_t start = sep + 3;
  // The authority ends at the first '/' or '?', and the user info at its last '@'.
  const std::size_t authority_end = std::min(url.find_first_of("/?", start), url.size());
  std::string out(url.substr(0, start));
  std::size_t host = start;
  const auto at = url.substr(0, authority_end).rfind('@');
  if (at != std::string_view::npos && at >= start) {
    out += redact_user_info(scheme, url.substr(start, at - start));
    host = at;
  }
  const auto q = url.find('?', authority_end);
  if (q == std::string_view::npos) return out.append(url.substr(host));
  out.append(url.substr(host, q + 1 - host));
  return out + redact_query(url.substr(q + 1));
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out;
  for (const std::string_view one : split_chain(url)) {
    if (!out.empty() || one.data() != url.data()) out.push_back(',');
    out += redact_one(one);
  }
  return out;
}

std::string redact_text(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto space = text.find_first_of(" \t\r\n", i);
    const std::size_t end = space == std::string_view::npos ? text.size() : space;
    const std::string_view word = text.substr(i, end - i);
    out += word.find("://") == std::string_view::npos ? std::string(word) : redact_url(word);
    if (end == text.size()) break;
    out.push_back(text[end]);
    i = end + 1;
  }
  return out;
}

}  // namespace cacheme
