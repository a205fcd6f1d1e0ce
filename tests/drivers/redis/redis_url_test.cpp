#include <catch2/catch.hpp>

#include "cacheme/errc.hpp"
#include "redis_url.hpp"

using cacheme::errc;
using cacheme::drivers::redis::detail::parse_redis_url;

TEST_CASE("redis url: host, port, db and pool size", "[redis][url]") {
  auto u = parse_redis_url("redis://127.0.0.1:16379");
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 16379);
  CHECK(u->db == 0);
  CHECK(u->user.empty());
  CHECK(u->password.empty());
  CHECK(u->pool_size == 0);

  u = parse_redis_url("redis://localhost");
  REQUIRE(u);
  CHECK(u->host == "localhost");
  CHECK(u->port == 6379);

  u = parse_redis_url("redis://localhost:6380/3?pool_size=8&timeout=500");
  REQUIRE(u);
  CHECK(u->port == 6380);
  CHECK(u->db == 3);
  CHECK(u->pool_size == 8);

  u = parse_redis_url("redis://[::1]:7000/");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->port == 7000);
  CHECK(u->db == 0);
}

TEST_CASE("redis url: credentials", "[redis][url]") {
  auto u = parse_redis_url("redis://alice:s3cret@127.0.0.1:1/2");
  REQUIRE(u);
  CHECK(u->user == "alice");
  CHECK(u->password == "s3cret");
  CHECK(u->db == 2);

  u = parse_redis_url("redis://:only-password@127.0.0.1");
  REQUIRE(u);
  CHECK(u->user.empty());
  CHECK(u->password == "only-password");

  u = parse_redis_url("redis://pw@127.0.0.1");  // as redis-cli: a password
  REQUIRE(u);
  CHECK(u->user.empty());
  CHECK(u->password == "pw");

  u = parse_redis_url("redis://bob:p%40ss%3Aw%2Fd@127.0.0.1");
  REQUIRE(u);
  CHECK(u->user == "bob");
  CHECK(u->password == "p@ss:w/d");
}

TEST_CASE("redis url: malformed urls are bad_url", "[redis][url]") {
  for (const char* bad : {"", "redis:/127.0.0.1", "http://127.0.0.1", "rediss://127.0.0.1", "redis://",
                          "redis://:6379", "redis://127.0.0.1:", "redis://127.0.0.1:0", "redis://127.0.0.1:65536",
                          "redis://127.0.0.1:12ab", "redis://127.0.0.1/x", "redis://127.0.0.1/-1",
                          "redis://127.0.0.1/1/2", "redis://[::1", "redis://[::1]x", "redis://u:%4@127.0.0.1",
                          "redis://u:%zz@127.0.0.1", "redis://127.0.0.1#frag", "redis://127.0.0.1?=1"}) {
    INFO(bad);
    const auto u = parse_redis_url(bad);
    REQUIRE_FALSE(u);
    CHECK(u.error() == errc::bad_url);
  }
}

TEST_CASE("redis url: an invalid pool_size is bad_option", "[redis][url]") {
  for (const char* bad : {"redis://127.0.0.1?pool_size=0", "redis://127.0.0.1?pool_size=abc",
                          "redis://127.0.0.1?pool_size=", "redis://127.0.0.1?pool_size=-3",
                          "redis://127.0.0.1?pool_size=1000000"}) {
    INFO(bad);
    const auto u = parse_redis_url(bad);
    REQUIRE_FALSE(u);
    CHECK(u.error() == errc::bad_option);
  }
}
