/// @file weigher.hpp
/// Bounding a local store by a weight (e.g. bytes) instead of an entry count.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "cacheme/local/local_store.hpp"

namespace cacheme::local {

/// The weight of an entry (e.g. its size in bytes), at least 1; called once per insert.
using Weigher = std::function<std::uint32_t(std::string_view key, const AnyValue& value)>;

/// As `make_local_store`, but `size=N` bounds the summed weight of the entries as given by
/// `weigher` rather than their number. An entry heavier than N is not cached.
Result<std::unique_ptr<LocalStore>> make_local_store(std::string_view url, std::uint64_t seed, Weigher weigher);

}  // namespace cacheme::local
