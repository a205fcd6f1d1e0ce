// Storage URLs: the scheme picks the driver; `timeout=MS` is the core's operation timeout.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "cacheme/drivers/reactor.hpp"
#include "cacheme/drivers/storage.hpp"
#include "cacheme/result.hpp"

namespace cacheme::adapters {

struct StorageUrl {
  std::string scheme;                                    ///< "local", "redis", "sqlite", ...
  std::chrono::milliseconds timeout{1000};               ///< from `timeout=MS`
};

/// Checks the scheme (`errc::bad_url` if unknown or not built in) and reads `timeout`.
Result<StorageUrl> parse_storage_url(std::string_view url);

/// Starts connecting a remote storage of `scheme`; an error if it cannot even start.
std::error_code connect_storage(drivers::Reactor& reactor, const std::string& scheme, std::string_view url,
                                const drivers::StorageOptions& options, drivers::CompletionSink sink,
                                drivers::ConnectDone done);

}  // namespace cacheme::adapters
