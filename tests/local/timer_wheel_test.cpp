#include <catch2/catch.hpp>

#include <map>
#include <vector>

#include "cacheme/local/random.hpp"
#include "cacheme/local/timer_wheel.hpp"

using cacheme::core::Instant;
using cacheme::local::TimerWheel;
using namespace std::chrono_literals;

namespace {
const Instant kStart = Instant{} + 1000h;  // an arbitrary, non-aligned origin
const Instant kStart2 = kStart + 123456789ns;

std::vector<TimerWheel::Id> advance(TimerWheel& wheel, Instant now) {
  std::vector<TimerWheel::Id> expired;
  wheel.advance(now, [&](TimerWheel::Id id) { expired.push_back(id); });
  return expired;
}
}  // namespace

TEST_CASE("an entry expires exactly at its time, at every level", "[wheel]") {
  const std::chrono::nanoseconds ttls[] = {1ns, 1ms, 3ms, 70ms, 1s, 5s, 1min, 10min, 1h, 6h, 1h * 24, 1h * 24 * 7,
                                           1h * 24 * 30, 1h * 24 * 365, 1h * 24 * 365 * 5};
  for (const auto ttl : ttls) {
    TimerWheel wheel(kStart2);
    wheel.schedule(7, kStart2 + ttl);
    const Instant due = kStart2 + ttl;
    // Walk towards the expiry in growing steps, checking it never leaves early.
    Instant now = kStart2;
    for (auto step = 1ms; now + step < due; step *= 2) {
      now += step;
      REQUIRE(advance(wheel, now).empty());
      REQUIRE(wheel.next_expiry() <= due);  // never late
    }
    REQUIRE(advance(wheel, due - 1ns).empty());
    CHECK(advance(wheel, due) == std::vector<TimerWheel::Id>{7});
    CHECK(wheel.size() == 0);
    CHECK_FALSE(wheel.scheduled(7));
  }
}

TEST_CASE("rescheduling moves the expiry; cancel forgets it", "[wheel]") {
  TimerWheel wheel(kStart);
  wheel.schedule(1, kStart + 10s);
  wheel.schedule(2, kStart + 10s);
  wheel.schedule(1, kStart + 1h);  // later
  wheel.schedule(2, kStart + 5ms);  // sooner
  CHECK(wheel.size() == 2);
  CHECK(advance(wheel, kStart + 5ms) == std::vector<TimerWheel::Id>{2});
  CHECK(advance(wheel, kStart + 10s).empty());
  wheel.cancel(1);
  wheel.cancel(1);  // twice is fine
  CHECK(advance(wheel, kStart + 2h).empty());
  CHECK(wheel.next_expiry() == std::nullopt);
}

TEST_CASE("an expiry already past leaves at the next advance", "[wheel]") {
  TimerWheel wheel(kStart);
  wheel.schedule(3, kStart - 1s);
  REQUIRE(wheel.next_expiry().has_value());
  CHECK(*wheel.next_expiry() <= kStart);
  CHECK(advance(wheel, kStart) == std::vector<TimerWheel::Id>{3});
}

TEST_CASE("huge TTLs and huge time jumps", "[wheel]") {
  TimerWheel wheel(kStart);
  wheel.schedule(1, kStart + 1h * 24 * 365 * 50);  // beyond the wheel's last level
  wheel.schedule(2, kStart + 1h * 24 * 14);
  CHECK(advance(wheel, kStart + 1h * 24 * 13).empty());
  CHECK(advance(wheel, kStart + 1h * 24 * 365 * 10) == std::vector<TimerWheel::Id>{2});
  CHECK(advance(wheel, kStart + 1h * 24 * 365 * 50 - 1ms).empty());
  CHECK(advance(wheel, kStart + 1h * 24 * 365 * 60) == std::vector<TimerWheel::Id>{1});
}

TEST_CASE("time going back is ignored", "[wheel]") {
  TimerWheel wheel(kStart);
  wheel.schedule(1, kStart + 1s);
  CHECK(advance(wheel, kStart - 1h).empty());
  CHECK(wheel.now() == kStart);
  CHECK(advance(wheel, kStart + 1s) == std::vector<TimerWheel::Id>{1});
}

