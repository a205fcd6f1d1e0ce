// Encode and decode throughput of every codec on the seed-shaped payloads (about 1 KB, 15 KB
// and 56 KB as JSON). Bytes/s counts the payload's JSON size, so every codec of one payload is
// measured against the same yardstick; counters report each codec's body size.
//
//   build-codec/tests/bench/bench_codec --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "cacheme/codec/codec.hpp"
#include "codec/payload.hpp"

namespace {

using cacheme::codec::Id;
using cacheme::codec::testing::Record;

const Record& payload(std::int64_t entries) {
  static const Record small = cacheme::codec::testing::make_record(1, cacheme::codec::testing::kSmallEntries);
  static const Record medium = cacheme::codec::testing::make_record(1, cacheme::codec::testing::kMediumEntries);
  static const Record large = cacheme::codec::testing::make_record(1, cacheme::codec::testing::kLargeEntries);
  if (entries == static_cast<std::int64_t>(cacheme::codec::testing::kSmallEntries)) return small;
  if (entries == static_cast<std::int64_t>(cacheme::codec::testing::kMediumEntries)) return medium;
  return large;
}

void report(benchmark::State& state, const Record& record, const std::string& body) {
  const auto json_size = cacheme::codec::encode(Id::json, record)->size();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * json_size));
  state.counters["json_bytes"] = static_cast<double>(json_size);
  state.counters["body_bytes"] = static_cast<double>(body.size());
  state.counters["ratio"] = static_cast<double>(body.size()) / static_cast<double>(json_size);
}

void bm_encode(benchmark::State& state, Id id) {
  const Record& record = payload(state.range(0));
  std::string body;
  for (auto _ : state) {
    auto encoded = cacheme::codec::encode(id, record);
    if (!encoded) state.SkipWithError("encode failed");
    body = std::move(*encoded);
    benchmark::DoNotOptimize(body.data());
  }
  report(state, record, body);
}

void bm_decode(benchmark::State& state, Id id) {
  const Record& record = payload(state.range(0));
  const std::string body = *cacheme::codec::encode(id, record);
  for (auto _ : state) {
    auto decoded = cacheme::codec::decode<Record>(id, body);
    if (!decoded) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded->id);
  }
  report(state, record, body);
}

// Raw stores bytes: measured on the payload's JSON text, as a node holding pre-serialized values would.
void bm_raw(benchmark::State& state, Id id, bool decode) {
  const Record& record = payload(state.range(0));
  const std::string text = *cacheme::codec::encode(Id::json, record);
  const std::string body = *cacheme::codec::encode(id, text);
  for (auto _ : state) {
    auto out = decode ? cacheme::codec::decode<std::string>(id, body) : cacheme::codec::encode(id, text);
    if (!out) state.SkipWithError("raw failed");
    benchmark::DoNotOptimize(out->data());
  }
  report(state, record, body);
}

void sizes(benchmark::internal::Benchmark* b) {
  b->Arg(static_cast<std::int64_t>(cacheme::codec::testing::kSmallEntries))
      ->Arg(static_cast<std::int64_t>(cacheme::codec::testing::kMediumEntries))
      ->Arg(static_cast<std::int64_t>(cacheme::codec::testing::kLargeEntries))
      ->ArgName("entries");
}

const int kRegistered = [] {
  for (const Id id : cacheme::codec::kAllIds) {
    const std::string name(cacheme::codec::name(id));
    if (cacheme::codec::format_of(id) == cacheme::codec::Format::raw) {
      benchmark::RegisterBenchmark(("encode/" + name).c_str(), bm_raw, id, false)->Apply(sizes);
      benchmark::RegisterBenchmark(("decode/" + name).c_str(), bm_raw, id, true)->Apply(sizes);
    } else {
      benchmark::RegisterBenchmark(("encode/" + name).c_str(), bm_encode, id)->Apply(sizes);
      benchmark::RegisterBenchmark(("decode/" + name).c_str(), bm_decode, id)->Apply(sizes);
    }
  }
  return 0;
}();

}  // namespace
