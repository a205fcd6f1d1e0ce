#include <catch2/catch.hpp>

#include "cacheme/local/hill_climber.hpp"

using cacheme::local::HillClimber;

namespace {
/// Feeds one full sample with the given hit ratio (percent) and returns the adjustment.
std::int64_t sample(HillClimber& climber, int hit_percent) {
  for (int i = 0; i < 100; ++i) (i < hit_percent) ? climber.record_hit() : climber.record_miss();
  return climber.adjustment();
}
}  // namespace

TEST_CASE("no adjustment before a sample is complete", "[climber]") {
  HillClimber climber(1600, 100);
  for (int i = 0; i < 99; ++i) climber.record_hit();
  CHECK(climber.adjustment() == 0);
}

TEST_CASE("the first step shrinks the window by 3% of the capacity", "[climber]") {
  HillClimber climber(1600, 100);
  CHECK(sample(climber, 30) == -48);
}

TEST_CASE("keeps its direction while the hit ratio improves, turns when it falls", "[climber]") {
  HillClimber climber(1600, 100);
  REQUIRE(sample(climber, 30) < 0);  // shrink
  CHECK(sample(climber, 31) < 0);    // better: shrink again (decayed step)
  CHECK(sample(climber, 30) > 0);    // worse: grow
  CHECK(sample(climber, 31) > 0);    // better: keep growing
}

TEST_CASE("steps decay while the hit ratio barely moves", "[climber]") {
  HillClimber climber(1600, 100);
  std::int64_t previous = -sample(climber, 30);
  for (int i = 0; i < 5; ++i) {
    const std::int64_t step = sample(climber, 31 + i);
    CHECK(-step <= previous);
    previous = -step;
  }
}
