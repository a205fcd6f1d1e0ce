// SQL URL and option parsing, table-name validation, key ranges (label unit).
#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <string_view>
#include <vector>

#include "cacheme/drivers/sql/keys.hpp"
#include "cacheme/drivers/sql/pool_storage.hpp"
#include "cacheme/drivers/sql/schema.hpp"
#include "cacheme/drivers/sql/reconnect_backoff.hpp"
#include "cacheme/drivers/sql/tls.hpp"
#include "cacheme/drivers/sql/url.hpp"
#include "cacheme/errc.hpp"

namespace sql = cacheme::drivers::sql;
using cacheme::errc;

TEST_CASE("parse_url splits a full SQL url", "[sql][url]") {
  auto u = sql::parse_url("postgresql://us%40er:p%3Ass@db.example:5433/app%20db?table=t1&pool_size=7");
  REQUIRE(u);
  CHECK(u->scheme == "postgresql");
  CHECK(u->user == "us@er");
  CHECK(u->password == std::optional<std::string>("p:ss"));
  CHECK(u->host == "db.example");
  CHECK(u->port == std::optional<std::uint16_t>(5433));
  CHECK(u->path == "/app db");
  REQUIRE(u->query.size() == 2);
  CHECK(u->query[0] == std::pair<std::string, std::string>{"table", "t1"});
  CHECK(u->query[1] == std::pair<std::string, std::string>{"pool_size", "7"});
}

TEST_CASE("parse_url: optional parts, ipv6, sqlite paths", "[sql][url]") {
  auto u = sql::parse_url("MySQL://host/db");
  REQUIRE(u);
  CHECK(u->scheme == "mysql");
  CHECK(u->user.empty());
  CHECK_FALSE(u->password);
  CHECK_FALSE(u->port);
  auto v6 = sql::parse_url("postgresql://u@[::1]:5432/db");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == std::optional<std::uint16_t>(5432));
  auto s = sql::parse_url("sqlite:///tmp/my%20cache.db?table=c");
  REQUIRE(s);
  CHECK(s->target == "/tmp/my cache.db");
  auto rel = sql::parse_url("sqlite://cache.db");
  REQUIRE(rel);
  CHECK(rel->target == "cache.db");
}

TEST_CASE("parse_url rejects malformed urls", "[sql][url]") {
  for (const char* bad : {"", "postgresql:/x", "://x", "post gres://x", "mysql://h:0/db", "mysql://h:65536/db",
                          "mysql://h:abc/db", "mysql://h:/db", "mysql://h/db%2", "mysql://h/db%zz", "mysql://[::1/db",
                          "mysql://h/db?=v"}) {
    INFO(bad);
    auto u = sql::parse_url(bad);
    REQUIRE_FALSE(u);
    CHECK(u.error() == make_error_code(errc::bad_url));
  }
}

