// The schemas built into the drivers are those of sql/*.sql, with the table name substituted.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "cacheme/drivers/sql/schema.hpp"

namespace sql = cacheme::drivers::sql;

namespace {
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}
}  // namespace

TEST_CASE("the embedded schemas are the sql/ files", "[sql][schema]") {
  for (auto d : {sql::Dialect::sqlite, sql::Dialect::postgresql, sql::Dialect::mysql}) {
    const std::string file(sql::schema_file(d));
    INFO(file);
    const std::string text = read_file(std::string(CACHEME_SQL_DIR) + "/" + file.substr(4));
    REQUIRE_FALSE(text.empty());
    CHECK(sql::schema_text(d) == text);
  }
}

TEST_CASE("schema_statements substitutes the table and index names", "[sql][schema]") {
  const auto pg = sql::schema_statements(sql::Dialect::postgresql, "My_T");
  REQUIRE(pg.size() == 2);
  CHECK(pg[0].find("CREATE TABLE IF NOT EXISTS \"My_T\" (") != std::string::npos);
  CHECK(pg[1].find("CREATE INDEX IF NOT EXISTS \"My_T_expire_idx\" ON \"My_T\" (expire)") != std::string::npos);
  CHECK(pg[0].find("--") == std::string::npos);
  const auto my = sql::schema_statements(sql::Dialect::mysql, "t2");
  REQUIRE(my.size() == 1);
  CHECK(my[0].find("CREATE TABLE IF NOT EXISTS `t2` (") != std::string::npos);
  CHECK(my[0].find("`key` VARBINARY(512)") != std::string::npos);
  CHECK(my[0].find("INDEX `t2_expire_idx` (expire)") != std::string::npos);
  const auto lite = sql::schema_statements(sql::Dialect::sqlite, "cache");
  REQUIRE(lite.size() == 2);
  CHECK(lite[0].find("\"cache\"") != std::string::npos);
  for (const auto& s : lite) CHECK(s.find("cache ") == std::string::npos);  // every use substituted
}
