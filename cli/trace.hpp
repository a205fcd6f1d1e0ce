/// @file trace.hpp
/// Key streams for cacheme-bench: trace files (ARC, LIRS, plain; gzip or not) and generated
/// Zipf workloads. Shared by `sim` and, later, `replay`.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cacheme::cli {

/// The line formats of `../shared/traces/README.md`.
enum class TraceFormat {
  arc,    ///< `start count ignored ignored`: keys start .. start+count-1
  lirs,   ///< one integer key per line; other lines are skipped
  plain,  ///< one key per line; a non-integer key is hashed to 64 bits
};

/// A trace that cannot be read or parsed; `what()` is one line naming the file (and line).
class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses a format name (`arc`, `lirs`, `plain`); nullopt if unknown.
std::optional<TraceFormat> parse_trace_format(std::string_view name);

/// The format a file name suggests (`*.arc[.gz]`, `*.lirs[.gz]`, otherwise plain).
TraceFormat guess_trace_format(std::string_view path);

/// Reads every key of the trace at `path` (gzip-compressed or not, detected by zlib).
/// Throws `TraceError` when the file cannot be read, is malformed, or holds no key.
std::vector<std::uint64_t> read_trace(const std::string& path, TraceFormat format);

/// Parameters of a generated Zipf trace (Go's `rand.Zipf`).
struct ZipfParams {
  double s = 1.001;              ///< skew, > 1
  double v = 10;                 ///< offset, >= 1
  std::uint64_t imax = 200'000;  ///< largest key
  std::uint64_t requests = 200'000;
  std::uint64_t seed = 1;
};

/// `requests` keys drawn from Zipf(s, v, imax) with `seed`; throws `TraceError` on bad parameters.
std::vector<std::uint64_t> generate_zipf(const ZipfParams& params);

/// How many distinct keys `keys` holds.
std::size_t count_distinct(const std::vector<std::uint64_t>& keys);

}  // namespace cacheme::cli