TEST_CASE("resolve_settings merges options and the query", "[sql][url]") {
  cacheme::drivers::StorageOptions options;
  auto plain = sql::resolve_settings(*sql::parse_url("postgresql://h/db"), options, 50);
  REQUIRE(plain);
  CHECK(plain->table == "cache");
  CHECK(plain->pool_size == 50);
  CHECK_FALSE(plain->init);
  options.pool_size = 3;
  options.table = "from_options";
  auto s = sql::resolve_settings(
      *sql::parse_url("postgresql://h/db?table=T_1&init=true&connect_timeout=250&timeout=9&sslmode=disable"), options,
      50, {"sslmode"});
  REQUIRE(s);
  CHECK(s->table == "T_1");
  CHECK(s->pool_size == 3);
  CHECK(s->init);
  CHECK(s->connect_timeout == std::chrono::milliseconds(250));
  CHECK(s->extra.at("sslmode") == "disable");
  CHECK(s->timeout == std::chrono::milliseconds(9));
  CHECK(s->max_outstanding == 0);  // the driver's default
  auto capped = sql::resolve_settings(*sql::parse_url("mysql://h/db?max_outstanding=1000000"), {}, 50);
  REQUIRE(capped);
  CHECK(capped->max_outstanding == 1'000'000);
  CHECK(sql::default_max_outstanding(50) == 10'000);
  for (const char* bad : {"?table=a-b", "?table=1a", "?table=", "?pool_size=x", "?pool_size=1001", "?init=maybe",
                          "?connect_timeout=0", "?sslmode=disable", "?other=1", "?timeout=0", "?timeout=-5",
                          "?max_outstanding=0", "?max_outstanding=1000001", "?max_outstanding=x"}) {
    INFO(bad);
    auto r = sql::resolve_settings(*sql::parse_url(std::string("mysql://h/db") + bad), {}, 50);
    REQUIRE_FALSE(r);
    CHECK(r.error() == make_error_code(errc::bad_option));
  }
}

TEST_CASE("parse_server_url: batch and pipeline", "[sql][url]") {
  const cacheme::drivers::StorageOptions none;
  auto pg = [&](const std::string& query) {
    return sql::parse_server_url("postgresql://u@h/db" + query, {"postgresql"}, none, 50, 4);
  };
  auto my = [&](const std::string& query) { return sql::parse_server_url("mysql://u@h/db" + query, {"mysql"}, none, 50); };
  REQUIRE(pg(""));
  CHECK(pg("")->settings.batch == sql::kDefaultBatch);
  CHECK(pg("")->settings.pipeline == 4);
  CHECK(my("")->settings.pipeline == 1);
  CHECK(pg("?batch=1&pipeline=64")->settings.batch == 1);
  CHECK(pg("?batch=1&pipeline=64")->settings.pipeline == 64);
  CHECK(pg("?batch=1024")->settings.extra.empty());
  CHECK(my("?pipeline=1&batch=7")->settings.batch == 7);
  for (const std::string bad : {"?batch=0", "?batch=1025", "?batch=x", "?pipeline=0", "?pipeline=65", "?pipeline=-1"}) {
    INFO(bad);
    CHECK(pg(bad).error() == make_error_code(errc::bad_option));
  }
  CHECK(my("?pipeline=2").error() == make_error_code(errc::bad_option));  // Connector/C: one at a time
}

TEST_CASE("table names follow [A-Za-z_][A-Za-z0-9_]*", "[sql][table]") {
  for (const char* ok : {"cache", "_", "Cache_2", "a1"}) CHECK(sql::valid_table_name(ok));
  for (const char* bad : {"", "1a", "a-b", "a b", "a;b", "a\"b", "a`b", "t\xc3\xa9", "a.b"}) CHECK_FALSE(sql::valid_table_name(bad));
  CHECK(sql::valid_table_name(std::string(sql::kMaxTableName, 'a')));
  CHECK_FALSE(sql::valid_table_name(std::string(sql::kMaxTableName + 1, 'a')));
  CHECK_FALSE(sql::valid_table_name(std::string("a\0b", 3)));
}

TEST_CASE("prefix_successor bounds a prefix range", "[sql][keys]") {
  CHECK(sql::prefix_successor("p:") == std::optional<std::string>("p;"));
  CHECK(sql::prefix_successor("a\xff") == std::optional<std::string>("b"));
  CHECK(sql::prefix_successor("\xff\xff") == std::nullopt);
  CHECK(sql::prefix_successor("") == std::nullopt);
  CHECK(sql::prefix_successor(std::string("a\0", 2)) == std::optional<std::string>("a\x01"));
}

TEST_CASE("distinct_valid_keys drops duplicates and overlong keys", "[sql][keys]") {
  const std::vector<std::string> keys{"a", "b", "a", std::string(513, 'x'), std::string(512, 'y'), "b"};
  CHECK(sql::distinct_valid_keys(keys) == std::vector<std::string>{"a", "b", std::string(512, 'y')});
}

TEST_CASE("parse_tls checks modes, files and pairs", "[sql][tls]") {
  constexpr std::array<std::string_view, 3> modes = {"disable", "require", "verify-full"};
  auto settings = [](std::map<std::string, std::string> extra) {
    sql::Settings s;
    s.extra = std::move(extra);
    return s;
  };
  const std::string file = CACHEME_SQL_DIR "/postgresql.sql";  // any readable file
  auto ok = sql::parse_tls(settings({{"sslmode", "verify-full"}, {"sslrootcert", file}, {"sslcert", file},
                                     {"sslkey", file}}),
                           "test", modes);
  REQUIRE(ok);
  CHECK(ok->mode == "verify-full");
  CHECK(ok->root_cert == file);
  CHECK(sql::parse_tls(settings({}), "test", modes)->mode.empty());
  for (const auto& bad : std::vector<std::map<std::string, std::string>>{
           {{"sslmode", "prefer"}},                   // not one of the backend's
           {{"sslmode", "verify-full"}},              // verifying without a CA
           {{"sslrootcert", "/nonexistent/ca.pem"}},  // unreadable
           {{"sslcert", file}},                       // without its key
           {{"sslkey", file}}}) {
    auto r = sql::parse_tls(settings(bad), "test", modes);
    REQUIRE_FALSE(r);
    CHECK(r.error() == make_error_code(errc::bad_option));
  }
}

TEST_CASE("reconnect backoff doubles up to its cap, with jitter in the upper half", "[sql][backoff]") {
  using namespace std::chrono_literals;
  sql::ReconnectBackoff b(42);
  const auto t0 = sql::ReconnectBackoff::Clock::time_point{} + 1h;
  CHECK_FALSE(b.failing());
  std::chrono::milliseconds full = sql::ReconnectBackoff::kFirst;
  for (int i = 0; i < 12; ++i) {
    b.failed(t0);
    const auto wait = b.next_attempt() - t0;
    INFO(i);
    CHECK(wait >= full / 2);
    CHECK(wait <= full);
    full = std::min(full * 2, sql::ReconnectBackoff::kMax);
  }
  CHECK(b.failing());
  b.succeeded();
  CHECK_FALSE(b.failing());
  b.failed(t0);
  CHECK(b.next_attempt() - t0 <= sql::ReconnectBackoff::kFirst);
}
