#include "completion_queue.hpp"

#include <utility>

namespace cacheme::drivers::redis::detail {

// One batch for the sink: what one readiness event (or one posted task) completed. The two
// buffers swap, so neither is reallocated from one batch to the next.
void CompletionQueue::deliver() {
  if (done_.empty()) return;
  const std::weak_ptr<CompletionQueue*> alive = alive_;
  if (sink_.batch) sink_.batch(true);
  while (!done_.empty()) {
    std::swap(done_, delivering_);
    for (auto& d : delivering_) {
      if (d.fetch) {
        if (sink_.fetched) sink_.fetched(d.id, std::move(*d.fetch));
      } else if (sink_.written) {
        sink_.written(d.id, d.status);
      }
      if (alive.expired()) return;  // the sink destroyed the storage
    }
    delivering_.clear();
  }
  if (sink_.batch) sink_.batch(false);
}

void CompletionQueue::deliver_later() {
  if (done_.empty() || posted_) return;
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
