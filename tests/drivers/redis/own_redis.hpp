// A redis-server of the test's own (to pause, stop or restart), on a free port of 127.0.0.1.
#pragma once

#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "support/redis_server.hpp"

namespace cacheme::test {

/// A redis-server started on a free port of 127.0.0.1 (the test fails if it cannot start).
struct OwnRedis {
  test_support::RedisServer server;
  int port = test_support::free_port();

  OwnRedis() { REQUIRE(server.start(port)); }

  /// Its URL with the query `query` (e.g. "pool_size=2&timeout=200").
  std::string url(std::string_view query) const {
    return "redis://127.0.0.1:" + std::to_string(port) + "?" + std::string(query);
  }
};

}  // namespace cacheme::test
