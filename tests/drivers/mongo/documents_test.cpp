// The BSON of the cache: keys as strings or BinData, expiry, filters.
#include <catch2/catch.hpp>

#include "documents.hpp"

using namespace cacheme::drivers::mongo;

namespace {

std::string json(const bson_t* doc) {
  char* s = bson_as_canonical_extended_json(doc, nullptr);
  std::string out(s);
  bson_free(s);
  return out;
}

}  // namespace

TEST_CASE("mongo documents: a text key is a string _id, any other a BinData _id", "[mongo][bson]") {
  for (const std::string& key : {std::string("user:1:info"), std::string("caf\xc3\xa9"), std::string("\xff\xfe"),
                                std::string("nul\0byte", 8), std::string()}) {
    const cacheme::core::StoreEntry entry{key, std::string("\0v\xff", 3), std::nullopt};
    Bson doc = entry_document(entry, 1000);
    const auto read = read_entry(doc.get(), 1000);
    REQUIRE(read);
    CHECK(read->key == key);
    CHECK(read->value == std::optional<std::string>(std::string("\0v\xff", 3)));
    bson_iter_t it;
    REQUIRE(bson_iter_init_find(&it, doc.get(), "_id"));
    const bool text = key.find('\0') == std::string::npos && key != "\xff\xfe";
    CHECK(BSON_ITER_HOLDS_UTF8(&it) == text);
    CHECK_FALSE(bson_has_field(doc.get(), "expire"));  // no TTL: never expires
  }
}

TEST_CASE("mongo documents: expire is a Date; an expired document has no value", "[mongo][bson]") {
  const cacheme::core::StoreEntry entry{"k", "v", std::chrono::milliseconds(250)};
  Bson doc = entry_document(entry, 10'000);
  bson_iter_t it;
  REQUIRE(bson_iter_init_find(&it, doc.get(), "expire"));
  REQUIRE(BSON_ITER_HOLDS_DATE_TIME(&it));
  CHECK(bson_iter_date_time(&it) == 10'250);
  CHECK(read_entry(doc.get(), 10'249)->value == std::optional<std::string>("v"));
  CHECK(read_entry(doc.get(), 10'250)->value == std::nullopt);
  CHECK(read_entry(doc.get(), 99'999)->key == "k");
}

TEST_CASE("mongo documents: foreign documents", "[mongo][bson]") {
  Bson no_id(BCON_NEW("value", BCON_UTF8("x")));
  CHECK_FALSE(read_entry(no_id.get(), 0));
  Bson number_id(BCON_NEW("_id", BCON_INT32(7), "value", BCON_BIN(BSON_SUBTYPE_BINARY, (const uint8_t*)"v", 1)));
  CHECK_FALSE(read_entry(number_id.get(), 0));
  Bson text_value(BCON_NEW("_id", BCON_UTF8("k"), "value", BCON_UTF8("not bindata")));
  REQUIRE(read_entry(text_value.get(), 0));
  CHECK(read_entry(text_value.get(), 0)->value == std::nullopt);  // a miss, not a wrong value
}

TEST_CASE("mongo documents: filters", "[mongo][bson]") {
  CHECK(json(id_filter({"a"}).get()) == R"({ "_id" : "a" })");
  CHECK(json(id_filter({"a", "b"}).get()) == R"({ "_id" : { "$in" : [ "a", "b" ] } })");
  CHECK(json(prefix_filter("cacheme-bench:").get()) ==
        R"({ "_id" : { "$regex" : { "$regularExpression" : { "pattern" : "^cacheme-bench:", "options" : "" } } } })");
  CHECK(json(prefix_filter("a.b*(c)[d]{e}|f?+$^\\").get()).find(R"(^a\\.b\\*\\(c\\)\\[d\\]\\{e\\}\\|f\\?\\+\\$\\^\\\\)") !=
        std::string::npos);
  CHECK_FALSE(prefix_filter("\xff"));
  CHECK(json(expired_filter(5).get()) == R"({ "expire" : { "$lte" : { "$date" : { "$numberLong" : "5" } } } })");
}
