// mongodb:// URLs: defaults, options, rejections, and the password never shown.
#include <catch2/catch.hpp>

#include "cacheme/errc.hpp"
#include "mongo_url.hpp"

using cacheme::errc;
using cacheme::drivers::StorageOptions;
using namespace cacheme::drivers::mongo;

TEST_CASE("mongo url: defaults", "[mongo][url]") {
  auto s = parse_url("mongodb://127.0.0.1", {});
  REQUIRE(s);
  CHECK(s->host == "127.0.0.1");
  CHECK(s->port == 27017);
  CHECK(s->database == "cacheme");
  CHECK(s->collection == "cache");
  CHECK(s->pool_size == 50);
  CHECK_FALSE(s->init);
  CHECK(s->timeout == std::chrono::milliseconds(1000));
  CHECK(s->user.empty());
  CHECK(s->auth_source.empty());
}

TEST_CASE("mongo url: the issue's form and every option", "[mongo][url]") {
  auto s = parse_url("mongodb://test:p%40ss@localhost:27018/admin?database=test&collection=cache&pool_size=8"
                     "&timeout=250&init=1&connect_timeout=700",
                     {});
  REQUIRE(s);
  CHECK(s->host == "localhost");
  CHECK(s->port == 27018);
  CHECK(s->user == "test");
  CHECK(s->password == std::optional<std::string>("p@ss"));
  CHECK(s->auth_source == "admin");
  CHECK(s->database == "test");
  CHECK(s->collection == "cache");
  CHECK(s->pool_size == 8);
  CHECK(s->timeout == std::chrono::milliseconds(250));
  CHECK(s->connect_timeout == std::chrono::milliseconds(700));
  CHECK(s->init);
  CHECK(s->display.find("p%40ss") == std::string::npos);
  CHECK(s->display.find("test:***@localhost") != std::string::npos);
}

TEST_CASE("mongo url: StorageOptions apply under the URL's query", "[mongo][url]") {
  StorageOptions o;
  o.pool_size = 3;
  o.init = true;
  auto s = parse_url("mongodb://h:1/?pool_size=5", o);
  REQUIRE(s);
  CHECK(s->pool_size == 5);
  CHECK(s->init);
  CHECK(parse_url("mongodb://h:1/", o)->pool_size == 3);
}

TEST_CASE("mongo url: rejections", "[mongo][url]") {
  CHECK(parse_url("mysql://h/", {}).error() == errc::bad_url);
  CHECK(parse_url("mongodb+srv://cluster.example/", {}).error() == errc::bad_url);
  CHECK(parse_url("mongodb:///?database=x", {}).error() == errc::bad_url);          // no host
  CHECK(parse_url("mongodb://a:1,b:2/", {}).error() == errc::bad_url);             // several hosts
  CHECK(parse_url("mongodb://h:99999/", {}).error() == errc::bad_url);
  CHECK(parse_url("mongodb://h/a/b", {}).error() == errc::bad_url);
  CHECK(parse_url("mongodb://h/?table=t", {}).error() == errc::bad_option);        // SQL's key
  CHECK(parse_url("mongodb://h/?colour=red", {}).error() == errc::bad_option);
  CHECK(parse_url("mongodb://h/?database=a.b", {}).error() == errc::bad_option);
  CHECK(parse_url("mongodb://h/?database=", {}).error() == errc::bad_option);
  CHECK(parse_url("mongodb://h/?collection=system.users", {}).error() == errc::bad_option);
  CHECK(parse_url("mongodb://h/?collection=$cmd", {}).error() == errc::bad_option);
  CHECK(parse_url("mongodb://h/?collection=9lives", {}).error() == errc::bad_option);
  CHECK(parse_url("mongodb://h/?pool_size=abc", {}).error() == errc::bad_option);
  CHECK(parse_url("mongodb://h/?pool_size=1001", {}).error() == errc::bad_option);
  CHECK(parse_url("mongodb://h/?timeout=0", {}).error() == errc::bad_option);
  CHECK(parse_url("mongodb://h/?timeout=-5", {}).error() == errc::bad_option);
  CHECK(parse_url("mongodb://h/?init=maybe", {}).error() == errc::bad_option);
  CHECK(parse_url("mongodb://h/?authSource=a/b", {}).error() == errc::bad_option);
}

TEST_CASE("mongo url: the password is masked, the rest kept", "[mongo][url]") {
  CHECK(masked_url("mongodb://test:password@localhost:27017/?database=test") ==
        "mongodb://test:***@localhost:27017/?database=test");
  CHECK(masked_url("mongodb://u:p:w@h/") == "mongodb://u:***@h/");
  CHECK(masked_url("mongodb://u:a@b@h/") == "mongodb://u:***@h/");  // the last '@' ends the user info
  CHECK(masked_url("mongodb://user@h/") == "mongodb://user@h/");
  CHECK(masked_url("mongodb://h:1/?x=a:b@c") == "mongodb://h:1/?x=a:b@c");  // no user info
  CHECK(masked_url("not a url") == "not a url");
}
