// The runtime's loads: started from the core's LoadRequest, cancelled on its CancelLoad.
#include "cacheme/adapters/runtime.hpp"
#include "cacheme/errc.hpp"

namespace cacheme::adapters {

void LoadCancellation::on_cancel(std::function<void()> fn) {
  if (cancelled_) return fn();
  fn_ = std::move(fn);
}

void LoadCancellation::cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  if (auto fn = std::exchange(fn_, nullptr)) fn();
}

/// One LoadRequest: a loader per key; the core hears of it when the last key is done. One
/// allocation for the batch and one for its keys: each key's cancellation lives in its entry
/// and is handed to the loader as a pointer that shares the batch's ownership.
struct Runtime::LoadBatch {
  struct Key {
    Result<core::AnyValue> result = fail(errc::no_loader);
    LoadCancellation cancel;
    bool finished = false;  ///< a loader that answers twice is heard once
  };
  core::LoadId id;
  core::NodeId node;
  std::vector<Key> keys;  ///< sized once: the cancellations' addresses stay put
  std::size_t remaining = 0;
};

// Tells every loader of the batch to stop. What a cancel function throws (user code under
// libevent) goes to the exception sink, never up through the pump or a C callback.
void Runtime::cancel_batch(LoadBatch& batch) {
  for (auto& k : batch.keys) {
    try {
      k.cancel.cancel();
    } catch (...) {
      if (on_exception_) (*on_exception_)(std::current_exception());
    }
  }
}

// Starts every key's loader. A loader that throws at once (a callback loader) is a failed load.
void Runtime::start_load(core::LoadRequest req) {
  auto batch = std::make_shared<LoadBatch>();
  batch->id = req.id;
  batch->node = req.node;
  batch->keys = std::vector<LoadBatch::Key>(req.sources.size());
  batch->remaining = req.sources.size();
  loads_.emplace(req.id.v, batch);
  std::weak_ptr<bool> alive = alive_;
  for (std::size_t i = 0; i < req.sources.size(); ++i) {
    LoadDone done = [this, alive, batch, i](Result<core::AnyValue> r, std::string_view message) {
      if (is_alive(alive)) finish_load_key(batch, i, std::move(r), message);
    };
    const auto* thunk = static_cast<const LoadThunk*>(req.sources[i].get());
    if (!thunk) {
      reactor_.post([done] { done(fail(errc::no_loader), {}); });
      continue;
    }
    try {
      thunk->start(done, std::shared_ptr<LoadCancellation>(batch, &batch->keys[i].cancel));
    } catch (const std::exception& e) {
      done(fail(errc::load_failed), e.what());
    } catch (...) {
      done(fail(errc::load_failed), "unknown exception");
    }
  }
}

void Runtime::finish_load_key(const std::shared_ptr<LoadBatch>& batch, std::size_t i, Result<core::AnyValue> r,
                              std::string_view message) {
  LoadBatch::Key& key = batch->keys[i];
  const auto it = loads_.find(batch->id.v);
  if (key.cancel.cancelled() || it == loads_.end() || it->second != batch || key.finished) return;  // ignored
  key.finished = true;
  key.cancel.finished();
  if (!r && !message.empty()) load_errors_[batch->node.v] = std::string(message);
  key.result = std::move(r);
  if (--batch->remaining > 0) return;
  loads_.erase(it);
  std::vector<Result<core::AnyValue>> results;
  results.reserve(batch->keys.size());
  for (auto& k : batch->keys) results.push_back(std::move(k.result));
  engine().complete_load(batch->id, std::move(results), real_now());
  pump();
}

// The core gave up on the load (deadline, or nobody waits): every loader still running is
// told to stop; what they still deliver is ignored.
void Runtime::cancel_load(core::LoadId id) {
  const auto it = loads_.find(id.v);
  if (it == loads_.end()) return;
  const std::shared_ptr<LoadBatch> batch = std::move(it->second);
  loads_.erase(it);
  cancel_batch(*batch);
}

std::string Runtime::last_load_error(core::NodeId node) const {
  const auto it = load_errors_.find(node.v);
  return it == load_errors_.end() ? std::string() : it->second;
}

}  // namespace cacheme::adapters
