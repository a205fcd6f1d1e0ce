/// @file gather.hpp
/// Private pieces of `cacheme::asio::ShardedCacheme`: an operation split over several shards
/// (a `get_all`, a storage registration) and joined again. Each part completes on its shard's
/// thread; the last one completes the caller's handler on its associated executor, keeping that
/// executor's context busy meanwhile. The caller's cancellation reaches every part still
/// running, on the part's own strand (where the part's slot is cleared when it completes).
/// A part's strand is let go of when the part completes, on that shard's thread: the handler
/// may destroy the front, and the shards' contexts with it, and a strand must not outlive its
/// context.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/dispatch.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/system_executor.hpp>

#include "cacheme/asio/detail/operation.hpp"

namespace cacheme::asio::detail {

/// The state of one split operation: the caller's handler, the parts' cancellation signals
/// and what the parts produced (`Result`, merged by each part). It waits for one part more
/// than it signals: the initiation itself, which reports after it started every part and
/// connected the caller's cancellation slot (so the slot is never assigned after the end).
template <class Handler, class Result>
class Gather : public std::enable_shared_from_this<Gather<Handler, Result>> {
 public:
  using Finish = void (*)(Handler, std::error_code, Result);

  Gather(Handler h, Result initial, std::size_t parts)
      : handler_(std::move(h)),
        work_(::asio::prefer(::asio::get_associated_executor(handler_, ::asio::system_executor()),
                             ::asio::execution::outstanding_work.tracked)),
        result_(std::move(initial)),
        signals_(parts),
        strands_(parts),
        remaining_(parts + 1) {}

  /// The cancellation slot of part `i`, which runs on `strand`: bind the part's handler to it.
  ::asio::cancellation_slot slot(std::size_t i, const Executor& strand) {
    std::lock_guard lock(mutex_);
    strands_[i] = strand;
    return signals_[i].slot();
  }

  /// Forwards the caller's cancellation (terminal, partial) to the parts, once every part is
  /// started (`slot` called for each).
  void forward_cancellation() {
    auto slot = ::asio::get_associated_cancellation_slot(handler_);
    if (!slot.is_connected()) return;
    std::weak_ptr<Gather> weak = this->shared_from_this();
    slot.assign([weak](::asio::cancellation_type type) {
      if (auto self = weak.lock())
        for (std::size_t i = 0; i < self->signals_.size(); ++i)
          if (auto strand = self->strand_of(i))  // else part i is done
            ::asio::dispatch(*strand, [self, i, type] { self->signals_[i].emit(type); });
    });
  }

  /// Stands for the initiation's own part in `part_done`.
  static constexpr std::size_t kInitiation = static_cast<std::size_t>(-1);

  /// Part `part` (or `kInitiation`) done: `merge(result, ...)` under the lock; the first error
  /// is kept; the part's strand is let go of. The last part completes the handler with
  /// `finish`, posted to the handler's executor (the last part may be the initiation itself,
  /// and a handler never runs inside its initiating function).
  template <class Merge>
  void part_done(std::size_t part, std::error_code ec, Merge merge) {
    std::optional<Executor> strand;  // destroyed after the lock is released
    {
      std::lock_guard lock(mutex_);
      if (part != kInitiation) strand.swap(strands_[part]);
      merge(result_);
      if (ec && !error_) error_ = ec;
      if (--remaining_ != 0) return;
    }
    auto ex = ::asio::get_associated_executor(handler_, ::asio::system_executor());
    ::asio::post(ex, [self = this->shared_from_this()]() mutable { self->finish(); });
  }

  /// Sets how the handler is called with the merged result.
  void on_finish(Finish f) { finish_ = f; }

 private:
  std::optional<Executor> strand_of(std::size_t i) {
    std::lock_guard lock(mutex_);
    return strands_[i];
  }

  void finish() {
    auto slot = ::asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) slot.clear();
    auto work = std::move(work_);
    finish_(std::move(handler_), error_, std::move(result_));
  }

  Handler handler_;
  ::asio::any_io_executor work_;  ///< keeps the handler's context running until the end
  Result result_;
  std::vector<::asio::cancellation_signal> signals_;
  std::vector<std::optional<Executor>> strands_;  ///< a running part's strand; guarded by mutex_
  std::mutex mutex_;
  std::size_t remaining_;
  std::error_code error_;
  Finish finish_ = nullptr;
};

}  // namespace cacheme::asio::detail
