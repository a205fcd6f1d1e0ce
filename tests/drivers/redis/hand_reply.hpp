// Hand-built hiredis replies for the reply-parsing tests.
#pragma once

#include <hiredis/hiredis.h>

#include <string>
#include <vector>

namespace cacheme::test {

/// Owns a reply tree built by hand.
struct Node {
  redisReply r{};
  std::string text;
  std::vector<Node> children;
  std::vector<redisReply*> ptrs;

  static Node str(std::string s, int type = REDIS_REPLY_STRING) {
    Node n;
    n.r.type = type;
    n.text = std::move(s);
    return n;
  }
  static Node error(std::string s) { return str(std::move(s), REDIS_REPLY_ERROR); }
  static Node nil() {
    Node n;
    n.r.type = REDIS_REPLY_NIL;
    return n;
  }
  static Node integer(long long v) {
    Node n;
    n.r.type = REDIS_REPLY_INTEGER;
    n.r.integer = v;
    return n;
  }
  static Node array(std::vector<Node> items) {
    Node n;
    n.r.type = REDIS_REPLY_ARRAY;
    n.children = std::move(items);
    return n;
  }
  /// Fixes the pointers once the tree no longer moves.
  const redisReply* get() {
    r.str = text.data();
    r.len = text.size();
    ptrs.clear();
    for (auto& c : children) {
      c.get();
      ptrs.push_back(&c.r);
    }
    r.elements = children.size();
    r.element = ptrs.empty() ? nullptr : ptrs.data();
    return &r;
  }
};

}  // namespace cacheme::test
