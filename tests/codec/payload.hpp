// Deterministic benchmark and test payloads, shaped like the seed's benchmark: a record (id,
// name, tags) holding a nested JSON-like document of maps, arrays, strings and numbers.
// Header-only so that tests/codec and tests/bench/codec share it. splitmix64, no <random>.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cacheme/codec/json.hpp"
#include "cacheme/codec/msgpack.hpp"

namespace cacheme::codec::testing {

/// A leaf object of the document.
struct Entry {
  std::string label;
  double score = 0;
  std::int64_t count = 0;
  std::vector<std::int64_t> samples;
  std::map<std::string, std::string> attrs;
  std::optional<std::string> note;
  MSGPACK_DEFINE(label, score, count, samples, attrs, note)
  bool operator==(const Entry&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Entry, label, score, count, samples, attrs, note)

/// A group of entries with per-section metrics.
struct Section {
  std::string title;
  std::vector<Entry> entries;
  std::map<std::string, double> metrics;
  MSGPACK_DEFINE(title, entries, metrics)
  bool operator==(const Section&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Section, title, entries, metrics)

/// The cached record: identity fields plus the nested document.
struct Record {
  std::int64_t id = 0;
  std::string name;
  std::vector<std::string> tags;
  std::map<std::string, Section> document;
  MSGPACK_DEFINE(id, name, tags, document)
  bool operator==(const Record&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Record, id, name, tags, document)

/// splitmix64 (Steele, Lea, Flood 2014): tiny, deterministic on every platform.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }

 private:
  std::uint64_t state_;
};

namespace detail {

inline constexpr std::array<const char*, 16> kWords = {
    "alpha", "bravo",  "cache", "delta",  "engine", "flight", "gamma",   "harbor",
    "index", "juliet", "kilo",  "lambda", "memory", "node",   "orchard", "policy"};

inline std::string words(SplitMix64& rng, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out += ' ';
    out += kWords[rng.below(kWords.size())];
  }
  return out;
}

inline Entry make_entry(SplitMix64& rng) {
  Entry e;
  e.label = detail::words(rng, 2);
  e.score = static_cast<double>(rng.below(1'000'000)) / 1000.0;  // exact in JSON's shortest form
  e.count = static_cast<std::int64_t>(rng.below(1u << 31)) - (1 << 30);
  for (std::size_t i = 0, n = 2 + rng.below(6); i < n; ++i) e.samples.push_back(static_cast<std::int64_t>(rng.below(100'000)));
  for (std::size_t i = 0, n = 1 + rng.below(3); i < n; ++i) e.attrs[kWords[rng.below(kWords.size())]] = words(rng, 3);
  if (rng.below(2)) e.note = words(rng, 6);
  return e;
}

}  // namespace detail

/// A record with `entries` document entries, grouped eight to a section. The same arguments
/// always give the same record. Its JSON is about 200 + 207 x `entries` bytes.
inline Record make_record(std::uint64_t seed, std::size_t entries) {
  SplitMix64 rng(seed);
  Record r;
  r.id = static_cast<std::int64_t>(rng.below(1'000'000'000));
  r.name = detail::words(rng, 3);
  for (std::size_t i = 0; i < 4; ++i) r.tags.push_back(detail::kWords[rng.below(detail::kWords.size())]);
  for (std::size_t done = 0, s = 0; done < entries; ++s) {
    Section& section = r.document["section_" + std::to_string(s)];
    section.title = detail::words(rng, 4);
    section.metrics["p50"] = static_cast<double>(rng.below(10'000)) / 100.0;
    section.metrics["p99"] = static_cast<double>(rng.below(100'000)) / 100.0;
    for (std::size_t i = 0; i < 8 && done < entries; ++i, ++done) section.entries.push_back(detail::make_entry(rng));
  }
  return r;
}

/// The three benchmark payloads: about 1 KB, 15 KB and 56 KB as JSON.
inline constexpr std::size_t kSmallEntries = 4;    // 992 bytes of JSON
inline constexpr std::size_t kMediumEntries = 73;  // 15,258 bytes
inline constexpr std::size_t kLargeEntries = 270;  // 56,085 bytes

}  // namespace cacheme::codec::testing
