// A storage's password from a file (`password_file=`) or the environment (`password_env=`),
// not the URL: against a Redis of the test's own that requires a password (CONFIG SET
// requirepass) and the test MariaDB (whose user has one), under both adapters.
#include <cstdlib>
#include <fstream>
#include <string>

#include "cacheme/adapters/password_source.hpp"
#include "harness.hpp"
#include "storages.hpp"
#if CACHEME_CONF_REDIS
#include <hiredis/hiredis.h>

#include "support/redis_server.hpp"
#endif

using namespace cacheme;
using namespace cacheme::conformance;

namespace {

// A file of the test's own holding `content`; its path.
std::string secret_file(const std::string& name, const std::string& content) {
  const auto path = temp_dir() / name;
  std::ofstream(path, std::ios::trunc) << content;
  return path.string();
}

// Registers `url` as "store" and reads one key through it.
template <class H>
std::error_code register_and_get(H& h, const std::string& url) {
  if (auto ec = h.register_storage("store", url)) return ec;
  const Value v = h.get(TestNode{"pw"});
  REQUIRE_FALSE(v.ec);
  CHECK(h.cm.template stats<TestNode>().tiers.at(0).errors == 0);
  return {};
}

}  // namespace

TEST_CASE("password source: the URL is rewritten, the secret percent-encoded", "[password]") {
  const std::string file = secret_file("pw-plain", "p@ss:w/rd\n");
  using adapters::resolve_password_source;
  CHECK(*resolve_password_source("redis://127.0.0.1:6379?password_file=" + file) ==
        "redis://:p%40ss%3Aw%2Frd@127.0.0.1:6379");
  CHECK(*resolve_password_source("postgresql://app@h/db?table=t&password_file=" + file + "&init=1") ==
        "postgresql://app:p%40ss%3Aw%2Frd@h/db?table=t&init=1");
  ::setenv("CACHEME_TEST_PW", "s3cret", 1);
  CHECK(*resolve_password_source("redis://name@h?password_env=CACHEME_TEST_PW") == "redis://name:s3cret@h");
  CHECK(*resolve_password_source("redis://h:1/2?pool_size=3") == "redis://h:1/2?pool_size=3");  // untouched
  CHECK(*resolve_password_source("redis://h?password_file=" + secret_file("pw-crlf", "x\r\n")) == "redis://:x@h");

  CHECK(resolve_password_source("mysql://u:p@h/db?password_env=CACHEME_TEST_PW").error() == errc::bad_option);
  CHECK(resolve_password_source("redis://h?password_env=CACHEME_TEST_PW&password_file=" + file).error() ==
        errc::bad_option);
  CHECK(resolve_password_source("redis://h?password_env=CACHEME_TEST_UNSET_VARIABLE").error() == errc::bad_option);
  CHECK(resolve_password_source("redis://h?password_file=/nonexistent/cacheme/pw").error() == errc::bad_option);
  CHECK(resolve_password_source("redis://h?password_file=" + secret_file("pw-empty", "\n")).error() ==
        errc::bad_option);
}

#if CACHEME_CONF_REDIS
TEMPLATE_TEST_CASE("password source: Redis with requirepass, password from a file or the environment",
                   "[password]", AsioHarness, EventHarness) {
  using namespace cacheme::test_support;
  RedisServer server;
  const int port = free_port();
  REQUIRE(server.start(port));
  {
    redisContext* c = redisConnect("127.0.0.1", port);
    REQUIRE((c && !c->err));
    auto* r = static_cast<redisReply*>(redisCommand(c, "CONFIG SET requirepass %s", "s3cret:@/pw"));
    REQUIRE(r);
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    redisFree(c);
  }
  const std::string base = "redis://127.0.0.1:" + std::to_string(port);
  TestType h;
  h.cm.set_prefix(unique_prefix(TestType::kName, "redis-password"));
  SECTION("no password: the server refuses the commands") {
    // The driver connects without AUTH (nothing to check at registration); every command then
    // fails with NOAUTH, a counted storage error. This is what makes the sections below count.
    if (!h.register_storage("store", base)) {
      CHECK_FALSE(h.get(TestNode{"pw"}).ec);  // from the loader
      CHECK(h.cm.template stats<TestNode>().tiers.at(0).errors >= 1);
    }
  }
  SECTION("password_file") {
    CHECK_FALSE(register_and_get(h, base + "?password_file=" + secret_file("redis-pw", "s3cret:@/pw\n")));
  }
  SECTION("password_env") {
    ::setenv("CACHEME_TEST_REDIS_PW", "s3cret:@/pw", 1);
    CHECK_FALSE(register_and_get(h, base + "/0?pool_size=2&password_env=CACHEME_TEST_REDIS_PW"));
  }
  SECTION("a wrong password in the file: refused") {
    CHECK(h.register_storage("store", base + "?password_file=" + secret_file("redis-bad", "wrong")) ==
          errc::connect_failed);
  }
}
#endif

#if CACHEME_CONF_MYSQL
TEMPLATE_TEST_CASE("password source: MariaDB, its user's password from a file", "[password]", AsioHarness,
                   EventHarness) {
  auto url = storage_url("mysql");  // mysql://app:apppw@127.0.0.1:port/db?table=...&init=1
  if (!url) return;
  const auto scheme_end = url->find("://") + 3;
  const auto colon = url->find(':', scheme_end);
  const auto at = url->find('@', scheme_end);
  REQUIRE(colon < at);
  const std::string password = url->substr(colon + 1, at - colon - 1);
  const std::string without = url->substr(0, colon) + url->substr(at);  // mysql://app@127.0.0.1:port/...
  TestType h;
  h.cm.set_prefix(unique_prefix(TestType::kName, "mysql-password"));
  SECTION("password_file") {
    CHECK_FALSE(register_and_get(h, without + "&password_file=" + secret_file("maria-pw", password + "\n")));
  }
  SECTION("a wrong password in the file: refused") {
    CHECK(h.register_storage("store", without + "&password_file=" + secret_file("maria-bad", "wrong")) ==
          errc::connect_failed);
  }
}
#endif
