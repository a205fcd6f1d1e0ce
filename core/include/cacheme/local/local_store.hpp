/// @file local_store.hpp
/// The interface between the engine and an in-process tier (`local://lru`, `local://tlfu`).
/// Pure and deterministic: time comes in as `now`, randomness from the seed given at creation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "cacheme/core/any_value.hpp"
#include "cacheme/core/histogram.hpp"
#include "cacheme/core/time.hpp"
#include "cacheme/result.hpp"

namespace cacheme::local {

using core::AnyValue;
using core::Instant;

/// What `find` returns: the shared value and its expiry (`nullopt`: never expires).
struct Hit {
  const AnyValue* value = nullptr;  ///< the entry's value; null when absent or expired
  std::optional<Instant> expiry;     ///< when the entry expires (`nullopt`: never)
};

/// How long entries lived before they left the store on their own (explicit erases and
/// replacements are not counted): what a tier's size and TTL actually buy.
struct EntryLifetimes {
  core::DurationHistogram evicted{core::kLifetimeBounds};  ///< pushed out by the policy (capacity)
  core::DurationHistogram expired{core::kLifetimeBounds};  ///< reached their expiry (counted to it)
};

/// An in-process cache policy holding typed values. Not thread-safe: the engine owns it.
class LocalStore {
 public:
  virtual ~LocalStore() = default;

  /// The live entry of `key` at `now`, recorded as an access for the policy; an empty
  /// `Hit` (null `value`) when absent or expired. The pointer is valid until the next call.
  virtual Hit find(std::string_view key, Instant now) = 0;

  /// Inserts or replaces `key`. `expiry` absent: never expires. The policy may evict another
  /// entry, or refuse the newcomer (W-TinyLFU admission).
  virtual void insert(std::string_view key, AnyValue value, std::optional<Instant> expiry, Instant now) = 0;

  /// Removes `key`; true if it was there.
  virtual bool erase(std::string_view key) = 0;

  /// Removes every entry (the policy's history, such as W-TinyLFU's sketch, starts over too).
  virtual void clear(Instant now) = 0;

  /// Lifetimes of the entries evicted or expired so far.
  virtual const EntryLifetimes& lifetimes() const = 0;

  /// Lets time pass: entries that expired by `now` leave (amortized O(1) per entry).
  virtual void advance(Instant now) = 0;

  /// When `advance` next has work to do, if ever (may be early, never late).
  virtual std::optional<Instant> next_expiry() const = 0;

  /// The number of entries held now.
  virtual std::size_t size() const = 0;
  /// The capacity (the `size=N` of the URL): the policy evicts to stay within it.
  virtual std::size_t capacity() const = 0;

  /// Bytes held by the store's own structures: nodes (with inline keys and value handles),
  /// index, queues, sketch, timers; not the values themselves nor long keys' heap copies.
  virtual std::size_t memory_bytes() const = 0;
};

/// Builds a store from a `local://` URL: `local://lru?size=N` or `local://tlfu?size=N`.
/// An unknown policy, a missing or bad `size` gives `errc::bad_url` / `errc::bad_option`.
Result<std::unique_ptr<LocalStore>> make_local_store(std::string_view url, std::uint64_t seed);

}  // namespace cacheme::local
