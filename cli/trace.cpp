#include "trace.hpp"

#include <charconv>
#include <unordered_set>

#include <zlib.h>

#include "cacheme/local/zipf.hpp"

namespace cacheme::cli {

namespace {

/// The whole (decompressed) content of `path`. gzread passes uncompressed files through.
std::string slurp(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw TraceError(path + ": cannot open");
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    const int n = gzread(file, buffer, sizeof buffer);
    if (n < 0) {
      int code = 0;
      const std::string reason = gzerror(file, &code);
      gzclose(file);
      throw TraceError(path + ": cannot read: " + reason);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  gzclose(file);
  return text;
}

/// Splits off the next whitespace-separated token of `line`.
std::string_view next_token(std::string_view& line) {
  const std::size_t begin = line.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(begin);
  const std::size_t end = line.find_first_of(" \t\r");
  const std::string_view token = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  return token;
}

std::optional<std::uint64_t> parse_integer(std::string_view token) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc{} || end != token.data() + token.size()) return std::nullopt;
  return value;
}

/// FNV-1a, for plain traces whose keys are not integers.
std::uint64_t hash_key(std::string_view key) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : key) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

void parse_line(std::string_view line, TraceFormat format, std::vector<std::uint64_t>& keys,
                const std::string& path, std::size_t line_number) {
  const std::string_view first = next_token(line);
  if (first.empty()) return;
  switch (format) {
    case TraceFormat::arc: {
      const auto start = parse_integer(first);
      const auto count = parse_integer(next_token(line));
      if (!start || !count) {
        throw TraceError(path + ":" + std::to_string(line_number) + ": not an ARC line (start count ...)");
      }
      for (std::uint64_t i = 0; i < *count; ++i) keys.push_back(*start + i);
      break;
    }
    case TraceFormat::lirs:
      if (const auto key = parse_integer(first)) keys.push_back(*key);
      break;
    case TraceFormat::plain: {
      const auto key = parse_integer(first);
      keys.push_back(key ? *key : hash_key(first));
      break;
    }
  }
}

}  // namespace

std::optional<TraceFormat> parse_trace_format(std::string_view name) {
  if (name == "arc") return TraceFormat::arc;
  if (name == "lirs") return TraceFormat::lirs;
  if (name == "plain") return TraceFormat::plain;
  return std::nullopt;
}

TraceFormat guess_trace_format(std::string_view path) {
  if (path.ends_with(".gz")) path.remove_suffix(3);
  if (path.ends_with(".arc")) return TraceFormat::arc;
  if (path.ends_with(".lirs")) return TraceFormat::lirs;
  return TraceFormat::plain;
}

std::vector<std::uint64_t> read_trace(const std::string& path, TraceFormat format) {
  const std::string text = slurp(path);
  std::vector<std::uint64_t> keys;
  std::size_t line_number = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    parse_line(std::string_view(text).substr(pos, end - pos), format, keys, path, ++line_number);
    pos = end + 1;
  }
  if (keys.empty()) throw TraceError(path + ": no keys in the trace");
  return keys;
}

std::vector<std::uint64_t> generate_zipf(const ZipfParams& params) {
  if (!local::ZipfGenerator::valid(params.s, params.v)) {
    throw TraceError("zipf: needs s > 1 and v >= 1");
  }
  if (params.requests == 0) throw TraceError("zipf: needs at least one request");
  local::ZipfGenerator zipf(params.s, params.v, params.imax, params.seed);
  std::vector<std::uint64_t> keys(params.requests);
  for (auto& key : keys) key = zipf.next();
  return keys;
}

std::size_t count_distinct(const std::vector<std::uint64_t>& keys) {
  std::unordered_set<std::uint64_t> seen(keys.begin(), keys.end());
  return seen.size();
}

}  // namespace cacheme::cli
