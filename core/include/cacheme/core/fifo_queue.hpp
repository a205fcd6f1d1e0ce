/// @file fifo_queue.hpp
/// A first-in first-out queue in one ring buffer, for queues that are filled and drained over
/// and over (the engine's effects, the runtime's replies). Internal (namespace `detail`).
///
/// Why not `std::deque`: libstdc++'s deque frees a block of elements as soon as its last one
/// is popped and allocates a new block as pushes go past the end, so a queue that never holds
/// more than a few elements still allocates once every few pushes. This queue keeps its buffer
/// and allocates only when it grows (doubling), like a vector.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace cacheme::core::detail {

/// A FIFO queue over a ring of `std::optional<T>` slots whose count is a power of two.
template <class T>
class FifoQueue {
  static_assert(std::is_nothrow_move_constructible_v<T>, "growing moves the elements: a move must not throw");

 public:
  /// Empty, with no buffer yet.
  FifoQueue() = default;
  /// Takes `other`'s elements and buffer; `other` is left empty.
  FifoQueue(FifoQueue&& other) noexcept
      : slots_(std::move(other.slots_)), head_(std::exchange(other.head_, 0)), size_(std::exchange(other.size_, 0)),
        peak_(std::exchange(other.peak_, 0)), drains_(std::exchange(other.drains_, 0)) {
    other.slots_.clear();
  }
  /// Drops the elements held and takes `other`'s; `other` is left empty.
  FifoQueue& operator=(FifoQueue&& other) noexcept {
    if (this != &other) {
      slots_ = std::move(other.slots_);
      other.slots_.clear();
      head_ = std::exchange(other.head_, 0);
      size_ = std::exchange(other.size_, 0);
      peak_ = std::exchange(other.peak_, 0);
      drains_ = std::exchange(other.drains_, 0);
    }
    return *this;
  }
  FifoQueue(const FifoQueue&) = delete;
  FifoQueue& operator=(const FifoQueue&) = delete;

  /// True when no element is queued.
  bool empty() const noexcept { return size_ == 0; }
  /// Elements queued.
  std::size_t size() const noexcept { return size_; }
  /// Slots in the buffer (0 before the first push; see `pop_front` for when it shrinks).
  std::size_t capacity() const noexcept { return slots_.size(); }

  /// The oldest element (the queue must not be empty).
  T& front() noexcept { return *slots_[head_]; }

  /// Adds an element at the back, built from `args`.
  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == slots_.size()) grow();
    std::optional<T>& slot = slots_[(head_ + size_) & (slots_.size() - 1)];
    slot.emplace(std::forward<Args>(args)...);
    peak_ = std::max(peak_, ++size_);
    return *slot;
  }
  /// Adds `value` at the back.
  void push_back(T value) { emplace_back(std::move(value)); }

  /// Removes the oldest element (the queue must not be empty).
  ///
  /// Shrinking. Every `kReviewDrains` times the queue empties, it compares its buffer with the
  /// most elements it held meanwhile: a buffer over `kKeptSlots` slots and at least 4 times that
  /// peak is cut to twice the peak (at least `kKeptSlots`). So a spike does not pin its memory
  /// for long, while a queue that fills in bursts (the runtime's replies when a batch of loads
  /// completes) keeps the buffer its bursts need: giving it back at every drain made each burst
  /// grow it again, copying and touching fresh memory every time.
  void pop_front() noexcept {
    slots_[head_].reset();
    head_ = (head_ + 1) & (slots_.size() - 1);
    if (--size_ == 0) {
      head_ = 0;  // the next burst starts at the front again, in lines the last one warmed
      if (++drains_ == kReviewDrains) review();
    }
  }

  /// The most slots an empty queue keeps whatever its use (see `pop_front`).
  static constexpr std::size_t kKeptSlots = 1024;
  /// How many times the queue empties between two reviews of its buffer (see `pop_front`).
  static constexpr std::size_t kReviewDrains = 4096;

 private:
  // Twice the slots (at least 8), the elements moved over in order from the new head 0.
  void grow() {
    std::vector<std::optional<T>> bigger(slots_.empty() ? 8 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    slots_ = std::move(bigger);
    head_ = 0;
  }

  // Empty now: cuts a buffer that the last kReviewDrains drains did not need (see `pop_front`).
  // An allocation failure keeps the buffer as it is.
  void review() noexcept {
    if (slots_.size() > kKeptSlots && peak_ * 4 <= slots_.size()) {
      try {
        slots_ = std::vector<std::optional<T>>(std::max(kKeptSlots, std::bit_ceil(2 * peak_)));
        head_ = 0;
      } catch (...) {  // NOLINT(bugprone-empty-catch): keeping the larger buffer is correct too
      }
    }
    peak_ = 0;
    drains_ = 0;
  }

  std::vector<std::optional<T>> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t peak_ = 0;    ///< most elements held since the last review
  std::size_t drains_ = 0;  ///< times emptied since the last review
};

}  // namespace cacheme::core::detail
