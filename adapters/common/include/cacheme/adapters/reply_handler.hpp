/// @file reply_handler.hpp
/// What waits for a reply in the runtime's slot of its ticket: a move-only callable stored in
/// the slot itself when it fits (the adapters' handlers do: a `std::function`, a shared
/// operation and an executor pointer), so that awaiting a reply allocates nothing. A larger
/// callable goes to the heap, as in a `std::function`.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include "cacheme/core/effects.hpp"

namespace cacheme::adapters {

/// A move-only `void(core::Reply&)` callable with 64 bytes of inline storage. The handler reads
/// the reply (and may move values out of it) but does not keep it: the runtime gives the
/// reply's buffers back to the engine afterwards (`Engine::recycle`). A handler taking the
/// reply by value or by const reference is rejected, as it would copy or keep nothing to reuse
/// for no reason.
class ReplyHandler {
 public:
  /// Empty: `operator bool` is false.
  ReplyHandler() noexcept = default;
  /// Empty: `operator bool` is false.
  ReplyHandler(std::nullptr_t) noexcept {}  // NOLINT: converts like std::function's
  /// Holds `f` (inline when it fits and moves without throwing).
  template <class F, class D = std::decay_t<F>,
            std::enable_if_t<!std::is_same_v<D, ReplyHandler> && std::is_invocable_v<D&, core::Reply&>, int> = 0>
  ReplyHandler(F&& f) {  // NOLINT: converts like std::function's
    static_assert(!std::is_invocable_v<D&, core::Reply&&>, "a reply handler takes `core::Reply&`");
    if constexpr (kFits<D>) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      ops_ = &kInlineOps<D>;
    } else {
      *reinterpret_cast<D**>(buf_) = new D(std::forward<F>(f));
      ops_ = &kHeapOps<D>;
    }
  }
  /// Takes `other`'s callable; `other` is left empty.
  ReplyHandler(ReplyHandler&& other) noexcept { take(other); }
  /// Drops the held callable and takes `other`'s; `other` is left empty.
  ReplyHandler& operator=(ReplyHandler&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  ReplyHandler(const ReplyHandler&) = delete;
  ReplyHandler& operator=(const ReplyHandler&) = delete;
  ~ReplyHandler() { reset(); }

  /// True when it holds a callable.
  explicit operator bool() const noexcept { return ops_ != nullptr; }
  /// Calls the held callable (which must exist) with `reply`.
  void operator()(core::Reply& reply) { ops_->call(buf_, reply); }

 private:
  static constexpr std::size_t kInline = 64;
  struct Ops {
    void (*call)(void* self, core::Reply& reply);
    void (*move)(void* to, void* from) noexcept;  // leaves `from` destroyed
    void (*destroy)(void* self) noexcept;
  };
  template <class D>
  static constexpr bool kFits = sizeof(D) <= kInline && alignof(D) <= alignof(std::max_align_t) &&
                                std::is_nothrow_move_constructible_v<D>;
  template <class D>
  static D* held(void* p) noexcept {
    return std::launder(static_cast<D*>(p));
  }
  template <class D>
  static constexpr Ops kInlineOps{
      [](void* p, core::Reply& r) { (*held<D>(p))(r); },
      [](void* to, void* from) noexcept {
        ::new (to) D(std::move(*held<D>(from)));
        held<D>(from)->~D();
      },
      [](void* p) noexcept { held<D>(p)->~D(); }};
  template <class D>
  static constexpr Ops kHeapOps{[](void* p, core::Reply& r) { (**static_cast<D**>(p))(r); },
                                [](void* to, void* from) noexcept { *static_cast<D**>(to) = *static_cast<D**>(from); },
                                [](void* p) noexcept { delete *static_cast<D**>(p); }};

  void take(ReplyHandler& other) noexcept {
    if (!other.ops_) return;
    other.ops_->move(buf_, other.buf_);
    ops_ = std::exchange(other.ops_, nullptr);
  }
  void reset() noexcept {
    if (ops_) std::exchange(ops_, nullptr)->destroy(buf_);
  }

  alignas(std::max_align_t) unsigned char buf_[kInline];
  const Ops* ops_ = nullptr;
};

}  // namespace cacheme::adapters
