// Reply interpretation with hand-built hiredis replies: wrong shapes fail, never crash.
#include <hiredis/hiredis.h>

#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "hand_reply.hpp"
#include "redis_reply.hpp"

using namespace cacheme::drivers::redis::detail;
using cacheme::core::IoStatus;
using cacheme::test::Node;

TEST_CASE("GET replies", "[redis][reply]") {
  auto hit = Node::str(std::string("a\0b", 3));
  auto r = get_result(hit.get());
  REQUIRE(r.status == IoStatus::ok);
  REQUIRE(r.values.size() == 1);
  CHECK(r.values[0] == std::string("a\0b", 3));

  auto miss = Node::nil();
  r = get_result(miss.get());
  REQUIRE(r.status == IoStatus::ok);
  CHECK(r.values == std::vector<std::optional<std::string>>{std::nullopt});

  auto err = Node::str("WRONGTYPE", REDIS_REPLY_ERROR);
  CHECK(get_result(err.get()).status == IoStatus::backend_error);
  auto num = Node::integer(3);
  CHECK(get_result(num.get()).status == IoStatus::backend_error);
  auto arr = Node::array({Node::str("x")});
  CHECK(get_result(arr.get()).status == IoStatus::backend_error);
  CHECK(get_result(nullptr).status == IoStatus::backend_error);
}

TEST_CASE("MGET replies", "[redis][reply]") {
  auto ok = Node::array({Node::str("1"), Node::nil(), Node::str("")});
  auto r = mget_result(ok.get(), 3);
  REQUIRE(r.status == IoStatus::ok);
  CHECK(r.values == std::vector<std::optional<std::string>>{"1", std::nullopt, ""});

  CHECK(mget_result(ok.get(), 2).status == IoStatus::backend_error);  // wrong count
  auto nested = Node::array({Node::str("1"), Node::array({})});
  CHECK(mget_result(nested.get(), 2).status == IoStatus::backend_error);
  auto err = Node::str("ERR", REDIS_REPLY_ERROR);
  CHECK(mget_result(err.get(), 1).status == IoStatus::backend_error);
  CHECK(mget_result(nullptr, 1).status == IoStatus::backend_error);
}

TEST_CASE("status, integer and SCAN replies", "[redis][reply]") {
  auto ok = Node::str("OK", REDIS_REPLY_STATUS);
  CHECK(is_ok_status(ok.get()));
  auto queued = Node::str("QUEUED", REDIS_REPLY_STATUS);
  CHECK_FALSE(is_ok_status(queued.get()));
  auto err = Node::str("OK", REDIS_REPLY_ERROR);
  CHECK_FALSE(is_ok_status(err.get()));
  CHECK_FALSE(is_ok_status(nullptr));
  auto n = Node::integer(2);
  CHECK(is_integer(n.get()));
  CHECK_FALSE(is_integer(ok.get()));

  auto page = Node::array({Node::str("17"), Node::array({Node::str("k1"), Node::str("k2")})});
  const auto p = scan_page(page.get());
  REQUIRE(p);
  CHECK(p->cursor == "17");
  CHECK(p->keys == std::vector<std::string>{"k1", "k2"});
  auto bad = Node::array({Node::str("0"), Node::array({Node::integer(1)})});
  CHECK_FALSE(scan_page(bad.get()));
  auto short_page = Node::array({Node::str("0")});
  CHECK_FALSE(scan_page(short_page.get()));
}

TEST_CASE("prefix patterns escape glob characters", "[redis][reply]") {
  CHECK(prefix_pattern("app:") == "app:*");
  CHECK(prefix_pattern("a*b?c[d]e\\") == "a\\*b\\?c\\[d\\]e\\\\*");
  CHECK(prefix_pattern("") == "*");
}
