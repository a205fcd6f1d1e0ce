#include "completion_queue.hpp"

#include <algorithm>
#include <utility>

namespace cacheme::drivers::redis::detail {

// One batch for the sink: what one readiness event (or one posted task) completed. The two
// buffers swap, so neither is reallocated from one batch to the next.
void CompletionQueue::deliver() {
  if (done_.size == 0) return;
  const std::weak_ptr<CompletionQueue*> alive = alive_;
  if (sink_.batch) sink_.batch(true);
  while (done_.size != 0) {
    std::swap(done_, delivering_);
    for (std::size_t i = 0; i < delivering_.size; ++i) {
      const Done& d = delivering_.items[i];
      if (d.is_fetch) {
        if (sink_.fetched) sink_.fetched(d.id, d.fetch);
      } else if (sink_.written) {
        sink_.written(d.id, d.status);
      }
      if (alive.expired()) return;  // the sink destroyed the storage
    }
    trim(delivering_);
    delivering_.size = 0;
  }
  if (sink_.batch) sink_.batch(false);
}

void CompletionQueue::trim(DoneList& list) {
  for (std::size_t i = 0; i < list.size; ++i) {
    auto& values = list.items[i].fetch.values;
    const bool large = std::any_of(values.begin(), values.end(),
                                   [](const auto& v) { return v && v->capacity() > kKeptBytes; });
    if (i >= kKeptResults || values.capacity() > kKeptValues || large) values = {};
  }
}

void CompletionQueue::deliver_later() {
  if (done_.size == 0 || posted_) return;
  posted_ = true;
  reactor_.post([alive = std::weak_ptr<CompletionQueue*>(alive_)] {
    CompletionQueue* self = nullptr;
    if (const auto p = alive.lock()) self = *p;  // not held during deliver: the sink may destroy us
    if (!self) return;
    self->posted_ = false;
    self->deliver();
  });
}

}  // namespace cacheme::drivers::redis::detail
