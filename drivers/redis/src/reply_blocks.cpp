#include "reply_blocks.hpp"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

namespace cacheme::drivers::redis::detail {
namespace {

// A block: a header, the reply, then its payload (a string's bytes and NUL, or an array's
// element pointers). Blocks of up to kSmall bytes are kept for reuse, at most kKept per thread
// (a pipeline's worth of replies; 256 KiB).
constexpr std::size_t kSmall = 256;
constexpr std::size_t kKept = 1024;

struct Header {
  std::size_t size;  // the whole block's bytes
};
constexpr std::size_t kReplyOffset = (sizeof(Header) + alignof(redisReply) - 1) / alignof(redisReply) * alignof(redisReply);
constexpr std::size_t kPayloadOffset = kReplyOffset + sizeof(redisReply);

// Small free blocks of this thread (the loop thread that reads the replies frees them too).
struct FreeBlocks {
  std::vector<void*> blocks;
  ~FreeBlocks() {
    for (void* b : blocks) std::free(b);
  }
};
thread_local FreeBlocks free_blocks;

Header* header_of(redisReply* r) { return reinterpret_cast<Header*>(reinterpret_cast<char*>(r) - kReplyOffset); }

// A zeroed reply of `type` with `payload` bytes after it, or nullptr when memory runs out.
redisReply* new_reply(int type, std::size_t payload) {
  const std::size_t size = kPayloadOffset + payload;
  void* block = nullptr;
  if (size <= kSmall && !free_blocks.blocks.empty()) {
    block = free_blocks.blocks.back();
    free_blocks.blocks.pop_back();
  } else {
    block = std::malloc(size <= kSmall ? kSmall : size);
    if (!block) return nullptr;
  }
  auto* h = static_cast<Header*>(block);
  h->size = size <= kSmall ? kSmall : size;
  auto* r = new (static_cast<char*>(block) + kReplyOffset) redisReply{};
  r->type = type;
  return r;
}

// Hangs `r` in its parent array, as hiredis's own functions do.
void* attach(const redisReadTask* task, redisReply* r) {
  if (r && task->parent) {
    auto* parent = static_cast<redisReply*>(task->parent->obj);
    parent->element[task->idx] = r;
  }
  return r;
}

void free_reply(void* p) {
  auto* r = static_cast<redisReply*>(p);
  if (!r) return;
  if (r->type == REDIS_REPLY_ARRAY) {
    for (std::size_t i = 0; i < r->elements; ++i) free_reply(r->element[i]);
  }
  Header* h = header_of(r);
  if (h->size == kSmall && free_blocks.blocks.size() < kKept) {
    free_blocks.blocks.push_back(h);
  } else {
    std::free(h);
  }
}

void* create_string(const redisReadTask* task, char* str, std::size_t len) {
  redisReply* r = new_reply(task->type, len + 1);
  if (!r) return nullptr;
  r->str = reinterpret_cast<char*>(r) + sizeof(redisReply);
  std::memcpy(r->str, str, len);
  r->str[len] = '\0';
  r->len = len;
  return attach(task, r);
}

void* create_array(const redisReadTask* task, int elements) {
  const auto n = static_cast<std::size_t>(elements > 0 ? elements : 0);
  redisReply* r = new_reply(REDIS_REPLY_ARRAY, n * sizeof(redisReply*));
  if (!r) return nullptr;
  r->elements = n;
  if (n > 0) {
    r->element = reinterpret_cast<redisReply**>(reinterpret_cast<char*>(r) + sizeof(redisReply));
    std::memset(r->element, 0, n * sizeof(redisReply*));
  }
  return attach(task, r);
}

void* create_integer(const redisReadTask* task, long long value) {
  redisReply* r = new_reply(REDIS_REPLY_INTEGER, 0);
  if (!r) return nullptr;
  r->integer = value;
  return attach(task, r);
}

void* create_nil(const redisReadTask* task) { return attach(task, new_reply(REDIS_REPLY_NIL, 0)); }

redisReplyObjectFunctions functions{create_string, create_array, create_integer, create_nil, free_reply};

}  // namespace

redisReplyObjectFunctions& reply_block_functions() noexcept { return functions; }

}  // namespace cacheme::drivers::redis::detail
