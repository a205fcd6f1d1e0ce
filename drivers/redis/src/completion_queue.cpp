#include "completion_queue.hpp"

#include <utility>

namespace cacheme::drivers::redis::detail {

void CompletionQueue::deliver() {
  const std::weak_ptr<CompletionQueue*> alive = alive_;
  while (!done_.empty()) {
    auto batch = std::exchange(done_, {});
    for (auto& d : batch) {
      if (d.fetch) {
        if (sink_.fetched) sink_.fetched(d.id, std::move(*d.fetch));
      } else if (sink_.written) {
        sink_.written(d.id, d.status);
      }
      if (alive.expired()) return;  // the sink destroyed the storage
    }
  }
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