TEST_CASE("the callback may reschedule and cancel", "[wheel]") {
  TimerWheel wheel(kStart);
  wheel.schedule(1, kStart + 1ms);
  wheel.schedule(2, kStart + 1ms);
  wheel.advance(kStart + 1ms, [&](TimerWheel::Id id) {
    wheel.cancel(id == 1 ? 2 : 1);
    wheel.schedule(id, kStart + 1s);
  });
  CHECK(wheel.size() == 1);
  CHECK(wheel.scheduled(2));
}

TEST_CASE("the wheel agrees with an ordered map on random schedules", "[wheel]") {
  TimerWheel wheel(kStart);
  std::map<TimerWheel::Id, Instant> oracle;
  cacheme::local::Xoshiro256 random(11);
  const std::chrono::nanoseconds spans[] = {2ms, 300ms, 20s, 2h, 1h * 24 * 20};
  Instant now = kStart;
  for (int step = 0; step < 5000; ++step) {
    const auto id = static_cast<TimerWheel::Id>(random.next() % 300);
    const auto op = random.next() % 10;
    if (op < 6) {
      const auto span = spans[random.next() % 5];
      const Instant at = now + std::chrono::nanoseconds(random.next() % span.count());
      wheel.schedule(id, at);
      oracle[id] = at;
    } else if (op < 7) {
      wheel.cancel(id);
      oracle.erase(id);
    } else {
      if (const auto next = wheel.next_expiry()) {
        Instant earliest = Instant::max();
        for (const auto& [_, at] : oracle) earliest = std::min(earliest, at);
        REQUIRE(*next <= earliest);
      }
      now += std::chrono::nanoseconds(random.next() % spans[random.next() % 5].count());
      auto expired = advance(wheel, now);
      std::vector<TimerWheel::Id> expected;
      for (auto it = oracle.begin(); it != oracle.end();) {
        if (it->second <= now) {
          expected.push_back(it->first);
          it = oracle.erase(it);
        } else {
          ++it;
        }
      }
      std::sort(expired.begin(), expired.end());
      REQUIRE(expired == expected);
    }
    REQUIRE(wheel.size() == oracle.size());
  }
}

TEST_CASE("a wheel reading its expiries from the owner expires by the owner's values", "[wheel]") {
  // The owner keeps the expiries (as a cache keeps them in its nodes); the wheel reads them
  // when it sweeps a bucket, including when it cascades an entry down to a finer level.
  std::map<TimerWheel::Id, std::int64_t> owned;
  const TimerWheel::ExpirySource source{&owned, [](const void* context, TimerWheel::Id id) {
                                          return static_cast<const std::map<TimerWheel::Id, std::int64_t>*>(context)->at(id);
                                        }};
  TimerWheel wheel(kStart, source);
  const auto schedule = [&](TimerWheel::Id id, Instant at) {
    owned[id] = at.time_since_epoch().count();
    wheel.schedule(id, at);
  };
  schedule(1, kStart + 10ms);
  schedule(2, kStart + 90s);  // a coarse level, cascaded on the way
  schedule(3, kStart + 1h);
  CHECK(wheel.scheduled(2));
  CHECK(wheel.expiry(2) == kStart + 90s);
  CHECK(advance(wheel, kStart + 10ms) == std::vector<TimerWheel::Id>{1});
  schedule(3, kStart + 20s);  // rescheduled sooner
  CHECK(advance(wheel, kStart + 20s) == std::vector<TimerWheel::Id>{3});
  CHECK(advance(wheel, kStart + 90s - 1ns).empty());
  CHECK(advance(wheel, kStart + 90s) == std::vector<TimerWheel::Id>{2});
  CHECK(wheel.size() == 0);
  TimerWheel owning(kStart);  // the same ids, expiries kept by the wheel: 8 more bytes per id
  for (TimerWheel::Id id = 1; id <= 3; ++id) owning.schedule(id, kStart + 1h);
  CHECK(wheel.memory_bytes() < owning.memory_bytes());
}
