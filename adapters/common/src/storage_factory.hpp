// Storage URLs: the scheme picks the driver; `timeout=MS` is the core's operation timeout.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "cacheme/drivers/invalidation.hpp"
#include "cacheme/drivers/reactor.hpp"
#include "cacheme/drivers/storage.hpp"
#include "cacheme/result.hpp"

namespace cacheme::adapters {

struct StorageUrl {
  std::string scheme;                                    ///< "local", "redis", "sqlite", ...
  std::chrono::milliseconds timeout{1000};               ///< from `timeout=MS`
  /// `invalidation=pubsub` (Redis only): erases are announced to other processes, which drop
  /// their local copies (cross-process invalidation of local tiers).
  bool invalidation = false;
};

/// Checks the scheme (`errc::bad_url` if unknown or not built in) and reads `timeout` and
/// `invalidation` (`errc::bad_option` for a bad value, or `invalidation` on another scheme).
Result<StorageUrl> parse_storage_url(std::string_view url);

/// Starts connecting a remote storage of `scheme`; an error if it cannot even start.
/// Opens the cross-process invalidation channel of `prefix` for the storage of `url`
/// (`errc::bad_url` when the scheme has none).
Result<std::unique_ptr<drivers::InvalidationChannel>> open_invalidation(drivers::Reactor& reactor,
                                                                       const std::string& scheme, std::string_view url,
                                                                       std::string_view prefix,
                                                                       drivers::InvalidationEvents events);

std::error_code connect_storage(drivers::Reactor& reactor, const std::string& scheme, std::string_view url,
                                const drivers::StorageOptions& options, drivers::CompletionSink sink,
                                drivers::ConnectDone done);

}  // namespace cacheme::adapters
