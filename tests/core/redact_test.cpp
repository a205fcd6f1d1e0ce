// The one redaction of storage URLs: passwords in the user info and in secret query parameters.
#include <catch2/catch.hpp>

#include "cacheme/redact.hpp"

using cacheme::redact_text;
using cacheme::redact_url;

TEST_CASE("the password of the user info is hidden", "[redact]") {
  CHECK(redact_url("redis://:s3cret@127.0.0.1:6379") == "redis://:***@127.0.0.1:6379");
  CHECK(redact_url("redis://default:s3cret@127.0.0.1:6379/2?pool_size=4") ==
        "redis://default:***@127.0.0.1:6379/2?pool_size=4");
  CHECK(redact_url("postgresql://u:s3cret@127.0.0.1:5432/app?table=t") == "postgresql://u:***@127.0.0.1:5432/app?table=t");
  CHECK(redact_url("mysql://app:apppw@127.0.0.1:3306/appdb") == "mysql://app:***@127.0.0.1:3306/appdb");
  CHECK(redact_url("mongodb://u:p@127.0.0.1:27017/?database=d") == "mongodb://u:***@127.0.0.1:27017/?database=d");
}

TEST_CASE("a Redis user info without a colon is a password; elsewhere a user", "[redact]") {
  CHECK(redact_url("redis://s3cret@127.0.0.1:6379") == "redis://***@127.0.0.1:6379");
  CHECK(redact_url("REDIS://s3cret@h") == "REDIS://***@h");
  CHECK(redact_url("postgresql://postgres@127.0.0.1/app") == "postgresql://postgres@127.0.0.1/app");
}

TEST_CASE("passwords with '@', ':' or spaces are hidden whole", "[redact]") {
  // The drivers' parsers end the user info at the last '@' before the first '/' or '?'.
  CHECK(redact_url("postgresql://u:a@b:c d@h:5432/db") == "postgresql://u:***@h:5432/db");
  CHECK(redact_url("mysql://u:p#w@h/db") == "mysql://u:***@h/db");
  CHECK(redact_url("redis://:p%40ss@h") == "redis://:***@h");
}

TEST_CASE("secret query parameters are hidden, the others stay", "[redact]") {
  CHECK(redact_url("mysql://u@h/db?password=s3cret&table=t") == "mysql://u@h/db?password=***&table=t");
  CHECK(redact_url("postgresql://h/db?sslmode=require&sslpassword=k&PassWord=x") ==
        "postgresql://h/db?sslmode=require&sslpassword=***&PassWord=***");
  CHECK(redact_url("redis://h?pass%77ord=x&pwd=y&pass=z&auth_token=t&client_secret=s") ==
        "redis://h?pass%77ord=***&pwd=***&pass=***&auth_token=***&client_secret=***");
  CHECK(redact_url("redis://h?password_file=/run/secrets/r&password_env=R") ==
        "redis://h?password_file=/run/secrets/r&password_env=R");
}

TEST_CASE("every URL of a chain is redacted", "[redact]") {
  CHECK(redact_url("local://tlfu?size=3000,redis://:a@h1:7000,h2:7001?cluster=true,postgresql://u:b@h/db") ==
        "local://tlfu?size=3000,redis://:***@h1:7000,h2:7001?cluster=true,postgresql://u:***@h/db");
  CHECK(redact_url("redis://h?password=x,mysql://u:y@h/d") == "redis://h?password=***,mysql://u:***@h/d");
}

TEST_CASE("text without secrets is unchanged", "[redact]") {
  for (const char* url : {"", "redis://127.0.0.1:6379", "sqlite:///tmp/x.db?init=1", "local://lru?size=10",
                          "not a url", "redis://h/0?pool_size=2&", "postgresql://@h/db"})
    CHECK(redact_url(url) == url);
}

TEST_CASE("free text: every word holding a URL is redacted", "[redact]") {
  CHECK(redact_text("The following arguments were not expected: redis://:pw@h:1 mysql://u:p@h/d") ==
        "The following arguments were not expected: redis://:***@h:1 mysql://u:***@h/d");
  CHECK(redact_text("no url here\n") == "no url here\n");
}
