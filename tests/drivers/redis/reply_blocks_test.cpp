// Replies built by reply_block_functions read exactly as hiredis's own: every type, nesting,
// large strings past the reusable block size, and blocks reused after free.
#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "reply_blocks.hpp"

using cacheme::drivers::redis::detail::reply_block_functions;

namespace {

// Parses one reply from `wire` with the given functions (nullptr: hiredis's defaults).
void* parse(std::string_view wire, redisReplyObjectFunctions* fn) {
  redisReader* reader = redisReaderCreate();
  if (fn) reader->fn = fn;
  REQUIRE(redisReaderFeed(reader, wire.data(), wire.size()) == REDIS_OK);
  void* reply = nullptr;
  REQUIRE(redisReaderGetReply(reader, &reply) == REDIS_OK);
  redisReaderFree(reader);
  return reply;
}

// The two replies are the same tree: types, integers, bytes, elements.
void require_same(const redisReply* a, const redisReply* b) {
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  REQUIRE(a->type == b->type);
  switch (a->type) {
    case REDIS_REPLY_INTEGER:
      CHECK(a->integer == b->integer);
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      REQUIRE(a->len == b->len);
      CHECK(std::string_view(a->str, a->len) == std::string_view(b->str, b->len));
      CHECK(a->str[a->len] == '\0');
      break;
    case REDIS_REPLY_ARRAY:
      REQUIRE(a->elements == b->elements);
      for (std::size_t i = 0; i < a->elements; ++i) require_same(a->element[i], b->element[i]);
      break;
    default:
      break;
  }
}

}  // namespace

TEST_CASE("reply blocks read as hiredis's own replies", "[redis][reply]") {
  const std::string large(5000, 'v');
  const std::string wires[] = {
      "$5\r\nhello\r\n",
      "$0\r\n\r\n",
      "$-1\r\n",
      "+OK\r\n",
      "-ERR wrong type\r\n",
      ":-42\r\n",
      "*0\r\n",
      "*-1\r\n",
      std::string("*3\r\n$1\r\na\r\n$-1\r\n*2\r\n:7\r\n$3\r\nb\0c\r\n", 33),
      "$" + std::to_string(large.size()) + "\r\n" + large + "\r\n",
      "*2\r\n$" + std::to_string(large.size()) + "\r\n" + large + "\r\n$2\r\nok\r\n",
  };
  for (int round = 0; round < 3; ++round) {  // later rounds take blocks freed by earlier ones
    for (const std::string& wire : wires) {
      void* ours = parse(wire, &reply_block_functions());
      void* theirs = parse(wire, nullptr);
      require_same(static_cast<redisReply*>(ours), static_cast<redisReply*>(theirs));
      reply_block_functions().freeObject(ours);
      freeReplyObject(theirs);
    }
  }
}
