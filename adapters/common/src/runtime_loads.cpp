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

/// One LoadRequest: a loader per key; the core hears of it when the last key is done.
struct Runtime::LoadBatch {
  core::LoadId id;
  core::NodeId node;
  std::vector<Result<core::AnyValue>> results;
  std::vector<std::shared_ptr<LoadCancellation>> cancels;
  std::size_t remaining = 0;
};

void Runtime::cancel_batch(LoadBatch& batch) {
  for (auto& c : batch.cancels) c->cancel();
}

// Starts every key's loader. A loader that throws at once (a callback loader) is a failed load.
void Runtime::start_load(core::LoadRequest req) {
  auto batch = std::make_shared<LoadBatch>();
  batch->id = req.id;
  batch->node = req.node;
  batch->results.resize(req.sources.size(), fail(errc::no_loader));
  batch->remaining = req.sources.size();
  for (std::size_t i = 0; i < req.sources.size(); ++i) batch->cancels.push_back(std::make_shared<LoadCancellation>());
  loads_.emplace(req.id.v, batch);
  std::weak_ptr<bool> alive = alive_;
  for (std::size_t i = 0; i < req.sources.size(); ++i) {
    LoadDone done = [this, alive, batch, i](Result<core::AnyValue> r, std::string_view message) {
      if (!alive.expired()) finish_load_key(batch, i, std::move(r), message);
    };
    const auto* thunk = static_cast<const LoadThunk*>(req.sources[i].get());
    if (!thunk) {
      reactor_.post([done] { done(fail(errc::no_loader), {}); });
      continue;
    }
    try {
      thunk->start(done, batch->cancels[i]);
    } catch (const std::exception& e) {
      done(fail(errc::load_failed), e.what());
    } catch (...) {
      done(fail(errc::load_failed), "unknown exception");
    }
  }
}

void Runtime::finish_load_key(const std::shared_ptr<LoadBatch>& batch, std::size_t i, Result<core::AnyValue> r,
                              std::string_view message) {
  LoadCancellation& cancel = *batch->cancels[i];
  const auto it = loads_.find(batch->id.v);
  if (cancel.cancelled() || it == loads_.end() || it->second != batch) return;  // given up: ignored
  cancel.finished();
  if (!r && !message.empty()) load_errors_[batch->node.v] = std::string(message);
  batch->results[i] = std::move(r);
  if (--batch->remaining > 0) return;
  loads_.erase(it);
  engine().complete_load(batch->id, std::move(batch->results), real_now());
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
