// cacheme::metrics_text on an engine: escaping, cumulative histogram buckets, one HELP/TYPE per
// family (examples/check_metrics.sh runs promtool on a live endpoint).
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "cacheme/adapters/metrics.hpp"
#include "cacheme/local/local_store.hpp"

namespace {

using namespace std::chrono_literals;

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("metrics_text: escaped labels, cumulative buckets, one header per family", "[metrics]") {
  cacheme::core::Engine engine;
  REQUIRE(engine.add_local_storage("local", std::move(*cacheme::local::make_local_store("local://lru?size=1", 1))));
  cacheme::core::NodeConfig config;
  config.name = "odd\"name\\with\nbreak";
  config.caches = {{"local", std::nullopt}};
  const auto node = *engine.add_node(config);
  const cacheme::core::Now now{cacheme::core::Instant{} + 1s, 1'700'000'000'000};
  const std::string key = "k";
  auto submitted = engine.get(node, key, {}, now);
  REQUIRE_FALSE(submitted.answered());
  const auto load = std::get<cacheme::core::LoadRequest>(*engine.poll_effect());
  std::vector<cacheme::Result<cacheme::core::AnyValue>> values;
  values.emplace_back(std::make_shared<const int>(1));
  engine.complete_load(load.id, std::move(values), now + 30ms);

  const std::string text = cacheme::metrics_text(engine);
  CHECK(text.find("cacheme_requests_total{node=\"odd\\\"name\\\\with\\nbreak\"} 1\n") != std::string::npos);
  CHECK(occurrences(text, "# TYPE cacheme_loads_total counter\n") == 1);
  CHECK(occurrences(text, "# TYPE cacheme_load_duration_seconds histogram\n") == 1);
  // 30 ms: absent from the buckets up to 0.025 s, counted from 0.05 s on, and in +Inf.
  CHECK(text.find("le=\"0.025\"} 0\n") != std::string::npos);
  CHECK(text.find("le=\"0.05\"} 1\n") != std::string::npos);
  CHECK(text.find("le=\"+Inf\"} 1\n") != std::string::npos);
  CHECK(text.find("cacheme_load_duration_seconds_sum{node=\"odd\\\"name\\\\with\\nbreak\"} 0.03\n") != std::string::npos);
  CHECK(text.find("cacheme_local_entries{storage=\"local\"} 1\n") != std::string::npos);
  for (const char* family : {"cacheme_stale_served_total", "cacheme_fail_safe_total", "cacheme_negative_hits_total",
                             "cacheme_early_refreshes_total", "cacheme_loads_queued_total"})
    CHECK(occurrences(text, std::string("# TYPE ") + family + " counter\n") == 1);
}
